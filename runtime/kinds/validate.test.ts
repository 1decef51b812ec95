import { describe, expect, it } from 'vitest';
import { oneNode } from '../../test/harness/one-node.js';
import { DEAD_LETTER_HEADERS } from '../types.js';
import { schemaType, validate } from './validate.js';

const schema = {
  type: 'object',
  required: ['id', 'amount'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^o-' }, amount: { type: 'number', minimum: 0 }, tags: { type: 'array', items: { type: 'string' } } },
};

describe('validate', () => {
  it('passes valid events on unchanged and sends invalid ones to the error port with every violation', async () => {
    const r = await oneNode('validate', { schema }).run([{ id: 'o-1', amount: 3 }, { id: 'x', amount: -1, extra: true }, { amount: 'ten' }]);
    expect(r.out.out).toEqual([{ id: 'o-1', amount: 3 }]);
    const errors = r.dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error]);
    expect(errors[0]).toBe(
      'the event does not match the schema: (event) must NOT have additional properties (extra); /id must match pattern "^o-"; /amount must be >= 0',
    );
    expect(errors[1]).toBe("the event does not match the schema: (event) must have required property 'id'; /amount must be number");
    // The dead letter carries exactly the bytes that arrived.
    expect(JSON.parse(String(r.dead[1].value))).toEqual({ amount: 'ten' });
  });

  it('stops at start-up with a clear message when ajv cannot compile the schema', async () => {
    const node = oneNode('validate', { schema: { type: 'object', properties: { a: { minimum: 'x' } } } });
    await expect(node.graph.start()).rejects.toThrow(/not a valid JSON Schema/);
  });

  it("checks the schema's shape when the pipeline is validated", () => {
    expect(validate.validate({ schema: { type: 'obj' } }).map((p) => p.message)).toEqual(['"obj" is not a JSON Schema type.']);
    expect(validate.validate({ schema: { required: 'id' } })).toHaveLength(1);
    expect(validate.validate({ schema })).toEqual([]);
  });

  it('types required properties downstream', () => {
    expect(validate.outputType.fields({ schema })).toEqual({ id: 'string', amount: 'number' });
    expect(schemaType({ type: 'object', required: ['s', 'n'], properties: { s: { enum: ['a', 'b'] }, n: { type: ['integer', 'null'] } } })).toBe(
      '{ "s": "a" | "b"; "n": number | null }',
    );
    expect(validate.dependencies()).toEqual({ ajv: '8.20.0' });
  });
});
