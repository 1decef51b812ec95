import { describe, expect, it } from 'vitest';
import type { GraphFns, GraphSpec } from './engine/graph.js';
import { caseDifferences, DEAD_LETTERS, runCase, type TestCase } from './testing.js';

/** orders → a filter that throws on a value without an amount → a Kafka sink and a log sink. */
const spec: GraphSpec = {
  pipeline: 'p',
  errors: { policy: 'dead-letter', topic: 'p.dead-letter' },
  nodes: [
    { id: 'orders', kind: 'kafka-source', params: { topic: 'orders', format: 'json', start: 'earliest', partitions: 1 }, inputs: [] },
    { id: 'large', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'orders', fromPort: 'out' }] },
    { id: 'out', kind: 'kafka-sink', params: { topic: 'large', format: 'json', partitions: 1 }, inputs: [{ port: 'in', from: 'large', fromPort: 'out' }] },
    { id: 'audit', kind: 'log-sink', params: { include: 'value' }, inputs: [{ port: 'in', from: 'large', fromPort: 'out' }] },
  ],
};
const fns: GraphFns = { large: { where: (value: { amount: number }) => value.amount.toFixed(0) !== '0' && value.amount >= 100 } };
const topics = [
  { name: 'orders', partitions: 1, replicationFactor: 1, config: {} },
  { name: 'large', partitions: 1, replicationFactor: 1, config: {} },
];
const input: TestCase['input'] = [
  {
    topic: 'orders',
    partitions: 1,
    format: 'json',
    events: [
      { key: 'c-1', value: { amount: 250 } },
      { key: 'c-2', value: 'not an order' },
    ],
  },
];
const judge = async (c: Omit<TestCase, 'name' | 'input'>) => {
  const full = { name: 't', input, ...c };
  return caseDifferences(full, await runCase(spec, fns, topics, full));
};

describe('runCase and caseDifferences: a case checks every sink and the dead letters', () => {
  it('passes when it states every output', async () => {
    const expect_: TestCase['expect'] = [
      { topic: 'large', partitions: 1, events: [{ key: 'c-1', value: { amount: 250 } }] },
      { node: 'audit', events: [{ key: 'c-1', value: { amount: 250 } }] },
    ];
    expect(await judge({ expect: expect_, deadLetters: 1 })).toEqual([]);
  });

  it('checks the sinks and dead letters a case leaves out: none of them may produce anything', async () => {
    expect(await judge({ expect: [] })).toEqual([
      { where: 'large', key: 'c-1', expected: [], actual: [{ amount: 250 }] },
      { where: 'sink audit', key: 'c-1', expected: [], actual: [{ amount: 250 }] },
      { where: DEAD_LETTERS, expected: 0, actual: 1 },
    ]);
  });

  it('leaves unchecked what the case ignores, and only that', async () => {
    expect(await judge({ expect: [], ignore: ['large', 'sink audit', DEAD_LETTERS] })).toEqual([]);
    expect(await judge({ expect: [{ topic: 'large', partitions: 1, events: [] }], ignore: ['sink audit'], deadLetters: 1 })).toEqual([
      { where: 'large', key: 'c-1', expected: [], actual: [{ amount: 250 }] },
    ]);
  });
});
