import { describe, expect, it } from 'vitest';
import { Graph, type GraphSpec } from './graph.js';
import type { RawMessage } from '../types.js';

const spec: GraphSpec = {
  pipeline: 'tap',
  errors: { policy: 'dead-letter', topic: 'tap.dead-letter' },
  nodes: [
    { id: 'in', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
    { id: 'f', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'in', fromPort: 'out' }] },
    { id: 'out', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 'f', fromPort: 'out' }] },
  ],
};
const raw = (offset: number, value: string): RawMessage => ({
  key: `k${offset}`,
  value,
  timestamp: 0,
  headers: {},
  origin: { topic: 'in', partition: 0, offset: String(offset) },
});

describe('Graph onEmit', () => {
  it('sees every record each node emits, per output port, the error port included', async () => {
    const seen: string[] = [];
    const g = new Graph(
      spec,
      { f: { where: (v: { n: number }) => v.n > 1 } },
      { onEmit: (node, port, rec) => seen.push(`${node}.${port}:${rec.key}@${rec.origin.offset}`) },
    );
    const result = await g.process('in', [raw(0, '{"n":1}'), raw(1, '{"n":2}'), raw(2, 'not json')]);
    expect(seen).toEqual(['in.out:k0@0', 'in.out:k1@1', 'f.out:k1@1']);
    expect(result.deadLetters).toBe(1);
  });

  it('changes nothing when unset', async () => {
    const g = new Graph(spec, { f: { where: () => true } });
    const result = await g.process('in', [raw(0, '{"n":1}')]);
    expect(result.messages.map((m) => m.topic)).toEqual(['out']);
  });
});
