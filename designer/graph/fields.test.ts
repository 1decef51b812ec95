import { expect, test } from 'vitest';
import { emptyPipeline, type Pipeline } from '../../codegen/pipeline.js';
import { completeMember, RECORD_FIELDS, upstreamSources, valueShape } from './fields.js';
import { withSchemaFiles } from '../../codegen/schema-files.js';

const p: Pipeline = {
  ...emptyPipeline(),
  nodes: [
    {
      id: 'orders',
      kind: 'kafka-source',
      params: { topic: 'o' },
      inputs: [],
      samples: [{ value: { amount: 3, customer: { id: 'c1', tier: 'gold' } } }, { value: { amount: 4, note: 'x' } }],
    },
    { id: 'big', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'orders', fromPort: 'out' }] },
    { id: 'other', kind: 'kafka-source', params: { topic: 'p' }, inputs: [] },
  ],
};

test('upstream sources follow the wires', () => {
  expect(upstreamSources(p, 'big')).toEqual(['orders']);
  expect(upstreamSources(p, 'other')).toEqual(['other']);
});

test('value. completes the sample fields, nested too', () => {
  const shape = valueShape(p, 'big');
  expect(completeMember('value.', shape)!.options.map((o) => o.label)).toEqual(['amount', 'customer', 'note']);
  expect(completeMember('value.amount > 1 && value.cu', shape)).toMatchObject({ from: 'value.amount > 1 && value.'.length });
  expect(completeMember('value.customer.', shape)!.options.map((o) => o.label)).toEqual(['id', 'tier']);
  expect(completeMember('value.amount.', shape)).toBeNull();
  expect(completeMember('amount', shape)).toBeNull();
});

test('record. completes what the runtime passes', () => {
  expect(RECORD_FIELDS).toEqual(expect.arrayContaining(['timestamp', 'headers', 'topic', 'partition', 'offset']));
  expect(completeMember('record.', valueShape(p, 'big'))!.options.map((o) => o.label)).toEqual([...RECORD_FIELDS]);
});

test("value. completes the fields a source's schema gives, from its file too, rather than the samples", () => {
  const avro = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'customer', type: ['null', { type: 'record', name: 'C', fields: [{ name: 'tier', type: { type: 'enum', name: 'T', symbols: ['GOLD'] } }] }] },
      { name: 'lines', type: { type: 'array', items: 'string' } },
    ],
  };
  const withSchema = (params: Record<string, unknown>): Pipeline => ({ ...p, nodes: [{ ...p.nodes[0], params: { topic: 'o', ...params } }, p.nodes[1]] });
  const avroShape = valueShape(withSchema({ format: 'avro', schema: avro }), 'big');
  expect(completeMember('value.', avroShape)!.options).toEqual([
    { label: 'id', detail: 'string' },
    { label: 'customer', detail: 'null | object' },
    { label: 'lines', detail: 'array' },
  ]);
  expect(completeMember('value.customer.', avroShape)!.options).toEqual([{ label: 'tier', detail: 'string' }]);
  const proto = 'message Order { string id = 1; int64 total = 2; Money paid = 3; }\nmessage Money { double amount = 1; }';
  const file = withSchemaFiles(withSchema({ format: 'protobuf', schemaFile: 'schemas/order.proto' }), {
    'schemas/order.proto': new TextEncoder().encode(proto),
  });
  const protoShape = valueShape(file, 'big');
  expect(completeMember('value.', protoShape)!.options.map((o) => `${o.label}: ${o.detail}`)).toEqual([
    'id: string',
    'total: number | object',
    'paid: object | null',
  ]);
  expect(completeMember('value.paid.', protoShape)!.options.map((o) => o.label)).toEqual(['amount']);
  // Without the file at hand, the samples are all there is.
  expect(
    completeMember('value.', valueShape(withSchema({ format: 'protobuf', schemaFile: 'schemas/order.proto' }), 'big'))!.options.map((o) => o.label),
  ).toEqual(['amount', 'customer', 'note']);
});
