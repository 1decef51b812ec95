// The scripts of a generated repository's local run, on the real broker: the topics job of
// docker-compose.yml (`npm run topics` with CREATE_EXTERNAL_TOPICS=true) creates the input topics
// too, and `npm run produce-samples` puts the samples of pipeline.yaml on them, keyed, encoded and
// partitioned as the pipeline's own tests feed them.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipeline } from '../../codegen/parse.js';
import { topicDefs } from '../../codegen/pipeline-ts.js';
import { testCases } from '../../codegen/test-cases.js';
import { partitionForKey } from '../../runtime/murmur2.js';
import { produceSamples } from '../../runtime/service/samples.js';
import { createTopics } from '../../runtime/service/topics.js';
import { brokers } from './process.js';

const id = randomUUID().slice(0, 8);
const name = `local-run-${id}`;
const topic = (t: string) => `${name}.${t}`;
const yaml = `
pipeline: ${name}
nodes:
  - id: orders
    kind: kafka-source
    topic: ${topic('orders')}
    partitions: 3
    samples:
      - { key: c-1, value: { orderId: 1, amount: 250 } }
      - { key: c-2, value: { orderId: 2, amount: 5 } }
      - { key: c-1, value: { orderId: 3, amount: 120 } }
  - id: lines
    kind: kafka-source
    topic: ${topic('lines')}
    format: string
    partitions: 2
    samples:
      - { key: l-1, value: "the quick brown fox" }
      - { key: l-2, value: "jumps over" }
  - id: out
    kind: kafka-sink
    input: [orders, lines]
    topic: ${topic('out')}
`;

describe('the local run on a real broker', () => {
  const kafka = new Kafka({ clientId: name, brokers: brokers().split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const parsed = parsePipeline(yaml);
  const p = parsed.pipeline!;
  const defs = topicDefs(p);
  afterAll(async () => {
    await admin.deleteTopics({ topics: defs.map((t) => t.name) }).catch(() => {});
    await admin.disconnect();
  });

  it('creates the input topics as well when asked, then sends every sample to its source topic', async () => {
    expect(parsed.problems.filter((x) => x.severity === 'error')).toEqual([]);
    expect(
      defs
        .filter((t) => t.external)
        .map((t) => t.name)
        .sort(),
    ).toEqual([topic('lines'), topic('orders')]);
    await admin.connect();

    await createTopics(p.name, defs, { KAFKA_BROKERS: brokers(), CREATE_EXTERNAL_TOPICS: 'true', LOG_LEVEL: 'warn' });
    expect(process.exitCode ?? 0).toBe(0);
    const meta = await admin.fetchTopicMetadata({ topics: defs.map((t) => t.name) });
    expect(Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]))).toEqual(Object.fromEntries(defs.map((t) => [t.name, t.partitions])));

    const { samples } = testCases(p);
    await produceSamples(p.name, samples, { KAFKA_BROKERS: brokers(), LOG_LEVEL: 'warn' });
    expect(process.exitCode ?? 0).toBe(0);

    const expected = p.nodes
      .filter((n) => n.samples)
      .flatMap((n) => {
        const t = String(n.params.topic);
        const partitions = defs.find((d) => d.name === t)!.partitions;
        return n.samples!.map((s) => ({
          topic: t,
          partition: partitionForKey(String(s.key), partitions),
          key: String(s.key),
          value: n.params.format === 'string' ? String(s.value) : JSON.stringify(s.value),
        }));
      });
    const consumer = kafka.consumer({ groupId: `${name}-verify` });
    const got: typeof expected = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic('orders'), topic('lines')], fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic: t, partition, message }) => {
          got.push({ topic: t, partition, key: message.key!.toString(), value: message.value!.toString() });
          if (got.length >= expected.length) resolve();
        },
      });
    });
    await consumer.disconnect();
    // Kafka keeps order per partition: compare per topic and key, in order.
    const byKey = (xs: typeof expected) => xs.slice().sort((a, b) => `${a.topic}/${a.key}`.localeCompare(`${b.topic}/${b.key}`));
    expect(byKey(got)).toEqual(byKey(expected));
  }, 120_000);
});
