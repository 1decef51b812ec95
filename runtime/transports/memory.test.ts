import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../murmur2.js';
import { Graph } from '../engine/graph.js';
import { MemoryLog, drain } from './memory.js';

describe('MemoryLog', () => {
  it('partitions by key with murmur2 and keeps offsets per partition', () => {
    const log = new MemoryLog();
    log.createTopic('t', 4);
    const placed = log.produce(['a', 'b', 'a', 'c', 'a'].map((key) => ({ topic: 't', key, value: key, headers: {} })));
    for (const p of placed.filter((_, i) => [0, 2, 4].includes(i))) expect(p.partition).toBe(partitionForKey('a', 4));
    const aPartition = partitionForKey('a', 4);
    expect(
      log
        .read('t', aPartition, 0)
        .filter((m) => m.key === 'a')
        .map((m) => m.origin.offset),
    ).toHaveLength(3);
  });

  it('refuses to auto-create topics', () => {
    expect(() => new MemoryLog().produce([{ topic: 'missing', key: null, value: 'x', headers: {} }])).toThrow(/does not exist/);
  });

  it('drains a pipeline, commits offsets and leaves no lag', async () => {
    const log = new MemoryLog();
    log.createTopic('in', 3);
    log.createTopic('out', 3);
    log.createTopic('dl', 1);
    const graph = new Graph(
      {
        pipeline: 'p',
        errors: { policy: 'dead-letter', topic: 'dl' },
        nodes: [
          { id: 's', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
          { id: 'o', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 's', fromPort: 'out' }] },
        ],
      },
      {},
    );
    log.produce(Array.from({ length: 30 }, (_, i) => ({ topic: 'in', key: `k${i % 5}`, value: JSON.stringify({ i }), headers: {} })));
    expect(await drain(graph, log, 'g', 4)).toBe(30);
    expect(log.messages('out')).toHaveLength(30);
    for (let p = 0; p < 3; p++) expect(log.lag('g', 'in', p)).toBe(0);
    // Per key, the output order is the input order.
    const k0 = log
      .messages('out')
      .filter((m) => m.key === 'k0')
      .map((m) => JSON.parse(String(m.value)).i);
    expect(k0).toEqual([...k0].sort((a, b) => a - b));
  });
});
