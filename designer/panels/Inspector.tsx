/**
 * The inspector: a form generated from the selected node's parameter
 * schema. Defaults come from the registry and show as such; messages come
 * from validatePipeline, the same the CLI prints, placed next to the field
 * they are about.
 */
import { memo, useMemo, useState, type KeyboardEvent } from 'react';
import { useDraft } from './use-draft.js';
import type { Problem } from '../../codegen/errors.js';
import type { PipelineNode } from '../../codegen/pipeline.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { withDefaults, type ParamSpec } from '../../runtime/kinds/spec.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectFiles, selectInspected, selectPipeline, selectPipelineName, selectProblems, selectSelectedCount } from '../store/selectors.js';
import { focusNode } from '../actions.js';
import { edgeEventType } from '../graph/edge-type.js';
import { withSchemaFiles } from '../../codegen/schema-files.js';
import { EdgePanel } from '../simulator/EdgePanel.js';
import { selectSimOpen } from '../simulator/selectors.js';
import { wireOfEdgeId } from '../store/pipeline-slice.js';
import type { DesignerState } from '../store/types.js';
import { SampleFromTopic } from '../live/SampleFromTopic.js';
import { parseSamples, problemsOfNode } from './inspector-parse.js';
import { PARAM_INPUTS } from './param-inputs.js';

function Messages({ id, problems }: { id: string; problems: Problem[] | undefined }) {
  if (!problems?.length) return null;
  return (
    <div id={id} className="pw-field-messages" role="alert">
      {problems.map((p, i) => (
        <p key={i} className={`pw-msg pw-${p.severity}`}>
          {p.message} <span className="pw-hint">{p.hint}</span>
        </p>
      ))}
    </div>
  );
}

const selectLoneEdge = (s: DesignerState) => (s.selectedNodes.length === 0 && s.selectedEdges.length === 1 ? s.selectedEdges[0] : undefined);

export const Inspector = memo(function Inspector() {
  const node = useDesigner(selectInspected);
  const count = useDesigner(selectSelectedCount);
  const edge = useDesigner(selectLoneEdge);
  return (
    <aside className="pw-inspector" aria-label="Inspector">
      {node ? (
        <NodeForm key={node.id} node={node} />
      ) : count > 1 ? (
        <MultiSelection count={count} />
      ) : edge ? (
        <EdgeForm key={edge} edge={edge} />
      ) : (
        <PipelineForm />
      )}
    </aside>
  );
});

/** A selected wire: its two ends, the type of the events on it, and while simulating its last events. */
function EdgeForm({ edge }: { edge: string }) {
  const store = useDesignerStore();
  const state = store.getState;
  const pipeline = useDesigner(selectPipeline);
  const files = useDesigner(selectFiles);
  const simulating = useDesigner(selectSimOpen);
  const wire = useMemo(() => wireOfEdgeId(edge), [edge]);
  const type = useMemo(
    () => (wire ? edgeEventType(withSchemaFiles(pipeline, files), wire.source, wire.sourceHandle ?? 'out') : undefined),
    [pipeline, files, wire],
  );
  if (!wire || !type) return null;
  const end = (id: string, port: string | null | undefined, dir: string) => (
    <div className="pw-field">
      <span className="pw-label">{dir}</span>
      <button
        type="button"
        className="pw-button is-quiet pw-edge-end"
        onClick={() => focusNode(store, id)}
        data-testid={`edge-${dir.toLowerCase()}`}
        title={`Select ${id}`}
      >
        <code>{id}</code> <span className="pw-muted">port</span> <code>{port}</code>
      </button>
    </div>
  );
  return (
    <div className="pw-inspector-body" data-testid="edge-inspector">
      <div className="pw-panel-title">Wire</div>
      {end(wire.source, wire.sourceHandle, 'From')}
      {end(wire.target, wire.targetHandle, 'To')}
      <div className="pw-field">
        <span className="pw-label">Event type</span>
        <pre className="pw-type" data-testid="edge-type">
          {type.type}
        </pre>
        <p className="pw-help">{type.note}</p>
      </div>
      {simulating ? (
        <div className="pw-field">
          <span className="pw-label">Last events (simulator)</span>
          <EdgePanel />
        </div>
      ) : (
        <p className="pw-muted">Simulate the pipeline to see the last events on this wire.</p>
      )}
      <button type="button" className="pw-button is-danger pw-delete" onClick={() => state().deleteSelection()}>
        Delete wire
      </button>
    </div>
  );
}

function MultiSelection({ count }: { count: number }) {
  const state = useDesignerStore().getState;
  return (
    <div className="pw-inspector-body">
      <div className="pw-panel-title">{count} nodes selected</div>
      <p className="pw-muted">Drag to move them together. Ctrl+C copies them, Delete removes them.</p>
      <button type="button" className="pw-button is-danger" onClick={() => state().deleteSelection()}>
        Delete {count} nodes
      </button>
    </div>
  );
}

function PipelineForm() {
  const state = useDesignerStore().getState;
  const name = useDesigner(selectPipelineName);
  const problems = useDesigner(selectProblems);
  const nameProblems = problems.filter((p) => p.path[0] === 'pipeline');
  return (
    <div className="pw-inspector-body">
      <div className="pw-panel-title">Pipeline</div>
      <div className="pw-field">
        <label htmlFor="pw-pipeline-name">Name</label>
        <input
          id="pw-pipeline-name"
          className={`pw-input${nameProblems.length ? ' is-invalid' : ''}`}
          value={name}
          spellCheck={false}
          aria-describedby="pw-pipeline-name-help"
          onChange={(e) => state().setPipelineName(e.target.value)}
        />
        <p id="pw-pipeline-name-help" className="pw-help">
          Names the service, its consumer group, its Kubernetes objects and the dead-letter topic.
        </p>
        <Messages id="pw-pipeline-name-msg" problems={nameProblems} />
      </div>
      <p className="pw-muted">Select a node to edit it. Drag from an output port (right) to an input port (left) to connect two nodes.</p>
    </div>
  );
}

function NodeForm({ node }: { node: PipelineNode }) {
  const state = useDesignerStore().getState;
  const kind = getKind(node.kind);
  const problems = useDesigner(selectProblems);
  const { byField, general } = useMemo(() => problemsOfNode(problems, node.id), [problems, node.id]);
  if (!kind) {
    return (
      <div className="pw-inspector-body">
        <div className="pw-panel-title">Unknown kind “{node.kind}”</div>
        <Messages id="pw-node-msg" problems={general} />
      </div>
    );
  }
  return (
    <div className="pw-inspector-body" data-testid="inspector">
      <div className={`pw-inspector-head pw-cat-${kind.category}`}>
        <div className="pw-panel-title">{kind.title}</div>
        <span className="pw-chip">{kind.category}</span>
        <code className="pw-chip">{kind.kind}</code>
      </div>
      <Docs text={kind.docs} />
      <Messages id="pw-node-msg" problems={general} />
      <IdField node={node} problems={byField.get('id')} />
      <div className="pw-field">
        <label htmlFor="pw-field-label">Label</label>
        <input
          id="pw-field-label"
          className="pw-input"
          value={node.label ?? ''}
          placeholder={node.id}
          onChange={(e) => state().setLabel(node.id, e.target.value)}
        />
        <p className="pw-help">Shown on the canvas instead of the id; optional.</p>
      </div>
      {kind.params.map((spec) => (
        <ParamField key={spec.name} node={node} spec={spec} problems={byField.get(spec.name)} />
      ))}
      {kind.category === 'source' && <SamplesField node={node} problems={byField.get('samples')} />}
      <SampleFromTopic node={node} />
      <button type="button" className="pw-button is-danger pw-delete" onClick={() => state().removeElements([node.id])}>
        Delete node
      </button>
    </div>
  );
}

/** A kind's docs: the first sentence always, the rest on request, so the form stays in view. */
function Docs({ text }: { text: string }) {
  // The first full stop that ends a sentence: not the one of "e.g." or "i.e.".
  const m = /(?<!\b(?:e\.g|i\.e|etc))\.\s+(?=[A-Z`(])/.exec(text);
  if (!m || m.index > text.length - 40) return <p className="pw-docs">{text}</p>;
  return (
    <details className="pw-docs">
      <summary>{text.slice(0, m.index + 1)}</summary>
      {text.slice(m.index + m[0].length)}
    </details>
  );
}

function IdField({ node, problems }: { node: PipelineNode; problems: Problem[] | undefined }) {
  const state = useDesignerStore().getState;
  const [text, setText] = useDraft(
    node.id,
    (id) => id,
    () => false,
  );
  const [refused, setRefused] = useState<string | undefined>();
  const apply = () => {
    const why = state().renameNode(node.id, text.trim());
    setRefused(why);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') apply();
    if (e.key === 'Escape') {
      setText(node.id);
      setRefused(undefined);
    }
  };
  return (
    <div className="pw-field">
      <label htmlFor="pw-field-id">Id</label>
      <input
        id="pw-field-id"
        className={`pw-input is-mono${refused || problems?.length ? ' is-invalid' : ''}`}
        value={text}
        spellCheck={false}
        aria-describedby="pw-field-id-help pw-field-id-msg"
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={onKey}
      />
      <p id="pw-field-id-help" className="pw-help">
        Names the node in YAML and code; renaming updates the wires that read from it. Enter applies.
      </p>
      {refused && (
        <p id="pw-field-id-msg" className="pw-msg pw-error" role="alert">
          {refused}
        </p>
      )}
      <Messages id="pw-field-id-problems" problems={problems} />
    </div>
  );
}

/** One parameter: its label, the input its type calls for (param-inputs.tsx), help, default, attached file and messages. */
function ParamField({ node, spec, problems }: { node: PipelineNode; spec: ParamSpec; problems: Problem[] | undefined }) {
  const state = useDesignerStore().getState;
  const id = `pw-param-${spec.name}`;
  const value = node.params[spec.name];
  const invalid = !!problems?.length;
  // An empty default means "none": nothing to show as a default.
  const hasDefault = spec.default !== undefined && spec.default !== '';
  const Input = PARAM_INPUTS[spec.type] ?? PARAM_INPUTS.string;
  return (
    <div className={`pw-field${spec.type === 'boolean' ? ' is-inline' : ''}`} data-param={spec.name}>
      <label htmlFor={id} onClick={spec.type === 'expression' ? () => document.getElementById(id)?.focus() : undefined}>
        {spec.title}
        {spec.required && (
          <span className="pw-required" aria-label="required">
            {' '}
            *
          </span>
        )}
        <code className="pw-param-name">{spec.name}</code>
      </label>
      <Input
        node={node}
        spec={spec}
        id={id}
        value={value}
        invalid={invalid}
        describedBy={`${id}-help${invalid ? ` ${id}-msg` : ''}`}
        hasDefault={hasDefault}
        set={(v) => state().setParam(node.id, spec.name, v)}
      />
      <p id={`${id}-help`} className="pw-help">
        {spec.description}
        {hasDefault && (
          <>
            {' '}
            Default: <code>{String(spec.default)}</code>.
          </>
        )}
        {spec.type === 'expression' && spec.placeholder && (
          <>
            {' '}
            e.g. <code>{spec.placeholder}</code>
          </>
        )}
      </p>
      {spec.type !== 'expressions' && <FileAttachment node={node} value={value} />}
      <Messages id={`${id}-msg`} problems={problems} />
    </div>
  );
}

/** Parameters that name a file of the pipeline (a model): attach the file so the export carries it. */
function FileAttachment({ node, value }: { node: PipelineNode; value: unknown }) {
  const state = useDesignerStore().getState;
  const kind = getKind(node.kind);
  const files = useDesigner(selectFiles);
  const bytes = typeof value === 'string' ? files[value] : undefined;
  if (typeof value !== 'string' || !(kind?.files?.(withDefaults(kind, node.params)) ?? []).includes(value)) return null;
  return (
    <div className="pw-file">
      <span className={bytes ? 'pw-ok-text' : 'pw-muted'}>
        {bytes ? `Attached: ${(bytes.length / 1024).toFixed(1)} kB` : 'No file attached; the export needs it.'}
      </span>
      <label className="pw-button pw-file-button">
        {bytes ? 'Replace…' : 'Attach file…'}
        <input
          type="file"
          hidden
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void f.arrayBuffer().then((buffer) => state().setFile(value, new Uint8Array(buffer)));
          }}
        />
      </label>
    </div>
  );
}

function SamplesField({ node, problems }: { node: PipelineNode; problems: Problem[] | undefined }) {
  const state = useDesignerStore().getState;
  const [error, setError] = useState<string | undefined>();
  const [text, setText] = useDraft(
    node.samples,
    (samples) => (samples ? JSON.stringify(samples, null, 2) : ''),
    (draft, samples) => JSON.stringify(parseSamples(draft).samples ?? null) === JSON.stringify(samples ?? null),
    () => setError(undefined),
  );
  return (
    <div className="pw-field">
      <label htmlFor="pw-field-samples">
        Sample events <code className="pw-param-name">samples</code>
      </label>
      <textarea
        id="pw-field-samples"
        className={`pw-input is-mono pw-samples${error || problems?.length ? ' is-invalid' : ''}`}
        value={text}
        rows={6}
        spellCheck={false}
        placeholder={'[\n  { "key": "c1", "value": { "amount": 250 } }\n]'}
        aria-describedby="pw-field-samples-help"
        onChange={(e) => {
          setText(e.target.value);
          const r = parseSamples(e.target.value);
          setError(r.error);
          if (!r.error) state().setSamples(node.id, r.samples);
        }}
      />
      <p id="pw-field-samples-help" className="pw-help">
        Example events as JSON. They type the events in generated code, drive the generated tests and feed completion in expressions (<code>value.</code>).
      </p>
      {error && (
        <p className="pw-msg pw-error" role="alert">
          {error}
        </p>
      )}
      <Messages id="pw-field-samples-msg" problems={problems} />
    </div>
  );
}
