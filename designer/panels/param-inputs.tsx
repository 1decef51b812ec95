/**
 * The inspector's input for each parameter type, chosen from a table
 * (`PARAM_INPUTS`): one small component per type, so a new type is one
 * entry. Each gets the same props and writes the value with `set`
 * (undefined removes the parameter, so its default applies).
 */
import { useState, type ReactNode } from 'react';
import { stringify as stringifyYaml } from 'yaml';
import type { PipelineNode } from '../../codegen/pipeline.js';
import type { ParamSpec, ParamType } from '../../runtime/kinds/spec.js';
import { valueText } from '../../runtime/types.js';
import { useDesignerStore } from '../store/context.js';
import { ExpressionEditor } from './ExpressionEditor.js';
import { parseList, readJsonText } from './inspector-parse.js';
import { useDraft } from './use-draft.js';

export interface ParamInputProps {
  node: PipelineNode;
  spec: ParamSpec;
  /** The input's element id; the label points at it. */
  id: string;
  value: unknown;
  invalid: boolean;
  /** The ids of the help text and messages that describe the input. */
  describedBy: string;
  /** Whether the spec has a default worth showing (an empty default means "none"). */
  hasDefault: boolean;
  set: (value: unknown) => void;
}

const invalidClass = (invalid: boolean) => (invalid ? ' is-invalid' : '');
/** What a text input shows for a value: nothing for no value. */
const shownText = (value: unknown) => (value === undefined || value === null ? '' : valueText(value));

function ExpressionInput({ node, spec, id, value, invalid, describedBy, set }: ParamInputProps) {
  return (
    <ExpressionEditor
      nodeId={node.id}
      id={id}
      label={spec.title}
      value={value === undefined ? '' : valueText(value)}
      placeholder={spec.placeholder}
      invalid={invalid}
      describedBy={describedBy}
      acc={spec.acc !== undefined}
      onChange={(text) => set(text === '' ? undefined : text)}
    />
  );
}

function EnumInput({ spec, id, value, invalid, describedBy, hasDefault, set }: ParamInputProps) {
  return (
    <select
      id={id}
      className={`pw-input${invalidClass(invalid)}`}
      value={value === undefined ? String(spec.default ?? '') : valueText(value)}
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
}

function BooleanInput({ spec, id, value, describedBy, set }: ParamInputProps) {
  return (
    <input
      id={id}
      type="checkbox"
      className="pw-checkbox"
      checked={Boolean(value ?? spec.default)}
      aria-describedby={describedBy}
      onChange={(e) => set(e.target.checked)}
    />
  );
}

function IntegerInput({ spec, id, value, invalid, describedBy, hasDefault, set }: ParamInputProps) {
  return (
    <input
      id={id}
      type="number"
      inputMode="numeric"
      className={`pw-input${invalidClass(invalid)}`}
      value={shownText(value)}
      placeholder={hasDefault ? `${spec.default} (default)` : spec.placeholder}
      min={spec.min}
      max={spec.max}
      step={1}
      aria-describedby={describedBy}
      onChange={(e) => set(e.target.value === '' ? undefined : Number(e.target.value))}
    />
  );
}

/** Strings and topic names; a topic name shows in the code font. */
function TextInput({ spec, id, value, invalid, describedBy, hasDefault, set }: ParamInputProps) {
  return (
    <input
      id={id}
      className={`pw-input${spec.type === 'topic' ? ' is-mono' : ''}${invalidClass(invalid)}`}
      value={shownText(value)}
      placeholder={hasDefault ? `${spec.default} (default)` : spec.placeholder ? `e.g. ${spec.placeholder}` : ''}
      spellCheck={false}
      aria-describedby={describedBy}
      onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)}
    />
  );
}

/** A mapping of names to expressions (branch routes): one row per entry, in order. */
function ExpressionsInput({ node, spec, id, invalid, describedBy }: ParamInputProps) {
  const state = useDesignerStore().getState;
  const raw = node.params[spec.name];
  const entries: [string, string][] =
    raw && typeof raw === 'object' && !Array.isArray(raw)
      ? Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, v === undefined || v === null ? '' : valueText(v)])
      : [];
  const save = (next: [string, string][]) => state().setParam(node.id, spec.name, next.length ? Object.fromEntries(next) : undefined);
  const rename = (i: number, name: string) => save(entries.map((e, k) => (k === i ? [name, e[1]] : e)));
  const setExpr = (i: number, text: string) => save(entries.map((e, k) => (k === i ? [e[0], text] : e)));
  const add = () => {
    let n = entries.length + 1;
    while (entries.some(([k]) => k === `route-${n}`)) n++;
    save([...entries, [`route-${n}`, '']]);
  };
  return (
    <div className={`pw-map-field${invalid ? ' is-invalid' : ''}`} id={id} aria-describedby={describedBy}>
      {entries.map(([name, expr], i) => (
        <div className="pw-map-row" key={i}>
          <input
            className="pw-input is-mono pw-map-name"
            value={name}
            aria-label={`${spec.title} ${i + 1}: name`}
            spellCheck={false}
            onChange={(e) => rename(i, e.target.value)}
          />
          <ExpressionEditor
            nodeId={node.id}
            id={`${id}-${i}`}
            label={`${spec.title} ${i + 1}: expression`}
            value={expr}
            placeholder={spec.placeholder?.replace(/^[^:]*:\s*/, '')}
            invalid={false}
            onChange={(text) => setExpr(i, text)}
          />
          <button type="button" className="pw-button is-quiet" aria-label={`Remove ${name}`} onClick={() => save(entries.filter((_, k) => k !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" className="pw-button" onClick={add}>
        Add {spec.title.toLowerCase().replace(/s$/, '')}
      </button>
    </div>
  );
}

/** A list of names, typed comma-separated. */
function ListInput({ value, id, spec, invalid, describedBy, set: onChange }: ParamInputProps) {
  const shown = Array.isArray(value) ? value.join(', ') : value === undefined ? '' : valueText(value);
  const [text, setText] = useDraft(
    shown,
    (s) => s,
    (draft, s) => parseList(draft).join(', ') === s,
  );
  return (
    <input
      id={id}
      className={`pw-input is-mono${invalid ? ' is-invalid' : ''}`}
      value={text}
      placeholder={spec.placeholder ? `e.g. ${spec.placeholder}` : 'a, b, c'}
      spellCheck={false}
      aria-describedby={describedBy}
      onChange={(e) => {
        setText(e.target.value);
        const list = parseList(e.target.value);
        onChange(list.length ? list : undefined);
      }}
    />
  );
}

/** A JSON value (a schema, an event template), written as YAML or JSON; a draft that does not parse stays a draft. */
function JsonInput({ value, id, spec, invalid, describedBy, set: onChange }: ParamInputProps) {
  const [error, setError] = useState<string | undefined>();
  const [text, setText] = useDraft(
    value,
    (v) => (v === undefined ? '' : stringifyYaml(v, { flowCollectionPadding: true }).trimEnd()),
    (draft, v) => JSON.stringify(readJsonText(draft).value ?? null) === JSON.stringify(v ?? null),
    () => setError(undefined),
  );
  return (
    <>
      <textarea
        id={id}
        className={`pw-input is-mono pw-samples${invalid || error ? ' is-invalid' : ''}`}
        value={text}
        rows={5}
        spellCheck={false}
        placeholder={spec.placeholder}
        aria-describedby={describedBy}
        onChange={(e) => {
          setText(e.target.value);
          const r = readJsonText(e.target.value);
          setError(r.error);
          if (!r.error) onChange(r.value);
        }}
      />
      {error && (
        <p className="pw-msg pw-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

/** The input of each parameter type. */
export const PARAM_INPUTS: Record<ParamType, (props: ParamInputProps) => ReactNode> = {
  string: TextInput,
  topic: TextInput,
  integer: IntegerInput,
  boolean: BooleanInput,
  enum: EnumInput,
  expression: ExpressionInput,
  expressions: ExpressionsInput,
  list: ListInput,
  // A new node starts a new draft: the text typed for one node is not shown for the next.
  json: (props) => <JsonInput key={props.node.id} {...props} />,
};
