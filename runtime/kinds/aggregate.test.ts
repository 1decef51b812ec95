/**
 * Semantics of aggregate (and window's emit: changes) on the in-memory log:
 * an update per event keyed by the group key, each aggregation, the custom
 * reducer, the emit interval (held keys emitted once per interval and at
 * shutdown), and state restored by a new owner after a rebalance or a crash,
 * without losing a held result or counting a replay twice; on the simulator,
 * exact final counts per key after a kill, at-least-once and exactly-once.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type GraphFns, type NodeSpec } from '../engine/graph.js';
import { MemoryLog, drain, punctuateAll } from '../transports/memory.js';
import { DEAD_LETTER_HEADERS } from '../types.js';
import { Simulator, loopFeed } from '../simulator/simulator.js';
import { COLLECT_LIMIT } from './aggregate.js';

const T = Date.UTC(2024, 0, 1, 8, 0);
const MIN = 60_000;

function setup(nodes: NodeSpec[], fns: GraphFns, partitions = 1) {
  const spec = { pipeline: 'p', errors: { policy: 'dead-letter' as const, topic: 'p.dead-letter' }, nodes };
  const log = new MemoryLog();
  for (const t of ['in', 'out']) log.createTopic(t, partitions);
  log.createTopic('p.dead-letter', 1);
  for (const t of new Graph(spec, fns).changelogTopics) log.createTopic(t, partitions);
  return {
    log,
    graph: () => new Graph(spec, fns),
    send: (events: { key?: string | null; value: unknown; t?: number }[]) =>
      log.produce(
        events.map((e) => ({ topic: 'in', key: e.key === undefined ? 'k' : e.key, value: JSON.stringify(e.value), headers: {}, timestamp: e.t ?? T })),
      ),
    out: () => log.messages('out').map((m) => ({ key: m.key, value: m.value === null ? null : JSON.parse(String(m.value)) })),
    dead: () => log.messages('p.dead-letter').map((m) => m.headers[DEAD_LETTER_HEADERS.error]),
    run: (g: Graph) => drain(g, log, 'p', 500, { timeOrder: true }),
  };
}

const source: NodeSpec = { id: 'src', kind: 'kafka-source', params: { topic: 'in' }, inputs: [] };
const agg = (params: Record<string, unknown> = {}): NodeSpec => ({
  id: 'a',
  kind: 'aggregate',
  params,
  inputs: [{ port: 'in', from: 'src', fromPort: 'out' }],
});
const sink = (from = 'a'): NodeSpec => ({ id: 'sink', kind: 'kafka-sink', params: { topic: 'out' }, inputs: [{ port: 'in', from, fromPort: 'out' }] });

/** Values per key, in the order they were produced. */
function byKey(rows: { key: string | null; value: unknown }[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const r of rows) (out[r.key ?? ''] ??= []).push(r.value);
  return out;
}
const latest = (rows: { key: string | null; value: unknown }[]) => Object.fromEntries(rows.map((r) => [r.key, r.value]));

describe('aggregate', () => {
  it('emits the new count of a key with every event, keyed by the key; an event without a key goes to the error port', async () => {
    const s = setup([source, agg(), sink()], {}, 3);
    s.send([
      { key: 'kafka', value: 'x' },
      { key: 'streams', value: 'y' },
      { key: null, value: 'z' },
      { key: 'kafka', value: 'x' },
      { key: 'kafka', value: 'x' },
    ]);
    await s.run(s.graph());
    expect(byKey(s.out())).toEqual({
      kafka: [
        { key: 'kafka', count: 1 },
        { key: 'kafka', count: 2 },
        { key: 'kafka', count: 3 },
      ],
      streams: [{ key: 'streams', count: 1 }],
    });
    expect(s.dead()).toEqual([expect.stringContaining('has no key')]);
  });

  it('computes sum, avg, min, max, latest and collect, collect bounded to its limit (oldest dropped); a failing expression changes nothing', async () => {
    const n = (v: { n: unknown }) => v.n;
    const fns = { a: { sum: n, avg: n, min: n, max: n, latest: (v: { id: string }) => v.id, collect: (v: { id: string }) => v.id } };
    const s = setup([source, agg({ limit: 2 }), sink()], fns);
    s.send([{ value: { id: 'e1', n: 4 } }, { value: { id: 'e2', n: -1 } }, { value: { id: 'bad', n: 'many' } }, { value: { id: 'e3', n: 9 } }]);
    await s.run(s.graph());
    expect(byKey(s.out()).k).toEqual([
      { key: 'k', count: 1, sum: 4, avg: 4, min: 4, max: 4, latest: 'e1', collect: ['e1'] },
      { key: 'k', count: 2, sum: 3, avg: 1.5, min: -1, max: 4, latest: 'e2', collect: ['e1', 'e2'] },
      { key: 'k', count: 3, sum: 12, avg: 4, min: -1, max: 9, latest: 'e3', collect: ['e2', 'e3'] },
    ]);
    expect(s.dead()).toEqual([expect.stringContaining('the sum expression gave "many", not a number')]);
  });

  it(`bounds collect to ${COLLECT_LIMIT} values when limit is left out`, async () => {
    const s = setup([source, agg(), sink()], { a: { collect: (v: { i: number }) => v.i } });
    s.send(Array.from({ length: COLLECT_LIMIT + 5 }, (_, i) => ({ value: { i } })));
    await s.run(s.graph());
    const last = s.out().at(-1)!.value as { count: number; collect: number[] };
    expect(last.count).toBe(COLLECT_LIMIT + 5);
    expect(last.collect).toEqual(Array.from({ length: COLLECT_LIMIT }, (_, i) => i + 5));
  });

  it('runs a custom reducer from its initial value, or from the first value without one; a reducer that gives undefined fails the event', async () => {
    const withInitial = {
      a: {
        initial: () => ({ orders: 0, biggest: 0 }),
        reduce: (v: { amount: number }, _k: unknown, _r: unknown, acc: { orders: number; biggest: number }) =>
          v.amount < 0 ? undefined : { orders: acc.orders + 1, biggest: Math.max(acc.biggest, v.amount) },
      },
    };
    const s = setup([source, agg(), sink()], withInitial);
    s.send([{ value: { amount: 250 } }, { value: { amount: -1 } }, { value: { amount: 50 } }]);
    await s.run(s.graph());
    expect(byKey(s.out()).k).toEqual([
      { key: 'k', count: 1, reduce: { orders: 1, biggest: 250 } },
      { key: 'k', count: 2, reduce: { orders: 2, biggest: 250 } },
    ]);
    expect(s.dead()).toEqual([expect.stringContaining('the reduce expression gave undefined')]);

    const noInitial = { a: { reduce: (v: { amount: number }, _k: unknown, _r: unknown, acc: { amount: number }) => ({ amount: acc.amount + v.amount }) } };
    const t = setup([source, agg(), sink()], noInitial);
    t.send([{ value: { amount: 2 } }, { value: { amount: 3 } }]);
    await t.run(t.graph());
    expect(byKey(t.out()).k).toEqual([
      { key: 'k', count: 1, reduce: { amount: 2 } },
      { key: 'k', count: 2, reduce: { amount: 5 } },
    ]);
  });

  it('with an emit interval, emits each changed key at most once per interval with its latest result, and what it holds at shutdown', async () => {
    const s = setup([source, agg({ emitInterval: '10s' }), sink()], {}, 2);
    const g = s.graph();
    s.send([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
      { key: 'a', value: 1 },
    ]);
    await s.run(g);
    // The first call starts the partition's clock; nothing is due before a whole interval has passed.
    expect(await punctuateAll(g, s.log, 0)).toBe(0);
    expect(await punctuateAll(g, s.log, 9_999)).toBe(0);
    expect(s.out()).toEqual([]);
    expect(await punctuateAll(g, s.log, 10_000)).toBe(2);
    expect(byKey(s.out())).toEqual({ a: [{ key: 'a', count: 2 }], b: [{ key: 'b', count: 1 }] });
    // Nothing changed: nothing more to emit at the next interval.
    expect(await punctuateAll(g, s.log, 20_000)).toBe(0);
    s.send([
      { key: 'a', value: 1 },
      { key: 'a', value: 1 },
    ]);
    await s.run(g);
    expect(await punctuateAll(g, s.log, 25_000)).toBe(0);
    // A clean shutdown emits what is held.
    expect(await punctuateAll(g, s.log, 26_000, true)).toBe(1);
    expect(byKey(s.out())).toEqual({
      a: [
        { key: 'a', count: 2 },
        { key: 'a', count: 4 },
      ],
      b: [{ key: 'b', count: 1 }],
    });
  });

  it('restores counts and held results on a new owner after a rebalance: a held result is emitted by the new owner, an emitted one is not emitted again', async () => {
    const s = setup([source, agg({ emitInterval: '1m' }), sink()], {});
    const first = s.graph();
    s.send([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
    ]);
    await s.run(first);
    await punctuateAll(first, s.log, 0);
    await punctuateAll(first, s.log, MIN);
    expect(byKey(s.out())).toEqual({ a: [{ key: 'a', count: 1 }], b: [{ key: 'b', count: 1 }] });
    s.send([{ key: 'a', value: 1 }]);
    await s.run(first);
    // The replica goes without emitting what it holds (a crash, or a rebalance); a new owner takes the partition.
    const second = s.graph();
    s.send([{ key: 'c', value: 1 }]);
    await s.run(second);
    await punctuateAll(second, s.log, 5 * MIN);
    await punctuateAll(second, s.log, 6 * MIN);
    expect(byKey(s.out())).toEqual({
      a: [
        { key: 'a', count: 1 },
        { key: 'a', count: 2 },
      ],
      b: [{ key: 'b', count: 1 }],
      c: [{ key: 'c', count: 1 }],
    });
  });

  it('does not count twice what it replays after a crash between the changelog and the commit', async () => {
    const s = setup([source, agg(), sink()], {});
    s.send([{ value: 1 }, { value: 1 }]);
    await s.run(s.graph());
    s.log.commit('p', 'in', 0, 0);
    s.send([{ value: 1 }]);
    await s.run(s.graph());
    expect(latest(s.out())).toEqual({ k: { key: 'k', count: 3 } });
  });
});

describe('window with emit: changes', () => {
  const windowNode = (params: Record<string, unknown>): NodeSpec => ({
    id: 'w',
    kind: 'window',
    params,
    inputs: [{ port: 'in', from: 'src', fromPort: 'out' }],
  });
  const iso = (ms: number) => new Date(ms).toISOString();

  it('emits the updated window with every event and nothing more when it closes', async () => {
    const s = setup([source, windowNode({ size: '1h', emit: 'changes' }), sink('w')], {});
    s.send([
      { value: 1, t: T },
      { value: 1, t: T + MIN },
      { value: 1, t: T + 61 * MIN },
    ]);
    await s.run(s.graph());
    const w = (start: number, count: number) => ({ key: 'k', windowStart: iso(start), windowEnd: iso(start + 60 * MIN), count });
    expect(byKey(s.out())).toEqual({ [`k@${iso(T)}`]: [w(T, 1), w(T, 2)], [`k@${iso(T + 60 * MIN)}`]: [w(T + 60 * MIN, 1)] });
  });

  it('withdraws a merged-away session with a tombstone', async () => {
    const s = setup([source, windowNode({ type: 'session', gap: '5m', grace: '1h', emit: 'changes' }), sink('w')], {});
    s.send([
      { value: 1, t: T },
      { value: 1, t: T + 8 * MIN },
      { value: 1, t: T + 4 * MIN },
    ]);
    await s.run(s.graph());
    const out = byKey(s.out());
    expect(out[`k@${iso(T + 8 * MIN)}`]).toEqual([{ key: 'k', windowStart: iso(T + 8 * MIN), windowEnd: iso(T + 8 * MIN), count: 1 }, null]);
    expect(out[`k@${iso(T)}`]).toEqual([
      { key: 'k', windowStart: iso(T), windowEnd: iso(T), count: 1 },
      { key: 'k', windowStart: iso(T), windowEnd: iso(T + 8 * MIN), count: 3 },
    ]);
  });
});

describe('aggregate on the simulator: a kill loses nothing and counts nothing twice', () => {
  const nodes: NodeSpec[] = [
    { id: 'lines', kind: 'kafka-source', params: { topic: 'words', format: 'string' }, inputs: [] },
    { id: 'by-word', kind: 'select-key', params: {}, inputs: [{ port: 'in', from: 'lines', fromPort: 'out' }] },
    { id: 'counts', kind: 'aggregate', params: { emitInterval: '300ms' }, inputs: [{ port: 'in', from: 'by-word', fromPort: 'out' }] },
    { id: 'sink', kind: 'kafka-sink', params: { topic: 'counts' }, inputs: [{ port: 'in', from: 'counts', fromPort: 'out' }] },
  ];
  const words = ['kafka', 'streams', 'table', 'kafka', 'join', 'kafka', 'summit', 'streams'];
  it.each(['at-least-once', 'exactly-once'] as const)('%s', async (delivery) => {
    const spec = { pipeline: 'wc', errors: { policy: 'dead-letter' as const, topic: 'wc.dead-letter' }, delivery, nodes };
    const topics = [
      { name: 'words', partitions: 4, replicationFactor: 1, config: {} },
      { name: 'counts', partitions: 4, replicationFactor: 1, config: {} },
      { name: 'wc.by-word.repartition', partitions: 4, replicationFactor: 1, config: {} },
      { name: 'wc.counts.changelog', partitions: 4, replicationFactor: 1, config: {} },
      { name: 'wc.by-word.changelog', partitions: 4, replicationFactor: 1, config: {} },
    ];
    const fns = { 'by-word': { key: (v: string) => v } };
    const sim = new Simulator({
      spec,
      fns,
      topics,
      feeds: [
        loopFeed(
          'words',
          'string',
          words.map((w) => ({ key: null, value: w })),
        ),
      ],
      replicas: 3,
      rate: 6,
      batchSize: 4,
    });
    // A kill mid-stream: what the replica processed and did not commit is processed again.
    for (let i = 0; i < 30; i++) await sim.step();
    sim.killReplica();
    for (let i = 0; i < 30; i++) await sim.step();
    // The sources stop; as soon as every event is processed, the owner of most words dies with the
    // latest counts held back for the interval: the new owner emits them from the changelog.
    sim.rate = 0;
    while (sim.totalLag() > 0) await sim.step();
    sim.killReplica(sim.group.owner({ topic: 'wc.by-word.repartition', partition: 0 })!.id);
    for (let i = 0; i < 20; i++) await sim.step();
    const produced = sim.log.messages('words').map((m) => String(m.value));
    const truth: Record<string, number> = {};
    for (const w of produced) truth[w] = (truth[w] ?? 0) + 1;
    const last: Record<string, number> = {};
    for (const m of sim.log.messages('counts')) last[m.key!] = (JSON.parse(String(m.value)) as { count: number }).count;
    expect(sim.totalLag()).toBe(0);
    expect(last).toEqual(truth);
    expect(sim.replayed).toBeGreaterThan(0);
  });
});
