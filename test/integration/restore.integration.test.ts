// Restoring window state from a changelog on the real broker (test/global-setup.ts), with the
// runtime's own restorer (runtime/transports/restore.ts): 60,000 open windows written to a
// compacted changelog partition are applied as they arrive and the windows close with the
// restored counts; a replica that kept its state reads only the records written after it; its
// own acknowledged writes move its state's position, so it reads none of them back; and
// /metrics counts the records restored.
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type NodeSpec } from '../../runtime/engine/graph.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { Metrics } from '../../runtime/service/metrics.js';
import { sendAll, type Logger } from '../../runtime/transports/kafka.js';
import { ChangelogRestorer } from '../../runtime/transports/restore.js';
import type { RawMessage } from '../../runtime/types.js';
import { brokers } from './process.js';

const HOUR = 3_600_000;
const T = Date.UTC(2024, 0, 1, 8);
const KEYS = 60_000;

describe('restoring window state from a changelog on a real broker', () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `restore-it-${runId}`;
  const changelog = `${pipeline}.w.changelog`;
  const nodes: NodeSpec[] = [
    { id: 'src', kind: 'kafka-source', params: { topic: `${pipeline}-in` }, inputs: [] },
    { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
    { id: 'sink', kind: 'kafka-sink', params: { topic: `${pipeline}-out` }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
  ];
  const spec = { pipeline, nodes, errors: { policy: 'dead-letter' as const, topic: `${pipeline}.dead-letter` } };
  const lines: string[] = [];
  const log: Logger = {
    info: (msg, f) => lines.push(`${msg} ${JSON.stringify(f)}`),
    warn: (msg, f) => lines.push(`${msg} ${JSON.stringify(f)}`),
    error: (msg, f) => lines.push(`${msg} ${JSON.stringify(f)}`),
    debug: () => {},
  };
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const restorers: ChangelogRestorer[] = [];

  /** A window record as the window's store writes it: `n` events of `key` in the 08:00 window. */
  const windowRecord = (key: string, n: number) => ({ key: `w\u0000${key}\u0000${T}`, value: JSON.stringify({ k: key, s: T, e: T + HOUR, n }), partition: 0 });

  async function replica() {
    const graph = new Graph(spec, {}, { live: true });
    const metrics = new Metrics();
    const config = configFromEnv({ KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline, RESTORE_STALL_TIMEOUT_MS: '60000' }, { pipeline });
    const restorer = new ChangelogRestorer(kafka, admin, config, graph, metrics, log, [changelog]);
    restorers.push(restorer);
    await restorer.start();
    return { graph, metrics, restorer, restore: () => restorer.restore(`${pipeline}-in`, 0) };
  }

  /** One event at 09:00 closes the 08:00 windows: their counts, by key. */
  async function closeWindows(graph: Graph): Promise<Map<string, number>> {
    const rec: RawMessage = {
      key: 'tick',
      value: '{}',
      timestamp: T + HOUR,
      headers: {},
      origin: { topic: `${pipeline}-in`, partition: 0, offset: '1000000' },
    };
    const result = await graph.process(`${pipeline}-in`, [rec]);
    return new Map(result.messages.map((m) => [String(m.key).split('@')[0], (JSON.parse(String(m.value)) as { count: number }).count]));
  }

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-restore-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: changelog, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const records = Array.from({ length: KEYS }, (_, i) => windowRecord(`k${i}`, 1 + (i % 5)));
    for (let i = 0; i < records.length; i += 5000) await producer.send({ topic: changelog, acks: -1, messages: records.slice(i, i + 5000) });
  });

  afterAll(async () => {
    for (const r of restorers) await r.stop().catch(() => {});
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [changelog] }).catch(() => {});
    await admin?.disconnect();
  });

  it('applies a changelog partition as it arrives, then reads only what was written after its state', async () => {
    const a = await replica();
    expect(await a.restore()).toBe(KEYS);
    expect(a.metrics.restoredRecords).toBe(KEYS);
    expect(a.metrics.render(a.graph.stats, pipeline)).toMatch(new RegExp(`pipewright_restored_records_total\\{pipeline="${pipeline}"\\} ${KEYS}\\n`));
    expect(lines.some((l) => l.startsWith('restored state') && l.includes(`"records":${KEYS}`))).toBe(true);

    // Another replica writes 10 records (5 new keys, 5 updates); a, which kept its state, reads just those.
    await producer.send({
      topic: changelog,
      acks: -1,
      messages: [...Array.from({ length: 5 }, (_, i) => windowRecord(`new${i}`, 7)), ...Array.from({ length: 5 }, (_, i) => windowRecord(`k${i}`, 100))],
    });
    expect(await a.restore()).toBe(10);

    // a's own acknowledged writes are in its state already: it reads none of them back.
    const own = await a.graph.process(`${pipeline}-in`, [
      { key: 'k7', value: '{}', timestamp: T + 1, headers: {}, origin: { topic: `${pipeline}-in`, partition: 0, offset: '0' } },
    ]);
    for (const p of await sendAll(producer, own.changelog)) a.graph.changelogWritten(p.topic, p.partition, p.base, p.count);
    expect(own.changelog.length).toBeGreaterThan(0);
    expect(await a.restore()).toBe(0);

    // A new replica restores everything, and both close the same windows with the same counts.
    const b = await replica();
    const total = await b.restore();
    expect(total).toBeGreaterThanOrEqual(KEYS + 10);
    const [fromA, fromB] = [await closeWindows(a.graph), await closeWindows(b.graph)];
    expect(fromA.size).toBe(KEYS + 5);
    expect(fromB).toEqual(fromA);
    expect(fromA.get('k0')).toBe(100);
    expect(fromA.get('k7')).toBe(1 + (7 % 5) + 1);
    expect(fromA.get('k12')).toBe(1 + (12 % 5));
    expect(fromA.get('new3')).toBe(7);
  }, 240_000);
});
