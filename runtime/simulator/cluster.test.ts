import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../engine/graph.js';
import { checkClusterSpec, offsetRanges, type ClusterSpec } from './cluster.js';
import { Simulator, type SimFeed } from './simulator.js';

/** A source → pass-all filter → sink pipeline; every event carries its own number, so each record can be found again. */
const spec: GraphSpec = {
  pipeline: 'sim',
  errors: { policy: 'dead-letter', topic: 'sim.dead-letter' },
  nodes: [
    { id: 'in', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
    { id: 'f', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'in', fromPort: 'out' }] },
    { id: 'out', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 'f', fromPort: 'out' }] },
  ],
};
const numbered: SimFeed = { topic: 'in', format: 'json', next: (_r, i) => ({ key: `k${i % 5}`, value: { i } }) };

function sim(cluster: Partial<ClusterSpec>, partitions = 3) {
  return new Simulator({
    spec,
    fns: { f: { where: () => true } },
    topics: [
      { name: 'in', partitions, replicationFactor: 1, config: {} },
      { name: 'out', partitions, replicationFactor: 1, config: {} },
    ],
    feeds: [numbered],
    seed: 3,
    rate: 5,
    cluster: { brokers: 3, replicationFactor: 3, minInsyncReplicas: 2, acks: 'all', uncleanLeaderElection: false, ...cluster },
  });
}

async function steps(s: Simulator, n: number) {
  for (let k = 0; k < n; k++) await s.step();
}

const numbersIn = (s: Simulator, topic: string) => s.log.messages(topic).map((m) => (JSON.parse(String(m.value)) as { i: number }).i);
const cluster = (s: Simulator) => s.snapshot().cluster!;
const part = (s: Simulator, p: number) => cluster(s).partitions.find((x) => x.topic === 'in' && x.partition === p)!;
const notes = (s: Simulator, kind: string) => s.notes.filter((n) => n.kind === kind).map((n) => n.text);

describe('cluster spec', () => {
  it('refuses a cluster it cannot run, saying what to change', () => {
    const ok: ClusterSpec = { brokers: 3, replicationFactor: 3, minInsyncReplicas: 2, acks: 'all', uncleanLeaderElection: false };
    expect(checkClusterSpec(ok).replicaLagTicks).toBe(5);
    expect(() => checkClusterSpec({ ...ok, brokers: 6 })).toThrow(/1 to 5 brokers/);
    expect(() => checkClusterSpec({ ...ok, replicationFactor: 4 })).toThrow(/between 1 and the broker count \(3\)/);
    expect(() => checkClusterSpec({ ...ok, minInsyncReplicas: 4 })).toThrow(/between 1 and the replication factor/);
    expect(() => checkClusterSpec({ ...ok, acks: '2' as never })).toThrow(/use "all", "1" or "0"/);
    expect(offsetRanges([3, 7, 8, 9])).toBe('3, 7–9');
  });

  it('without a cluster the simulator has one perfect broker, and says so when asked to kill one', () => {
    const s = new Simulator({
      spec,
      fns: { f: { where: () => true } },
      topics: [
        { name: 'in', partitions: 1, replicationFactor: 1, config: {} },
        { name: 'out', partitions: 1, replicationFactor: 1, config: {} },
      ],
      feeds: [numbered],
    });
    expect(s.snapshot().cluster).toBeUndefined();
    expect(() => s.killBroker(1)).toThrow(/one perfect broker/);
    expect(() => sim({}).killBroker(9)).toThrow(/there is no broker 9; the brokers are 1 to 3/);
  });
});

describe('brokers and replication', () => {
  it('fails a dead leader over to an in-sync follower and keeps every record with acks=all, min.insync.replicas=2', async () => {
    const s = sim({});
    await steps(s, 5);
    expect(part(s, 0)).toMatchObject({ leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3], underReplicated: false });
    s.killBroker(1);
    expect(part(s, 0).leader).toBe(2);
    expect(notes(s, 'leader-elected')).toContain('broker 1 died: partition in-0 lost its leader; broker 2 (in sync) is the new leader.');
    await steps(s, 10);
    expect(cluster(s).brokers.find((b) => b.id === 1)!.up).toBe(false);
    for (const p of [0, 1, 2]) expect(part(s, p)).toMatchObject({ isr: expect.not.arrayContaining([1]), underReplicated: true, offline: false });
    s.rate = 0;
    await steps(s, 3);
    const produced = Array.from({ length: s.produced }, (_, i) => i);
    expect(numbersIn(s, 'in').sort((a, b) => a - b)).toEqual(produced);
    expect(numbersIn(s, 'out').sort((a, b) => a - b)).toEqual(produced);
    expect(cluster(s)).toMatchObject({ lostRecords: 0, refusedWrites: 0, acknowledged: s.produced, backlog: 0 });
  });

  it('refuses writes with NotEnoughReplicas while the ISR is below min.insync.replicas, and the source backs up until a follower is back', async () => {
    const s = sim({});
    await steps(s, 3);
    s.killBroker(2);
    s.killBroker(3);
    await steps(s, 8);
    expect(cluster(s).partitions.every((p) => p.leader === 1 && p.isr.length === 1)).toBe(true);
    const end = cluster(s).partitions.map((p) => p.logEndOffset);
    await steps(s, 3);
    expect(cluster(s).partitions.map((p) => p.logEndOffset)).toEqual(end);
    expect(cluster(s).refusedWrites).toBeGreaterThan(0);
    expect(cluster(s).backlog).toBeGreaterThan(0);
    expect(notes(s, 'write-refused').some((t) => t.startsWith('NotEnoughReplicas: in-0 has 1 in-sync replica (ISR 1), fewer than min.insync.replicas=2'))).toBe(
      true,
    );
    s.restartBroker(2);
    s.rate = 0;
    await steps(s, 2);
    expect(cluster(s).backlog).toBe(0);
    expect(new Set(numbersIn(s, 'in'))).toEqual(new Set(Array.from({ length: s.produced }, (_, i) => i)));
    expect(cluster(s).lostRecords).toBe(0);
  });

  /** Broker 2 dies and drops out of the ISR while broker 1 leads alone; then broker 1 dies, and broker 2 comes back first. */
  async function leaderAloneThenGone(s: Simulator) {
    await steps(s, 3);
    s.killBroker(2);
    await steps(s, 8);
    const before = cluster(s).partitions.map((p) => ({ partition: p.partition, from: p.replicaEnds[p.replicas.indexOf(2)], to: p.logEndOffset }));
    const unreplicated = s.log.messages('in').filter((m) => m.offset >= before[m.partition].from);
    s.killBroker(1);
    expect(cluster(s).partitions.every((p) => p.offline)).toBe(true);
    s.restartBroker(2);
    return { before, unreplicated: unreplicated.map((m) => (JSON.parse(String(m.value)) as { i: number }).i) };
  }

  it('with acks=1 and unclean leader election, loses exactly the acknowledged records the new leader never had', async () => {
    const s = sim({ brokers: 2, replicationFactor: 2, minInsyncReplicas: 1, acks: '1', uncleanLeaderElection: true }, 2);
    const { before, unreplicated } = await leaderAloneThenGone(s);
    expect(unreplicated.length).toBeGreaterThan(0);
    expect(cluster(s).partitions.map((p) => p.leader)).toEqual([2, 2]);
    expect(cluster(s).lostRecords).toBe(unreplicated.length);
    const present = new Set(numbersIn(s, 'in'));
    expect(unreplicated.filter((i) => present.has(i))).toEqual([]);
    const lost = notes(s, 'data-lost');
    for (const b of before.filter((x) => x.to > x.from)) {
      expect(
        lost.some((t) => t.includes(`of in-${b.partition} lost, offsets ${b.from}–${b.to - 1}`) || t.includes(`of in-${b.partition} lost, offsets ${b.from}:`)),
      ).toBe(true);
    }
    s.restartBroker(1);
    expect(notes(s, 'broker-up').at(-1)).toMatch(/^Broker 1 came back: it truncated in-\d from offset \d+ to \d+/);
    await steps(s, 6);
    expect(cluster(s).partitions.map((p) => [...p.isr].sort())).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(cluster(s).lostRecords).toBe(unreplicated.length);
    // The group had read past the new end; it reads on from there, so the records that took the lost offsets are processed too.
    s.rate = 0;
    await steps(s, 3);
    expect(new Set(numbersIn(s, 'out'))).toEqual(new Set([...numbersIn(s, 'out'), ...numbersIn(s, 'in')]));
    expect(numbersIn(s, 'in').length).toBe(s.produced - unreplicated.length);
  });

  it('with acks=all and min.insync.replicas=2, the same kills lose nothing the producer was told was written', async () => {
    const s = sim({ brokers: 2, replicationFactor: 2, minInsyncReplicas: 2, acks: 'all', uncleanLeaderElection: true }, 2);
    await leaderAloneThenGone(s);
    expect(cluster(s).lostRecords).toBe(0);
    s.restartBroker(1);
    s.rate = 0;
    await steps(s, 3);
    expect(cluster(s).backlog).toBe(0);
    expect(cluster(s).lostRecords).toBe(0);
    expect(new Set(numbersIn(s, 'in'))).toEqual(new Set(Array.from({ length: s.produced }, (_, i) => i)));
  });

  it('lets consumers read only up to the high watermark, never past it', async () => {
    const s = sim({ minInsyncReplicas: 1, acks: '1', replicaLagTicks: 4 });
    await steps(s, 2);
    s.slowBroker(3, 0);
    let behind = 0;
    for (let k = 0; k < 10; k++) {
      await s.step();
      const snap = s.snapshot();
      for (const p of snap.cluster!.partitions) {
        const group = snap.partitions.find((x) => x.topic === p.topic && x.partition === p.partition)!;
        expect(group.committed).toBeLessThanOrEqual(p.highWatermark);
        expect(group.endOffset).toBe(p.highWatermark);
        if (p.logEndOffset > p.highWatermark) behind++;
      }
      expect(s.log.messages('out').length).toBeLessThanOrEqual(snap.cluster!.partitions.reduce((n, p) => n + p.highWatermark, 0));
    }
    // The stalled follower held the high watermark back for a while, then dropped out of the ISR.
    expect(behind).toBeGreaterThan(0);
    expect(notes(s, 'under-replicated').some((t) => t.includes('Broker 3 has not caught up') && t.includes('it is stalled'))).toBe(true);
  });
});
