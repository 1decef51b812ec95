import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../engine/graph.js';
import type { GroupView } from './readers.js';
import { loopFeed, Simulator, type SimOptions } from './simulator.js';

const spec: GraphSpec = {
  pipeline: 'shop',
  errors: { policy: 'dead-letter', topic: 'shop.dead-letter' },
  nodes: [
    { id: 'in', kind: 'kafka-source', params: { topic: 'orders', format: 'json' }, inputs: [] },
    { id: 'out', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 'in', fromPort: 'out' }] },
  ],
};
// Eight keys over three partitions: every partition holds several keys, each key many records.
const events = Array.from({ length: 16 }, (_, i) => ({ key: `u${i % 8}`, value: { n: i } }));

function sim(over: Partial<SimOptions> = {}) {
  return new Simulator({
    spec,
    fns: {},
    topics: [
      { name: 'orders', partitions: 3, replicationFactor: 1, config: {} },
      { name: 'out', partitions: 3, replicationFactor: 1, config: {} },
    ],
    feeds: [loopFeed('orders', 'json', events)],
    seed: 3,
    rate: 6,
    ...over,
  });
}

const group = (s: Simulator, name: string): GroupView => s.snapshot().groups.find((g) => g.name === name)!;

async function steps(s: Simulator, n: number) {
  for (let i = 0; i < n; i++) await s.step();
}

/** Stop producing and let every group finish what is on the topic. */
async function drain(s: Simulator, ticks = 60) {
  s.rate = 0;
  await steps(s, ticks);
}

describe('several groups on one topic', () => {
  it('each gets every event with its own offsets and lag; killing a member of one leaves the other and the pipeline as they were', async () => {
    const groups = [
      { name: 'analytics', type: 'consumer' as const, topic: 'orders', members: 2, batchSize: 4 },
      { name: 'audit', type: 'consumer' as const, topic: 'orders', members: 1, batchSize: 3 },
    ];
    const run = async (kill: boolean) => {
      const s = sim({ groups });
      const trace: unknown[] = [];
      for (let i = 0; i < 20; i++) {
        if (kill && i === 6) s.killGroupMember('analytics', 'A');
        await s.step();
        const snap = s.snapshot();
        // What the audit group and the pipeline see, tick by tick.
        trace.push({ audit: group(s, 'audit'), partitions: snap.partitions, nodes: snap.nodes });
      }
      return { s, trace };
    };
    const calm = await run(false);
    const killed = await run(true);
    expect(killed.trace).toEqual(calm.trace);
    // The kill did happen, and hit analytics: a rebalance, and replays of what A had not committed.
    const analytics = group(killed.s, 'analytics');
    expect(analytics.members.map((m) => m.id)).toEqual(['B']);
    expect(analytics.redelivered).toBeGreaterThan(0);
    expect(killed.s.notes.some((n) => n.kind === 'rebalance' && n.text.includes('member A of consumer group analytics crashed'))).toBe(true);
    expect(group(calm.s, 'analytics').redelivered).toBe(0);
    // Slowed, audit lags behind analytics; the offsets are each group's own.
    expect(group(killed.s, 'audit').lag).toBeGreaterThan(0);
    expect(group(killed.s, 'audit').partitions.map((p) => p.committed)).not.toEqual(analytics.partitions.map((p) => p.committed));

    await drain(killed.s);
    const produced = killed.s.snapshot().produced;
    for (const name of ['analytics', 'audit']) {
      const g = group(killed.s, name);
      expect(g.lag, name).toBe(0);
      expect(g.acked, name).toBe(produced);
      expect(g.delivered - g.redelivered, name).toBe(produced);
      expect(g.orderBreaks, name).toBe(0);
      expect(g.partitions.map((p) => p.committed)).toEqual(g.partitions.map((p) => p.endOffset));
    }
  });

  it('refuses a bad group with a message that says what to change', () => {
    const s = sim();
    expect(() => s.addGroup({ name: 'shop', type: 'consumer', topic: 'orders', members: 1 })).toThrow(/group called "shop" is already reading/);
    expect(() => s.addGroup({ name: 'x', type: 'consumer', topic: 'nope', members: 1 })).toThrow(
      /topic "nope" is not in this pipeline; pick one of: orders, out/,
    );
    expect(() => s.addGroup({ name: 'bad name', type: 'share', topic: 'orders', members: 1 })).toThrow(/group name "bad name" is not valid/);
    expect(() => s.addGroup({ name: 'x', type: 'share', topic: 'orders', members: 1, lockMs: 0 })).toThrow(/lockMs must be/);
    expect(() => s.killGroupMember('ghost')).toThrow(/there is no group "ghost"/);
  });
});

describe('share group', () => {
  it('redelivers the records of a member that died once its lock runs out (delivery 2), loses none, and counts keys out of order', async () => {
    const s = sim({ groups: [{ name: 'work', type: 'share', topic: 'orders', members: 2, lockMs: 300, batchSize: 4 }] });
    await steps(s, 3);
    const holding = group(s, 'work').members.find((m) => m.id === 'A')!.holding;
    expect(holding).toBeGreaterThan(0);
    s.killGroupMember('work', 'A');
    await steps(s, 1);
    // Still locked: nobody got them yet.
    expect(group(s, 'work').redelivered).toBe(0);
    await steps(s, 4);
    const after = group(s, 'work');
    expect(after.redelivered).toBe(holding);
    const note = s.notes.find((n) => n.kind === 'redelivered')!.text;
    expect(note).toMatch(
      /^share group work: record orders\[\d\]@\d+ \(key u\d\) redelivered to member B after member A died \(its 300 ms lock ran out\): delivery 2/,
    );
    // B went on with later records of the same keys while A's were locked: their order broke.
    expect(after.orderBreaks).toBeGreaterThan(0);
    expect(s.notes.find((n) => n.kind === 'order-break')!.text).toMatch(/^key u\d out of order in share group work: offset (\d+) after (\d+)/);
    const [, first, later] = /offset (\d+) after (\d+)/.exec(s.notes.find((n) => n.kind === 'order-break')!.text)!;
    expect(Number(first)).toBeLessThan(Number(later));

    await drain(s);
    const end = group(s, 'work');
    const produced = s.snapshot().produced;
    expect(end.lag).toBe(0);
    expect(end.acked).toBe(produced);
    expect(end.archived).toBe(0);
    expect(end.inFlight).toBe(0);
    // SPSO at the end of every partition: everything acknowledged.
    expect(end.partitions.map((p) => p.committed)).toEqual(end.partitions.map((p) => p.endOffset));
  });

  it('hands records to more members than partitions, all busy; a stalled member loses its records to the others when the lock runs out', async () => {
    const s = sim({ rate: 12, groups: [{ name: 'work', type: 'share', topic: 'orders', members: 5, lockMs: 200, batchSize: 2 }] });
    await steps(s, 4);
    expect(group(s, 'work').members.every((m) => m.received > 0 && !m.idle)).toBe(true);
    s.slowGroupMember('work', 'C', 0);
    await steps(s, 1);
    const stuck = group(s, 'work').members.find((m) => m.id === 'C')!;
    expect(stuck.holding).toBeGreaterThan(0);
    await steps(s, 4);
    expect(group(s, 'work').members.find((m) => m.id === 'C')!.holding).toBe(0);
    expect(group(s, 'work').redelivered).toBe(stuck.holding);
    expect(s.notes.some((n) => n.kind === 'redelivered' && n.text.includes('after member C held it past its 200 ms lock (too slow)'))).toBe(true);
  });
});

describe('share group delivery limit', () => {
  it('archives a record after 5 deliveries when no member can finish it within its lock', async () => {
    const s = sim({ rate: 1, groups: [{ name: 'work', type: 'share', topic: 'orders', members: 1, lockMs: 100, batchSize: 5 }] });
    s.slowGroupMember('work', 'A', 0.2);
    await steps(s, 12);
    const g = group(s, 'work');
    expect(g.archived).toBeGreaterThan(0);
    expect(s.notes.find((n) => n.kind === 'group-member' && n.text.includes('archived'))!.text).toMatch(
      /record orders\[\d\]@\d+ \(key u\d\) archived after 5 deliveries/,
    );
    // The SPSO moves past archived records as past acknowledged ones: every record below it is one or the other.
    const spso = g.partitions.reduce((n, p) => n + p.committed, 0);
    expect(spso).toBeGreaterThan(0);
    expect(spso).toBeLessThanOrEqual(g.acked + g.archived);
    expect(g.lag).toBe(s.snapshot().produced - spso);
    expect(g.redelivered).toBeGreaterThanOrEqual(4 * g.archived);
  });
});

describe('classic queue', () => {
  it('gives each message to exactly one consumer, and redelivers what a dropped consumer had not acknowledged', async () => {
    const s = sim({ rate: 12, groups: [{ name: 'jobs', type: 'queue', topic: 'orders', members: 3, lockMs: 200, batchSize: 3 }] });
    await steps(s, 6);
    const calm = group(s, 'jobs');
    // No failure: one delivery per message, spread over the consumers.
    expect(calm.redelivered).toBe(0);
    expect(calm.members.reduce((n, m) => n + m.received, 0)).toBe(calm.delivered);
    expect(calm.members.every((m) => m.received > 0)).toBe(true);
    expect(calm.partitions).toHaveLength(3);

    const holding = calm.members.find((m) => m.id === 'B')!.holding;
    expect(holding).toBeGreaterThan(0);
    s.killGroupMember('jobs', 'B');
    await steps(s, 4);
    expect(group(s, 'jobs').redelivered).toBe(holding);
    expect(s.notes.find((n) => n.kind === 'redelivered')!.text).toMatch(
      /^queue jobs: record orders\[\d\]@\d+ \(key u\d\) redelivered to member [AC] after consumer B's connection dropped: delivery 2/,
    );
    // Redelivered after later messages of their keys were acknowledged: out of order.
    expect(calm.orderBreaks).toBe(0);
    expect(group(s, 'jobs').orderBreaks).toBeGreaterThan(0);

    await drain(s);
    const end = group(s, 'jobs');
    const produced = s.snapshot().produced;
    expect(end.acked).toBe(produced);
    expect(end.delivered).toBe(produced + holding);
    expect(end.lag).toBe(0);
  });

  it('lets a stalled consumer keep what it fetched, where a share group hands it to others', async () => {
    const groups = [
      { name: 'jobs', type: 'queue' as const, topic: 'orders', members: 2, lockMs: 200, batchSize: 3 },
      { name: 'work', type: 'share' as const, topic: 'orders', members: 2, lockMs: 200, batchSize: 3 },
    ];
    const s = sim({ groups });
    await steps(s, 3);
    s.slowGroupMember('jobs', 'A', 0);
    s.slowGroupMember('work', 'A', 0);
    await steps(s, 6);
    expect(group(s, 'jobs').members.find((m) => m.id === 'A')!.holding).toBeGreaterThan(0);
    expect(group(s, 'jobs').redelivered).toBe(0);
    expect(group(s, 'work').members.find((m) => m.id === 'A')!.holding).toBe(0);
    expect(group(s, 'work').redelivered).toBeGreaterThan(0);
  });
});
