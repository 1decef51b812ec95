// Integration test against the real broker from test/global-setup.ts:
// create a topic, produce keyed messages, consume them in a consumer group;
// and reach each of its secured listeners (SCRAM over TLS, mTLS, OAUTHBEARER).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, Partitioners, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { secureListeners, type SecureListeners } from './integration/process.js';

const KEYS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const PER_KEY = 6; // 5 keys x 6 = 30 messages
const PARTITIONS = 3;

function brokers(): string[] {
  const value = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS;
  if (!value) {
    throw new Error('No Kafka broker: run the tests with the global setup (test/global-setup.ts) or set KAFKA_BROKERS=host:port.');
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
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${KEYS.length * PER_KEY} messages arrived within 20s`)), 20_000);
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

describe('Kafka broker for tests: secured listeners', () => {
  let secure: SecureListeners;
  let stop = async () => {};

  beforeAll(async () => {
    ({ secure, stop } = await secureListeners());
  }, 300_000);
  afterAll(() => stop());

  /** Connects an admin client and names the broker that answered, or gives the error message. */
  async function reach(config: Omit<KafkaConfig, 'clientId'>): Promise<string> {
    const admin = new Kafka({ clientId: 'pw-broker-secure', logLevel: logLevel.NOTHING, connectionTimeout: 20_000, retry: { retries: 0 }, ...config }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.map((b) => `${b.host}:${b.port}`).join(',');
    } catch (err) {
      return `error: ${(err as Error).message}`;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  const ca = () => [readFileSync(secure.ca, 'utf8')];
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsignedJwt = (sub: string) => `${b64({ alg: 'none' })}.${b64({ sub, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })}.`;

  it('SASL_SSL with SCRAM-SHA-512 takes the recorded user and the test CA, and refuses a wrong password', async () => {
    const { brokers, username, password } = secure.scram;
    expect(await reach({ brokers: [brokers], ssl: { ca: ca() }, sasl: { mechanism: 'scram-sha-512', username, password } })).toBe(brokers);
    expect(await reach({ brokers: [brokers], ssl: { ca: ca() }, sasl: { mechanism: 'scram-sha-512', username, password: `${password}-wrong` } })).toMatch(
      /invalid credentials/,
    );
    // Without the test CA the broker's certificate is not trusted.
    expect(await reach({ brokers: [brokers], ssl: true, sasl: { mechanism: 'scram-sha-512', username, password } })).toMatch(/certificate/);
  });

  it('mTLS takes the client certificate the test CA signed, and refuses a client without one', async () => {
    const { brokers } = secure.mtls;
    const tls = { ca: ca(), cert: readFileSync(secure.clientCert, 'utf8'), key: readFileSync(secure.clientKey, 'utf8') };
    expect(await reach({ brokers: [brokers], ssl: tls })).toBe(brokers);
    expect(await reach({ brokers: [brokers], ssl: { ca: ca() } })).toMatch(/^error: .*(certificate|alert|closed|disconnected)/i);
  });

  it('OAUTHBEARER takes an unsigned JWT over TLS', async () => {
    const { brokers } = secure.oauthbearer;
    let calls = 0;
    const provider = async () => {
      calls++;
      return { value: unsignedJwt('pipewright-test') };
    };
    expect(await reach({ brokers: [brokers], ssl: { ca: ca() }, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: provider } })).toBe(brokers);
    expect(calls).toBeGreaterThan(0);
    // A token that is not a JWT is refused.
    expect(
      await reach({ brokers: [brokers], ssl: { ca: ca() }, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 'not-a-jwt' }) } }),
    ).toMatch(/^error:/);
  });
});
