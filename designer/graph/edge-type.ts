/**
 * The type of the events on a wire, as the generated code declares it
 * (src/types.gen.ts and src/pipeline.ts): a source's type inferred from its
 * samples, passed on, extended or replaced by each node on the way.
 */
import type { Pipeline } from '../../codegen/pipeline.js';
import { addedFields, paramsOf, sourceSchemaType, sourceValueType, typeName } from '../../codegen/event-types.js';
import { identOf } from '../../codegen/names.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { ERROR_PORT } from '../../runtime/kinds/spec.js';

export interface EdgeType {
  /** TypeScript type text; an expression's result is named by its generated type. */
  type: string;
  /** What the type means, in a sentence. */
  note: string;
}

export function edgeEventType(p: Pipeline, from: string, port: string): EdgeType {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const typeOf = (id: string, depth: number): string => {
    const node = byId.get(id);
    const kind = node && getKind(node.kind);
    if (!node || !kind || depth > 40) return 'unknown';
    const out = kind.outputType;
    if (kind.category === 'source' || out.from === 'source') return sourceValueType(node, kind);
    const portTypes: Record<string, string> = {};
    for (const inPort of kind.inputs) {
      const types = [...new Set(node.inputs.filter((i) => i.port === inPort).map((i) => (i.fromPort === ERROR_PORT ? 'unknown' : typeOf(i.from, depth + 1))))];
      portTypes[inPort] = types.length ? types.join(' | ') : 'never';
    }
    const input =
      Object.values(portTypes)
        .filter((t) => t !== 'never')
        .join(' | ') || 'never';
    if (out.from === 'input') return `${input}${addedFields(out.fields?.(paramsOf(node, kind)))}`;
    // An expression's result type, named as the generated code names it (src/pipeline.ts).
    if (out.from === 'type') return out.type(paramsOf(node, kind), portTypes, (param) => `Exclude<ReturnType<typeof ${identOf(id)}__${param}>, undefined>`);
    if (out.from === 'expression') return typeName(id);
    return 'never';
  };
  const node = byId.get(from);
  const kind = node && getKind(node.kind);
  if (!node || !kind) return { type: 'unknown', note: `"${from}" is not on the canvas.` };
  if (port === ERROR_PORT) {
    return { type: 'unknown', note: `Records that failed in "${from}", as they arrived there; the error and the node are in their headers.` };
  }
  const out = kind.outputType;
  const type = typeOf(from, 0);
  if (out.from === 'expression') {
    return {
      type,
      note: `Whatever the "${out.param}" expression of "${from}" returns${out.element ? ', one event per array element' : ''}; TypeScript infers it in the generated code.`,
    };
  }
  if (kind.category === 'source' && sourceSchemaType(node, kind) !== undefined)
    return { type, note: `Given by the ${String(paramsOf(node, kind).format)} schema of "${from}".` };
  if (kind.category === 'source')
    return {
      type,
      note: node.samples?.length
        ? `Inferred from the ${node.samples.length} sample event(s) of "${from}".`
        : `"${from}" has no samples: add some for a precise type.`,
    };
  return {
    type,
    note:
      out.from === 'input'
        ? `What reaches "${from}", passed on${type.includes(' & {') ? ' with the fields it adds' : ''}.`
        : `Built by "${from}" from its inputs.`,
  };
}
