import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../engine/graph.js';
import { coPartitioned, roundRobin } from './group.js';
import { loopEvent, loopFeed, loopStep, Simulator, type SimOptions } from './simulator.js';

const spec: GraphSpec = {
  pipeline: 'sim',
  errors: { policy: 'dead-letter', topic: 'sim.dead-letter' },
  nodes: [
    { id: 'in', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
    { id: 'f', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'in', fromPort: 'out' }] },
    { id: 'out', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 'f', fromPort: 'out' }] },
  ],
};
const events = Array.from({ length: 12 }, (_, i) => ({ key: `k${i % 4}`, value: { n: i } }));

function sim(over: Partial<SimOptions> = {}) {
  return new Simulator({
    spec,
    fns: { f: { where: (v: { n: number }) => v.n % 2 === 0 } },
    topics: [
      { name: 'in', partitions: 6, replicationFactor: 1, config: {} },
      { name: 'out', partitions: 6, replicationFactor: 1, config: {} },
    ],
    feeds: [loopFeed('in', 'json', events)],
    seed: 7,
    ...over,
  });
}

describe('consumer group', () => {
  it('shares partitions round-robin and leaves extra members idle', () => {
    const tps = Array.from({ length: 6 }, (_, partition) => ({ topic: 't', partition }));
    const three = roundRobin(['b', 'a', 'c'], tps);
    expect(three.get('a')!.map((t) => t.partition)).toEqual([0, 3]);
    expect(three.get('c')!.map((t) => t.partition)).toEqual([2, 5]);
    const seven = roundRobin(['1', '2', '3', '4', '5', '6', '7'], tps);
    expect([...seven.values()].filter((a) => a.length === 0)).toHaveLength(1);
  });

  it("keeps partition n of every topic on one member, as the service's assigner does", () => {
    const tps = ['a', 'b'].flatMap((topic) => Array.from({ length: 6 }, (_, partition) => ({ topic, partition })));
    const plan = coPartitioned(['m2', 'm1', 'm3', 'm4'], tps);
    for (const [, assigned] of plan) {
      const parts = assigned.map((t) => t.partition);
      expect(assigned.filter((t) => t.topic === 'a').map((t) => t.partition)).toEqual(assigned.filter((t) => t.topic === 'b').map((t) => t.partition));
      expect(parts.length).toBeGreaterThan(0);
    }
    expect(plan.get('m1')!.map((t) => `${t.topic}${t.partition}`)).toEqual(['a0', 'a4', 'b0', 'b4']);
    // One topic: the same as kafkajs's round robin.
    const one = tps.filter((t) => t.topic === 'a');
    expect(coPartitioned(['x', 'y', 'z', 'w'], one)).toEqual(roundRobin(['x', 'y', 'z', 'w'], one));
  });

  it('rebalances when a replica joins, leaves or crashes', async () => {
    const s = sim({ replicas: 2 });
    expect(s.snapshot().members.map((m) => m.assigned.length)).toEqual([3, 3]);
    s.addReplica();
    expect(s.snapshot().members.map((m) => m.assigned.length)).toEqual([2, 2, 2]);
    s.killReplica();
    expect(s.snapshot().members.map((m) => m.assigned.length)).toEqual([3, 3]);
    expect(s.notes.filter((n) => n.kind === 'rebalance')).toHaveLength(4);
    for (let i = 0; i < 5; i++) s.addReplica();
    expect(s.snapshot().members.filter((m) => m.idle)).toHaveLength(1);
    expect(s.notes.at(-1)?.kind).toBe('idle');
  });
});

describe('Simulator', () => {
  it('shows lag growing when events arrive faster than the replicas process them, and draining after scaling out', async () => {
    const s = sim({ replicas: 1, rate: 30, batchSize: 2 });
    for (let i = 0; i < 12; i++) await s.step();
    const grown = s.totalLag();
    expect(grown).toBeGreaterThan(100);
    expect(s.notes.some((n) => n.kind === 'lag-growing')).toBe(true);
    s.rate = 0;
    for (let i = 0; i < 5; i++) s.addReplica();
    for (let i = 0; i < 40; i++) await s.step();
    expect(s.totalLag()).toBeLessThan(grown);
    expect(s.notes.some((n) => n.kind === 'lag-draining')).toBe(true);
  });

  it('replays the uncommitted batch of a killed replica, and nothing of one that left cleanly', async () => {
    const crash = sim({ replicas: 2, rate: 12, batchSize: 50 });
    for (let i = 0; i < 3; i++) await crash.step();
    crash.killReplica();
    for (let i = 0; i < 3; i++) await crash.step();
    expect(crash.replayed).toBeGreaterThan(0);
    expect(crash.notes.some((n) => n.kind === 'replay')).toBe(true);
    // At-least-once: every even event reached the output at least once, some twice.
    const outputs = crash.log.messages('out').length;
    expect(outputs).toBeGreaterThan(crash.snapshot().produced / 2 - 12);

    const clean = sim({ replicas: 2, rate: 12, batchSize: 50 });
    for (let i = 0; i < 3; i++) await clean.step();
    clean.removeReplica();
    for (let i = 0; i < 3; i++) await clean.step();
    expect(clean.replayed).toBe(0);
  });

  it("exactly-once: a killed replica's open transactions are aborted, and every output is written once", async () => {
    const run = async (delivery: 'at-least-once' | 'exactly-once') => {
      // Every event passes: every replayed event has an output.
      const s = sim({ spec: { ...spec, delivery }, fns: { f: { where: () => true } }, replicas: 2, rate: 12, batchSize: 50 });
      for (let i = 0; i < 3; i++) await s.step();
      s.killReplica();
      for (let i = 0; i < 4; i++) await s.step();
      s.removeReplica(); // a clean leave commits what it processed
      // Once each: the events below the committed offsets.
      const once = s.log.messages('in').filter((m) => m.offset < s.log.committedOffset('sim', 'in', m.partition)).length;
      return { s, outputs: s.log.messages('out').length, once };
    };
    const alo = await run('at-least-once');
    const eos = await run('exactly-once');
    expect(alo.s.replayed).toBeGreaterThan(0);
    expect(alo.outputs).toBeGreaterThan(alo.once);
    expect(eos.s.replayed).toBeGreaterThan(0);
    expect(eos.s.aborted).toBeGreaterThan(0);
    expect(eos.once).toBeGreaterThan(0);
    expect(eos.outputs).toBe(eos.once);
    expect(eos.s.notes.find((n) => n.kind === 'rebalance' && n.text.includes('crashed'))?.text).toMatch(/aborted.*write them once \(exactly-once\)/);
  });

  it('repeats exactly for the same seed', async () => {
    const run = async () => {
      const s = sim({ replicas: 3, rate: 9 });
      for (let i = 0; i < 10; i++) await s.step();
      s.killReplica();
      for (let i = 0; i < 10; i++) await s.step();
      return { snap: s.snapshot(), out: s.log.messages('out') };
    };
    expect(await run()).toEqual(await run());
  });

  it('steps one event at a time', async () => {
    const s = sim({ replicas: 1 });
    await s.stepOne();
    expect(s.snapshot().nodes.in.in).toBe(1);
    await s.stepOne();
    expect(s.snapshot().nodes.in.in).toBe(2);
    expect(s.snapshot().produced).toBe(2);
  });
});

describe('samples replayed in a loop', () => {
  it('move the event times inside them on by the span of the samples each loop, so windows keep closing', () => {
    const samples = [
      { key: 'a', value: { at: '2024-01-01T08:05:00Z', ms: Date.UTC(2024, 0, 1, 8, 5), n: 1 } },
      { key: 'b', value: { at: '2024-01-01T08:45:00Z', ms: Date.UTC(2024, 0, 1, 8, 45), n: 2 } },
    ];
    // Span 40 min, average gap 40 min: each loop is 80 minutes later.
    expect(loopStep(samples)).toBe(80 * 60_000);
    expect(loopEvent(samples, 1)).toBe(samples[1]);
    expect(loopEvent(samples, 2)).toEqual({ key: 'a', value: { at: '2024-01-01T09:25:00.000Z', ms: Date.UTC(2024, 0, 1, 9, 25), n: 1 } });
    expect(loopEvent(samples, 5).value).toMatchObject({ at: '2024-01-01T11:25:00.000Z' });
    // No times, or a single one: replayed as they are.
    expect(
      loopStep([
        { key: null, value: { n: 1 } },
        { key: null, value: { n: 2 } },
      ]),
    ).toBe(0);
    expect(loopEvent([{ key: null, value: { n: 1 } }], 3)).toEqual({ key: null, value: { n: 1 } });
  });
});

describe('stepOne', () => {
  it('takes exactly one event of the partition through the graph, even with a backlog', async () => {
    const s = sim({ replicas: 1, rate: 30, batchSize: 1 });
    for (let i = 0; i < 5; i++) await s.step();
    const before = s.snapshot().nodes.in.in;
    const lag = s.totalLag();
    expect(lag).toBeGreaterThan(50);
    await s.stepOne();
    expect(s.snapshot().nodes.in.in).toBe(before + 1);
    expect(s.snapshot().produced).toBe(5 * 30 + 1);
  });
});

describe('state across a rebalance', () => {
  const windowed: GraphSpec = {
    pipeline: 'sim',
    errors: { policy: 'dead-letter', topic: 'sim.dead-letter' },
    nodes: [
      { id: 'in', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
      { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'in', fromPort: 'out' }] },
      { id: 'out', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
    ],
  };
  const make = () =>
    sim({
      spec: windowed,
      fns: {},
      topics: [
        { name: 'in', partitions: 6, replicationFactor: 1, config: {} },
        { name: 'out', partitions: 6, replicationFactor: 1, config: {} },
        { name: 'sim.w.changelog', partitions: 6, replicationFactor: 1, config: {} },
      ],
      // Enough keys that every partition holds state.
      feeds: [
        loopFeed(
          'in',
          'json',
          Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 30}`, value: { n: i } })),
        ),
      ],
      replicas: 2,
      rate: 12,
    });

  it('is kept by a replica that keeps its partitions, and read from the changelog by a new owner', async () => {
    const s = make();
    for (let i = 0; i < 5; i++) await s.step();
    const [a, b] = s.snapshot().members;
    expect(a.assigned.length + b.assigned.length).toBe(6);
    // Both restored their (empty) partitions at the start: nothing to read.
    expect([a.restored, b.restored]).toEqual([0, 0]);
    // A third replica joins: every member keeps some of its partitions and takes over others.
    const before = new Map([a, b].map((m) => [m.id, new Set(m.assigned)]));
    s.addReplica();
    const owned = Object.fromEntries(s.snapshot().members.map((m) => [m.id, m.assigned]));
    // What a member must read: the whole changelog of each partition it takes over, nothing of those it kept.
    const toRead = (id: string) =>
      owned[id].filter((tp) => !before.get(id)?.has(tp)).reduce((n, tp) => n + s.log.endOffset('sim.w.changelog', Number(/\[(\d+)\]/.exec(tp)![1])), 0);
    const expected = Object.fromEntries(Object.keys(owned).map((id) => [id, toRead(id)]));
    for (let i = 0; i < 3; i++) await s.step();
    const restored = Object.fromEntries(s.snapshot().members.map((m) => [m.id, m.restored]));
    expect(restored).toEqual(expected);
    // Each member took over a partition with state, and kept at least one.
    for (const id of Object.keys(owned)) expect(expected[id]).toBeGreaterThan(0);
    const kept = owned[a.id].filter((tp) => before.get(a.id)!.has(tp));
    expect(kept.length).toBeGreaterThan(0);
    for (const tp of kept) expect(s.log.endOffset('sim.w.changelog', Number(/\[(\d+)\]/.exec(tp)![1]))).toBeGreaterThan(0);
  });
});
