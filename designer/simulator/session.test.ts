import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../codegen/parse.js';
import { simulationPlan } from '../../codegen/simulate.js';
import { Script } from '../../codegen/exercise-actions.js';
import { checkSession } from './check-run.js';
import { edgeKey, SimSession } from './session.js';

const pipeline = parsePipeline(readFileSync(new URL('../../examples/large-orders/pipeline.yaml', import.meta.url), 'utf8')).pipeline!;

describe('SimSession with a table', () => {
  const tables = parsePipeline(readFileSync(new URL('../../examples/customer-orders/pipeline.yaml', import.meta.url), 'utf8')).pipeline!;

  it('shows a table delete on the edges it crosses, as a tombstone on the sink topic, and says what it did', async () => {
    const s = new SimSession(simulationPlan(tables), { seed: 1, replicas: 1, rate: 1, batchSize: 10 });
    // The customers' samples delete c-1 fourth: one event a tick.
    for (let i = 0; i < 5; i++) await s.step();
    const v = s.view();
    for (const edge of [edgeKey('customers', 'out'), edgeKey('directory', 'out')]) {
      const deletes = v.edges[edge].last.filter((e) => e.deleted);
      expect(deletes, edge).toEqual([expect.objectContaining({ key: 'c-1', value: 'null', deleted: true })]);
      expect(v.edges[edge].last.filter((e) => !e.deleted).every((e) => e.value !== 'null')).toBe(true);
    }
    const directory = s.sim.log.messages('customers.directory').filter((m) => m.key === 'c-1');
    expect(directory.map((m) => m.value === null)).toEqual([false, true]);
    expect(v.notes.filter((n) => n.kind === 'table-delete').map((n) => n.text)).toEqual([expect.stringContaining('customers deleted 1 row (last: c-1)')]);
  });
});

describe('SimSession', () => {
  it('counts the events on every edge and keeps the last few with key, partition and offset', async () => {
    const s = new SimSession(simulationPlan(pipeline), { seed: 1, replicas: 2, rate: 3, batchSize: 10 });
    for (let i = 0; i < 4; i++) await s.step();
    const v = s.view();
    // Three samples a tick, two of them of 100 or more: the filter passes 2 of every 3.
    expect(v.edges[edgeKey('orders', 'out')].count).toBe(12);
    expect(v.edges[edgeKey('large', 'out')].count).toBe(8);
    expect(v.edges[edgeKey('with-tax', 'out')].count).toBe(8);
    expect(v.edges[edgeKey('large', 'out')].rate).toBeCloseTo(20, 5); // 2 per 100 ms tick
    const last = v.edges[edgeKey('with-tax', 'out')].last;
    expect(last).toHaveLength(5);
    expect(last[0]).toMatchObject({ topic: 'orders', key: expect.stringMatching(/^c-/) });
    expect(last[0].value).toContain('"total"');
    expect(v.nodes.orders.spark.at(-1)).toBe(3);
  });

  it('shows which key went to which partition and the lanes of every topic', async () => {
    const s = new SimSession(simulationPlan(pipeline), { seed: 1, replicas: 1, rate: 3, batchSize: 10 });
    await s.step();
    const orders = s.view().topics.find((t) => t.name === 'orders')!;
    expect(orders.role).toBe('source');
    expect(orders.partitions).toHaveLength(6);
    expect(orders.partitions.reduce((n, p) => n + p.endOffset, 0)).toBe(3);
    const byKey = Object.fromEntries(orders.keys.map((k) => [k.key, k.partition]));
    for (const k of ['c-1', 'c-2']) expect(orders.partitions[byKey[k]].recentKeys).toContain(k);
    expect(s.view().topics.map((t) => t.role)).toEqual(['source', 'sink', 'dead-letter']);
  });

  it('records lag per partition over time and the replay after a crash', async () => {
    const s = new SimSession(simulationPlan(pipeline), { seed: 1, replicas: 2, rate: 30, batchSize: 1 });
    for (let i = 0; i < 5; i++) await s.step();
    const before = s.view();
    expect(Object.keys(before.lag.series)).toHaveLength(6);
    expect(before.lag.ticks).toEqual([0, 1, 2, 3, 4, 5]);
    const total = (i: number) => Object.values(before.lag.series).reduce((n, xs) => n + xs[i], 0);
    expect(total(5)).toBeGreaterThan(total(1));
    s.killReplica();
    await s.step();
    const after = s.view();
    expect(after.members).toHaveLength(1);
    expect(after.members[0].assigned).toHaveLength(6);
    expect(after.replayed).toBeGreaterThan(0);
    expect(after.notes.some((n) => n.kind === 'replay')).toBe(true);
  });
});

describe('SimSession windows', () => {
  it('shows watermarks, open windows, windows closing and their results from the changelog', async () => {
    const hourly = parsePipeline(readFileSync(new URL('../../examples/hourly-orders/pipeline.yaml', import.meta.url), 'utf8')).pipeline!;
    const s = new SimSession(simulationPlan(hourly), { seed: 1, replicas: 2, rate: 1, batchSize: 10 });
    // Three ticks for the first loop of samples, one more for the hop through the repartition topic.
    for (let i = 0; i < 4; i++) await s.step();
    let w = s.view().windows[0];
    expect(w.node).toBe('hourly');
    expect(w.describe).toBe('tumbling 1h, grace 10m');
    // The first loop of samples (08:05, 08:40, 08:45): the 08:00 windows of products 10 and 11 are open.
    expect(w.open.map((o) => [o.key, new Date(o.start).toISOString(), o.count])).toEqual([
      ['10', '2024-01-01T08:00:00.000Z', 2],
      ['11', '2024-01-01T08:00:00.000Z', 1],
    ]);
    expect(w.watermarks.some((p) => p.watermark === Date.UTC(2024, 0, 1, 8, 40) || p.watermark === Date.UTC(2024, 0, 1, 8, 45))).toBe(true);
    expect(w.closed).toBe(0);
    expect(s.view().topics.find((t) => t.name.endsWith('.hourly.changelog'))?.role).toBe('internal');
    // The second loop moves the times on by an hour: 09:25, 10:00, ... and the 08:00 windows close.
    for (let i = 0; i < 6; i++) await s.step();
    w = s.view().windows[0];
    expect(w.closed).toBeGreaterThan(0);
    expect(w.lastClosed.map((e) => e.value).join(' ')).toContain('"windowStart":"2024-01-01T08:00:00.000Z"');
    expect(s.view().notes.some((n) => n.kind === 'window-closed')).toBe(true);
  });
});

describe('SimSession stepOne', () => {
  it('follows one event through a repartition topic to the window', async () => {
    const hourly = parsePipeline(readFileSync(new URL('../../examples/hourly-orders/pipeline.yaml', import.meta.url), 'utf8')).pipeline!;
    const s = new SimSession(simulationPlan(hourly), { seed: 1, replicas: 2, rate: 1, batchSize: 10 });
    await s.stepOne();
    const v = s.view();
    expect(v.produced).toBe(1);
    // (select-key counts the event twice: once re-keyed, once read back from its repartition topic.)
    expect([v.nodes.orders.in, v.nodes['by-product'].in, v.nodes.hourly.in]).toEqual([1, 2, 1]);
    expect(v.windows[0].open).toHaveLength(1);
  });
});

describe('SimSession aggregates and emit: changes', () => {
  it('notes updated results, not closed windows, for an aggregate and a window that emits changes', async () => {
    for (const [example, node] of [
      ['word-count-table', 'counts'],
      ['hourly-orders-changes', 'hourly'],
    ] as const) {
      const p = parsePipeline(readFileSync(new URL(`../../examples/${example}/pipeline.yaml`, import.meta.url), 'utf8')).pipeline!;
      const s = new SimSession(simulationPlan(p), { seed: 1, replicas: 2, rate: 1, batchSize: 10 });
      for (let i = 0; i < 4; i++) await s.step();
      const notes = s.view().notes;
      expect(
        notes.some((n) => n.kind === 'updated' && n.text.startsWith(`${node} emitted`)),
        example,
      ).toBe(true);
      expect(
        notes.some((n) => n.kind === 'window-closed'),
        example,
      ).toBe(false);
      expect(s.view().edges[edgeKey(node, 'out')].count, example).toBeGreaterThan(0);
    }
  });
});

describe('SimSession in an exercise', () => {
  it('applies its script as simulated time passes, and checks the whole run once it has lasted long enough', async () => {
    const s = new SimSession(simulationPlan(pipeline), { seed: 1, replicas: 2, rate: 5, batchSize: 10 }, {}, new Script([{ at: 1, do: 'kill-replica' }]));
    const checks = [
      { kind: 'no-double-counts', topic: 'large-orders', id: 'orderId' },
      { kind: 'members', max: 1 },
    ];
    // Before the kill at 1 s: two members, nothing replayed.
    const early = await checkSession(s, checks, 0.5);
    expect(s.view().members).toHaveLength(2);
    expect(early[0].reason).toBe('No crash has replayed events yet: kill a replica while events flow, then check again.');
    const results = await checkSession(s, checks, 2);
    expect(s.view().replayed).toBeGreaterThan(0);
    expect(s.sim.now - Date.UTC(2024, 0, 1)).toBe(2000);
    // The replica died at 1 s, its uncommitted batch was replayed, and at-least-once wrote it twice.
    expect(s.view().members).toHaveLength(1);
    expect(results.map((r) => r.pass)).toEqual([false, true]);
    expect(results[0].reason).toContain('written more than once');
  });
});
