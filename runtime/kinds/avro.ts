/**
 * Avro schemas as Pipewright reads them without the Avro library (which only
 * the generated service loads): the schema's own problems, the TypeScript
 * type of the values it describes, and where a value (a sample event) breaks
 * it. Values are as the service sees them after decoding with avsc's
 * defaults: int, long, float and double are numbers, bytes and fixed are
 * bytes, an enum is its symbol, and a union's value is the value of one of
 * its branches (not wrapped in `{ type: value }`), which is why a union may
 * hold at most one branch of each kind (one record, one number type, ...).
 */

type Named = Record<string, unknown>;

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Uint8Array',
  string: 'string',
};

/** What a union branch decodes to in JavaScript: two branches with one of these are ambiguous. */
const JS_KIND: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'bytes',
  fixed: 'bytes',
  string: 'string',
  enum: 'string',
  record: 'object',
  map: 'object',
  array: 'array',
};

export class AvroSchemaError extends Error {}

/** A walk over a schema that resolves named types (records, enums, fixed) by their full names. */
class Walker {
  readonly named = new Map<string, Named>();

  /** The schema object behind `schema`: a named reference resolved, a primitive name as `{ type }`. */
  resolve(schema: unknown, where: string, namespace: string): Named {
    if (typeof schema === 'string') {
      if (schema in PRIMITIVES) return { type: schema };
      const found = this.named.get(schema) ?? this.named.get(namespace ? `${namespace}.${schema}` : schema);
      if (!found) throw new AvroSchemaError(`${where}: "${schema}" is neither an Avro type nor a record, enum or fixed defined before it`);
      return found;
    }
    if (Array.isArray(schema)) return { type: 'union', branches: schema };
    if (typeof schema !== 'object' || schema === null)
      throw new AvroSchemaError(`${where}: a type must be a name, a mapping or a list (a union), not ${JSON.stringify(schema)}`);
    return schema as Named;
  }

  /** Checks the schema and records its named types; returns its TypeScript type. */
  typeOf(schema: unknown, where: string, namespace: string): string {
    const s = this.resolve(schema, where, namespace);
    const type = s.type;
    if (typeof type === 'string' && type in PRIMITIVES) return PRIMITIVES[type];
    if (type === 'union') return this.unionType(s.branches as unknown[], where, namespace);
    if (type === 'array') return `Array<${this.typeOf(s.items, `${where}.items`, namespace)}>`;
    if (type === 'map') return `Record<string, ${this.typeOf(s.values, `${where}.values`, namespace)}>`;
    if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
      const ns = this.define(s, where, namespace);
      if (type === 'fixed') return 'Uint8Array';
      if (type === 'enum') {
        if (!Array.isArray(s.symbols) || s.symbols.length === 0 || !s.symbols.every((x) => typeof x === 'string')) {
          throw new AvroSchemaError(`${where}: enum "${String(s.name)}" needs symbols, a list of names`);
        }
        return s.symbols.map((x) => JSON.stringify(x)).join(' | ');
      }
      return this.recordType(s, where, ns);
    }
    if (typeof type === 'object' && type !== null) return this.typeOf(type, where, namespace);
    throw new AvroSchemaError(`${where}: "${String(type)}" is not an Avro type`);
  }

  /** Records a named type (once; a second walk over it reuses it) and returns the namespace inside it. */
  private define(s: Named, where: string, namespace: string): string {
    if (typeof s.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(s.name)) {
      throw new AvroSchemaError(`${where}: a ${String(s.type)} needs a name (letters, digits and _), not ${JSON.stringify(s.name)}`);
    }
    const ns = s.name.includes('.') ? s.name.slice(0, s.name.lastIndexOf('.')) : typeof s.namespace === 'string' ? s.namespace : namespace;
    const full = fullName(s, namespace);
    const known = this.named.get(full);
    if (known && known !== s) throw new AvroSchemaError(`${where}: the name "${full}" is defined twice`);
    this.named.set(full, s);
    return ns;
  }

  private recordType(s: Named, where: string, namespace: string): string {
    if (!Array.isArray(s.fields)) throw new AvroSchemaError(`${where}: record "${String(s.name)}" needs fields, a list of { name, type }`);
    const parts = s.fields.map((f: unknown, i: number) => {
      const field = (f ?? {}) as Named;
      if (typeof field.name !== 'string' || field.name === '') throw new AvroSchemaError(`${where}.fields[${i}]: a field needs a name`);
      if (!('type' in field)) throw new AvroSchemaError(`${where}.${field.name}: the field needs a type`);
      return `${JSON.stringify(field.name)}: ${this.typeOf(field.type, `${where}.${field.name}`, namespace)}`;
    });
    return parts.length ? `{ ${parts.join('; ')} }` : 'Record<string, never>';
  }

  private unionType(branches: unknown[], where: string, namespace: string): string {
    if (branches.length === 0) throw new AvroSchemaError(`${where}: a union needs at least one type`);
    const kinds = new Set<string>();
    const types = branches.map((b) => {
      const type = this.typeOf(b, where, namespace);
      const kind = JS_KIND[String(this.resolve(b, where, namespace).type)] ?? 'other';
      if (kinds.has(kind)) {
        throw new AvroSchemaError(
          `${where}: the union has two branches that read as ${kind} values; Pipewright reads a union's value unwrapped, so it takes at most one of each kind`,
        );
      }
      kinds.add(kind);
      return type;
    });
    return types.join(' | ');
  }

  /** Where `value` breaks `schema`, or undefined when it fits. */
  mismatch(schema: unknown, value: unknown, at: string, namespace: string): string | undefined {
    const s = this.resolve(schema, at, namespace);
    const bad = (what: string) => `${at || '(event)'} must be ${what}, not ${describe(value)}`;
    switch (s.type) {
      case 'null':
        return value === null ? undefined : bad('null');
      case 'boolean':
        return typeof value === 'boolean' ? undefined : bad('a boolean');
      case 'int':
      case 'long':
        return Number.isSafeInteger(value)
          ? s.type === 'int' && Math.abs(value as number) > 2 ** 31
            ? bad('a 32-bit int')
            : undefined
          : bad(`an integer (${s.type})`);
      case 'float':
      case 'double':
        return typeof value === 'number' ? undefined : bad('a number');
      case 'string':
        return typeof value === 'string' ? undefined : bad('a string');
      case 'bytes':
      case 'fixed':
        return value instanceof Uint8Array ? undefined : bad('bytes');
      case 'enum':
        return (s.symbols as string[]).includes(value as string) ? undefined : bad(`one of ${(s.symbols as string[]).join(', ')}`);
      case 'array':
        if (!Array.isArray(value)) return bad('a list');
        return firstOf(value, (v, i) => this.mismatch(s.items, v, `${at}[${i}]`, namespace));
      case 'map':
        if (!isPlainObject(value)) return bad('a mapping');
        return firstOf(Object.entries(value), ([k, v]) => this.mismatch(s.values, v, `${at}.${k}`, namespace));
      case 'union': {
        const fails = (s.branches as unknown[]).map((b) => this.mismatch(b, value, at, namespace));
        return fails.includes(undefined) ? undefined : fails.join(', or ');
      }
      case 'record':
      case 'error':
        return this.recordMismatch(s, value, at, namespace);
      default:
        return typeof s.type === 'object' ? this.mismatch(s.type, value, at, namespace) : undefined;
    }
  }

  private recordMismatch(s: Named, value: unknown, at: string, namespace: string): string | undefined {
    if (!isPlainObject(value)) return `${at || '(event)'} must be a record ${String(s.name)}, not ${describe(value)}`;
    const ns = fullName(s, namespace).split('.').slice(0, -1).join('.');
    const fields = s.fields as Named[];
    // Fields the record does not declare are left out when it is encoded (as avsc does), so they are no mismatch.
    return firstOf(fields, (f) => {
      const v = value[f.name as string];
      if (v === undefined && !('default' in f)) return `${at ? at + '.' : ''}${String(f.name)} is missing (record ${String(s.name)} has no default for it)`;
      return v === undefined ? undefined : this.mismatch(f.type, v, `${at ? at + '.' : ''}${String(f.name)}`, ns);
    });
  }
}

function fullName(s: Named, namespace: string): string {
  const name = String(s.name);
  if (name.includes('.')) return name;
  const ns = typeof s.namespace === 'string' ? s.namespace : namespace;
  return ns ? `${ns}.${name}` : name;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function firstOf<T>(items: readonly T[], fn: (item: T, i: number) => string | undefined): string | undefined {
  for (let i = 0; i < items.length; i++) {
    const found = fn(items[i], i);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The schema as an object: pipeline.yaml may give it as a mapping or as Avro JSON text. */
export function avroSchemaOf(schema: unknown): unknown {
  if (typeof schema !== 'string') return schema;
  try {
    return JSON.parse(schema);
  } catch (e) {
    if (schema in PRIMITIVES) return schema;
    throw new AvroSchemaError(`the schema is not valid Avro JSON: ${(e as Error).message}`);
  }
}

/** The TypeScript type of the values `schema` describes; throws AvroSchemaError when the schema is not valid. */
export function avroType(schema: unknown): string {
  return new Walker().typeOf(avroSchemaOf(schema), 'schema', '');
}

/** Why `value` does not fit `schema` (field path and what it must be), or undefined when it fits. */
export function avroMismatch(schema: unknown, value: unknown): string | undefined {
  const walker = new Walker();
  const s = avroSchemaOf(schema);
  walker.typeOf(s, 'schema', '');
  return walker.mismatch(s, value, '', '');
}

/** The full name of the record a schema describes (namespace.name), for the record-name subject strategies. */
export function avroRecordName(schema: unknown): string | undefined {
  const s = avroSchemaOf(schema);
  if (typeof s !== 'object' || s === null || Array.isArray(s) || typeof (s as Named).name !== 'string') return undefined;
  return fullName(s as Named, '');
}
