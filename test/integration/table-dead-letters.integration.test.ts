// Dead letters of a table's rows with `delivery: exactly-once`, on the real broker
// (test/global-setup.ts). A stream–table join reads its table in full on every replica, at every
// start, so every replica meets the table's bad rows, again after a restart. Two replicas start,
// one stops and a third starts (three starts in all); the dead-letter topic, read with
// read_committed as a consumer downstream reads it, holds each bad row once, and the events joined
// on the stream side still come out.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type GraphSpec } from '../../runtime/engine/graph.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { Metrics } from '../../runtime/service/metrics.js';
import { createKafka, startKafkaLoop, type KafkaLoop, type Logger } from '../../runtime/transports/kafka.js';
import { DEAD_LETTER_HEADERS } from '../../runtime/types.js';
import { brokers } from './process.js';

describe('dead letters of table rows, exactly-once, on a real broker', () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `table-dlq-it-${runId}`;
  const input = `${pipeline}-in`;
  const table = `${pipeline}-table`;
  const output = `${pipeline}-out`;
  const dead = `${pipeline}.dead-letter`;
  const spec: GraphSpec = {
    pipeline,
    delivery: 'exactly-once',
    errors: { policy: 'dead-letter', topic: dead },
    nodes: [
      { id: 'orders', kind: 'kafka-source', params: { topic: input, format: 'json' }, inputs: [] },
      { id: 'customers', kind: 'kafka-source', params: { topic: table, format: 'json' }, inputs: [] },
      {
        id: 'enrich',
        kind: 'join',
        params: { mode: 'table', as: 'customer', how: 'left' },
        inputs: [
          { port: 'in', from: 'orders', fromPort: 'out' },
          { port: 'other', from: 'customers', fromPort: 'out' },
        ],
      },
      { id: 'out', kind: 'kafka-sink', params: { topic: output }, inputs: [{ port: 'in', from: 'enrich', fromPort: 'out' }] },
    ],
  };
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const loops: KafkaLoop[] = [];
  const lines: string[] = [];

  async function replica(name: string): Promise<KafkaLoop> {
    const keep = (msg: string, f?: object) => lines.push(`${name}: ${msg} ${JSON.stringify(f ?? {})}`);
    const log: Logger = { info: keep, warn: keep, error: keep, debug: () => {} };
    const config = configFromEnv({ KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline, KAFKA_CLIENT_ID: `${pipeline}-${name}` }, { pipeline });
    // Returns once the replica has read its tables to their end (and written their dead letters).
    const loop = await startKafkaLoop({
      kafka: createKafka(config, log),
      graph: new Graph(spec, {}, { live: true }),
      config,
      metrics: new Metrics(),
      log,
      fromBeginning: true,
      onFatal: (e) => keep('fatal', { error: String(e) }),
    });
    loops.push(loop);
    return loop;
  }

  /** Every record of `topic`, read with read_committed. */
  async function readAll(topic: string): Promise<{ key: string; value: string; headers: Record<string, string> }[]> {
    const ends = await admin.fetchTopicOffsets(topic);
    const got: { key: string; value: string; headers: Record<string, string> }[] = [];
    const reached = new Map<number, number>();
    const reader = kafka.consumer({ groupId: `${pipeline}-verify-${randomUUID().slice(0, 6)}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    reader.on(reader.events.END_BATCH_PROCESS, ({ payload }) => reached.set(payload.partition, Number(payload.lastOffset) + 1));
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        got.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', headers });
      },
    });
    const behind = () => ends.some((e) => Number(e.high) > 0 && (reached.get(e.partition) ?? 0) < Number(e.high));
    for (const deadline = Date.now() + 30_000; behind() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
    await reader.disconnect();
    return got;
  }

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-table-dlq-${runId}`, brokers: brokers().split(','), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: input, numPartitions: 2 },
        { topic: table, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: output, numPartitions: 2 },
        { topic: dead, numPartitions: 1 },
      ],
    });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // Ten customers, two of whose rows are not JSON, one in each partition.
    await producer.send({
      topic: table,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({
        key: `c${i}`,
        value: i === 3 || i === 6 ? `{"tier":` : JSON.stringify({ tier: i % 2 ? 'gold' : 'silver' }),
      })),
    });
  });

  afterAll(async () => {
    for (const l of loops) await l.stop().catch(() => {});
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [input, table, output, dead] }).catch(() => {});
    const groups = (await admin?.listGroups().catch(() => ({ groups: [] })))?.groups.filter((g) => g.groupId.startsWith(pipeline)) ?? [];
    await admin?.deleteGroups(groups.map((g) => g.groupId)).catch(() => {});
    await admin?.disconnect();
  });

  it('writes each bad table row to the dead-letter topic once, across three replica starts', async () => {
    const [a] = await Promise.all([replica('a'), replica('b')]);
    await a.stop();
    await replica('c');
    await producer.send({ topic: input, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: JSON.stringify({ order: i }) })) });
    for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
      const [committed] = await admin.fetchOffsets({ groupId: pipeline, topics: [input] });
      if (committed.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) === 10) break;
      if (Date.now() > deadline) throw new Error(`the 10 orders were not committed within 60 s:\n${lines.slice(-20).join('\n')}`);
    }

    const letters = await readAll(dead);
    expect(letters.map((l) => `${l.key} from ${l.headers[DEAD_LETTER_HEADERS.topic]}`).sort()).toEqual([`c3 from ${table}`, `c6 from ${table}`]);
    const joined = (await readAll(output)).map((o) => JSON.parse(o.value) as { order: number; customer: { tier: string } | null });
    expect(joined.map((o) => [o.order, o.customer?.tier ?? null]).sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual(
      Array.from({ length: 10 }, (_, i) => [i, i === 3 || i === 6 ? null : i % 2 ? 'gold' : 'silver']),
    );
  }, 120_000);
});
