// Tables on the real broker (test/global-setup.ts), with the service's own loop
// (runtime/transports/kafka.ts): a `table` of customers on a compacted topic enriches orders
// (left join) and writes its own changes to a directory topic. A tombstone deletes the customer:
// the directory gets a tombstone, and later orders of that customer carry null. Then the replica
// leaves and a new one takes over: it restores the customers from their own topic (no other
// topic holds them) up to the group's committed offset, and joins the next orders with them.
// Both at-least-once and exactly-once (outputs read with read_committed, each once).
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type GraphSpec } from '../../runtime/engine/graph.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { Metrics } from '../../runtime/service/metrics.js';
import { createKafka, startKafkaLoop, type KafkaLoop, type Logger } from '../../runtime/transports/kafka.js';
import { brokers } from './process.js';

describe.each(['at-least-once', 'exactly-once'] as const)('a table on a real broker, %s', (delivery) => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `tables-it-${delivery === 'exactly-once' ? 'eos-' : ''}${runId}`;
  const customers = `${pipeline}-customers`;
  const orders = `${pipeline}-orders`;
  const enriched = `${pipeline}-enriched`;
  const directory = `${pipeline}-directory`;
  const deadLetter = `${pipeline}.dead-letter`;
  const spec: GraphSpec = {
    pipeline,
    delivery,
    errors: { policy: 'dead-letter', topic: deadLetter },
    nodes: [
      { id: 'customers', kind: 'table', params: { topic: customers }, inputs: [] },
      { id: 'orders', kind: 'kafka-source', params: { topic: orders }, inputs: [] },
      {
        id: 'with-customer',
        kind: 'join',
        params: { as: 'customer', how: 'left' },
        inputs: [
          { port: 'in', from: 'orders', fromPort: 'out' },
          { port: 'other', from: 'customers', fromPort: 'out' },
        ],
      },
      { id: 'enriched', kind: 'kafka-sink', params: { topic: enriched }, inputs: [{ port: 'in', from: 'with-customer', fromPort: 'out' }] },
      { id: 'directory', kind: 'kafka-sink', params: { topic: directory }, inputs: [{ port: 'in', from: 'customers', fromPort: 'out' }] },
    ],
  };
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const replicas: { name: string; loop: KafkaLoop; lines: string[] }[] = [];

  async function replica(name: string) {
    const lines: string[] = [];
    const keep = (msg: string, f?: object) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
    const log: Logger = { info: keep, warn: keep, error: keep, debug: () => {} };
    const config = configFromEnv({ KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline, KAFKA_CLIENT_ID: `${pipeline}-${name}` }, { pipeline });
    const graph = new Graph(spec, {}, { live: true });
    const loop = await startKafkaLoop({
      kafka: createKafka(config, log),
      graph,
      config,
      metrics: new Metrics(),
      log,
      fromBeginning: true,
      onFatal: (e) => keep('fatal', { error: String(e) }),
    });
    const r = { name, loop, lines };
    replicas.push(r);
    return r;
  }

  async function until(what: string, check: () => boolean | Promise<boolean>, seconds = 20): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`gave up waiting: ${what}\n${replicas.map((r) => `${r.name}:\n  ${r.lines.slice(-15).join('\n  ')}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The records of `topics`, read committed (kafkajs's default) by one consumer, per topic by
   * partition in offset order: `counts` of them, and any more that arrive within half a second.
   */
  async function read(counts: Record<string, number>): Promise<Record<string, { key: string; value: unknown }[]>> {
    const consumer = kafka.consumer({ groupId: `${pipeline}-reader-${randomUUID().slice(0, 6)}` });
    const out: { topic: string; key: string; value: unknown; partition: number; offset: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(counts), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        out.push({
          topic,
          key: String(message.key),
          value: message.value === null ? null : JSON.parse(message.value.toString()),
          partition,
          offset: Number(message.offset),
        });
      },
    });
    const want = Object.values(counts).reduce((a, b) => a + b, 0);
    await until(`read ${want} records`, () => out.length >= want);
    await new Promise((r) => setTimeout(r, 500));
    await consumer.disconnect();
    out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    return Object.fromEntries(Object.keys(counts).map((t) => [t, out.filter((r) => r.topic === t).map(({ key, value }) => ({ key, value }))]));
  }

  const committed = async (topic: string) => {
    const [o] = await admin.fetchOffsets({ groupId: pipeline, topics: [topic] });
    return o.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  };
  const send = (topic: string, messages: { key: string; value: unknown }[]) =>
    producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value === null ? null : JSON.stringify(m.value) })) });
  /** The records of `key` on a topic, in order (Kafka keeps order per key). */
  const of = (records: { key: string; value: unknown }[], key: string) => records.filter((r) => r.key === key).map((r) => r.value);

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-tables-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: customers, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: orders, numPartitions: 2 },
        { topic: enriched, numPartitions: 2 },
        { topic: directory, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: deadLetter, numPartitions: 1 },
      ],
    });
    producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    for (const r of replicas) await r.loop.stop().catch(() => {});
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [customers, orders, enriched, directory, deadLetter] }).catch(() => {});
    const groups = (await admin?.listGroups().catch(() => ({ groups: [] })))?.groups.filter((g) => g.groupId.startsWith(pipeline)) ?? [];
    await admin?.deleteGroups(groups.map((g) => g.groupId)).catch(() => {});
    await admin?.disconnect();
  });

  it('a tombstone deletes the customer, through the join and to a tombstone downstream; a new owner restores the table from its topic', async () => {
    const a = await replica('a');
    await send(customers, [
      { key: 'c-1', value: { name: 'Ada' } },
      { key: 'c-2', value: { name: 'Grace' } },
    ]);
    await until('a processed the customers', async () => (await committed(customers)) === 2);
    await send(orders, [
      { key: 'c-1', value: { orderId: 1 } },
      { key: 'c-2', value: { orderId: 2 } },
    ]);
    await until('a processed the first orders', async () => (await committed(orders)) === 2);
    await send(customers, [{ key: 'c-1', value: null }]);
    await until('a processed the delete', async () => (await committed(customers)) === 3);
    await send(orders, [{ key: 'c-1', value: { orderId: 3 } }]);
    await until('a processed the order after the delete', async () => (await committed(orders)) === 3);

    // A new owner: it restores the customers from their topic, up to the offset a committed.
    await a.loop.stop();
    const b = await replica('b');
    await send(orders, [
      { key: 'c-1', value: { orderId: 4 } },
      { key: 'c-2', value: { orderId: 5 } },
    ]);
    await until('b processed the next orders', async () => (await committed(orders)) === 5);

    const all = await read({ [enriched]: 5, [directory]: 3, [deadLetter]: 0 });
    const out = all[enriched];
    expect(of(out, 'c-1')).toEqual([
      { orderId: 1, customer: { name: 'Ada' } },
      { orderId: 3, customer: null },
      { orderId: 4, customer: null },
    ]);
    expect(of(out, 'c-2')).toEqual([
      { orderId: 2, customer: { name: 'Grace' } },
      { orderId: 5, customer: { name: 'Grace' } },
    ]);
    expect(of(all[directory], 'c-1')).toEqual([{ name: 'Ada' }, null]);
    expect(out).toHaveLength(5);
    expect(all[deadLetter]).toEqual([]);
    // b read the customers' partitions as their changelog: no changelog topic of its own exists.
    expect(b.lines.some((l) => l.startsWith('restored state') && l.includes(customers))).toBe(true);
    expect((await admin.listTopics()).filter((t) => t.startsWith(pipeline) && t.endsWith('.changelog'))).toEqual([]);
  }, 60_000);
});
