/**
 * What an expression can see, for completion: the fields of `value` as the
 * sample events of the upstream sources show them, and the fields of
 * `record` as the runtime builds it.
 */
import type { Pipeline } from '../../codegen/pipeline.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { withDefaults } from '../../runtime/kinds/spec.js';
import { sourceSchemaType } from '../../codegen/event-types.js';
import { recordInfo } from '../../runtime/types.js';

/** A merged picture of sample values: field name → what was seen under it, with the JS type names seen. */
export interface Shape {
  types: Set<string>;
  fields: Map<string, Shape>;
}

const newShape = (): Shape => ({ types: new Set(), fields: new Map() });

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function mergeShape(shape: Shape, v: unknown, depth = 0): Shape {
  shape.types.add(typeOf(v));
  if (depth < 6 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, child] of Object.entries(v)) {
      let s = shape.fields.get(k);
      if (!s) shape.fields.set(k, (s = newShape()));
      mergeShape(s, child, depth + 1);
    }
  }
  return shape;
}

/** Ids of the source nodes upstream of `nodeId` (itself, if it is one). */
export function upstreamSources(p: Pipeline, nodeId: string): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const out: string[] = [];
  const stack = [nodeId];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = byId.get(id);
    if (!n) continue;
    if (getKind(n.kind)?.category === 'source') out.push(id);
    for (const i of n.inputs) stack.push(i.from);
  }
  return out;
}

/**
 * The shape of `value` at `nodeId`: from the schema of each source upstream that has one (Avro, JSON
 * Schema, .proto; give `p` with its schema files' contents, see withSchemaFiles), else from its samples.
 */
export function valueShape(p: Pipeline, nodeId: string): Shape {
  const shape = newShape();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const id of upstreamSources(p, nodeId)) {
    const n = byId.get(id)!;
    const kind = getKind(n.kind);
    const fromSchema = kind && sourceSchemaType(n, kind);
    if (fromSchema !== undefined && fromSchema !== 'UnknownEvent') {
      mergeTypeShape(shape, fromSchema);
      continue;
    }
    // Sources that make their own events (a generator) give examples of them.
    const values = n.samples?.map((s) => s.value) ?? (kind?.samples ? kind.samples(withDefaults(kind, n.params)) : []);
    for (const v of values) mergeShape(shape, v);
  }
  return shape;
}

/**
 * Merges into `shape` what a TypeScript type, as a schema gives it (codegen/event-types.ts), says of
 * its values: object types with their fields, arrays, records, primitives and literals, unions of them.
 */
export function mergeTypeShape(shape: Shape, type: string): Shape {
  const tokens = type.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*|-?\d[\d.e+-]*|[{}<>|;:,()[\]]/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const union = (into: Shape, depth: number): void => {
    primary(into, depth);
    while (peek() === '|') {
      pos++;
      primary(into, depth);
    }
  };
  const primary = (into: Shape, depth: number): void => {
    const t = tokens[pos++];
    if (t === undefined) return;
    if (t === '{') {
      into.types.add('object');
      while (peek() !== undefined && peek() !== '}') {
        const raw = tokens[pos++];
        const name = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
        if (peek() === '(') {
          // A method (a Long's toNumber()): not a field of the data.
          while (peek() !== undefined && peek() !== ':') pos++;
          pos++;
          union(newShape(), depth + 1);
        } else {
          if (peek() === '?') pos++;
          pos++; // ':'
          let field = into.fields.get(name);
          if (!field) into.fields.set(name, (field = newShape()));
          union(field, depth + 1);
        }
        if (peek() === ';') pos++;
      }
      pos++;
    } else if (t === 'Array' || t === 'Record') {
      into.types.add(t === 'Array' ? 'array' : 'object');
      pos++; // '<'
      if (t === 'Record') pos += 2; // 'string' ','
      union(newShape(), depth + 1);
      pos++; // '>'
    } else if (t.startsWith('"')) into.types.add('string');
    else if (/^-?\d/.test(t)) into.types.add('number');
    else if (t === 'true' || t === 'false') into.types.add('boolean');
    else if (t === 'Uint8Array') into.types.add('object');
    else if (t !== 'unknown' && t !== 'never') into.types.add(t);
  };
  union(shape, 0);
  return shape;
}

/** Field names of `record`, as the runtime hands them to expressions. */
export const RECORD_FIELDS: readonly string[] = Object.keys(
  recordInfo({ key: null, value: null, timestamp: 0, headers: {}, origin: { topic: '', partition: 0, offset: '0' } }),
);

export interface Completion {
  label: string;
  detail: string;
}

/**
 * Completions for a member access at the end of `before` (the text left of
 * the cursor): `value.` lists the sample fields, `value.customer.` their
 * fields, `record.` the record's. Returns where the typed word starts, or
 * null when the cursor is not after such an access.
 */
export function completeMember(before: string, shape: Shape): { from: number; options: Completion[] } | null {
  const m = /\b(value|record)((?:\.[A-Za-z_$][\w$]*)*)\.([A-Za-z_$][\w$]*)?$/.exec(before);
  if (!m) return null;
  const word = m[3] ?? '';
  const from = before.length - word.length;
  const path = m[2] ? m[2].slice(1).split('.') : [];
  if (m[1] === 'record') {
    if (path.length > 0) return null;
    return { from, options: RECORD_FIELDS.map((f) => ({ label: f, detail: 'record' })) };
  }
  let at: Shape | undefined = shape;
  for (const seg of path) at = at?.fields.get(seg);
  if (!at || at.fields.size === 0) return null;
  return { from, options: [...at.fields].map(([label, s]) => ({ label, detail: [...s.types].join(' | ') })) };
}
