import type { Payload, RawMessage, Rec } from '../types.js';
import { avroMismatch } from './avro.js';
import { protoMismatch } from './proto.js';
import {
  checkSchemaParam,
  decodeRegistryValue,
  isRegistryFormat,
  keyFromText,
  keyTextOf,
  nodeRegistrySecrets,
  type RegistryFormat,
  REGISTRY_FORMATS,
  registryClient,
  RegistryUnavailable,
  registryDependencies,
  KEY_FORMAT_PARAM,
  KEY_SCHEMA_FILE_PARAM,
  SCHEMA_FILE_PARAM,
} from './schema-registry.js';
import { defineKind, type Operator } from './spec.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function payloadToString(p: Payload): string | null {
  if (p === null) return null;
  return typeof p === 'string' ? p : decoder.decode(p);
}

/** JSON.parse whose error names what was parsed, e.g. "the value is not valid JSON: …". */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** How a source decodes message values. */
export type ValueFormat = 'json' | 'string' | 'bytes';

/** How a source node's values are decoded: its `format`, or JSON for a source that has none (http ingest, generator). */
export function sourceFormat(params: Readonly<Record<string, unknown>>): ValueFormat {
  return 'format' in params ? (params.format as ValueFormat) : 'json';
}

function decodeValue(format: ValueFormat, value: Payload): unknown {
  if (format === 'bytes') {
    return typeof value === 'string' ? new TextEncoder().encode(value) : value;
  }
  const text = payloadToString(value);
  if (format === 'string') return text;
  if (text === null) throw new Error('the message has no value (a tombstone), so it is not JSON');
  return parseJson(text, 'the value');
}

/** A schema the simulator and tests check values or keys against: Avro or Protobuf (JSON Schema samples and test events are checked by validation). */
export interface SchemaCheck {
  format: 'avro' | 'protobuf';
  schema: unknown;
}

const FORMAT_WORDS = { avro: 'Avro', protobuf: 'Protobuf' } as const;

/** Where a value breaks a schema check, or undefined when it fits (or there is no check). */
function mismatchOf(check: SchemaCheck | undefined, value: unknown): string | undefined {
  if (!check || check.schema === undefined || check.schema === null) return undefined;
  if (check.format === 'avro') return avroMismatch(check.schema, value);
  return typeof check.schema === 'string' ? protoMismatch(check.schema, value) : undefined;
}

/** The check of a registry format, where the simulator and tests can make one. */
const schemaCheck = (format: unknown, schema: unknown): SchemaCheck | undefined =>
  format === 'avro' || format === 'protobuf' ? { format, schema } : undefined;

/**
 * Decodes each message's key and value, values as `format`; one that does not decode goes to the error
 * port. With `valueCheck`, a value that does not fit its schema fails, and with `keyCheck` a key (the
 * simulator's check of registry formats, whose values it carries as JSON and keys as text).
 */
export function decodingOperator(format: ValueFormat, valueCheck?: SchemaCheck, keyCheck?: SchemaCheck): Operator {
  return {
    decode(messages: RawMessage[], out) {
      for (const m of messages) {
        const base = baseRecord(m);
        try {
          base.key = payloadToString(m.key);
          base.value = decodeValue(format, m.value);
          const mismatch = mismatchOf(valueCheck, base.value);
          if (mismatch) throw new Error(`the event does not fit the ${FORMAT_WORDS[valueCheck!.format]} schema: ${mismatch}`);
          if (keyCheck && keyCheck.schema !== undefined && keyCheck.schema !== null) {
            const word = FORMAT_WORDS[keyCheck.format];
            if (base.key === null) throw new Error(`the message has no key, so it does not fit the ${word} key schema`);
            const keyMismatch = mismatchOf(keyCheck, keyFromText(keyCheck.format, keyCheck.schema, base.key));
            if (keyMismatch) throw new Error(`the key does not fit the ${word} key schema: ${keyMismatch.replace(/^\(event\)/, '(key)')}`);
          }
        } catch (error) {
          out.fail(base, error);
          continue;
        }
        out.emit('out', base);
      }
    },
  };
}

export const kafkaSource = defineKind({
  kind: 'kafka-source',
  category: 'source',
  title: 'Kafka topic',
  summary: 'Read events from a Kafka topic as one consumer group.',
  docs:
    "Subscribes the service's consumer group to `topic`. The replicas of the service share its partitions, " +
    'so the default replica count equals `partitions`. The topic belongs to whoever writes it: the generated ' +
    'repository does not create it or declare a KafkaTopic for it, but `npm run topics` checks that it exists with ' +
    'at least `partitions` partitions (say `external: false` under `topics:` in pipeline.yaml to own it). Values are decoded as JSON, UTF-8 strings or raw bytes; ' +
    'a value that does not decode goes to the error port with its topic, partition and offset (so does a tombstone, ' +
    'a null value, on a JSON topic: to read a compacted topic whose tombstones delete rows, use a `table`). ' +
    'With `avro`, `protobuf` or `json-schema`, values are in the Schema Registry wire format (magic byte 0, the ' +
    "4-byte schema id, the encoded value) and are decoded with the writer's schema fetched by its id from the registry " +
    'at SCHEMA_REGISTRY_URL; a value whose schema id the registry does not know, or that does not decode, goes to the ' +
    'error port with the reason. An Avro `schema` given here types the events and is the reader schema; so does a ' +
    '`schemaFile` in the repository. With `keyFormat` avro, protobuf or json-schema, keys are decoded the same way ' +
    '(a `keySchema` or `keySchemaFile` is optional; an Avro one is the reader schema) and carried as text: a string key ' +
    'as it is, any other as its JSON.',
  params: [
    { name: 'topic', type: 'topic', title: 'Topic', description: 'The topic to read.', required: true, placeholder: 'orders' },
    {
      name: 'format',
      type: 'enum',
      title: 'Format',
      description: 'How message values are decoded: avro, protobuf and json-schema through a Schema Registry.',
      enum: ['json', 'string', 'bytes', ...REGISTRY_FORMATS],
      default: 'json',
    },
    {
      name: 'schema',
      type: 'json',
      text: true,
      title: 'Schema',
      description:
        'Avro: the schema of the values (a mapping, or Avro JSON text); it gives the event type, and values are read into it. json-schema: a JSON Schema that gives the event type. protobuf: the .proto text, whose first message type gives the event type.',
      placeholder: '{ type: record, name: Order, fields: [{ name: id, type: string }] }',
    },
    SCHEMA_FILE_PARAM,
    {
      ...KEY_FORMAT_PARAM,
      description:
        'How message keys are decoded: their text (string), or avro, protobuf or json-schema through a Schema Registry. A decoded key that is not a string is carried as its JSON text.',
    },
    {
      name: 'keySchema',
      type: 'json',
      text: true,
      title: 'Key schema',
      description:
        'For a key format through a Schema Registry: the schema of the keys (Avro as a mapping or JSON text, the .proto text, a JSON Schema). An Avro key schema is the reader schema of the keys.',
      placeholder: 'string',
    },
    KEY_SCHEMA_FILE_PARAM,
    {
      name: 'start',
      type: 'enum',
      title: 'Start from',
      description: 'Where a new consumer group starts reading: the earliest retained offset or only new events.',
      enum: ['earliest', 'latest'],
      default: 'earliest',
    },
    {
      name: 'partitions',
      type: 'integer',
      title: 'Partitions',
      description: 'Partitions of the topic when Pipewright creates it; also the default replica count of the service.',
      default: 6,
      min: 1,
      max: 1000,
    },
  ],
  inputs: [],
  outputs: ['out'],
  outputType: { from: 'source' },
  topicParam: 'topic',
  readsExternalTopic: true,
  example: { params: { topic: 'orders', format: 'json' } },
  dependencies: registryDependencies,
  secrets: nodeRegistrySecrets,
  validate: (params, { files }) => [...checkSchemaParam(params, false, 'value', files), ...checkSchemaParam(params, false, 'key', files)],
  files: (params) => [params.schemaFile, params.keySchemaFile].filter((f): f is string => typeof f === 'string'),
  create({ params, nodeId, capture }) {
    const { format, keyFormat } = params;
    if ((isRegistryFormat(format) || isRegistryFormat(keyFormat)) && !capture) return registrySource(params, `kafka-source node "${nodeId}"`);
    // Hosts without the outside world (the simulator, tests) carry registry-format values as JSON and keys as text, checked against an Avro or Protobuf schema.
    return decodingOperator(isRegistryFormat(format) ? 'json' : format, schemaCheck(format, params.schema), schemaCheck(keyFormat, params.keySchema));
  },
});

/** Reads values, keys or both in the Schema Registry wire format, each with the writer's schema its id names. */
function registrySource(
  params: { format: ValueFormat | RegistryFormat; schema?: unknown; keyFormat: string; keySchema?: unknown },
  neededBy: string,
): Operator {
  const { format, keyFormat } = params;
  const readerSchema = format === 'avro' ? params.schema : undefined;
  const keyReaderSchema = keyFormat === 'avro' ? params.keySchema : undefined;
  return {
    start: async () => void (await registryClient(neededBy)),
    async decode(messages: RawMessage[], out) {
      const registry = await registryClient(neededBy);
      for (const m of messages) {
        const base = baseRecord(m);
        try {
          base.key = isRegistryFormat(keyFormat)
            ? keyTextOf(await decodeRegistryValue(registry, keyFormat, m.key, keyReaderSchema, 'key'))
            : payloadToString(m.key);
          base.value = isRegistryFormat(format) ? await decodeRegistryValue(registry, format, m.value, readerSchema) : decodeValue(format, m.value);
        } catch (error) {
          // A registry out of reach is not the record's fault: the batch fails and is read again.
          if (error instanceof RegistryUnavailable) throw error;
          out.fail(base, error);
          continue;
        }
        out.emit('out', base);
      }
    },
  };
}

function baseRecord(m: RawMessage): Rec {
  return { key: null, value: null, timestamp: m.timestamp, headers: m.headers, origin: m.origin, raw: m.value };
}
