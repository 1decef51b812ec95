/**
 * Check kinds on hand-made runs: each passes on the run that meets it and
 * fails on the one that does not, with a reason that names what went wrong.
 */
import { describe, expect, it } from 'vitest';
import { CHECK_KINDS, evaluateChecks, type ClusterView, type GroupView, type RunMessage, type RunSnapshot, type SimRun } from './exercise-checks.js';

const T0 = Date.UTC(2024, 0, 1);

function snap(tick: number, over: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    tick,
    time: T0 + tick * 100,
    members: [{ id: 'replica-001', assigned: ['orders[0]', 'orders[1]'], idle: false, processed: 0, restored: 0 }],
    partitions: [
      { topic: 'orders', partition: 0, endOffset: 10, committed: 10, lag: 0, owner: 'replica-001' },
      { topic: 'orders', partition: 1, endOffset: 10, committed: 10, lag: 0, owner: 'replica-001' },
    ],
    nodes: {},
    deadLetters: 0,
    replayed: 0,
    aborted: 0,
    produced: 20,
    generation: 1,
    groups: [],
    ...over,
  };
}

function run(snapshots: RunSnapshot[], topics: Record<string, Partial<RunMessage>[]> = {}): SimRun {
  return {
    snapshots,
    notes: [],
    startTime: T0,
    deadLetterTopic: 'p.dead-letter',
    messages: (t) => (topics[t] ?? []).map((m, i) => ({ key: null, value: null, partition: 0, offset: i, headers: {}, ...m })),
    captured: new Map(),
  };
}

const one = (kind: string, params: Record<string, unknown>, r: SimRun) => evaluateChecks([{ kind, ...params }], r)[0];

const group = (over: Partial<GroupView> = {}): GroupView => ({
  name: 'billing',
  type: 'consumer',
  topic: 'orders',
  members: [{ id: 'billing-1', assigned: ['orders[0]'], idle: false, received: 10, holding: 0 }],
  partitions: [{ partition: 0, committed: 10, endOffset: 12, lag: 2 }],
  lag: 2,
  delivered: 10,
  redelivered: 0,
  orderBreaks: 0,
  acked: 10,
  inFlight: 0,
  archived: 0,
  lockMs: 500,
  batchSize: 5,
  ...over,
});

const cluster = (over: Partial<ClusterView> = {}, down: number[] = []): ClusterView => ({
  spec: { brokers: 3, replicationFactor: 3, minInsyncReplicas: 2, acks: 'all', uncleanLeaderElection: false, replicaLagTicks: 5 },
  backlog: 0,
  brokers: [1, 2, 3].map((id) => ({ id, up: !down.includes(id) })),
  partitions: [],
  acknowledged: 40,
  refusedWrites: 0,
  lostRecords: 0,
  ...over,
});

describe('check kinds', () => {
  it("lag-below: judged from `within` seconds on, for the pipeline's group or a named one", () => {
    const lagging = (lag: number) => snap(0, { partitions: [{ topic: 'orders', partition: 0, endOffset: lag, committed: 0, lag, owner: null }] });
    const r = run([
      { ...lagging(500), tick: 5, time: T0 + 500 },
      { ...lagging(30), tick: 30, time: T0 + 3000 },
      { ...lagging(8), tick: 40, time: T0 + 4000 },
    ]);
    expect(one('lag-below', { max: 10, within: 4 }, r)).toMatchObject({ pass: true });
    const late = one('lag-below', { max: 10, within: 3 }, r);
    expect(late).toMatchObject({ pass: false });
    expect(late.reason).toContain('30 events at 3 s');
    expect(one('lag-below', { max: 10, within: 9 }, r).reason).toContain('Let it run longer');
    const g = run([snap(50, { groups: [group({ lag: 70 })] })]);
    expect(one('lag-below', { max: 10, within: 1, group: 'billing' }, g).reason).toContain('group billing was 70 events');
    expect(one('lag-below', { max: 10, within: 1, group: 'nope' }, g).reason).toContain('no consumer group "nope"');
  });

  it("no-late-events: fails on a window node's late events, and before any result", () => {
    const results = { out: [{ key: 'a@1' }, { key: 'b@1' }] };
    expect(one('no-late-events', { node: 'w', topic: 'out', min: 2 }, run([snap(9, { nodes: { w: { in: 9, out: 2, errors: 0 } } })], results)).pass).toBe(true);
    const late = one('no-late-events', { node: 'w', topic: 'out' }, run([snap(9, { nodes: { w: { in: 9, out: 2, errors: 3 } } })], results));
    expect(late.pass).toBe(false);
    expect(late.reason).toMatch(/^3 events reached w after their windows had closed/);
    expect(
      one('no-late-events', { node: 'w', topic: 'out', min: 3 }, run([snap(9, { nodes: { w: { in: 9, out: 2, errors: 0 } } })], results)).reason,
    ).toContain('only 2 results');
  });

  it('per-key-counts: the latest result per key, grouped by the key before @', () => {
    const topic = {
      out: [
        { key: '10@8', value: { count: 1 } },
        { key: '10@8', value: { count: 2 } },
        { key: '11@8', value: { count: 1 } },
        { key: '10@9', value: { count: 2 } },
      ],
    };
    expect(one('per-key-counts', { topic: 'out', expect: { '10': 2, '11': 1 } }, run([snap(1)], topic)).pass).toBe(true);
    expect(one('per-key-counts', { topic: 'out', expect: { '10': 2, '11': 2 } }, run([snap(1)], topic)).reason).toBe(
      'A result for key "11" on out has count 1; every one should have 2.',
    );
    expect(one('per-key-counts', { topic: 'out', expect: { '10': 2 } }, run([snap(1)], topic)).reason).toContain('should not be there: 11');
    expect(one('per-key-counts', { topic: 'out', expect: { '12': 2 } }, run([snap(1)], topic)).reason).toBe(
      'No result for key "12" on out; its results are keyed 10 and 11.',
    );
  });

  it('key-in-one-partition: a field value in two partitions fails', () => {
    const ok = {
      t: [
        { partition: 1, value: { c: 'x' } },
        { partition: 1, value: { c: 'x' } },
        { partition: 2, value: { c: 'y' } },
      ],
    };
    expect(one('key-in-one-partition', { topic: 't', field: 'c' }, run([snap(1)], ok)).pass).toBe(true);
    const spread = { t: [...ok.t, { partition: 4, value: { c: 'x' } }] };
    expect(one('key-in-one-partition', { topic: 't', field: 'c' }, run([snap(1)], spread)).reason).toContain('c "x" are spread over partitions 1 and 4 of t');
    expect(one('key-in-one-partition', { topic: 't', field: 'c' }, run([snap(1)])).reason).toContain('Nothing has reached t');
  });

  it("members, no-idle-member and member-idle, for the pipeline's group and a named one", () => {
    const idle = snap(1, {
      members: [
        { id: 'replica-001', assigned: ['orders[0]'], idle: false, processed: 1, restored: 0 },
        { id: 'replica-002', assigned: [], idle: true, processed: 0, restored: 0 },
      ],
    });
    expect(one('no-idle-member', {}, run([idle])).reason).toMatch(/^replica-002 is idle/);
    expect(one('member-idle', {}, run([idle])).pass).toBe(true);
    expect(one('no-idle-member', {}, run([snap(1)])).pass).toBe(true);
    expect(one('member-idle', {}, run([snap(1)])).pass).toBe(false);
    expect(one('members', { min: 3 }, run([idle])).reason).toBe('Your group has 2 members; it needs at least 3.');
    expect(one('members', { max: 1 }, run([idle])).pass).toBe(false);
    const g = run([snap(1, { groups: [group({ members: [...group().members, { id: 'billing-2', assigned: [], idle: true, received: 0, holding: 0 }] })] })]);
    expect(one('member-idle', { group: 'billing' }, g).reason).toContain('billing-2 is idle');
    expect(one('no-idle-member', { group: 'billing' }, g).pass).toBe(false);
  });

  it('no-double-counts: needs a replay, then fails on a result written twice', () => {
    const twice = { out: [{ value: { from: 'a/0/1' } }, { value: { from: 'a/0/2' } }, { value: { from: 'a/0/1' } }] };
    expect(one('no-double-counts', { topic: 'out', id: 'from' }, run([snap(1)], twice)).reason).toContain('No crash has replayed events yet');
    const r = one('no-double-counts', { topic: 'out', id: 'from' }, run([snap(1, { replayed: 2 })], twice));
    expect(r.reason).toContain('1 result on out was written more than once (e.g. from "a/0/1")');
    expect(one('no-double-counts', { topic: 'out', id: 'from' }, run([snap(1, { replayed: 2 })], { out: twice.out.slice(0, 2) })).pass).toBe(true);
  });

  it('all-malformed-dead-lettered: every processed event failing the schema is a dead letter', () => {
    const orders = [{ value: { amount: 5 } }, { value: { amount: 'x' } }, { value: { amount: 'y' } }];
    const dl = (offset: number) => ({
      headers: { 'pipewright.source.topic': 'orders', 'pipewright.source.partition': '0', 'pipewright.source.offset': String(offset) },
    });
    const params = { topic: 'orders', schema: { type: 'object', properties: { amount: { type: 'number' } } } };
    const both = run([snap(1)], { orders, 'p.dead-letter': [dl(1), dl(2)] });
    expect(one('all-malformed-dead-lettered', params, both).pass).toBe(true);
    const missing = one('all-malformed-dead-lettered', params, run([snap(1)], { orders, 'p.dead-letter': [dl(1)] }));
    expect(missing.reason).toMatch(/^1 of 2 malformed events of orders is not in the dead-letter topic \(first: orders\[0\] offset 2/);
    // Events past the committed offset are not judged yet.
    const unprocessed = snap(1, { partitions: [{ topic: 'orders', partition: 0, endOffset: 3, committed: 1, lag: 2, owner: null }] });
    expect(one('all-malformed-dead-lettered', params, run([unprocessed], { orders })).reason).toContain('No malformed event');
  });

  it("group-unaffected: after a rebalance of the pipeline's group, the other group keeps up", () => {
    const before = snap(1, { generation: 1, groups: [group()] });
    expect(one('group-unaffected', { group: 'billing', maxLag: 5 }, run([before, snap(9, { generation: 1, groups: [group()] })])).reason).toContain(
      'Nothing has happened',
    );
    expect(one('group-unaffected', { group: 'billing', maxLag: 5 }, run([before, snap(9, { generation: 2, groups: [group()] })])).pass).toBe(true);
    expect(one('group-unaffected', { group: 'billing', maxLag: 5 }, run([before, snap(9, { generation: 2, groups: [group({ lag: 40 })] })])).reason).toContain(
      '40 records behind',
    );
    expect(
      one('group-unaffected', { group: 'billing', maxLag: 5 }, run([before, snap(9, { generation: 2, groups: [group({ redelivered: 3 })] })])).reason,
    ).toContain('3 records delivered again');
  });

  it('no-data-lost: a broker went down and every acknowledged write survived', () => {
    expect(one('no-data-lost', {}, run([snap(1)])).reason).toContain('single broker');
    expect(one('no-data-lost', {}, run([snap(1, { cluster: cluster() })])).reason).toContain('No broker has failed');
    const lost = run([snap(1, { cluster: cluster({}, [2]) }), snap(9, { cluster: cluster({ lostRecords: 4 }, [2]) })]);
    expect(one('no-data-lost', {}, lost).reason).toMatch(/^4 acknowledged records are no longer in the log: broker 2 went down/);
    const kept = run([snap(1, { cluster: cluster({}, [2]) }), snap(9, { cluster: cluster({ refusedWrites: 3 }) })]);
    expect(one('no-data-lost', {}, kept)).toMatchObject({ pass: true });
  });

  it('every kind has a summary and a parameter schema; an unknown kind fails by name', () => {
    for (const k of CHECK_KINDS) {
      expect(k.summary.length).toBeGreaterThan(20);
      expect(k.params.type).toBe('object');
    }
    expect(evaluateChecks([{ kind: 'nope' }], run([snap(1)]))[0]).toEqual({ kind: 'nope', pass: false, reason: 'Unknown check "nope".' });
  });
});
