/**
 * Tables on the in-memory log: a tombstone deletes a row and flows on as a
 * delete (through filter and map to a tombstone on a Kafka sink), a delete
 * reaches a stream–table join, a table–table join re-emits on updates and
 * deletes, and a new owner restores a table from its own topic up to the
 * group's committed offset.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type GraphFns, type NodeSpec } from '../engine/graph.js';
import { MemoryLog, drain } from '../transports/memory.js';
import { DEAD_LETTER_HEADERS } from '../types.js';

const T = Date.UTC(2024, 0, 1, 8, 0);
type Event = { key: string | null; value: unknown; t?: number };

function setup(nodes: NodeSpec[], fns: GraphFns, topics: Record<string, number>) {
  const spec = { pipeline: 'p', errors: { policy: 'dead-letter' as const, topic: 'p.dead-letter' }, nodes };
  const log = new MemoryLog();
  for (const [t, n] of Object.entries(topics)) log.createTopic(t, n);
  log.createTopic('p.dead-letter', 1);
  let t = T;
  return {
    log,
    graph: () => new Graph(spec, fns),
    /** A null value is a tombstone; events get increasing times unless they say. */
    send: (topic: string, events: Event[]) =>
      log.produce(
        events.map((e) => ({ topic, key: e.key, value: e.value === null ? null : JSON.stringify(e.value), headers: {}, timestamp: e.t ?? (t += 1000) })),
      ),
    out: (topic = 'out') => log.messages(topic).map((m) => ({ key: m.key, value: m.value === null ? null : JSON.parse(String(m.value)) })),
    dead: () => log.messages('p.dead-letter').map((m) => m.headers[DEAD_LETTER_HEADERS.error]),
    run: (g: Graph) => drain(g, log, 'p', 500, { timeOrder: true }),
  };
}

const tableNode = (id: string, topic: string): NodeSpec => ({ id, kind: 'table', params: { topic }, inputs: [] });
const streamNode = (id: string, topic: string): NodeSpec => ({ id, kind: 'kafka-source', params: { topic }, inputs: [] });
const sink = (from: string, topic = 'out'): NodeSpec => ({
  id: `sink-${topic}`,
  kind: 'kafka-sink',
  params: { topic },
  inputs: [{ port: 'in', from, fromPort: 'out' }],
});
const joinNode = (how: 'left' | 'inner', left = 'orders', right = 'customers'): NodeSpec => ({
  id: 'j',
  kind: 'join',
  params: { as: 'customer', how },
  inputs: [
    { port: 'in', from: left, fromPort: 'out' },
    { port: 'other', from: right, fromPort: 'out' },
  ],
});

/** Latest value per key, as a compacted topic ends up; a tombstone removes the key. */
function compacted(rows: { key: string | null; value: unknown }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    if (r.value === null) delete out[String(r.key)];
    else out[String(r.key)] = r.value;
  }
  return out;
}

describe('table', () => {
  it('keeps the latest row per key, and a tombstone deletes the row and goes on through filter and map as a tombstone', async () => {
    const nodes: NodeSpec[] = [
      tableNode('customers', 'customers'),
      { id: 'gold', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'customers', fromPort: 'out' }] },
      { id: 'names', kind: 'map', params: {}, inputs: [{ port: 'in', from: 'gold', fromPort: 'out' }] },
      sink('names'),
    ];
    const fns: GraphFns = {
      gold: { where: (v: { tier: string }) => v.tier === 'gold' },
      names: { to: (v: { name: string }) => ({ name: v.name.toUpperCase() }) },
    };
    const s = setup(nodes, fns, { customers: 3, out: 3 });
    s.send('customers', [
      { key: 'c-1', value: { name: 'Ada', tier: 'gold' } },
      { key: 'c-2', value: { name: 'Grace', tier: 'gold' } },
      { key: 'c-3', value: { name: 'Alan', tier: 'basic' } },
      { key: 'c-1', value: { name: 'Ada L.', tier: 'gold' } },
      { key: 'c-2', value: null },
    ]);
    const g = s.graph();
    await s.run(g);
    const out = s.out();
    // The delete is passed by key (the map's expression never sees it) and written as a tombstone.
    expect(out.filter((r) => r.key === 'c-2')).toEqual([
      { key: 'c-2', value: { name: 'GRACE' } },
      { key: 'c-2', value: null },
    ]);
    expect(compacted(out)).toEqual({ 'c-1': { name: 'ADA L.' } });
    expect(s.dead()).toEqual([]);
  });

  it('a filter turns a row that stops matching into a delete, as a KTable filter does', async () => {
    const nodes: NodeSpec[] = [
      tableNode('customers', 'customers'),
      { id: 'gold', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'customers', fromPort: 'out' }] },
      sink('gold'),
    ];
    const s = setup(nodes, { gold: { where: (v: { tier: string }) => v.tier === 'gold' } }, { customers: 1, out: 1 });
    s.send('customers', [
      { key: 'c-1', value: { tier: 'gold' } },
      { key: 'c-1', value: { tier: 'basic' } },
      { key: 'c-1', value: { tier: 'gold' } },
    ]);
    await s.run(s.graph());
    expect(s.out()).toEqual([
      { key: 'c-1', value: { tier: 'gold' } },
      { key: 'c-1', value: null },
      { key: 'c-1', value: { tier: 'gold' } },
    ]);
  });

  it('sends a row without a key, or one that does not decode, to the dead-letter topic and keeps going', async () => {
    const s = setup([tableNode('customers', 'customers'), sink('customers')], {}, { customers: 1, out: 1 });
    s.log.produce([
      { topic: 'customers', key: null, value: '{"name":"nobody"}', headers: {} },
      { topic: 'customers', key: 'c-1', value: '{not json', headers: {} },
      { topic: 'customers', key: 'c-2', value: '{"name":"Grace"}', headers: {} },
    ]);
    await s.run(s.graph());
    expect(s.out()).toEqual([{ key: 'c-2', value: { name: 'Grace' } }]);
    expect(s.dead()).toHaveLength(2);
    expect(s.dead()[0]).toContain('needs a key');
  });
});

describe('stream–table join', () => {
  const nodes = (how: 'left' | 'inner') => [streamNode('orders', 'orders'), tableNode('customers', 'customers'), joinNode(how), sink('j')];

  it('a delete removes the row: later orders of that customer miss it (left: null), earlier ones keep it', async () => {
    const s = setup(nodes('left'), {}, { orders: 3, customers: 3, out: 3 });
    s.send('customers', [{ key: 'c-1', value: { name: 'Ada' } }]);
    s.send('orders', [{ key: 'c-1', value: { orderId: 1 } }]);
    s.send('customers', [{ key: 'c-1', value: { name: 'Ada L.' } }]);
    s.send('orders', [{ key: 'c-1', value: { orderId: 2 } }]);
    s.send('customers', [{ key: 'c-1', value: null }]);
    s.send('orders', [{ key: 'c-1', value: { orderId: 3 } }]);
    await s.run(s.graph());
    expect(s.out()).toEqual([
      { key: 'c-1', value: { orderId: 1, customer: { name: 'Ada' } } },
      { key: 'c-1', value: { orderId: 2, customer: { name: 'Ada L.' } } },
      { key: 'c-1', value: { orderId: 3, customer: null } },
    ]);
    expect(s.dead()).toEqual([]);
  });

  it('an inner join drops the orders of a deleted customer, and joins them again once the row is back', async () => {
    const s = setup(nodes('inner'), {}, { orders: 3, customers: 3, out: 3 });
    s.send('customers', [{ key: 'c-1', value: { name: 'Ada' } }]);
    s.send('orders', [{ key: 'c-1', value: { orderId: 1 } }]);
    s.send('customers', [{ key: 'c-1', value: null }]);
    s.send('orders', [{ key: 'c-1', value: { orderId: 2 } }]);
    s.send('customers', [{ key: 'c-1', value: { name: 'Ada again' } }]);
    s.send('orders', [{ key: 'c-1', value: { orderId: 3 } }]);
    await s.run(s.graph());
    expect(s.out()).toEqual([
      { key: 'c-1', value: { orderId: 1, customer: { name: 'Ada' } } },
      { key: 'c-1', value: { orderId: 3, customer: { name: 'Ada again' } } },
    ]);
  });

  it('a new owner restores the table from its own topic up to the committed offset, and reads on from there', async () => {
    const s = setup(nodes('left'), {}, { orders: 2, customers: 2, out: 2 });
    s.send('customers', [
      { key: 'c-1', value: { name: 'Ada' } },
      { key: 'c-2', value: { name: 'Grace' } },
      { key: 'c-2', value: null },
      { key: 'c-3', value: { name: 'Alan' } },
    ]);
    await s.run(s.graph());
    // The first owner is gone; what it committed is the table's rows for the next one.
    const before = s.log.messages('customers').length;
    s.send('customers', [{ key: 'c-1', value: { name: 'Ada L.' } }]);
    s.send('orders', [
      { key: 'c-1', value: { orderId: 1 } },
      { key: 'c-2', value: { orderId: 2 } },
      { key: 'c-3', value: { orderId: 3 } },
    ]);
    const next = s.graph();
    await s.run(next);
    // Kafka keeps order per key, not across partitions.
    expect(s.out().sort((a, b) => String(a.key).localeCompare(String(b.key)))).toEqual([
      { key: 'c-1', value: { orderId: 1, customer: { name: 'Ada L.' } } },
      { key: 'c-2', value: { orderId: 2, customer: null } },
      { key: 'c-3', value: { orderId: 3, customer: { name: 'Alan' } } },
    ]);
    // Nothing besides the table's own topic holds its rows.
    expect(next.changelogTopics).toEqual(['customers']);
    expect(s.log.messages('customers')).toHaveLength(before + 1);
  });
});

describe('table–table join', () => {
  const nodes = (how: 'left' | 'inner') => [tableNode('orders', 'orders'), tableNode('customers', 'customers'), joinNode(how), sink('j')];

  it('inner: updates on either side re-emit the joined row; a delete on either side deletes it', async () => {
    const s = setup(nodes('inner'), {}, { orders: 3, customers: 3, out: 3 });
    s.send('orders', [{ key: 'k', value: { total: 1 } }]); // no customer yet: nothing
    s.send('customers', [{ key: 'k', value: { name: 'Ada' } }]);
    s.send('orders', [{ key: 'k', value: { total: 2 } }]);
    s.send('customers', [{ key: 'k', value: { name: 'Ada L.' } }]);
    s.send('customers', [{ key: 'k', value: null }]);
    s.send('customers', [{ key: 'k', value: { name: 'Ada' } }]);
    s.send('orders', [{ key: 'k', value: null }]);
    await s.run(s.graph());
    expect(s.out()).toEqual([
      { key: 'k', value: { total: 1, customer: { name: 'Ada' } } },
      { key: 'k', value: { total: 2, customer: { name: 'Ada' } } },
      { key: 'k', value: { total: 2, customer: { name: 'Ada L.' } } },
      { key: 'k', value: null },
      { key: 'k', value: { total: 2, customer: { name: 'Ada' } } },
      { key: 'k', value: null },
    ]);
  });

  it('left: a missing or deleted right row gives null; a delete on the left deletes the joined row', async () => {
    const s = setup(nodes('left'), {}, { orders: 3, customers: 3, out: 3 });
    s.send('customers', [{ key: 'k', value: { name: 'Ada' } }]); // no left row: nothing
    s.send('orders', [{ key: 'j', value: { total: 9 } }]);
    s.send('orders', [{ key: 'k', value: { total: 1 } }]);
    s.send('customers', [{ key: 'k', value: null }]);
    s.send('orders', [{ key: 'k', value: null }]);
    await s.run(s.graph());
    expect(s.out()).toEqual([
      { key: 'j', value: { total: 9, customer: null } },
      { key: 'k', value: { total: 1, customer: { name: 'Ada' } } },
      { key: 'k', value: { total: 1, customer: null } },
      { key: 'k', value: null },
    ]);
  });

  it('after a rebalance the new owner joins updates against both tables restored from their topics', async () => {
    const s = setup(nodes('inner'), {}, { orders: 2, customers: 2, out: 2 });
    s.send('orders', [
      { key: 'a', value: { total: 1 } },
      { key: 'b', value: { total: 2 } },
    ]);
    s.send('customers', [
      { key: 'a', value: { name: 'Ada' } },
      { key: 'b', value: { name: 'Bob' } },
      { key: 'b', value: null },
    ]);
    await s.run(s.graph());
    const seen = s.out().length;
    s.send('customers', [
      { key: 'a', value: { name: 'Ada L.' } },
      { key: 'b', value: { name: 'Bob again' } },
    ]);
    await s.run(s.graph());
    expect(
      s
        .out()
        .slice(seen)
        .sort((x, y) => String(x.key).localeCompare(String(y.key))),
    ).toEqual([
      { key: 'a', value: { total: 1, customer: { name: 'Ada L.' } } },
      { key: 'b', value: { total: 2, customer: { name: 'Bob again' } } },
    ]);
  });
});
