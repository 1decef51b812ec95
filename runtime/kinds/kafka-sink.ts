import { keyText, recordInfo, valueText, type Rec } from '../types.js';
import { avroMismatch } from './avro.js';
import {
  checkSchemaParam,
  encodeRegistryKey,
  encodeRegistryValue,
  isRegistryFormat,
  keyFromText,
  REGISTRY_FORMATS,
  registerSchema,
  registryClient,
  nodeRegistrySecrets,
  registryDependencies,
  subjectName,
  SUBJECT_STRATEGIES,
  type RegistryFormat,
  type SchemaPart,
  KEY_FORMAT_PARAM,
  KEY_SCHEMA_FILE_PARAM,
  SCHEMA_FILE_PARAM,
} from './schema-registry.js';
import { defineKind, eachRecord, type Emitter, type Operator } from './spec.js';

type KeyFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

export function encodeValue(format: unknown, value: unknown): string | Uint8Array | null {
  if (value === null) return null;
  if (format === 'bytes' && value instanceof Uint8Array) return value;
  if (format === 'string') return valueText(value);
  return JSON.stringify(value);
}

export const kafkaSink = defineKind({
  kind: 'kafka-sink',
  category: 'sink',
  title: 'Kafka topic',
  summary: 'Produce events to a Kafka topic.',
  docs:
    'Produces every event to `topic`, batched per Kafka batch and acknowledged by all in-sync replicas before ' +
    'the input offsets are committed (at-least-once). The key stays the same unless `key` gives a new one; ' +
    "the partition is chosen by Kafka's murmur2 partitioner, so events with the same key stay in order. A table's " +
    'delete (see table) is written as a tombstone: its key with a null value. With `avro`, `protobuf` or ' +
    '`json-schema`, the sink registers `schema` (or the file `schemaFile` names) in the Schema Registry at SCHEMA_REGISTRY_URL when it starts (under ' +
    "the subject `subject` names: `<topic>-value` by default), stops with the registry's reason if it refuses it, and " +
    'writes each value in the Schema Registry wire format; an event that does not fit the schema goes to the error port. ' +
    'With `keyFormat` avro, protobuf or json-schema, the sink registers `keySchema` (or `keySchemaFile`) the same way (under ' +
    "`<topic>-key` by default) and writes each key in the wire format: the key's text is the key itself under a plain string " +
    'schema and the JSON of the key otherwise (e.g. `{"customer":"c-1"}`); a key that does not fit, or an event without a key, goes to the error port.',
  params: [
    { name: 'topic', type: 'topic', title: 'Topic', description: 'The topic to write.', required: true, placeholder: 'orders-enriched' },
    {
      name: 'key',
      type: 'expression',
      title: 'Key',
      description: 'Optional expression for the message key; leave empty to keep the incoming key.',
      returns: 'key',
      placeholder: 'value.customerId',
    },
    {
      name: 'format',
      type: 'enum',
      title: 'Format',
      description: 'How values are encoded: avro, protobuf and json-schema through a Schema Registry.',
      enum: ['json', 'string', 'bytes', ...REGISTRY_FORMATS],
      default: 'json',
    },
    {
      name: 'schema',
      type: 'json',
      text: true,
      title: 'Schema',
      description: 'For avro, protobuf and json-schema: the schema of the values written (Avro as a mapping or JSON text, the .proto text, a JSON Schema).',
      placeholder: '{ type: record, name: Order, namespace: shop, fields: [{ name: id, type: string }] }',
    },
    SCHEMA_FILE_PARAM,
    {
      ...KEY_FORMAT_PARAM,
      description:
        "How message keys are written: their text (string), or avro, protobuf or json-schema through a Schema Registry (the key's text is then the JSON of the key, or the key itself under a plain string schema).",
    },
    {
      name: 'keySchema',
      type: 'json',
      text: true,
      title: 'Key schema',
      description:
        'For a key format through a Schema Registry: the schema of the keys written (Avro as a mapping or JSON text, the .proto text, a JSON Schema).',
      placeholder: 'string',
    },
    KEY_SCHEMA_FILE_PARAM,
    {
      name: 'subject',
      type: 'enum',
      title: 'Subject naming',
      description:
        "The subject the schema is registered under: <topic>-value (<topic>-key for the key schema), the record's full name, or <topic>-<record name>.",
      enum: SUBJECT_STRATEGIES,
      default: 'topic-name',
    },
    {
      name: 'partitions',
      type: 'integer',
      title: 'Partitions',
      description: 'Partitions of the topic when Pipewright creates it.',
      default: 6,
      min: 1,
      max: 1000,
    },
  ],
  inputs: ['in'],
  outputs: [],
  outputType: { from: 'none' },
  topicParam: 'topic',
  example: { params: { topic: 'orders-enriched' } },
  dependencies: registryDependencies,
  secrets: nodeRegistrySecrets,
  validate: (params, { files }) => [...checkSchemaParam(params, true, 'value', files), ...checkSchemaParam(params, true, 'key', files)],
  files: (params) => [params.schemaFile, params.keySchemaFile].filter((f): f is string => typeof f === 'string'),
  create({ params, fns, nodeId, capture }) {
    const topic = String(params.topic);
    const format = params.format;
    const keyFn = fns.key as KeyFn | undefined;
    const keyOf = (rec: Rec) => keyText(keyFn && !rec.deleted ? keyFn(rec.value, rec.key, recordInfo(rec)) : rec.key);
    if ((isRegistryFormat(format) || isRegistryFormat(params.keyFormat)) && !capture) return registrySink(params, topic, keyOf, `kafka-sink node "${nodeId}"`);
    // Hosts without the outside world (the simulator, tests) write JSON values and text keys, after checking each event and key against an Avro schema.
    const check = format === 'avro' ? params.schema : undefined;
    const keyCheck = params.keyFormat === 'avro' ? params.keySchema : undefined;
    return {
      process(batch, _port, out) {
        eachRecord(batch, out, (rec) => {
          const mismatch = check === undefined || rec.value === null ? undefined : avroMismatch(check, rec.value);
          if (mismatch) throw new Error(`the event does not fit the Avro schema: ${mismatch}`);
          const key = keyOf(rec);
          if (keyCheck !== undefined) checkAvroKey(keyCheck, key);
          out.produce({ topic, key, value: encodeValue(isRegistryFormat(format) ? 'json' : format, rec.value), headers: rec.headers });
        });
      },
    };
  },
});

/** Where a key (as text) breaks an Avro key schema, thrown; a key that fits passes. */
export function checkAvroKey(keySchema: unknown, key: string | null): void {
  if (key === null) throw new Error('the event has no key, and the sink writes its keys with an Avro key schema');
  const mismatch = avroMismatch(keySchema, keyFromText('avro', keySchema, key));
  if (mismatch) throw new Error(`the key does not fit the Avro key schema: ${mismatch.replace(/^\(event\)/, '(key)')}`);
}

/** Registers the value and key schemas at start-up, then writes each value and key in the Schema Registry wire format with its id. */
function registrySink(params: Record<string, unknown>, topic: string, keyOf: (rec: Rec) => string | null, neededBy: string): Operator {
  const format = params.format;
  const keyFormat = params.keyFormat;
  const ids: Partial<Record<SchemaPart, number>> = {};
  const register = async (part: SchemaPart, partFormat: RegistryFormat, schema: unknown) =>
    (ids[part] ??= await registerSchema(neededBy, partFormat, schema, subjectName(params.subject, topic, partFormat, schema, part)));
  const start = async () => {
    const registry = await registryClient(neededBy);
    if (isRegistryFormat(format)) await register('value', format, params.schema);
    if (isRegistryFormat(keyFormat)) await register('key', keyFormat, params.keySchema);
    return registry;
  };
  return {
    start: async () => void (await start()),
    async process(batch: Rec[], _port: string, out: Emitter) {
      const registry = await start();
      for (const rec of batch) {
        try {
          const value = !isRegistryFormat(format)
            ? encodeValue(format, rec.value)
            : rec.value === null
              ? null
              : await encodeRegistryValue(registry, format, ids.value!, rec.value);
          const key = isRegistryFormat(keyFormat) ? await encodeRegistryKey(registry, keyFormat, ids.key!, params.keySchema, keyOf(rec)) : keyOf(rec);
          out.produce({ topic, key, value, headers: rec.headers });
        } catch (error) {
          out.fail(rec, error);
        }
      }
    },
  };
}
