// A generated service with an Avro source and an Avro sink, on the real broker (test/global-setup.ts)
// and a real Schema Registry (Apicurio Registry's Confluent-compatible API, from
// scripts/schema-registry.mjs, or SCHEMA_REGISTRY_URL). An upstream producer writes orders in the
// Confluent wire format with the registry's client, as a Java or Node producer would; the service
// filters and prices them and writes Avro. Checked here without Pipewright's runtime: each output
// record starts with magic byte 0 and the id the registry gives for subject `<topic>-value`, the
// schema registered there is the sink's, and the payload decodes with it to the values computed
// here. A record that names a schema id the registry does not have goes to the dead-letter topic
// with that reason. The service runs from its generated TypeScript sources (tsx), as in
// test/integration/aggregate.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEAD_LETTER_HEADERS } from '../../runtime/types.js';
import { brokers, cleanUpRun, createExternalTopics, freePort, mustRun, repoRoot, schemaRegistry, startReplica, waitFor, type Replica } from './process.js';

const RUN_TS = join(repoRoot, 'bin', 'run-ts.mjs');

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
};
const PRICED = {
  type: 'record',
  name: 'Priced',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'double' },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
};

interface Order {
  id: string;
  amount: number;
  coupon: string | null;
}
const ORDERS: Order[] = Array.from({ length: 20 }, (_, i) => ({ id: `o-${i}`, amount: (i * 37) % 200, coupon: i % 3 === 0 ? `C${i}` : null }));
/** The pipeline's filter (amount >= 100) and map (total with 21% tax, in cents rounded), restated. */
const expected = (o: Order) => (o.amount >= 100 ? { id: o.id, total: Math.round(o.amount * 121) / 100, coupon: o.coupon } : undefined);
/** A schema id no registry of this test hands out. */
const UNKNOWN_ID = 987_654;

describe('a generated service with an Avro source and sink, on a real Schema Registry', () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `avro-it-${runId}`;
  const input = `avro-it-in-${runId}`;
  const output = `avro-it-out-${runId}`;
  const dead = `${pipeline}.dead-letter`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-avro-'));
  const serviceDir = join(work, 'service');
  const kafka = new Kafka({ clientId: `pw-avro-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
  let admin: Admin | undefined;
  let stopRegistry = async () => {};
  const replicas: Replica[] = [];
  let topics: string[] = [];
  const diagnostics = () => replicas.map((r) => `--- ${r.name} ---\n${r.output.join('').split('\n').slice(-20).join('\n')}`).join('\n');

  afterAll(async () => {
    await cleanUpRun({ replicas, admin, group: pipeline, topics: [...topics, input, output, dead], work });
    await stopRegistry();
  });

  it('writes the Confluent wire format with the id of the sink schema it registered, and dead-letters an unknown schema id', async () => {
    const registry = await schemaRegistry();
    stopRegistry = registry.stop;
    const url = registry.url;
    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`, { headers: { accept: 'application/vnd.schemaregistry.v1+json' } });
      if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
      return res.json() as Promise<unknown>;
    };
    admin = kafka.admin();
    await admin.connect();

    const doc = {
      version: 1,
      pipeline,
      errors: { policy: 'dead-letter' },
      nodes: [
        { id: 'orders', kind: 'kafka-source', topic: input, format: 'avro', partitions: 2, schema: ORDER },
        { id: 'large', kind: 'filter', input: 'orders', where: 'value.amount >= 100' },
        { id: 'priced', kind: 'map', input: 'large', to: '({ id: value.id, total: Math.round(value.amount * 121) / 100, coupon: value.coupon })' },
        { id: 'out', kind: 'kafka-sink', input: 'priced', topic: output, format: 'avro', partitions: 2, schema: PRICED },
      ],
    };
    const file = join(work, 'pipeline.yaml');
    writeFileSync(file, stringify(doc));
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', serviceDir], { cwd: repoRoot, timeoutMs: 120_000 });
    symlinkSync(join(repoRoot, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
    expect(readFileSync(join(serviceDir, 'k8s', 'config.env'), 'utf8')).toContain('\nSCHEMA_REGISTRY_URL=');
    const env = { ...process.env, KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline, SCHEMA_REGISTRY_URL: url, LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
    await createExternalTopics(serviceDir);
    const out = await mustRun(process.execPath, [RUN_TS, 'src/topics.ts'], { cwd: serviceDir, env, timeoutMs: 60_000 });
    topics = [...out.matchAll(/"topic":"([^"]+)"/g)].map((m) => m[1]);
    expect(topics).toContain(dead);

    replicas.push(startReplica('a', serviceDir, { ...env, PORT: String(await freePort()), KAFKA_CLIENT_ID: `${pipeline}-a` }, [RUN_TS, 'src/main.ts']));
    await waitFor(
      'the service to join its group',
      60_000,
      async () => {
        const { groups } = await admin!.describeGroups([pipeline]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 1;
      },
      diagnostics,
    );

    // The sink registered its schema at start-up, under the topic-name strategy's subject.
    const subjects = (await get('/subjects')) as string[];
    expect(subjects).toContain(`${output}-value`);
    const latest = (await get(`/subjects/${output}-value/versions/latest`)) as { id: number; schema: string };
    expect(JSON.parse(latest.schema)).toEqual(PRICED);

    // The upstream producer: registers the orders' schema and writes through the registry's client.
    const client = new SchemaRegistry({ host: url });
    const { id: orderId } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER) }, { subject: `${input}-value` });
    expect(orderId).not.toBe(UNKNOWN_ID);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const messages = await Promise.all(ORDERS.map(async (o) => ({ key: o.id, value: Buffer.from(await client.encode(orderId, o)) })));
    // An order written with a schema id the registry does not have.
    const stray = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), (await client.encode(orderId, ORDERS[5])).subarray(5)]);
    stray.writeUInt32BE(UNKNOWN_ID, 1);
    messages.splice(7, 0, { key: 'stray', value: stray });
    await producer.send({ topic: input, acks: -1, messages });
    await producer.disconnect();

    const want = ORDERS.map(expected).filter((v) => v !== undefined);
    expect(want.length).toBeGreaterThan(5);
    const got: { key: string; magic: number; schemaId: number; value: unknown }[] = [];
    const letters: { key: string; error: string; node: string; value: Buffer }[] = [];
    const reader = kafka.consumer({ groupId: `${pipeline}-verify`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topics: [output, dead], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        const value = message.value!;
        if (topic === dead) {
          letters.push({ key: String(message.key), error: String(message.headers?.[DEAD_LETTER_HEADERS.error]), node: String(message.headers?.[DEAD_LETTER_HEADERS.node]), value });
          return;
        }
        // The wire format, read by hand: magic byte, 4-byte big-endian schema id, Avro binary.
        const schemaId = value.readUInt32BE(1);
        const type = await client.getSchema(schemaId);
        got.push({ key: String(message.key), magic: value[0], schemaId, value: type.fromBuffer(value.subarray(5)) });
      },
    });
    try {
      await waitFor('every priced order and the dead letter', 60_000, () => got.length >= want.length && letters.length >= 1, () => `${got.length} outputs, ${letters.length} dead letters\n${diagnostics()}`);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await reader.disconnect();
    }

    expect(got.map((g) => g.magic)).toEqual(want.map(() => 0));
    expect(got.map((g) => g.schemaId)).toEqual(want.map(() => latest.id));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(got.map((g) => ({ ...(g.value as object) }) as { id: string }).sort(byId)).toEqual([...want].sort(byId));
    expect(got.every((g) => g.key === (g.value as { id: string }).id)).toBe(true);
    // The id the records carry is the one the registry has for the subject, and names the sink's schema.
    expect(JSON.parse(((await get(`/schemas/ids/${latest.id}`)) as { schema: string }).schema)).toEqual(PRICED);

    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ key: 'stray', node: 'orders' });
    expect(letters[0].error).toMatch(new RegExp(`^the value names schema id ${UNKNOWN_ID}, which the Schema Registry does not have \\(`));
    expect(letters[0].value.equals(stray)).toBe(true);
  }, 600_000);
});
