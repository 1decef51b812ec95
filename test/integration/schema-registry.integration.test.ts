// Avro sources on the real broker (test/global-setup.ts): values that are not in the Schema Registry
// wire format go to the dead-letter topic with the reason, before any registry is asked (the
// registry URL here points at a closed port), and their offsets commit like any other record's.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type GraphSpec } from '../../runtime/engine/graph.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { Metrics } from '../../runtime/service/metrics.js';
import { createKafka, startKafkaLoop, type KafkaLoop, type Logger } from '../../runtime/transports/kafka.js';
import { produceSamples } from '../../runtime/service/samples.js';
import { DEAD_LETTER_HEADERS } from '../../runtime/types.js';
import { brokers } from './process.js';

describe('an avro source on a real broker', () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `schema-registry-it-${runId}`;
  const input = `${pipeline}-in`;
  const output = `${pipeline}-out`;
  const dead = `${pipeline}.dead-letter`;
  const schema = { type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'string' }] };
  const spec: GraphSpec = {
    pipeline,
    errors: { policy: 'dead-letter', topic: dead },
    nodes: [
      { id: 'orders', kind: 'kafka-source', params: { topic: input, format: 'avro', schema }, inputs: [] },
      { id: 'out', kind: 'kafka-sink', params: { topic: output, format: 'json' }, inputs: [{ port: 'in', from: 'orders', fromPort: 'out' }] },
    ],
  };
  let kafka: Kafka;
  let admin: Admin;
  let loop: KafkaLoop | undefined;
  const lines: string[] = [];
  const urlBefore = process.env.SCHEMA_REGISTRY_URL;

  beforeAll(async () => {
    process.env.SCHEMA_REGISTRY_URL = 'http://127.0.0.1:9';
    kafka = new Kafka({ clientId: pipeline, brokers: brokers().split(','), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: input, numPartitions: 1 },
        { topic: output, numPartitions: 1 },
        { topic: dead, numPartitions: 1 },
      ],
    });
  });

  afterAll(async () => {
    await loop?.stop().catch(() => {});
    if (urlBefore === undefined) delete process.env.SCHEMA_REGISTRY_URL;
    else process.env.SCHEMA_REGISTRY_URL = urlBefore;
    await admin?.deleteTopics({ topics: [input, output, dead] }).catch(() => {});
    await admin?.deleteGroups([pipeline]).catch(() => {});
    await admin?.disconnect();
  });

  it('sends a JSON value and a truncated one to the dead-letter topic, each with what is wrong', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic: input,
      acks: -1,
      messages: [
        { key: 'a', value: '{"id":"o-1"}' },
        { key: 'b', value: Buffer.from([0, 0, 1]) },
      ],
    });
    await producer.disconnect();
    // npm run produce-samples leaves the topic alone: its samples in JSON would only be dead letters.
    await produceSamples(pipeline, [{ topic: input, partitions: 1, format: 'avro', events: [{ key: 'c', value: { id: 'o-2' } }] }], {
      KAFKA_BROKERS: brokers(),
      LOG_LEVEL: 'warn',
    });
    expect((await admin.fetchTopicOffsets(input)).map((o) => o.high)).toEqual(['2']);

    const keep = (msg: string, f?: object) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
    const log: Logger = { info: keep, warn: keep, error: keep, debug: () => {} };
    const config = configFromEnv({ KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline, KAFKA_CLIENT_ID: pipeline }, { pipeline });
    const graph = new Graph(spec, {}, { live: true });
    await graph.start();
    loop = await startKafkaLoop({
      kafka: createKafka(config, log),
      graph,
      config,
      metrics: new Metrics(),
      log,
      fromBeginning: true,
      onFatal: (e) => keep('fatal', { error: String(e) }),
    });

    const letters: { key: string; error: string; value: string }[] = [];
    const reader = kafka.consumer({ groupId: `${pipeline}-verify`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topics: [dead], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        letters.push({ key: String(message.key), error: String(message.headers?.[DEAD_LETTER_HEADERS.error]), value: message.value?.toString('hex') ?? '' });
      },
    });
    for (const deadline = Date.now() + 30_000; letters.length < 2; await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > deadline) throw new Error(`no two dead letters within 30 s:\n${lines.slice(-20).join('\n')}`);
    }
    await reader.disconnect();
    await admin.deleteGroups([`${pipeline}-verify`]).catch(() => {});

    expect(letters).toEqual([
      {
        key: 'a',
        error: 'the value does not start with the Schema Registry magic byte 0 but with 0x7b: it was not written as avro through a Schema Registry (JSON, say)',
        value: Buffer.from('{"id":"o-1"}').toString('hex'),
      },
      {
        key: 'b',
        error: 'the value is 3 bytes long, shorter than the 5-byte Schema Registry header (magic byte 0 and a 4-byte schema id), so it is not avro',
        value: '000001',
      },
    ]);
    const ends = await admin.fetchTopicOffsets(output);
    expect(ends.map((e) => e.high)).toEqual(['0']);
  }, 60_000);
});
