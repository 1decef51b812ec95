import { expect, test } from 'vitest';
import { emptyPipeline, type Pipeline } from '../../codegen/model.js';
import { completeMember, RECORD_FIELDS, upstreamSources, valueShape } from './fields.js';

const p: Pipeline = {
  ...emptyPipeline(),
  nodes: [
    { id: 'orders', kind: 'kafka-source', params: { topic: 'o' }, inputs: [], samples: [{ value: { amount: 3, customer: { id: 'c1', tier: 'gold' } } }, { value: { amount: 4, note: 'x' } }] },
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
