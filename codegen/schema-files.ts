/**
 * Schema files: a Kafka source or sink may name its schema (or its key's) as
 * a file beside pipeline.yaml (`schemaFile: schemas/orders.avsc`) instead of
 * writing it inline. Everything that needs the schema itself — event types,
 * the type check, the simulator, the generated src/pipeline.ts — reads the
 * pipeline with each file's contents put in the parameter it stands for;
 * pipeline.yaml keeps naming the file.
 */
import { getKind } from '../runtime/kinds/registry.js';
import { partSchema, SCHEMA_PARAMS } from '../runtime/kinds/schema-registry.js';
import { withDefaults, type PipelineFiles } from '../runtime/kinds/spec.js';
import type { Pipeline } from './pipeline.js';

/** The pipeline with the contents of every schema file it names in `schema` / `keySchema` (files that are missing are left to validation). */
export function withSchemaFiles(p: Pipeline, files: PipelineFiles): Pipeline {
  let changed = false;
  const nodes = p.nodes.map((n) => {
    const kind = getKind(n.kind);
    if (!kind) return n;
    let params = n.params;
    for (const part of ['value', 'key'] as const) {
      const names = SCHEMA_PARAMS[part];
      if (typeof n.params[names.file] !== 'string' || n.params[names.schema] !== undefined) continue;
      const schema = partSchema(withDefaults(kind, n.params), part, files);
      if (schema === undefined) continue;
      params = { ...params, [names.schema]: schema };
    }
    if (params === n.params) return n;
    changed = true;
    return { ...n, params };
  });
  return changed ? { ...p, nodes } : p;
}
