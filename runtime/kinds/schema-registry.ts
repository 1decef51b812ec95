/**
 * Kafka values in a Schema Registry format (Avro, Protobuf, JSON Schema),
 * in the Confluent wire format: magic byte 0, the schema's id as a 4-byte
 * big-endian integer, then the encoded value (for Protobuf, message indexes
 * come first). The registry is reached with @kafkajs/confluent-schema-registry,
 * loaded only when a pipeline uses such a format; its URL and credentials come
 * from the environment (ConfigMap and Secret), never from pipeline.yaml.
 */
import { errorText } from '../errors.js';
import { keyText, valueText, type Payload } from '../types.js';
import { avroRecordName, avroSchemaOf, avroType, AvroSchemaError } from './avro.js';
import { protoType } from './proto.js';
import { env, host, loadPackage, type FetchResponse } from './host.js';
import type { KindProblem } from './spec.js';

/** The version of @kafkajs/confluent-schema-registry a generated service pins. */
export const SCHEMA_REGISTRY_CLIENT_VERSION = '3.9.0';
const PACKAGE = '@kafkajs/confluent-schema-registry';

export const REGISTRY_FORMATS = ['avro', 'protobuf', 'json-schema'] as const;
export type RegistryFormat = (typeof REGISTRY_FORMATS)[number];
export const SUBJECT_STRATEGIES = ['topic-name', 'record-name', 'topic-record-name'] as const;

export const isRegistryFormat = (format: unknown): format is RegistryFormat => REGISTRY_FORMATS.includes(format as RegistryFormat);

const SCHEMA_TYPES: Record<RegistryFormat, string> = { avro: 'AVRO', protobuf: 'PROTOBUF', 'json-schema': 'JSON' };

/** Environment variables of the registry: URL in the ConfigMap, user and password in the Secret. */
export const REGISTRY_ENV = { url: 'SCHEMA_REGISTRY_URL', user: 'SCHEMA_REGISTRY_USER', password: 'SCHEMA_REGISTRY_PASSWORD' } as const;

/** A key's formats: the text of the key as it is (the default), or a Schema Registry format. */
export const KEY_FORMATS = ['string', ...REGISTRY_FORMATS] as const;

/** The part of a message a schema describes, and the parameters that say its format, schema and schema file. */
export type SchemaPart = 'value' | 'key';
export const SCHEMA_PARAMS = {
  value: { format: 'format', schema: 'schema', file: 'schemaFile' },
  key: { format: 'keyFormat', schema: 'keySchema', file: 'keySchemaFile' },
} as const;

/** Whether a node reads or writes its value or its key through a Schema Registry. */
const usesRegistry = (params: Record<string, unknown>): boolean => isRegistryFormat(params.format) || isRegistryFormat(params.keyFormat);

/** The npm package a generated service needs for a node in a registry format. */
export const registryDependencies = (params: Record<string, unknown>): Record<string, string> =>
  usesRegistry(params) ? { [PACKAGE]: SCHEMA_REGISTRY_CLIENT_VERSION } : {};

/** The URL k8s/config.env starts with; the user sets their registry's there. */
export const DEFAULT_REGISTRY_URL = 'http://schema-registry:8081';

/** The registry's credentials, for the Secret (its URL is a plain setting, in config.env). */
export const registrySecrets = () => [
  { name: REGISTRY_ENV.user, example: 'registry-user', description: 'Basic auth user of the Schema Registry (leave out when it needs none).' },
  { name: REGISTRY_ENV.password, example: 'change-me', description: 'Basic auth password of the Schema Registry.' },
];

/** The Secret's registry entries for a node that uses a registry format for its value or key. */
export const nodeRegistrySecrets = (params: Record<string, unknown>) => (usesRegistry(params) ? registrySecrets() : []);

/** The file endings a schema file of each format may have. */
/** The parameters of a Kafka source and sink that name a schema file instead of an inline schema (their value's, their key's). */
export const SCHEMA_FILE_PARAM = {
  name: 'schemaFile',
  type: 'string',
  title: 'Schema file',
  description:
    'Instead of schema: a schema file beside pipeline.yaml (.avsc or .json for avro, .proto, .json for json-schema), which the generated repository carries under schemas/.',
  placeholder: 'schemas/orders.avsc',
  repoFolder: 'schemas',
} as const;
/** A Kafka source's and sink's key format; each gives its own description (keys decoded, keys written). */
export const KEY_FORMAT_PARAM = { name: 'keyFormat', type: 'enum', title: 'Key format', enum: KEY_FORMATS, default: 'string' } as const;
export const KEY_SCHEMA_FILE_PARAM = {
  name: 'keySchemaFile',
  type: 'string',
  title: 'Key schema file',
  description: 'Instead of keySchema: a schema file of the keys beside pipeline.yaml, which the generated repository carries under schemas/.',
  placeholder: 'schemas/order-key.avsc',
  repoFolder: 'schemas',
} as const;

export const SCHEMA_FILE_ENDINGS: Record<RegistryFormat, readonly string[]> = { avro: ['.avsc', '.json'], protobuf: ['.proto'], 'json-schema': ['.json'] };

/** Why a schema file's path cannot be used (absolute, outside the pipeline's folder), or undefined. */
export function schemaPathProblem(path: string): string | undefined {
  if (path.trim() === '') return 'it is empty';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'it is an absolute path';
  if (path.includes('\\')) return 'it has a backslash (use / between folders)';
  if (path.split('/').includes('..')) return "it leads out of the pipeline's folder (..)";
  return undefined;
}

/** A schema file's contents as the schema parameter would hold them: Avro and JSON Schema parsed from JSON, a .proto as text. */
export function schemaFromFile(format: RegistryFormat, bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  if (format === 'protobuf') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AvroSchemaError(`it is not valid JSON: ${(e as Error).message}`);
  }
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'An' : 'A');

const PART_WORD: Record<SchemaPart, string> = { value: 'values', key: 'keys' };

/**
 * A part's `schema` (or schema file) must fit its format: an Avro schema that Pipewright can type, a
 * .proto text, a JSON Schema mapping. A schema file must be inside the pipeline's folder, end as its
 * format's files do, and (when the caller has the files) exist and hold a valid schema.
 */
export function checkSchemaParam(
  params: Record<string, unknown>,
  required = false,
  part: SchemaPart = 'value',
  files?: Record<string, Uint8Array>,
): KindProblem[] {
  const names = SCHEMA_PARAMS[part];
  const format = params[names.format];
  const file = params[names.file];
  const fileGiven = typeof file === 'string';
  if (params[names.schema] !== undefined && fileGiven) {
    return [
      {
        param: names.file,
        code: 'PW134',
        message: `Both ${names.schema} and ${names.file} give the schema of the ${PART_WORD[part]}.`,
        hint: `Keep one: ${names.schema} for the schema itself, or ${names.file} for a file of the repository.`,
      },
    ];
  }
  if (params[names.schema] === undefined && !fileGiven) {
    if (!required || !isRegistryFormat(format)) return [];
    return [
      {
        param: names.schema,
        code: 'PW134',
        message: `${names.format}: ${format} needs the schema of the ${PART_WORD[part]} the sink writes.`.replace(/^format: /, 'Format '),
        hint: `Add ${names.schema}: an Avro schema (mapping or JSON text), a .proto text, or a JSON Schema; or ${names.file}: a schema file beside pipeline.yaml (e.g. schemas/orders.avsc). The sink registers it at start-up.`,
      },
    ];
  }
  const param = fileGiven ? names.file : names.schema;
  if (!isRegistryFormat(format)) {
    return [
      {
        param,
        code: 'PW134',
        message: `A schema is only used with ${names.format} avro, protobuf or json-schema, not ${String(format)}.`,
        hint: `Set ${names.format}: avro (or protobuf, json-schema), or remove ${param}.`,
      },
    ];
  }
  if (!fileGiven) return schemaValueProblems(params[names.schema], format, part, param);
  const read = readSchemaFile(file, format, part, param, files);
  return 'schema' in read ? schemaValueProblems(read.schema, format, part, param, file) : read.problems;
}

/**
 * A schema file's path must be inside the pipeline's folder and end as its format's files do; when the
 * files are at hand, it must exist and parse. Gives the schema it holds, or the problems.
 */
function readSchemaFile(
  file: string,
  format: RegistryFormat,
  part: SchemaPart,
  param: string,
  files?: Record<string, Uint8Array>,
): { schema: unknown } | { problems: KindProblem[] } {
  const names = SCHEMA_PARAMS[part];
  const bad = schemaPathProblem(file);
  const endings = SCHEMA_FILE_ENDINGS[format];
  if (bad)
    return {
      problems: [
        {
          param,
          code: 'PW134',
          message: `The schema file path "${file}" cannot be used: ${bad}.`,
          hint: `Keep the schema in the pipeline's folder and name it relative to pipeline.yaml, e.g. ${names.file}: schemas/orders${endings[0]}`,
        },
      ],
    };
  if (!endings.some((e) => file.toLowerCase().endsWith(e))) {
    return {
      problems: [
        {
          param,
          code: 'PW134',
          message: `${article(format)} ${format} schema file ends in ${endings.join(' or ')}; "${file}" does not.`,
          hint: `Name the ${format} schema file, or set ${names.format} to the format the file is in.`,
        },
      ],
    };
  }
  if (!files) return { problems: [] };
  const bytes = files[file];
  if (!bytes)
    return {
      problems: [
        {
          param,
          code: 'PW134',
          message: `The schema file "${file}" does not exist.`,
          hint: 'Paths are relative to the folder of pipeline.yaml; check the name and that the file is there.',
        },
      ],
    };
  try {
    return { schema: schemaFromFile(format, bytes) };
  } catch (e) {
    if (!(e instanceof AvroSchemaError)) throw e;
    return {
      problems: [
        {
          param,
          code: 'PW134',
          message: `The schema file "${file}" cannot be read as ${format}: ${e.message}.`,
          hint: format === 'avro' ? 'An .avsc file holds the Avro schema as JSON.' : 'A JSON Schema file holds one JSON object.',
        },
      ],
    };
  }
}

/** A schema (given inline, or read from `file`) must be valid for its format: typeable Avro, a .proto text, a JSON Schema mapping. */
function schemaValueProblems(schema: unknown, format: RegistryFormat, part: SchemaPart, param: string, file?: string): KindProblem[] {
  try {
    if (format === 'avro') avroType(schema);
    else if (format === 'protobuf') {
      if (typeof schema !== 'string') throw new AvroSchemaError('a Protobuf schema must be the .proto text (a string)');
      protoType(schema);
    } else if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new AvroSchemaError('a JSON Schema must be a mapping');
  } catch (e) {
    if (!(e instanceof AvroSchemaError)) throw e;
    const where = file !== undefined ? ` (in ${file})` : '';
    const hint =
      format === 'protobuf'
        ? 'Fix the .proto: its first message type is the one read and written; fields as `type name = number;`, with scalar types, enums, messages, repeated and map<,> fields.'
        : 'Fix the schema: Avro records need a name and fields, each field a name and a type (null, boolean, int, long, float, double, bytes, string, a record, enum, array, map, or a union list).';
    return [{ param, code: 'PW134', message: `The ${format}${part === 'key' ? ' key' : ''} schema${where} is not valid: ${e.message}.`, hint }];
  }
  return [];
}

/** The schema of a part, from its parameter or its file (undefined when neither is there, or the file is missing or unreadable). */
export function partSchema(params: Record<string, unknown>, part: SchemaPart, files?: Record<string, Uint8Array>): unknown {
  const names = SCHEMA_PARAMS[part];
  const file = params[names.file];
  if (typeof file !== 'string') return params[names.schema];
  const bytes = files?.[file];
  const format = params[names.format];
  if (!bytes || !isRegistryFormat(format)) return undefined;
  try {
    return schemaFromFile(format, bytes);
  } catch (e) {
    if (e instanceof AvroSchemaError) return undefined;
    throw e;
  }
}

/**
 * A key in a schema format as the pipeline carries it: keys stay text in Pipewright (partitioning,
 * state and key expressions all see text), so a decoded key that is a string stays itself and any
 * other (a number, a record) becomes its JSON text, as a key expression's result does.
 */
export const keyTextOf = (decoded: unknown): string | null => keyText(decoded);

/** Whether a key schema describes plain strings, so that a key's text is the key itself rather than JSON. */
function isStringSchema(format: RegistryFormat, schema: unknown): boolean {
  if (format === 'avro') {
    try {
      return avroType(schema) === 'string';
    } catch {
      return false;
    }
  }
  return format === 'json-schema' && (schema as { type?: unknown } | null)?.type === 'string';
}

/** The key a key's text stands for under its schema: the text itself for a string schema, else the JSON it holds. */
export function keyFromText(format: RegistryFormat, schema: unknown, text: string): unknown {
  if (isStringSchema(format, schema)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`the key ${JSON.stringify(text)} is not the JSON of ${article(format).toLowerCase()} ${format} key (its schema is not a plain string)`);
  }
}

// ---------------------------------------------------------------------------
// Wire format

export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

/** The wire format of a value: magic byte 0, the schema id (4 bytes, big-endian), the payload. */
export function encodeWire(schemaId: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) throw new Error(`schema id ${schemaId} is not a 31-bit integer`);
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  out[0] = MAGIC_BYTE;
  new DataView(out.buffer).setUint32(1, schemaId, false);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** The schema id and payload of a value; throws with what is wrong when it is not in the wire format. */
export function decodeWire(value: Payload, format: string, part: SchemaPart = 'value'): { schemaId: number; payload: Uint8Array } {
  if (value === null)
    throw new Error(part === 'key' ? `the message has no key, so it is not ${format}` : `the message has no value (a tombstone), so it is not ${format}`);
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (bytes.length < HEADER_BYTES) {
    throw new Error(
      `the ${part} is ${bytes.length} bytes long, shorter than the 5-byte Schema Registry header (magic byte 0 and a 4-byte schema id), so it is not ${format}`,
    );
  }
  if (bytes[0] !== MAGIC_BYTE) {
    throw new Error(
      `the ${part} does not start with the Schema Registry magic byte 0 but with 0x${bytes[0].toString(16).padStart(2, '0')}: ` +
        `it was not written as ${format} through a Schema Registry (JSON, say)`,
    );
  }
  const schemaId = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, false);
  return { schemaId, payload: bytes.subarray(HEADER_BYTES) };
}

/** Protobuf's message indexes for the first message type of the schema: [0], written as 0. */
const FIRST_MESSAGE = new Uint8Array([0]);

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/**
 * A Protobuf payload after its message indexes (a zigzag varint count, then as many zigzag varint
 * indexes; the count 0 alone stands for [0]). Only the schema's first message type is read: other
 * indexes fail with what they are.
 */
export function firstMessagePayload(payload: Uint8Array, schemaId: number): Uint8Array {
  const noIndexes =
    '. If the producer writes no message indexes (the wire format has them between the schema id and the message; some clients leave them out), ' +
    "the message's first bytes were read as indexes: have it write them, as Confluent's serializers do";
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= payload.length) throw new Error(`the Protobuf message indexes after schema id ${schemaId} are cut short${noIndexes}`);
      const b = payload[pos++];
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >>> 1) ^ -(result & 1);
    }
    throw new Error(`the Protobuf message indexes after schema id ${schemaId} are not valid varints${noIndexes}`);
  };
  const count = varint();
  const indexes = count > 0 && count < 100 ? Array.from({ length: count }, varint) : [];
  if (count < 0 || count >= 100 || indexes.some((i) => i !== 0) || indexes.length > 1) {
    throw new Error(
      `the value is Protobuf message [${indexes.join(', ')}] of schema id ${schemaId}; Pipewright reads only the first message type of a .proto ([0])${noIndexes}`,
    );
  }
  return payload.subarray(pos);
}

// ---------------------------------------------------------------------------
// Subjects

/** The subject a schema is registered under, by Confluent's naming strategies. */
export function subjectName(strategy: unknown, topic: string, format: RegistryFormat, schema: unknown, part: 'key' | 'value' = 'value'): string {
  if (strategy === 'topic-name' || strategy === undefined) return `${topic}-${part}`;
  const record = recordNameOf(format, schema);
  if (!record) throw new Error(`subject strategy ${valueText(strategy)} needs the name of the schema's record, and the schema names none`);
  return strategy === 'record-name' ? record : `${topic}-${record}`;
}

function recordNameOf(format: RegistryFormat, schema: unknown): string | undefined {
  if (format === 'avro') return avroRecordName(schema);
  if (format === 'json-schema') {
    const title = (schema as { title?: unknown } | null)?.title;
    return typeof title === 'string' ? title : undefined;
  }
  const text = String(schema);
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
  const message = /^\s*message\s+(\w+)/m.exec(text)?.[1];
  return message && (pkg ? `${pkg}.${message}` : message);
}

/** The schema text the registry stores: Avro and JSON Schema as JSON, Protobuf as .proto text. */
export function schemaText(format: RegistryFormat, schema: unknown): string {
  if (format === 'protobuf') return String(schema);
  const s = format === 'avro' ? avroSchemaOf(schema) : typeof schema === 'string' ? (JSON.parse(schema) as unknown) : schema;
  return JSON.stringify(s);
}

// ---------------------------------------------------------------------------
// The registry

interface RegistrySchema {
  toBuffer(value: unknown): Uint8Array;
  fromBuffer(bytes: Uint8Array): unknown;
}
interface RegistryClient {
  getSchema(id: number): Promise<RegistrySchema>;
  encode(id: number, value: unknown): Promise<Uint8Array>;
  decode(bytes: Uint8Array, options?: Record<string, unknown>): Promise<unknown>;
}
interface RegistryModule {
  SchemaRegistry: new (args: { host: string; auth?: { username: string; password: string }; clientId?: string }) => RegistryClient;
}
interface BufferClass {
  from(bytes: Uint8Array): Uint8Array;
  isBuffer(v: unknown): boolean;
}
const asBuffer = (bytes: Uint8Array): Uint8Array => {
  const B = (globalThis as unknown as { Buffer?: BufferClass }).Buffer;
  return B && !B.isBuffer(bytes) ? B.from(bytes) : bytes;
};

const clients = new Map<string, Promise<RegistryClient>>();

/** The process's client of the registry SCHEMA_REGISTRY_URL names (one per URL and user). */
export async function registryClient(neededBy: string): Promise<RegistryClient> {
  const { url, user, password } = registrySettings(neededBy);
  const id = `${url}\u0000${user ?? ''}`;
  let client = clients.get(id);
  if (!client) {
    client = loadPackage<RegistryModule>(PACKAGE, neededBy).then(
      ({ SchemaRegistry }) =>
        new SchemaRegistry({ host: url, clientId: 'pipewright', ...(user ? { auth: { username: user, password: password ?? '' } } : {}) }),
    );
    clients.set(id, client);
  }
  return client;
}

/** The HTTP status of a registry answer that failed, if it was one. */
const statusOf = (e: unknown): number | undefined => {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
};

/** Where the registry is and how to log in, from the environment; throws with the fix when it is not set. */
export function registrySettings(neededBy: string): { url: string; user?: string; password?: string } {
  const url = env(REGISTRY_ENV.url);
  if (!url) {
    throw new Error(
      `${neededBy} reads or writes a Schema Registry format, but ${REGISTRY_ENV.url} is not set: set it in the ConfigMap (k8s/config.env) to the registry's URL, e.g. ${DEFAULT_REGISTRY_URL}`,
    );
  }
  const user = env(REGISTRY_ENV.user);
  const password = env(REGISTRY_ENV.password);
  if (user && password === undefined) throw new Error(`${REGISTRY_ENV.user} is set but ${REGISTRY_ENV.password} is not: set both in the Secret, or neither`);
  return { url: url.replace(/\/+$/, ''), ...(user ? { user, password } : {}) };
}

/**
 * Registers the schema a sink writes under its subject (the registry answers with the existing id
 * when it has it already) and returns its id: POST /subjects/<subject>/versions of the
 * Confluent-compatible API. Unlike the client's `register`, this leaves the subject's
 * compatibility setting as it is. Fails start-up with the registry's reason when it refuses.
 */
export async function registerSchema(neededBy: string, format: RegistryFormat, schema: unknown, subject: string): Promise<number> {
  const { url, user, password } = registrySettings(neededBy);
  const headers: Record<string, string> = { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json' };
  if (user) headers.authorization = `Basic ${(globalThis as unknown as { btoa(s: string): string }).btoa(`${user}:${password ?? ''}`)}`;
  const body = JSON.stringify({ schema: schemaText(format, schema), ...(format === 'avro' ? {} : { schemaType: SCHEMA_TYPES[format] }) });
  const where = `the Schema Registry at ${url} did not accept the ${format} schema under subject "${subject}"`;
  let res: FetchResponse;
  try {
    res = await host.fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, { method: 'POST', headers, body, signal: undefined });
  } catch (e) {
    throw new Error(`${where}: it cannot be reached (${errorText(e)})`, { cause: e });
  }
  const text = await res.text();
  let answer: { id?: unknown; message?: unknown } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // not JSON: the status says what went wrong
  }
  if (!res.ok || typeof answer.id !== 'number') {
    const reason = typeof answer.message === 'string' ? answer.message : text.slice(0, 300) || res.statusText;
    const hint =
      res.status === 401 || res.status === 403
        ? ` (check ${REGISTRY_ENV.user} and ${REGISTRY_ENV.password})`
        : res.status === 409
          ? " (the schema is not compatible with the subject's earlier versions)"
          : '';
    throw new Error(`${where}: HTTP ${res.status}, ${reason}${hint}`);
  }
  return answer.id;
}

/**
 * Decodes a value (or, with part 'key', a key) of a source: a value that is not in the wire format, names a schema the registry
 * does not have, or does not decode with it fails with the reason (the record goes to the dead-letter
 * topic). A registry that cannot be reached throws a RegistryUnavailable: the batch is retried.
 */
export async function decodeRegistryValue(
  client: RegistryClient,
  format: RegistryFormat,
  value: Payload,
  readerSchema?: unknown,
  part: SchemaPart = 'value',
): Promise<unknown> {
  const { schemaId } = decodeWire(value, format, part);
  try {
    await client.getSchema(schemaId);
  } catch (e) {
    const status = statusOf(e);
    if (status === 404) throw new Error(`the ${part} names schema id ${schemaId}, which the Schema Registry does not have (${errorText(e)})`, { cause: e });
    throw new RegistryUnavailable(`the Schema Registry could not be asked for schema id ${schemaId}: ${errorText(e)}`, { cause: e });
  }
  // Protobuf: the message indexes go; the client reads the schema's first message type.
  const bytes = format === 'protobuf' ? encodeWire(schemaId, firstMessagePayload(decodeWire(value, format, part).payload, schemaId)) : (value as Uint8Array);
  try {
    const options = format === 'avro' && readerSchema !== undefined ? { AVRO: { readerSchema: avroSchemaOf(readerSchema) } } : undefined;
    return await client.decode(asBuffer(bytes), options);
  } catch (e) {
    throw new Error(`the ${part} does not decode as ${format} with schema id ${schemaId}: ${errorText(e)}`, { cause: e });
  }
}

/** Encodes a sink's value (or, with part 'key', a key) with its registered schema; one that does not fit fails with where it breaks the schema. */
export async function encodeRegistryValue(
  client: RegistryClient,
  format: RegistryFormat,
  schemaId: number,
  value: unknown,
  part: SchemaPart = 'value',
): Promise<Uint8Array> {
  try {
    const bytes = await client.encode(schemaId, value);
    // Protobuf: the message indexes of the first message type, [0], written as the single byte 0.
    return format === 'protobuf' ? encodeWire(schemaId, concat(FIRST_MESSAGE, decodeWire(bytes, format).payload)) : bytes;
  } catch (e) {
    const paths = (e as { paths?: unknown }).paths;
    const where = Array.isArray(paths) && paths.length ? ` (at ${paths.map((p) => (Array.isArray(p) ? p.join('.') : String(p))).join(', ')})` : '';
    throw new Error(
      `the ${part === 'key' ? 'key' : 'event'} does not fit the ${format}${part === 'key' ? ' key' : ''} schema (id ${schemaId})${where}: ${errorText(e)}`,
      { cause: e },
    );
  }
}

/**
 * Encodes a sink's key, carried as text in the pipeline, with its registered key schema: the text
 * stands for the key as keyFromText says (itself under a plain string schema, else the JSON it holds).
 * A missing key, or text that is not the JSON of such a key, fails with the reason.
 */
export async function encodeRegistryKey(
  client: RegistryClient,
  format: RegistryFormat,
  schemaId: number,
  schema: unknown,
  key: string | null,
): Promise<Uint8Array> {
  if (key === null)
    throw new Error(`the event has no key, and the sink writes its keys as ${format}: give the sink a key expression, or give the events a key before it`);
  return encodeRegistryValue(client, format, schemaId, keyFromText(format, schema, key), 'key');
}

/** The registry could not be reached: not the record's fault, so the batch is retried instead of dead-lettering it. */
export class RegistryUnavailable extends Error {}
