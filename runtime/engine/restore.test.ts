/**
 * Restore from the changelog on the in-memory log: a new owner reads a
 * partition's changelog from the beginning; a replica that kept the state
 * reads only what was written after the last record its state reflects; and
 * a replica whose changelog got writes it never saw reads it all again.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type NodeSpec } from './graph.js';
import { MemoryLog, drain, produceChangelog, restoreFromLog } from '../transports/memory.js';

const T = Date.UTC(2024, 0, 1, 8, 0);
const HOUR = 3_600_000;
const nodes: NodeSpec[] = [
  { id: 'src', kind: 'kafka-source', params: { topic: 'in' }, inputs: [] },
  { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
  { id: 'sink', kind: 'kafka-sink', params: { topic: 'out' }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
];
const spec = { pipeline: 'p', errors: { policy: 'dead-letter' as const, topic: 'p.dead-letter' }, nodes };
const CHANGELOG = 'p.w.changelog';

function setup() {
  const log = new MemoryLog();
  for (const t of ['in', 'out', CHANGELOG]) log.createTopic(t, 1);
  log.createTopic('p.dead-letter', 1);
  const send = (keys: string[], t: number) => log.produce(keys.map((key) => ({ topic: 'in', key, value: '{}', headers: {}, timestamp: t })));
  const counts = () => Object.fromEntries(log.messages('out').map((m) => [m.key, (JSON.parse(String(m.value)) as { count: number }).count]));
  return { log, send, counts };
}

describe('restoring state from the changelog', () => {
  it('reads the whole changelog into a new owner, and nothing into a replica that kept its state', async () => {
    const { log, send, counts } = setup();
    const a = new Graph(spec);
    send(['a', 'b', 'c', 'a'], T);
    await drain(a, log, 'p');
    const written = log.endOffset(CHANGELOG, 0);
    expect(written).toBeGreaterThan(0);

    // The same replica after a rebalance that left it the partition: its state is current.
    expect(await restoreFromLog(a, log, 'in', 0)).toBe(0);
    // A new owner reads every record.
    const b = new Graph(spec);
    expect(await restoreFromLog(b, log, 'in', 0)).toBe(written);

    // Both have the same state: the same windows close with the same counts.
    send(['a', 'b'], T + HOUR);
    await drain(b, log, 'p');
    expect(counts()).toEqual({ [`a@${new Date(T).toISOString()}`]: 2, [`b@${new Date(T).toISOString()}`]: 1, [`c@${new Date(T).toISOString()}`]: 1 });
  });

  it('reads only the records written after its state when another replica wrote meanwhile', async () => {
    const { log, send, counts } = setup();
    const a = new Graph(spec);
    send(['a', 'b'], T);
    await drain(a, log, 'p');
    const before = log.endOffset(CHANGELOG, 0);

    // Another owner (b, restored from the beginning) processes more events while a is away.
    const b = new Graph(spec);
    send(['a', 'a', 'c'], T + 1000);
    await drain(b, log, 'p-b-took-over');
    const added = log.endOffset(CHANGELOG, 0) - before;
    expect(added).toBeGreaterThan(0);

    // a gets the partition back: it reads exactly what b added.
    expect(await restoreFromLog(a, log, 'in', 0)).toBe(added);
    log.commit('p', 'in', 0, log.endOffset('in', 0));
    send(['a'], T + HOUR);
    await drain(a, log, 'p');
    const start = new Date(T).toISOString();
    // a's one event of 'a', which b restored from a's records, plus b's two.
    expect(counts()[`a@${start}`]).toBe(1 + 2);
    expect(counts()[`c@${start}`]).toBe(1);
  });

  it('reads the changelog from the beginning again when its own writes did not follow on from its state', async () => {
    const { log, send } = setup();
    const a = new Graph(spec);
    send(['a'], T);
    await drain(a, log, 'p');
    // Someone else writes to the changelog, and then a writes without having read it (a zombie owner).
    log.produce([{ topic: CHANGELOG, partition: 0, key: 'w\u0000z\u00000', value: JSON.stringify({ k: 'z', s: 0, e: HOUR, n: 1 }), headers: {} }]);
    send(['b'], T + 1);
    const result = await a.process('in', log.read('in', 0, 1));
    produceChangelog(a, log, result.changelog);
    // Its state is stale: the next catch-up reads every record, not the ones after its position.
    expect(await restoreFromLog(a, log, 'in', 0)).toBe(log.endOffset(CHANGELOG, 0));
  });
});
