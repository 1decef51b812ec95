// Integration test against the real broker from test/global-setup.ts:
// create a topic, produce keyed messages, consume them in a consumer group.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';

const KEYS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const PER_KEY = 6; // 5 keys x 6 = 30 messages
const PARTITIONS = 3;

function brokers(): string[] {
  const value = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS;
  if (!value) {
    throw new Error(
      'No Kafka broker: run the tests with the global setup (test/global-setup.ts) or set KAFKA_BROKERS=host:port.',
    );
  }
  return value.split(',').map((b) => b.trim());
}

describe('Kafka broker for tests', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `pw-broker-smoke-${run}`;
  const groupId = `pw-broker-smoke-group-${run}`;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: 'pw-broker-smoke', brokers: brokers(), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (!admin) return;
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('creates a topic, produces 30 keyed messages and consumes them in order per key', async () => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0].partitions).toHaveLength(PARTITIONS);

    // Produce interleaved keys in several batches, so per-key order is meaningful.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let seq = 0; seq < PER_KEY; seq++) {
      await producer.send({
        topic,
        messages: KEYS.map((key) => ({ key, value: JSON.stringify({ key, seq }) })),
      });
    }
    await producer.disconnect();

    const received: { key: string; seq: number; partition: number; messageKey?: string }[] = [];
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${received.length} of ${KEYS.length * PER_KEY} messages arrived within 20s`)),
        20_000,
      );
      void consumer.run({
        autoCommit: true,
        eachMessage: async ({ partition, message }) => {
          const body = JSON.parse(message.value!.toString()) as { key: string; seq: number };
          received.push({ ...body, partition, messageKey: message.key?.toString() });
          if (received.length === KEYS.length * PER_KEY) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    try {
      await all;
    } finally {
      // Disconnecting commits the offsets of what was processed.
      await consumer.disconnect();
    }

    expect(received).toHaveLength(KEYS.length * PER_KEY);
    for (const m of received) expect(m.messageKey).toBe(m.key);
    for (const key of KEYS) {
      const mine = received.filter((m) => m.key === key);
      expect(mine.map((m) => m.seq)).toEqual([...Array(PER_KEY).keys()]);
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
    }

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(total).toBe(KEYS.length * PER_KEY);
  });
});
