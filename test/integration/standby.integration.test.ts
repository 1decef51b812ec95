// Standby replicas on the real broker (test/global-setup.ts): two replicas of a windowed pipeline
// with `standbyReplicas: 1`, each the owner of one partition and the standby of the other. The
// standby follows the other replica's changelog partition (20,000 window records, then what the
// owner writes as it processes); when the owner leaves, the standby takes its partition over and
// reads only the changelog records after its standby position, not the partition again, and the
// windows it then closes carry the counts the owner left.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type GraphSpec } from '../../runtime/engine/graph.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { Metrics } from '../../runtime/service/metrics.js';
import { createKafka, startKafkaLoop, type KafkaLoop, type Logger } from '../../runtime/transports/kafka.js';
import { brokers } from './process.js';

const HOUR = 3_600_000;
const T = Date.UTC(2024, 0, 1, 8);
const KEYS = 20_000;

describe('standby replicas on a real broker', () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `standby-it-${runId}`;
  const input = `${pipeline}-in`;
  const output = `${pipeline}-out`;
  const changelog = `${pipeline}.w.changelog`;
  const spec: GraphSpec = {
    pipeline,
    errors: { policy: 'dead-letter', topic: `${pipeline}.dead-letter` },
    standbyReplicas: 1,
    nodes: [
      { id: 'src', kind: 'kafka-source', params: { topic: input }, inputs: [] },
      { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
      { id: 'sink', kind: 'kafka-sink', params: { topic: output }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
    ],
  };
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const replicas: Replica[] = [];

  interface Replica {
    name: string;
    loop: KafkaLoop;
    graph: Graph;
    metrics: Metrics;
    lines: string[];
  }

  async function replica(name: string): Promise<Replica> {
    const lines: string[] = [];
    const keep = (msg: string, f?: object) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
    const log: Logger = { info: keep, warn: keep, error: keep, debug: () => {} };
    const config = configFromEnv({ KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline, KAFKA_CLIENT_ID: `${pipeline}-${name}` }, { pipeline });
    const graph = new Graph(spec, {}, { live: true });
    const metrics = new Metrics();
    const loop = await startKafkaLoop({
      kafka: createKafka(config, log),
      graph,
      config,
      metrics,
      log,
      fromBeginning: true,
      onFatal: (e) => keep('fatal', { error: String(e) }),
    });
    const r = { name, loop, graph, metrics, lines };
    replicas.push(r);
    return r;
  }

  async function until(what: string, check: () => boolean | Promise<boolean>, seconds = 90): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`gave up waiting: ${what}\n${replicas.map((r) => `${r.name}:\n  ${r.lines.slice(-15).join('\n  ')}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const owns = (r: Replica) => r.loop.assignment[input] ?? [];
  const changelogEnd = async (p: number) => Number((await admin.fetchTopicOffsets(changelog)).find((o) => o.partition === p)!.high);
  const outputs = async () => (await admin.fetchTopicOffsets(output)).reduce((n, o) => n + Number(o.high), 0);
  /** A window record as the window's store writes it: `n` events of `key` in the 08:00 window. */
  const windowRecord = (partition: number, key: string, n: number) => ({
    key: `w\u0000${key}\u0000${T}`,
    value: JSON.stringify({ k: key, s: T, e: T + HOUR, n }),
    partition,
  });

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-standby-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: input, numPartitions: 2 },
        { topic: output, numPartitions: 2 },
        { topic: `${pipeline}.dead-letter`, numPartitions: 1 },
        { topic: changelog, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // State the pipeline had before: KEYS open windows in each partition.
    for (let p = 0; p < 2; p++) {
      const records = Array.from({ length: KEYS }, (_, i) => windowRecord(p, `p${p}-k${i}`, 1 + (i % 5)));
      for (let i = 0; i < records.length; i += 5000) await producer.send({ topic: changelog, acks: -1, messages: records.slice(i, i + 5000) });
    }
  });

  afterAll(async () => {
    for (const r of replicas) await r.loop.stop().catch(() => {});
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [input, output, changelog, `${pipeline}.dead-letter`] }).catch(() => {});
    const groups = (await admin?.listGroups().catch(() => ({ groups: [] })))?.groups.filter((g) => g.groupId.startsWith(pipeline)) ?? [];
    await admin?.deleteGroups(groups.map((g) => g.groupId)).catch(() => {});
    await admin?.disconnect();
  });

  it('keeps a warm copy of the other replica’s partition and, on taking it over, reads only the tail of its changelog', async () => {
    const a = await replica('a');
    await until('a owns both partitions and restored them', () => owns(a).length === 2 && a.metrics.restoredRecords >= 2 * KEYS);
    const b = await replica('b');
    await until(
      'a and b own one partition each, each the standby of the other',
      () => owns(a).length === 1 && owns(b).length === 1 && a.metrics.standbyPartitions === 1 && b.metrics.standbyPartitions === 1,
    );
    const [pa] = owns(a);
    const [pb] = owns(b);
    expect(pa).not.toBe(pb);
    // b follows a's changelog partition from its beginning; a kept b's partition's state when it lost it.
    await until(
      "b's standby copy of a's partition is at the changelog's end",
      async () => b.graph.changelogPosition(changelog, pa) === (await changelogEnd(pa)),
    );
    expect(b.metrics.standbyRecords).toBeGreaterThanOrEqual(KEYS);

    // a processes 20 events in its partition (new windows and updates); b's copy follows a's writes.
    await producer.send({
      topic: input,
      acks: -1,
      messages: Array.from({ length: 20 }, (_, i) => ({
        key: i < 10 ? `new${i}` : `p${pa}-k${i}`,
        value: '{}',
        partition: pa,
        timestamp: String(T + 60_000 + i),
      })),
    });
    await until('a committed its 20 events', async () => {
      const [committed] = await admin.fetchOffsets({ groupId: pipeline, topics: [input] });
      return Number(committed.partitions.find((x) => x.partition === pa)!.offset) === 20;
    });
    const written = await changelogEnd(pa);
    expect(written).toBeGreaterThan(KEYS);
    await until("b's standby copy has a's new writes", () => b.graph.changelogPosition(changelog, pa) === written);
    const restoredBefore = b.metrics.restoredRecords;

    // a leaves; b owns both partitions and restores a's from where its copy stands: nothing to read again.
    await a.loop.stop();
    await until(
      'b owns both partitions and has restored them',
      () => owns(b).length === 2 && b.lines.some((l) => l.startsWith('restored state') && l.includes(`"partition":${pa}`)),
    );
    // It read a's changelog partition from where its copy stood, not from the beginning.
    const restored = b.lines.find((l) => l.startsWith('restored state') && l.includes(`"partition":${pa}`))!;
    expect(JSON.parse(restored.slice('restored state '.length)).from).toEqual({ [changelog]: written });
    const restoredTail = b.metrics.restoredRecords - restoredBefore;
    expect(restoredTail).toBeLessThan(100);
    expect(written).toBeGreaterThan(100 * restoredTail);
    const metrics = b.metrics.render(b.graph.stats, pipeline);
    expect(metrics).toMatch(new RegExp(`pipewright_restored_records_total\\{pipeline="${pipeline}"\\} ${b.metrics.restoredRecords}\\n`));
    expect(metrics).toMatch(new RegExp(`pipewright_standby_records_total\\{pipeline="${pipeline}"\\} ${b.metrics.standbyRecords}\\n`));

    // An event at 09:00 in a's old partition closes its 08:00 windows: every one a left, from b's copy.
    const before = await outputs();
    await producer.send({ topic: input, acks: -1, messages: [{ key: 'tick', value: '{}', partition: pa, timestamp: String(T + HOUR) }] });
    await until('the windows of the partition closed', async () => (await outputs()) - before >= KEYS + 10);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await outputs()) - before).toBe(KEYS + 10);
  }, 240_000);
});
