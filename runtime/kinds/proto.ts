/**
 * .proto files as Pipewright reads them without protobufjs (which only the
 * generated service loads): the schema's own problems, and the TypeScript type
 * of the values of its first message type, the one Pipewright reads and
 * writes (message indexes [0]). Values are as the Schema Registry client
 * decodes them with protobufjs: numbers, booleans, strings, bytes as
 * Uint8Array, an enum as its number, a 64-bit integer as a number or a Long,
 * a message field as its message or null when it is not set, repeated
 * fields as arrays and map fields as objects.
 */
import { AvroSchemaError } from './avro.js';

const SCALARS: Record<string, string> = {
  double: 'number',
  float: 'number',
  int32: 'number',
  uint32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  int64: 'number | Long64',
  uint64: 'number | Long64',
  sint64: 'number | Long64',
  fixed64: 'number | Long64',
  sfixed64: 'number | Long64',
  bool: 'boolean',
  string: 'string',
  bytes: 'Uint8Array',
};

/** How protobufjs hands over a 64-bit integer that the Long library is there for. */
const LONG = '{ low: number; high: number; unsigned: boolean; toNumber(): number }';

interface Field {
  name: string;
  type: string;
  label: 'repeated' | 'map' | 'one';
  keyType?: string;
  line: number;
}
interface Message {
  kind: 'message';
  name: string;
  fields: Field[];
}
interface Enum {
  kind: 'enum';
  name: string;
}
type Definition = Message | Enum;

interface Token {
  text: string;
  line: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_.][A-Za-z0-9_.]*|-?[0-9][A-Za-z0-9_.+-]*|[{}<>;=,[\]()]|\s+|./g;
  let line = 1;
  for (const m of text.matchAll(re)) {
    const t = m[0];
    if (!/^\s|^\/\//.test(t) && !t.startsWith('/*')) {
      if (!/^([A-Za-z_."'0-9-]|[{}<>;=,[\]()])/.test(t)) throw new AvroSchemaError(`line ${line}: unexpected "${t}"`);
      tokens.push({ text: t, line });
    }
    line += t.split('\n').length - 1;
  }
  return tokens;
}

class Parser {
  private pos = 0;
  /** Every message and enum by its full name within the file (Outer.Inner), in order. */
  readonly defs = new Map<string, Definition>();
  /** The first top-level message's full name. */
  first?: string;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private next(what: string): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new AvroSchemaError(`the .proto ends where ${what} should be`);
    return t;
  }
  private expect(text: string): void {
    const t = this.next(`"${text}"`);
    if (t.text !== text) throw new AvroSchemaError(`line ${t.line}: "${text}" expected, not "${t.text}"`);
  }
  /** Skips a statement up to its ";" or a balanced block. */
  private skipStatement(): void {
    let depth = 0;
    for (;;) {
      const t = this.next('the end of a statement');
      if (t.text === '{') depth++;
      else if (t.text === '}') {
        depth--;
        if (depth === 0) return;
      } else if (t.text === ';' && depth === 0) return;
    }
  }

  parseFile(): void {
    while (this.peek()) {
      const t = this.next('a declaration');
      if (t.text === 'syntax' || t.text === 'edition') {
        this.skipStatement();
      } else if (t.text === 'package' || t.text === 'option') {
        this.skipStatement();
      } else if (t.text === 'import') {
        throw new AvroSchemaError(`line ${t.line}: imports are not read; put the types the schema needs in this one file`);
      } else if (t.text === 'message') {
        const name = this.message('');
        this.first ??= name;
      } else if (t.text === 'enum') {
        this.enumDef('');
      } else if (t.text === 'service' || t.text === 'extend') {
        this.skipStatement();
      } else if (t.text !== ';') {
        throw new AvroSchemaError(`line ${t.line}: "${t.text}" is not a .proto declaration (message, enum, syntax, package, option, service)`);
      }
    }
    if (!this.first) throw new AvroSchemaError('the .proto declares no message type');
  }

  private name(what: string): Token {
    const t = this.next(what);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.text)) throw new AvroSchemaError(`line ${t.line}: ${what} must be a name, not "${t.text}"`);
    return t;
  }

  private define(full: string, def: Definition, line: number): void {
    if (this.defs.has(full)) throw new AvroSchemaError(`line ${line}: "${full}" is declared twice`);
    this.defs.set(full, def);
  }

  private enumDef(scope: string): void {
    const t = this.name("an enum's name");
    const full = scope ? `${scope}.${t.text}` : t.text;
    this.define(full, { kind: 'enum', name: full }, t.line);
    this.expect('{');
    this.pos--;
    this.skipStatement();
  }

  private message(scope: string): string {
    const t = this.name("a message's name");
    const full = scope ? `${scope}.${t.text}` : t.text;
    const msg: Message = { kind: 'message', name: full, fields: [] };
    this.define(full, msg, t.line);
    this.expect('{');
    this.body(msg, full);
    return full;
  }

  /** A message's body up to its closing brace; a oneof's fields are the message's. */
  private body(msg: Message, scope: string): void {
    for (;;) {
      const t = this.next('a field or "}"');
      if (t.text === '}') return;
      if (t.text === ';') continue;
      if (t.text === 'message') this.message(scope);
      else if (t.text === 'enum') this.enumDef(scope);
      else if (t.text === 'oneof') {
        this.name("a oneof's name");
        this.expect('{');
        this.body(msg, scope);
      } else if (t.text === 'option' || t.text === 'reserved' || t.text === 'extensions' || t.text === 'extend') {
        this.pos--;
        this.skipStatement();
      } else if (t.text === 'map') {
        this.expect('<');
        const keyType = this.next("a map's key type").text;
        this.expect(',');
        const type = this.next("a map's value type").text;
        this.expect('>');
        this.field(msg, { type, label: 'map', keyType, line: t.line });
      } else if (t.text === 'repeated') {
        this.field(msg, { type: this.next("a field's type").text, label: 'repeated', line: t.line });
      } else if (t.text === 'optional' || t.text === 'required') {
        this.field(msg, { type: this.next("a field's type").text, label: 'one', line: t.line });
      } else {
        this.field(msg, { type: t.text, label: 'one', line: t.line });
      }
    }
  }

  private field(msg: Message, f: Omit<Field, 'name'>): void {
    if (!/^[A-Za-z_.][A-Za-z0-9_.]*$/.test(f.type)) throw new AvroSchemaError(`line ${f.line}: "${f.type}" is not a field type`);
    const name = this.name("a field's name").text;
    this.expect('=');
    const number = this.next('a field number');
    if (!/^[0-9]+$/.test(number.text)) throw new AvroSchemaError(`line ${number.line}: field "${name}" needs a number (= 1), not "${number.text}"`);
    const after = this.peek();
    if (after?.text === '[') {
      while (this.next('the end of the field options').text !== ']');
    }
    this.expect(';');
    msg.fields.push({ name, ...f });
  }
}

/** Resolves a type name as protobuf does: from the innermost scope outwards; a leading dot or the package is absolute. */
function lookup(defs: Map<string, Definition>, name: string, scope: string, pkg: string): Definition | undefined {
  let n = name.startsWith('.') ? name.slice(1) : name;
  if (pkg && n.startsWith(`${pkg}.`)) n = n.slice(pkg.length + 1);
  if (name.startsWith('.')) return defs.get(n);
  const parts = scope.split('.').filter(Boolean);
  for (let i = parts.length; i >= 0; i--) {
    const found = defs.get([...parts.slice(0, i), n].join('.'));
    if (found) return found;
  }
  return undefined;
}

function packageOf(text: string): string {
  return /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1] ?? '';
}

/**
 * The TypeScript type of the first message type of a .proto; throws AvroSchemaError (with the line)
 * when the file cannot be read or names a type it does not declare.
 */
export function protoType(text: string): string {
  const parser = new Parser(tokenize(text));
  parser.parseFile();
  const pkg = packageOf(text);
  const typeOfMessage = (full: string, seen: readonly string[]): string => {
    const msg = parser.defs.get(full) as Message;
    // A message that holds itself (a tree) is typed as far as its first level.
    if (seen.includes(full)) return 'Record<string, unknown>';
    const parts = msg.fields.map((f) => {
      const one = (type: string): string => {
        if (type in SCALARS) return SCALARS[type].replace('Long64', LONG);
        const def = lookup(parser.defs, type, full, pkg);
        if (!def)
          throw new AvroSchemaError(
            `line ${f.line}: field "${f.name}" of ${msg.name} has type "${type}", which is neither a scalar type nor a message or enum of this file`,
          );
        return def.kind === 'enum' ? 'number' : typeOfMessage(def.name, [...seen, full]);
      };
      if (f.label === 'map') {
        if (!f.keyType || !(f.keyType in SCALARS) || ['double', 'float', 'bytes'].includes(f.keyType)) {
          throw new AvroSchemaError(`line ${f.line}: map field "${f.name}" needs an integer, bool or string key type, not "${String(f.keyType)}"`);
        }
        return `${JSON.stringify(f.name)}: Record<string, ${one(f.type)}>`;
      }
      const t = one(f.type);
      if (f.label === 'repeated') return `${JSON.stringify(f.name)}: Array<${t}>`;
      const isMessage = !(f.type in SCALARS) && lookup(parser.defs, f.type, full, pkg)?.kind === 'message';
      return `${JSON.stringify(f.name)}: ${isMessage ? `${t} | null` : t}`;
    });
    return parts.length ? `{ ${parts.join('; ')} }` : 'Record<string, never>';
  };
  return typeOfMessage(parser.first!, []);
}

const INTEGER_SCALARS = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/**
 * Where a value (as a sample or a test event holds it: JSON) first breaks the first message type of a
 * .proto — a field the message does not have, or a value of the wrong type — as the field's path and what is
 * wrong; undefined when it fits. Fields left out are their defaults, as in proto3. Throws AvroSchemaError
 * when the .proto cannot be read (that is the schema's problem, reported on its own).
 */
export function protoMismatch(text: string, value: unknown): string | undefined {
  const parser = new Parser(tokenize(text));
  parser.parseFile();
  const pkg = packageOf(text);
  const at = (path: string[]) => (path.length ? path.join('.') : '(event)');
  const scalar = (type: string, v: unknown, path: string[]): string | undefined => {
    const fits =
      type === 'string'
        ? typeof v === 'string'
        : type === 'bool'
          ? typeof v === 'boolean'
          : type === 'bytes'
            ? typeof v === 'string' || v instanceof Uint8Array
            : INTEGER_SCALARS.has(type)
              ? typeof v === 'number' && Number.isInteger(v)
              : typeof v === 'number';
    return fits
      ? undefined
      : `${at(path)} must be ${type === 'bool' ? 'a boolean' : type === 'string' || type === 'bytes' ? 'a string' : INTEGER_SCALARS.has(type) ? 'an integer' : 'a number'} (${type})`;
  };
  const message = (full: string, v: unknown, path: string[]): string | undefined => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${at(path)} must be a message (an object)`;
    const msg = parser.defs.get(full) as Message;
    for (const [name, fieldValue] of Object.entries(v)) {
      const f = msg.fields.find((x) => x.name === name);
      const here = [...path, name];
      if (!f) return `${at(here)} is not a field of ${msg.name}`;
      if (fieldValue === null || fieldValue === undefined) continue;
      const one = (type: string, item: unknown, p: string[]): string | undefined => {
        if (type in SCALARS) return scalar(type, item, p);
        const def = lookup(parser.defs, type, full, pkg);
        if (!def) return undefined; // the schema's own problem, reported by its check
        if (def.kind === 'enum') return typeof item === 'number' || typeof item === 'string' ? undefined : `${at(p)} must be one of ${def.name}'s values`;
        return message(def.name, item, p);
      };
      if (f.label === 'repeated') {
        if (!Array.isArray(fieldValue)) return `${at(here)} must be a list (repeated ${f.type})`;
        for (let i = 0; i < fieldValue.length; i++) {
          const wrong = one(f.type, fieldValue[i], [...here, String(i)]);
          if (wrong) return wrong;
        }
      } else if (f.label === 'map') {
        if (typeof fieldValue !== 'object' || Array.isArray(fieldValue)) return `${at(here)} must be a map (an object)`;
        for (const [k, item] of Object.entries(fieldValue as Record<string, unknown>)) {
          const wrong = one(f.type, item, [...here, k]);
          if (wrong) return wrong;
        }
      } else {
        const wrong = one(f.type, fieldValue, here);
        if (wrong) return wrong;
      }
    }
    return undefined;
  };
  return message(parser.first!, value, []);
}
