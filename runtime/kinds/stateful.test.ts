/**
 * Semantics of the stateful kinds on the in-memory log: window boundaries,
 * grace and late events, hopping and session windows, joins with misses,
 * dedupe expiry, repartitioning, and state restored from the changelog by a
 * new owner, including after a crash between the changelog and the commit.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type GraphFns, type NodeSpec } from '../engine/graph.js';
import { MemoryLog, drain } from '../transports/memory.js';
import { DEAD_LETTER_HEADERS } from '../types.js';

const T = Date.UTC(2024, 0, 1, 8, 0);
const MIN = 60_000;

interface Setup {
  log: MemoryLog;
  graph: () => Graph;
  send: (topic: string, events: { key?: string | null; value: unknown; t?: number }[]) => void;
  out: (topic?: string) => { key: string | null; value: unknown }[];
  dead: () => { value: string; error: string }[];
  run: (g: Graph) => Promise<number>;
}

function setup(nodes: NodeSpec[], fns: GraphFns, topics: Record<string, number>): Setup {
  const spec = { pipeline: 'p', errors: { policy: 'dead-letter' as const, topic: 'p.dead-letter' }, nodes };
  const log = new MemoryLog();
  for (const [t, n] of Object.entries(topics)) log.createTopic(t, n);
  log.createTopic('p.dead-letter', 1);
  const partitions = Math.max(...Object.values(topics));
  const probe = new Graph(spec, fns);
  for (const t of probe.changelogTopics) log.createTopic(t, partitions);
  for (const n of nodes) if (n.kind === 'select-key') log.createTopic(`p.${n.id}.repartition`, partitions);
  return {
    log,
    graph: () => new Graph(spec, fns),
    send: (topic, events) =>
      log.produce(events.map((e) => ({ topic, key: e.key === undefined ? 'k' : e.key, value: JSON.stringify(e.value), headers: {}, timestamp: e.t ?? T }))),
    out: (topic = 'out') => log.messages(topic).map((m) => ({ key: m.key, value: JSON.parse(String(m.value)) })),
    dead: () => log.messages('p.dead-letter').map((m) => ({ value: String(m.value), error: m.headers[DEAD_LETTER_HEADERS.error] })),
    run: (g) => drain(g, log, 'p', 500, { timeOrder: true }),
  };
}

const source = (topic = 'in'): NodeSpec => ({ id: 'src', kind: 'kafka-source', params: { topic }, inputs: [] });
const sink = (from: string, topic = 'out'): NodeSpec => ({
  id: `sink-${topic}`,
  kind: 'kafka-sink',
  params: { topic },
  inputs: [{ port: 'in', from, fromPort: 'out' }],
});
const windowNode = (params: Record<string, unknown>, from = 'src'): NodeSpec => ({
  id: 'w',
  kind: 'window',
  params,
  inputs: [{ port: 'in', from, fromPort: 'out' }],
});
const iso = (ms: number) => new Date(ms).toISOString();

/** Latest value per key: what a compacted topic, or a table fed by it, ends up with. */
function latest(rows: { key: string | null; value: unknown }[]): Record<string, unknown> {
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

describe('window', () => {
  it('puts events at the boundary into the next tumbling window and closes a window when the watermark reaches its end', async () => {
    const s = setup([source(), windowNode({ size: '1h' }), sink('w')], {}, { in: 1, out: 1 });
    s.send('in', [
      { value: {}, t: T },
      { value: {}, t: T + 60 * MIN - 1 },
      { value: {}, t: T + 60 * MIN }, // starts 09:00 and closes 08:00 (grace 0)
    ]);
    await s.run(s.graph());
    expect(s.out()).toEqual([{ key: `k@${iso(T)}`, value: { key: 'k', windowStart: iso(T), windowEnd: iso(T + 60 * MIN), count: 2 } }]);
  });

  it('counts out-of-order events within the grace period, and sends later ones to the error port', async () => {
    const s = setup([source(), windowNode({ size: '1h', grace: '10m', sum: '' }), sink('w')], {}, { in: 1, out: 1 });
    s.send('in', [
      { value: {}, t: T + 5 * MIN },
      { value: {}, t: T + 65 * MIN }, // watermark 09:05: 08:00 still open until 09:10
      { value: {}, t: T + 59 * MIN }, // within grace: counts
      { value: {}, t: T + 70 * MIN }, // watermark 09:10: 08:00 closes
      { value: {}, t: T + 30 * MIN }, // late
    ]);
    await s.run(s.graph());
    expect(s.out().map((o) => o.value)).toEqual([{ key: 'k', windowStart: iso(T), windowEnd: iso(T + 60 * MIN), count: 2 }]);
    expect(s.dead()).toHaveLength(1);
    expect(s.dead()[0].error).toMatch(/^late event/);
  });

  it('drops late events when late is drop', async () => {
    const s = setup([source(), windowNode({ size: '1h', late: 'drop' }), sink('w')], {}, { in: 1, out: 1 });
    s.send('in', [
      { value: {}, t: T + 61 * MIN },
      { value: {}, t: T },
    ]);
    await s.run(s.graph());
    expect(s.dead()).toEqual([]);
    expect(s.out()).toEqual([]);
  });

  it('keeps windows per key and computes sum, avg, min, max and collect; event time from an expression', async () => {
    const fns = {
      w: {
        time: (v: { at: string }) => v.at,
        sum: (v: { n: number }) => v.n,
        avg: (v: { n: number }) => v.n,
        min: (v: { n: number }) => v.n,
        max: (v: { n: number }) => v.n,
        collect: (v: { id: string }) => v.id,
      },
    };
    const s = setup([source(), windowNode({ size: '1m' }), sink('w')], fns, { in: 1, out: 1 });
    s.send('in', [
      { key: 'a', value: { id: 'a1', n: 4, at: iso(T) } },
      { key: 'b', value: { id: 'b1', n: 10, at: iso(T + 1000) } },
      { key: 'a', value: { id: 'a2', n: 2, at: iso(T + 2000) } },
      { key: 'a', value: { id: 'a3', n: 1, at: iso(T + MIN) } },
    ]);
    await s.run(s.graph());
    expect(latest(s.out())).toEqual({
      [`a@${iso(T)}`]: { key: 'a', windowStart: iso(T), windowEnd: iso(T + MIN), count: 2, sum: 6, avg: 3, min: 2, max: 4, collect: ['a1', 'a2'] },
      [`b@${iso(T)}`]: { key: 'b', windowStart: iso(T), windowEnd: iso(T + MIN), count: 1, sum: 10, avg: 10, min: 10, max: 10, collect: ['b1'] },
    });
  });

  it('puts an event into every hopping window that holds it', async () => {
    const s = setup([source(), windowNode({ type: 'hopping', size: '10m', advance: '5m' }), sink('w')], {}, { in: 1, out: 1 });
    s.send('in', [
      { value: {}, t: T + 7 * MIN },
      { value: {}, t: T + 30 * MIN },
    ]);
    await s.run(s.graph());
    expect(s.out().map((o) => [o.key, (o.value as { count: number }).count])).toEqual([
      [`k@${iso(T)}`, 1],
      [`k@${iso(T + 5 * MIN)}`, 1],
    ]);
  });

  it('merges session windows when an event bridges two sessions', async () => {
    const s = setup([source(), windowNode({ type: 'session', gap: '5m', grace: '10m' }), sink('w')], {}, { in: 1, out: 1 });
    s.send('in', [
      { value: {}, t: T },
      { value: {}, t: T + 8 * MIN }, // a second session: more than 5 minutes after the first
      { value: {}, t: T + 4 * MIN }, // within 5 minutes of both: one session 08:00–08:08
      { value: {}, t: T + 30 * MIN }, // closes it (08:08 + 5m gap + 10m grace ≤ 08:30)
    ]);
    await s.run(s.graph());
    expect(s.out()).toEqual([{ key: `k@${iso(T)}`, value: { key: 'k', windowStart: iso(T), windowEnd: iso(T + 8 * MIN), count: 3 } }]);
  });

  it('keeps watermarks per partition', async () => {
    const s = setup([source(), windowNode({ size: '1h' }), sink('w')], {}, { in: 2, out: 1 });
    // Keys in different partitions: a late watermark in one does not close windows in the other.
    const keys = ['a', 'b', 'c', 'd'];
    s.send(
      'in',
      keys.map((key) => ({ key, value: {}, t: T })),
    );
    s.send('in', [{ key: 'a', value: {}, t: T + 2 * 60 * MIN }]);
    await s.run(s.graph());
    const closed = s
      .out()
      .map((o) => (o.value as { key: string }).key)
      .sort();
    const partitionOfA = s.log.messages('in').find((m) => m.key === 'a')!.partition;
    const sameAsA = keys.filter((k) => s.log.messages('in').find((m) => m.key === k)!.partition === partitionOfA);
    expect(closed).toEqual(sameAsA.sort());
  });

  it('restores open windows from the changelog on a new owner, so a killed replica loses no window', async () => {
    const s = setup([source(), windowNode({ size: '1h', sum: '' }), sink('w')], { w: { sum: (v: { n: number }) => v.n } }, { in: 3, out: 3 });
    s.send('in', [
      { key: 'a', value: { n: 1 }, t: T },
      { key: 'b', value: { n: 2 }, t: T + MIN },
      { key: 'a', value: { n: 3 }, t: T + 2 * MIN },
    ]);
    await s.run(s.graph());
    expect(s.out()).toEqual([]);
    // The changelog holds the open windows, keyed per window, with the watermark.
    expect(s.log.messages('p.w.changelog').length).toBeGreaterThan(0);
    // A new replica (a fresh graph) takes over: it restores before its first batch.
    s.send('in', [
      { key: 'a', value: { n: 5 }, t: T + 61 * MIN },
      { key: 'b', value: { n: 7 }, t: T + 62 * MIN },
    ]);
    await s.run(s.graph());
    expect(latest(s.out())).toEqual({
      [`a@${iso(T)}`]: { key: 'a', windowStart: iso(T), windowEnd: iso(T + 60 * MIN), count: 2, sum: 4 },
      [`b@${iso(T)}`]: { key: 'b', windowStart: iso(T), windowEnd: iso(T + 60 * MIN), count: 1, sum: 2 },
    });
  });

  it('restores every aggregate and merged sessions exactly on a new owner, keys with separators included', async () => {
    const fns = {
      w: {
        sum: (v: { n: number }) => v.n,
        avg: (v: { n: number }) => v.n,
        min: (v: { n: number }) => v.n,
        max: (v: { n: number }) => v.n,
        collect: (v: { id: string }) => v.id,
      },
    };
    const s = setup([source(), windowNode({ type: 'session', gap: '5m', grace: '10m' }), sink('w')], fns, { in: 1, out: 1 });
    const odd = 'x\u00001@2';
    s.send('in', [
      { key: 'a', value: { id: 'a1', n: 4 }, t: T },
      { key: odd, value: { id: 'x1', n: -2.5 }, t: T + 1000 },
      { key: 'a', value: { id: 'a2', n: 1 }, t: T + 8 * MIN },
    ]);
    await s.run(s.graph());
    // Another replica takes over twice: each restores what the one before left in the changelog.
    s.send('in', [{ key: 'a', value: { id: 'a3', n: 7 }, t: T + 4 * MIN }]);
    await s.run(s.graph());
    s.send('in', [{ key: odd, value: { id: 'x2', n: 0.5 }, t: T + 2 * MIN }]);
    await s.run(s.graph());
    s.send('in', [{ key: 'z', value: { id: 'z1', n: 0 }, t: T + 40 * MIN }]);
    await s.run(s.graph());
    expect(latest(s.out())).toEqual({
      [`a@${iso(T)}`]: { key: 'a', windowStart: iso(T), windowEnd: iso(T + 8 * MIN), count: 3, sum: 12, avg: 4, min: 1, max: 7, collect: ['a3', 'a1', 'a2'] },
      [`${odd}@${iso(T + 1000)}`]: {
        key: odd,
        windowStart: iso(T + 1000),
        windowEnd: iso(T + 2 * MIN),
        count: 2,
        sum: -2,
        avg: -1,
        min: -2.5,
        max: 0.5,
        collect: ['x2', 'x1'],
      },
    });
  });

  it('does not count twice what it replays after a crash between the changelog and the commit', async () => {
    const s = setup([source(), windowNode({ size: '1h' }), sink('w')], {}, { in: 1, out: 1 });
    s.send('in', [
      { value: {}, t: T },
      { value: {}, t: T + MIN },
    ]);
    await s.run(s.graph());
    // The replica died before its offsets were committed: the group starts again at 0.
    s.log.commit('p', 'in', 0, 0);
    s.send('in', [
      { value: {}, t: T + 2 * MIN },
      { value: {}, t: T + 61 * MIN },
    ]);
    await s.run(s.graph());
    expect(latest(s.out())).toEqual({ [`k@${iso(T)}`]: { key: 'k', windowStart: iso(T), windowEnd: iso(T + 60 * MIN), count: 3 } });
  });
});

describe('select-key', () => {
  const nodes = (downstream: NodeSpec[]): NodeSpec[] => [
    source(),
    { id: 'rk', kind: 'select-key', params: {}, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
    ...downstream,
  ];
  const fns = { rk: { key: (v: { word: string }) => v.word } };

  it('re-keys through the repartition topic, so each new key is in the partition that owns it', async () => {
    const s = setup(nodes([sink('rk')]), fns, { in: 3, out: 3 });
    s.send(
      'in',
      ['x', 'y', 'z', 'w'].map((key, i) => ({ key, value: { word: i % 2 ? 'odd' : 'even', i } })),
    );
    await s.run(s.graph());
    const rp = s.log.messages('p.rk.repartition');
    expect(rp.map((m) => m.key).sort()).toEqual(['even', 'even', 'odd', 'odd']);
    for (const key of ['even', 'odd']) expect(new Set(rp.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
    expect(
      s
        .out()
        .map((o) => o.key)
        .sort(),
    ).toEqual(['even', 'even', 'odd', 'odd']);
    // Internal headers stay internal.
    expect(Object.keys(s.log.messages('out')[0].headers).filter((h) => h.startsWith('pipewright.repartition'))).toEqual([]);
  });

  it('drops replays of a crashed writer when reading back, so a window after it counts each event once', async () => {
    const s = setup(nodes([windowNode({ size: '1h' }, 'rk'), sink('w')]), fns, { in: 2, out: 2 });
    s.send(
      'in',
      ['x', 'y', 'z'].map((key) => ({ key, value: { word: 'same' }, t: T })),
    );
    await s.run(s.graph());
    // Crash before the source offsets were committed: every source record is re-keyed again.
    for (let p = 0; p < 2; p++) s.log.commit('p', 'in', p, 0);
    s.send('in', [{ key: 'x', value: { word: 'same' }, t: T + 61 * MIN }]);
    await s.run(s.graph());
    expect(s.log.messages('p.rk.repartition')).toHaveLength(3 + 3 + 1);
    expect(latest(s.out())).toEqual({ [`same@${iso(T)}`]: { key: 'same', windowStart: iso(T), windowEnd: iso(T + 60 * MIN), count: 3 } });
  });

  it('sends a null key to the error port', async () => {
    const s = setup(nodes([sink('rk')]), { rk: { key: () => null } }, { in: 1, out: 1 });
    s.send('in', [{ value: { word: 'x' } }]);
    await s.run(s.graph());
    expect(s.dead()[0].error).toMatch(/key expression returned null/);
  });
});

describe('join', () => {
  const tableJoin = (params: Record<string, unknown>): NodeSpec[] => [
    source('orders'),
    { id: 'customers', kind: 'kafka-source', params: { topic: 'customers', format: 'json' }, inputs: [] },
    {
      id: 'j',
      kind: 'join',
      params: { as: 'customer', ...params },
      inputs: [
        { port: 'in', from: 'src', fromPort: 'out' },
        { port: 'other', from: 'customers', fromPort: 'out' },
      ],
    },
    sink('j'),
  ];
  const on = { j: { on: (v: { customerId: string }) => v.customerId } };

  it('reads the table topic in full outside the group, and enriches hits with the row and misses with null', async () => {
    const s = setup(tableJoin({}), on, { orders: 3, customers: 2, out: 1 });
    const g = s.graph();
    expect(g.globalTopics).toEqual(['customers']);
    expect(g.sourceTopics).toEqual(['orders']);
    s.send('customers', [
      { key: 'c1', value: { name: 'Ada' } },
      { key: 'c2', value: { name: 'Bob' } },
      { key: 'c1', value: { name: 'Ada L.' } },
    ]);
    s.send('orders', [
      { key: 'o1', value: { customerId: 'c1' } },
      { key: 'o2', value: { customerId: 'c9' } },
    ]);
    await s.run(g);
    expect(latest(s.out())).toEqual({
      o1: { customerId: 'c1', customer: { name: 'Ada L.' } },
      o2: { customerId: 'c9', customer: null },
    });
  });

  it('drops misses in an inner join, and sees later table updates', async () => {
    const s = setup(tableJoin({ how: 'inner' }), on, { orders: 1, customers: 1, out: 1 });
    const g = s.graph();
    s.send('orders', [{ key: 'o1', value: { customerId: 'c1' } }]);
    await s.run(g);
    expect(s.out()).toEqual([]);
    s.send('customers', [{ key: 'c1', value: { name: 'Ada' } }]);
    s.send('orders', [{ key: 'o2', value: { customerId: 'c1' } }]);
    await s.run(g);
    expect(s.out()).toEqual([{ key: 'o2', value: { customerId: 'c1', customer: { name: 'Ada' } } }]);
  });

  const streamJoin: NodeSpec[] = [
    source('clicks'),
    { id: 'views', kind: 'kafka-source', params: { topic: 'views' }, inputs: [] },
    {
      id: 'j',
      kind: 'join',
      params: { mode: 'stream', as: 'view', within: '5m' },
      inputs: [
        { port: 'in', from: 'src', fromPort: 'out' },
        { port: 'other', from: 'views', fromPort: 'out' },
      ],
    },
    sink('j'),
  ];

  it('joins two streams on the key within the window, from either side, and restores its buffers on a new owner', async () => {
    const s = setup(streamJoin, {}, { clicks: 2, views: 2, out: 1 });
    s.send('views', [{ key: 'u1', value: { page: 'home' }, t: T }]);
    s.send('clicks', [
      { key: 'u1', value: { button: 'buy' }, t: T + 2 * MIN }, // within 5 minutes: joins
      { key: 'u2', value: { button: 'buy' }, t: T + 2 * MIN }, // no view of u2: nothing
    ]);
    await s.run(s.graph());
    expect(s.out()).toEqual([{ key: 'u1', value: { button: 'buy', view: { page: 'home' } } }]);
    // A new owner: the click of u1 and view of u1 come back from the changelog.
    s.send('views', [
      { key: 'u1', value: { page: 'cart' }, t: T + 4 * MIN }, // joins the buffered click (2 minutes apart)
      { key: 'u1', value: { page: 'late' }, t: T + 20 * MIN }, // 18 minutes after the click: no join
    ]);
    await s.run(s.graph());
    expect(s.out().slice(1)).toEqual([{ key: 'u1', value: { button: 'buy', view: { page: 'cart' } } }]);
    expect(s.dead()).toEqual([]);
  });

  it('sends an event that is not an object to the error port', async () => {
    const s = setup(tableJoin({}), on, { orders: 1, customers: 1, out: 1 });
    s.send('orders', [{ key: 'o1', value: 'plain text' }]);
    await s.run(s.graph());
    expect(s.dead()).toHaveLength(1);
  });
});

describe('dedupe', () => {
  const nodes: NodeSpec[] = [
    source(),
    { id: 'd', kind: 'dedupe', params: { within: '10m' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
    sink('d'),
  ];
  const fns = { d: { by: (v: { id: number }) => v.id } };

  it('passes the first of each identity, drops repeats within the window, and forgets an identity once it expires', async () => {
    const s = setup(nodes, fns, { in: 1, out: 1 });
    s.send('in', [
      { value: { id: 1, n: 'first' }, t: T },
      { value: { id: 1, n: 'retry' }, t: T + 9 * MIN },
      { value: { id: 2, n: 'other' }, t: T + 9 * MIN },
      { value: { id: 1, n: 'again' }, t: T + 10 * MIN },
    ]);
    await s.run(s.graph());
    expect(s.out().map((o) => (o.value as { n: string }).n)).toEqual(['first', 'other', 'again']);
    // Identity 1 from 08:00 expired when the watermark reached 08:10; 1 was seen again then, 2 at 08:09.
    const changelog = latest(s.log.messages('p.d.changelog').map((m) => ({ key: m.key, value: m.value })));
    expect(changelog['d\u00001']).toBe(JSON.stringify(T + 10 * MIN));
  });

  it('remembers identities across a new owner', async () => {
    const s = setup(nodes, fns, { in: 2, out: 1 });
    s.send('in', [{ value: { id: 7, n: 'first' }, t: T }]);
    await s.run(s.graph());
    s.send('in', [{ value: { id: 7, n: 'replayed' }, t: T + MIN }]);
    await s.run(s.graph());
    expect(s.out().map((o) => (o.value as { n: string }).n)).toEqual(['first']);
  });
});

describe('state behind a branch route', () => {
  const branchNode: NodeSpec = { id: 'br', kind: 'branch', params: { routes: ['big'] }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] };
  const fns = { br: { 'routes.big': (v: { units: number }) => v.units >= 5 } };
  const behind = (port: string, node: Omit<NodeSpec, 'inputs'>): NodeSpec[] => [
    source(),
    branchNode,
    { ...node, inputs: [{ port: 'in', from: 'br', fromPort: port }] },
    sink(node.id),
  ];

  it('gives a stateful node on a named route the same state topics as one on the default route', () => {
    const spec = (port: string) => ({
      pipeline: 'p',
      errors: { policy: 'dead-letter' as const, topic: 'p.dead-letter' },
      nodes: behind(port, { id: 'dd', kind: 'dedupe', params: {} }),
    });
    expect(new Graph(spec('big'), fns).stateTopics('in')).toEqual(['p.dd.changelog']);
    expect(new Graph(spec('default'), fns).stateTopics('in')).toEqual(['p.dd.changelog']);
  });

  it('restores a window on a named route on a new owner and does not count replays twice', async () => {
    const s = setup(
      behind('big', { id: 'w', kind: 'window', params: { size: '1h', sum: '' } }),
      { ...fns, w: { sum: (v: { units: number }) => v.units } },
      { in: 1, out: 1 },
    );
    s.send('in', [
      { value: { units: 5 }, t: T },
      { value: { units: 1 }, t: T + MIN }, // default route: not counted
      { value: { units: 7 }, t: T + 2 * MIN },
    ]);
    await s.run(s.graph());
    // The replica died after its changelog write and before its last commit: a new one restores, then replays from 1.
    s.log.commit('p', 'in', 0, 1);
    s.send('in', [
      { value: { units: 6 }, t: T + 3 * MIN },
      { value: { units: 9 }, t: T + 61 * MIN },
    ]);
    await s.run(s.graph());
    expect(latest(s.out())).toEqual({ [`k@${iso(T)}`]: { key: 'k', windowStart: iso(T), windowEnd: iso(T + 60 * MIN), count: 3, sum: 18 } });
  });
});
