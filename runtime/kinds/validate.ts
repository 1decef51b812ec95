import { loadPackage } from './host.js';
import { defineKind, isMapping, type KindProblem } from './spec.js';
import { errorText } from '../errors.js';

/** The ajv version a generated service pins when it validates events. */
export const AJV_VERSION = '8.20.0';

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}
interface AjvValidate {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}
type AjvClass = new (options: Record<string, unknown>) => { compile(schema: unknown): AjvValidate };

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

/** One line for the error header: every violation, where it is and what is wrong. */
export function schemaErrorText(errors: readonly AjvError[]): string {
  const parts = errors.map((e) => {
    const extra = e.params && typeof e.params.additionalProperty === 'string' ? ` (${e.params.additionalProperty})` : '';
    return `${e.instancePath || '(event)'} ${e.message ?? 'is invalid'}${extra}`;
  });
  return `the event does not match the schema: ${parts.join('; ')}`;
}

/** The TypeScript type a JSON Schema guarantees, as far as it says; `unknown` where it says nothing precise. */
export function schemaType(schema: unknown, depth = 0): string {
  if (typeof schema !== 'object' || schema === null || depth > 8) return 'unknown';
  const s = schema as Record<string, unknown>;
  const literal = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? JSON.stringify(v) : undefined);
  if ('const' in s && literal(s.const) !== undefined) return literal(s.const)!;
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((v) => literal(v) !== undefined)) return s.enum.map(literal).join(' | ');
  const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t): t is string => typeof t === 'string' && JSON_TYPES.includes(t));
  if (types.length === 0) return 'unknown';
  return types
    .map((t) => {
      switch (t) {
        case 'integer':
        case 'number':
          return 'number';
        case 'array':
          return `Array<${schemaType(s.items, depth + 1)}>`;
        case 'object': {
          // Every property the schema names: the required ones always there, the others optional.
          const props = propertiesOf(s);
          const required = new Set(requiredNames(s));
          const names = [...new Set([...required, ...Object.keys(props)])];
          if (names.length === 0) return 'Record<string, unknown>';
          return `{ ${names.map((k) => `${JSON.stringify(k)}${required.has(k) ? '' : '?'}: ${schemaType(props[k], depth + 1)}`).join('; ')} }`;
        }
        default:
          return t;
      }
    })
    .join(' | ');
}

const propertiesOf = (schema: Record<string, unknown>) =>
  (typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {}) as Record<string, unknown>;
const requiredNames = (schema: Record<string, unknown>) =>
  Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];

/** Properties a schema requires, with their types (what the validate kind adds to its input's type); optional ones are left to the input type. */
function requiredFields(schema: Record<string, unknown>): Record<string, string> {
  const props = propertiesOf(schema);
  return Object.fromEntries(requiredNames(schema).map((name) => [name, schemaType(props[name])]));
}

export const validate = defineKind({
  kind: 'validate',
  category: 'transform',
  title: 'Validate',
  summary: 'Pass on events that match a JSON Schema; send the others to the error port with what is wrong.',
  docs:
    'Checks every event against `schema`, a JSON Schema (draft 2020-12 keywords such as type, required, ' +
    'properties, enum, minimum, pattern, items, additionalProperties) written in YAML. Valid events go on unchanged; ' +
    'invalid ones go to the error port (or the dead-letter topic) with every violation in the `pipewright.error` ' +
    "header, e.g. `/amount must be >= 0; (event) must have required property 'id'`. The `format` keyword is not " +
    'checked. Downstream, required properties are typed as the schema says. Uses ajv, which the generated ' +
    'package.json lists when a pipeline validates.',
  params: [
    {
      name: 'schema',
      type: 'json',
      title: 'Schema',
      description: 'A JSON Schema for the events, as a YAML mapping.',
      required: true,
      placeholder: 'type: object, required: [id], properties: { id: { type: string } }',
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: { from: 'input', fields: (params) => (isMapping(params.schema) ? requiredFields(params.schema) : {}) },
  example: {
    params: { schema: { type: 'object', required: ['id', 'amount'], properties: { id: { type: 'string' }, amount: { type: 'number', minimum: 0 } } } },
    input: { id: 'o-1', amount: 12.5 },
    output: { id: 'o-1', amount: 12.5 },
  },
  dependencies: () => ({ ajv: AJV_VERSION }),
  validate(params) {
    const problems: KindProblem[] = [];
    const { schema } = params;
    const check = (s: unknown, where: string): void => {
      if (typeof s === 'boolean') return;
      if (typeof s !== 'object' || s === null || Array.isArray(s)) {
        problems.push({
          param: 'schema',
          code: 'PW144',
          message: `The schema${where} must be a mapping (or true / false).`,
          hint: 'Write e.g. { type: string }.',
        });
        return;
      }
      const o = s as Record<string, unknown>;
      const types = o.type === undefined ? [] : Array.isArray(o.type) ? o.type : [o.type];
      for (const t of types) {
        if (!JSON_TYPES.includes(t as string))
          problems.push({
            param: 'schema',
            code: 'PW144',
            message: `"${String(t)}"${where} is not a JSON Schema type.`,
            hint: `Use one of ${JSON_TYPES.join(', ')}.`,
          });
      }
      if (o.required !== undefined && !(Array.isArray(o.required) && o.required.every((r) => typeof r === 'string'))) {
        problems.push({
          param: 'schema',
          code: 'PW144',
          message: `"required"${where} must be a list of property names.`,
          hint: 'Write e.g. required: [id, amount].',
        });
      }
      if (o.properties !== undefined) {
        if (typeof o.properties !== 'object' || o.properties === null || Array.isArray(o.properties)) {
          problems.push({
            param: 'schema',
            code: 'PW144',
            message: `"properties"${where} must be a mapping from names to schemas.`,
            hint: 'Write e.g. properties: { id: { type: string } }.',
          });
        } else for (const [k, v] of Object.entries(o.properties)) check(v, ` of property "${k}"`);
      }
      if (o.items !== undefined) check(o.items, `${where} items`);
    };
    check(schema, '');
    return problems;
  },
  create({ params, nodeId }) {
    let compiled: AjvValidate | undefined;
    const start = async (): Promise<AjvValidate> => {
      if (compiled) return compiled;
      const Ajv = await loadPackage<AjvClass>('ajv', `validate node "${nodeId}"`);
      try {
        // strict: false lets schemas carry keywords ajv does not know (titles, examples, formats), as JSON Schema allows.
        compiled = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(params.schema);
      } catch (e) {
        throw new Error(`the schema of validate node "${nodeId}" is not a valid JSON Schema: ${errorText(e)}`, { cause: e });
      }
      return compiled;
    };
    return {
      async start() {
        await start();
      },
      async process(batch, _port, out) {
        const check = await start();
        for (const rec of batch) {
          if (check(rec.value)) out.emit('out', rec);
          else out.fail(rec, new Error(schemaErrorText(check.errors ?? [])));
        }
      },
    };
  },
});
