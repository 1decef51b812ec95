/**
 * The TypeScript types of events as the generated code declares them
 * (src/types.gen.ts): a source's type inferred from its samples, and what
 * nodes add. Apart from pipeline-ts.ts so that the designer's page can show
 * the type on a wire without loading the TypeScript compiler.
 */
import { avroType, AvroSchemaError } from '../runtime/kinds/avro.js';
import { protoType } from '../runtime/kinds/proto.js';
import { withDefaults, type KindSpec } from '../runtime/kinds/spec.js';
import { schemaType } from '../runtime/kinds/validate.js';
import { tsString } from './escape.js';
import { inferType } from './infer.js';
import type { PipelineNode } from './pipeline.js';
import { pascalOf } from './names.js';

export const typeName = (id: string) => `${pascalOf(id)}Event`;

export function sourceValueType(node: PipelineNode, kind: KindSpec): string {
  const format = withDefaults(kind, node.params).format;
  if (format === 'string') return 'string';
  if (format === 'bytes') return 'Uint8Array';
  const fromSchema = sourceSchemaType(node, kind);
  if (fromSchema !== undefined) return fromSchema;
  // A table's deletes (null values) are not rows: expressions never see them.
  const values = (node.samples ?? []).map((s) => s.value).filter((v) => !(v === null && kind.table));
  if (values.length > 0) return inferType(values);
  // A source that makes its own events (generator) gives examples of them.
  const own = kind.samples?.(paramsOf(node, kind)) ?? [];
  return own.length > 0 ? inferType(own) : 'UnknownEvent';
}

/** The type a source's schema gives its events (see schemaValueType), or undefined when it has none. */
export function sourceSchemaType(node: PipelineNode, kind: KindSpec): string | undefined {
  const params = withDefaults(kind, node.params);
  return schemaValueType(params.format, params.schema);
}

/**
 * The type a source's schema gives its events (Avro, JSON Schema, a .proto's first message type), which wins over samples; undefined
 * without one. A schema that is not valid gives UnknownEvent here and a problem in validation.
 */
function schemaValueType(format: unknown, schema: unknown): string | undefined {
  if (schema === undefined || schema === null) return undefined;
  if (format === 'json-schema') return schemaType(schema);
  if (format !== 'avro' && format !== 'protobuf') return undefined;
  try {
    if (format === 'protobuf') return typeof schema === 'string' ? protoType(schema) : 'UnknownEvent';
    return avroType(schema);
  } catch (e) {
    if (e instanceof AvroSchemaError) return 'UnknownEvent';
    throw e;
  }
}

/** Parameters as written, with defaults filled in. */
export function paramsOf(node: PipelineNode, kind: KindSpec): Record<string, unknown> {
  return withDefaults(kind, node.params);
}

/** ` & { "score": number }` for the fields a node adds to its input; types come from the kind, names are escaped. */
export function addedFields(fields: Record<string, string> | undefined): string {
  const entries = Object.entries(fields ?? {});
  return entries.length ? ` & { ${entries.map(([name, type]) => `${tsString(name)}: ${type}`).join('; ')} }` : '';
}
