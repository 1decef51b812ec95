/**
 * The inspector: a form generated from the selected node's parameter
 * schema. Defaults come from the registry and show as such; messages come
 * from validatePipeline, the same the CLI prints, placed next to the field
 * they are about.
 */
import { memo, useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import type { Problem } from '../../codegen/errors.js';
import type { PipelineNode, SampleEvent } from '../../codegen/model.js';
import { getKind } from '../../runtime/kinds/registry.js';
import type { ParamSpec } from '../../runtime/kinds/spec.js';
import { useDesigner } from '../store/index.js';
import { selectInspected, selectPipelineName, selectProblems, selectSelectedCount } from '../store/selectors.js';
import { ExpressionEditor } from './ExpressionEditor.js';

const state = () => useDesigner.getState();

/** Problems about one node, split into those about a field and the rest. */
export function problemsOfNode(problems: readonly Problem[], nodeId: string): { byField: Map<string, Problem[]>; general: Problem[] } {
  const byField = new Map<string, Problem[]>();
  const general: Problem[] = [];
  for (const p of problems) {
    if (p.nodeId !== nodeId) continue;
    const field = p.path.length >= 3 && typeof p.path[2] === 'string' ? p.path[2] : undefined;
    if (field && field !== 'input') (byField.get(field) ?? byField.set(field, []).get(field)!).push(p);
    else general.push(p);
  }
  return { byField, general };
}

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

export const Inspector = memo(function Inspector() {
  const node = useDesigner(selectInspected);
  const count = useDesigner(selectSelectedCount);
  return (
    <aside className="pw-inspector" aria-label="Inspector">
      {node ? <NodeForm key={node.id} node={node} /> : count > 1 ? <MultiSelection count={count} /> : <PipelineForm />}
    </aside>
  );
});

function MultiSelection({ count }: { count: number }) {
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
      <p className="pw-docs">{kind.docs}</p>
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
      <button type="button" className="pw-button is-danger pw-delete" onClick={() => state().removeElements([node.id])}>
        Delete node
      </button>
    </div>
  );
}

function IdField({ node, problems }: { node: PipelineNode; problems: Problem[] | undefined }) {
  const [text, setText] = useState(node.id);
  const [refused, setRefused] = useState<string | undefined>();
  useEffect(() => setText(node.id), [node.id]);
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

function ParamField({ node, spec, problems }: { node: PipelineNode; spec: ParamSpec; problems: Problem[] | undefined }) {
  const id = `pw-param-${spec.name}`;
  const value = node.params[spec.name];
  const set = (v: unknown) => state().setParam(node.id, spec.name, v);
  const invalid = !!problems?.length;
  const describedBy = `${id}-help${invalid ? ` ${id}-msg` : ''}`;
  const hasDefault = spec.default !== undefined;
  let input: React.ReactNode;
  switch (spec.type) {
    case 'expression':
      input = (
        <ExpressionEditor
          nodeId={node.id}
          id={id}
          label={spec.title}
          value={typeof value === 'string' ? value : value === undefined ? '' : String(value)}
          placeholder={spec.placeholder}
          invalid={invalid}
          describedBy={describedBy}
          onChange={(text) => set(text === '' ? undefined : text)}
        />
      );
      break;
    case 'enum':
      input = (
        <select
          id={id}
          className={`pw-input${invalid ? ' is-invalid' : ''}`}
          value={value === undefined ? String(spec.default ?? '') : String(value)}
          aria-describedby={describedBy}
          onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)}
        >
          {!hasDefault && value === undefined && <option value="">Choose…</option>}
          {spec.enum?.map((opt) => (
            <option key={opt} value={opt}>
              {opt}
              {opt === spec.default ? ' (default)' : ''}
            </option>
          ))}
        </select>
      );
      break;
    case 'boolean':
      input = (
        <input
          id={id}
          type="checkbox"
          className="pw-checkbox"
          checked={Boolean(value ?? spec.default)}
          aria-describedby={describedBy}
          onChange={(e) => set(e.target.checked)}
        />
      );
      break;
    case 'integer':
      input = (
        <input
          id={id}
          type="number"
          inputMode="numeric"
          className={`pw-input${invalid ? ' is-invalid' : ''}`}
          value={value === undefined || value === null ? '' : String(value)}
          placeholder={hasDefault ? `${spec.default} (default)` : spec.placeholder}
          min={spec.min}
          max={spec.max}
          step={1}
          aria-describedby={describedBy}
          onChange={(e) => set(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      );
      break;
    default:
      input = (
        <input
          id={id}
          className={`pw-input${spec.type === 'topic' ? ' is-mono' : ''}${invalid ? ' is-invalid' : ''}`}
          value={value === undefined || value === null ? '' : String(value)}
          placeholder={hasDefault ? `${spec.default} (default)` : spec.placeholder ? `e.g. ${spec.placeholder}` : ''}
          spellCheck={false}
          aria-describedby={describedBy}
          onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)}
        />
      );
  }
  return (
    <div className={`pw-field${spec.type === 'boolean' ? ' is-inline' : ''}`} data-param={spec.name}>
      <label htmlFor={id} onClick={spec.type === 'expression' ? () => document.getElementById(id)?.focus() : undefined}>
        {spec.title}
        {spec.required && <span className="pw-required" aria-label="required"> *</span>}
        <code className="pw-param-name">{spec.name}</code>
      </label>
      {input}
      <p id={`${id}-help`} className="pw-help">
        {spec.description}
        {hasDefault && <> Default: <code>{String(spec.default)}</code>.</>}
        {spec.type === 'expression' && spec.placeholder && <> e.g. <code>{spec.placeholder}</code></>}
      </p>
      <Messages id={`${id}-msg`} problems={problems} />
    </div>
  );
}

/** Samples are edited as JSON; a draft that does not parse stays a draft, with the reason shown. */
export function parseSamples(text: string): { samples?: SampleEvent[]; error?: string } {
  if (text.trim() === '') return { samples: undefined };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (!Array.isArray(v)) return { error: 'Write a JSON list of events: [{ "key": "k1", "value": { … } }].' };
  for (const [i, ev] of v.entries()) {
    if (typeof ev !== 'object' || ev === null || Array.isArray(ev) || !('value' in ev)) {
      return { error: `Event ${i + 1} must be an object with "value", e.g. { "key": "k1", "value": { "amount": 3 } }.` };
    }
    const extra = Object.keys(ev).filter((k) => !['key', 'value', 'timestamp', 'headers'].includes(k));
    if (extra.length) return { error: `Event ${i + 1} has unknown field "${extra[0]}"; use key, value, timestamp, headers.` };
  }
  return { samples: v as SampleEvent[] };
}

function SamplesField({ node, problems }: { node: PipelineNode; problems: Problem[] | undefined }) {
  const fromModel = node.samples ? JSON.stringify(node.samples, null, 2) : '';
  const [text, setText] = useState(fromModel);
  const [error, setError] = useState<string | undefined>();
  // Follow the model (undo, open) unless the draft in the box says the same thing.
  useEffect(() => {
    const mine = parseSamples(text);
    if (JSON.stringify(mine.samples ?? null) !== JSON.stringify(node.samples ?? null)) {
      setText(fromModel);
      setError(undefined);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [node.samples]);
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
        Example events as JSON. They type the events in generated code, drive the generated tests and feed completion in expressions
        (<code>value.</code>).
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
