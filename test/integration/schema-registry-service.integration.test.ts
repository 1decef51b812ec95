// A generated service with Avro, Protobuf and JSON Schema sources and sinks, on the real broker
// (test/global-setup.ts) and a real Schema Registry (Apicurio Registry's Confluent-compatible API,
// from scripts/schema-registry.mjs, or SCHEMA_REGISTRY_URL). One pipeline has a path per format,
// so one generated service covers the three. An upstream producer writes orders in the Confluent
// wire format with the registry's Node client, as a Java or Node producer would; the service
// filters and prices them and writes each in its format. Checked here with that client, not with
// Pipewright's runtime: each output record starts with magic byte 0 and the id the registry gives
// for subject `<topic>-value` (then, for Protobuf, the message indexes of the first message type,
// [0], as the single byte 0), the schema registered there is the sink's, and the client's
// `decode` reads the values computed here. A record that names a schema id the registry does not
// have goes to the dead-letter topic with that reason, from its source. The service runs from its
// generated TypeScript sources (tsx), as in test/integration/aggregate.
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

type Format = 'avro' | 'protobuf' | 'json-schema';

/** The order a source reads and the priced order its sink writes, in each format. */
const SCHEMAS: Record<Format, { order: unknown; priced: unknown; type: SchemaType; registryType: string }> = {
  avro: {
    order: {
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'amount', type: 'double' },
        { name: 'coupon', type: ['null', 'string'], default: null },
      ],
    },
    priced: {
      type: 'record',
      name: 'Priced',
      namespace: 'shop',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'total', type: 'double' },
        { name: 'coupon', type: ['null', 'string'], default: null },
      ],
    },
    type: SchemaType.AVRO,
    registryType: 'AVRO',
  },
  protobuf: {
    order: 'syntax = "proto3";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  double amount = 2;\n  string coupon = 3;\n}\n',
    priced: 'syntax = "proto3";\npackage shop;\n\nmessage Priced {\n  string id = 1;\n  double total = 2;\n  string coupon = 3;\n}\n',
    type: SchemaType.PROTOBUF,
    registryType: 'PROTOBUF',
  },
  'json-schema': {
    order: {
      title: 'Order',
      type: 'object',
      required: ['id', 'amount', 'coupon'],
      properties: { id: { type: 'string' }, amount: { type: 'number' }, coupon: { type: ['string', 'null'] } },
    },
    priced: {
      title: 'Priced',
      type: 'object',
      required: ['id', 'total', 'coupon'],
      properties: { id: { type: 'string' }, total: { type: 'number' }, coupon: { type: ['string', 'null'] } },
    },
    type: SchemaType.JSON,
    registryType: 'JSON',
  },
};
const FORMATS = Object.keys(SCHEMAS) as Format[];

interface Order {
  id: string;
  amount: number;
  coupon: string | null;
}
const ORDERS: Order[] = Array.from({ length: 20 }, (_, i) => ({ id: `o-${i}`, amount: (i * 37) % 200, coupon: i % 3 === 0 ? `C${i}` : null }));
/** An order as the upstream producer writes it: proto3 has no null, an absent string is ''. */
const upstream = (format: Format, o: Order) => (format === 'protobuf' ? { ...o, coupon: o.coupon ?? '' } : o);
/** The pipeline's filter (amount >= 100) and map (total with 21% tax, in cents rounded), restated. */
const expected = (format: Format, o: Order) => {
  const u = upstream(format, o);
  return u.amount >= 100 ? { id: u.id, total: Math.round(u.amount * 121) / 100, coupon: u.coupon } : undefined;
};
/** A schema id no registry of this test hands out. */
const UNKNOWN_ID = 987_654;

/**
 * @kafkajs/confluent-schema-registry (3.9.0) writes a Protobuf value without the message indexes
 * Confluent's wire format puts before the payload (its `decode` skips leading zero bytes instead),
 * so the upstream producer adds them as Confluent's serializers do: [0], the first message type of
 * the schema, as the single byte 0.
 */
const withMessageIndexes = (format: Format, wire: Buffer) =>
  format === 'protobuf' ? Buffer.concat([wire.subarray(0, 5), Buffer.from([0]), wire.subarray(5)]) : wire;

describe('a generated service with Avro, Protobuf and JSON Schema sources and sinks, on a real Schema Registry', () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `registry-it-${runId}`;
  const topic = (format: Format, side: 'in' | 'out') => `registry-it-${format}-${side}-${runId}`;
  const source = (format: Format) => `${format}-orders`;
  const dead = `${pipeline}.dead-letter`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-registry-'));
  const serviceDir = join(work, 'service');
  const kafka = new Kafka({ clientId: `pw-registry-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
  let admin: Admin | undefined;
  let stopRegistry = async () => {};
  const replicas: Replica[] = [];
  let topics: string[] = [];
  const diagnostics = () => replicas.map((r) => `--- ${r.name} ---\n${r.output.join('').split('\n').slice(-20).join('\n')}`).join('\n');

  afterAll(async () => {
    await cleanUpRun({ replicas, admin, group: pipeline, topics: [...topics, ...FORMATS.flatMap((f) => [topic(f, 'in'), topic(f, 'out')]), dead], work });
    await stopRegistry();
  });

  it('writes the Confluent wire format with the id of the sink schema it registered, which other clients read, and dead-letters an unknown schema id', async () => {
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
      nodes: FORMATS.flatMap((format) => {
        const n = source(format);
        return [
          { id: n, kind: 'kafka-source', topic: topic(format, 'in'), format, partitions: 2, schema: SCHEMAS[format].order },
          { id: `${n}-large`, kind: 'filter', input: n, where: 'value.amount >= 100' },
          { id: `${n}-priced`, kind: 'map', input: `${n}-large`, to: '({ id: value.id, total: Math.round(value.amount * 121) / 100, coupon: value.coupon })' },
          { id: `${n}-out`, kind: 'kafka-sink', input: `${n}-priced`, topic: topic(format, 'out'), format, partitions: 2, schema: SCHEMAS[format].priced },
        ];
      }),
    };
    const file = join(work, 'pipeline.yaml');
    writeFileSync(file, stringify(doc));
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', serviceDir], { cwd: repoRoot, timeoutMs: 120_000 });
    symlinkSync(join(repoRoot, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
    expect(readFileSync(join(serviceDir, 'k8s', 'config.env'), 'utf8')).toContain('\nSCHEMA_REGISTRY_URL=');
    const env = {
      ...process.env,
      KAFKA_BROKERS: brokers(),
      KAFKA_GROUP_ID: pipeline,
      SCHEMA_REGISTRY_URL: url,
      LOG_LEVEL: 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
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

    // Each sink registered its schema at start-up, under the topic-name strategy's subject.
    const subjects = (await get('/subjects')) as string[];
    const registered = {} as Record<Format, { id: number; schema: string; schemaType?: string }>;
    for (const format of FORMATS) {
      expect(subjects).toContain(`${topic(format, 'out')}-value`);
      registered[format] = (await get(`/subjects/${topic(format, 'out')}-value/versions/latest`)) as { id: number; schema: string; schemaType?: string };
    }
    expect(JSON.parse(registered.avro.schema)).toEqual(SCHEMAS.avro.priced);
    // The .proto as text: Apicurio keeps it as it was registered (it is written here in the layout
    // Confluent's registry prints a .proto in, and the registry's text goes unchanged below).
    expect(registered.protobuf.schema).toBe(SCHEMAS.protobuf.priced);
    expect(registered.protobuf.schemaType).toBe('PROTOBUF');
    expect(JSON.parse(registered['json-schema'].schema)).toEqual(SCHEMAS['json-schema'].priced);
    expect(registered['json-schema'].schemaType).toBe('JSON');

    // The upstream producer: registers each orders' schema and writes through the registry's client.
    const client = new SchemaRegistry({ host: url });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const strays = {} as Record<Format, Buffer>;
    for (const format of FORMATS) {
      const { id } = await client.register(
        {
          type: SCHEMAS[format].type,
          schema: typeof SCHEMAS[format].order === 'string' ? SCHEMAS[format].order : JSON.stringify(SCHEMAS[format].order),
        } as never,
        {
          subject: `${topic(format, 'in')}-value`,
        },
      );
      expect(id).not.toBe(UNKNOWN_ID);
      const encode = async (o: Order) => withMessageIndexes(format, Buffer.from(await client.encode(id, upstream(format, o))));
      const messages = await Promise.all(ORDERS.map(async (o) => ({ key: o.id, value: await encode(o) })));
      // An order written with a schema id the registry does not have.
      const stray = Buffer.from(await encode(ORDERS[5]));
      stray.writeUInt32BE(UNKNOWN_ID, 1);
      strays[format] = stray;
      messages.splice(7, 0, { key: `stray-${format}`, value: stray });
      // A Protobuf order as that client writes it on its own, without message indexes: not the
      // Confluent wire format, so its first payload bytes do not read as [0].
      if (format === 'protobuf') messages.splice(11, 0, { key: 'no-indexes', value: Buffer.from(await client.encode(id, upstream(format, ORDERS[11]))) });
      await producer.send({ topic: topic(format, 'in'), acks: -1, messages });
    }
    await producer.disconnect();

    const want = Object.fromEntries(FORMATS.map((f) => [f, ORDERS.map((o) => expected(f, o)).filter((v) => v !== undefined)])) as Record<
      Format,
      NonNullable<ReturnType<typeof expected>>[]
    >;
    expect(want.avro.length).toBeGreaterThan(5);
    const outputs = Object.fromEntries(FORMATS.map((f) => [topic(f, 'out'), f])) as Record<string, Format>;
    const got = Object.fromEntries(FORMATS.map((f) => [f, []])) as unknown as Record<
      Format,
      { key: string; header: number[]; value: Record<string, unknown> }[]
    >;
    const letters: { key: string; error: string; node: string; value: Buffer }[] = [];
    const reader = kafka.consumer({ groupId: `${pipeline}-verify`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topics: [...Object.keys(outputs), dead], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic: from, message }) => {
        const value = message.value!;
        if (from === dead) {
          letters.push({
            key: String(message.key),
            error: String(message.headers?.[DEAD_LETTER_HEADERS.error]),
            node: String(message.headers?.[DEAD_LETTER_HEADERS.node]),
            value,
          });
          return;
        }
        const format = outputs[from];
        // The wire format, read by hand: magic byte, 4-byte big-endian schema id (and for Protobuf,
        // the message indexes), then the payload, which the registry's client decodes.
        const header = [value[0], value.readUInt32BE(1), ...(format === 'protobuf' ? [value[5]] : [])];
        const decoded = (await client.decode(value)) as Record<string, unknown>;
        // Every field the pipeline computes, read from the decoded record (Protobuf's defaults included).
        got[format].push({ key: String(message.key), header, value: { id: decoded.id, total: decoded.total, coupon: decoded.coupon } });
      },
    });
    try {
      await waitFor(
        'every priced order and the dead letters',
        60_000,
        () => FORMATS.every((f) => got[f].length >= want[f].length) && letters.length >= FORMATS.length + 1,
        () => `${FORMATS.map((f) => `${f}: ${got[f].length} outputs`).join(', ')}, ${letters.length} dead letters\n${diagnostics()}`,
      );
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await reader.disconnect();
    }

    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.id).localeCompare(String(b.id));
    for (const format of FORMATS) {
      const id = registered[format].id;
      expect(
        got[format].map((g) => g.header),
        format,
      ).toEqual(want[format].map(() => (format === 'protobuf' ? [0, id, 0] : [0, id])));
      expect(got[format].map((g) => g.value).sort(byId), format).toEqual([...want[format]].sort(byId));
      expect(
        got[format].every((g) => g.key === g.value.id),
        format,
      ).toBe(true);
      // The id the records carry is the one the registry has for the subject, and names the sink's schema.
      const byIdSchema = (await get(`/schemas/ids/${id}`)) as { schema: string };
      expect(byIdSchema.schema, format).toBe(registered[format].schema);
    }

    expect(letters.map((l) => l.key).sort()).toEqual(['no-indexes', ...FORMATS.map((f) => `stray-${f}`)].sort());
    for (const format of FORMATS) {
      const letter = letters.find((l) => l.key === `stray-${format}`)!;
      expect(letter.node).toBe(source(format));
      expect(letter.error).toMatch(new RegExp(`^the value names schema id ${UNKNOWN_ID}, which the Schema Registry does not have \\(`));
      expect(letter.value.equals(strays[format])).toBe(true);
    }
    const noIndexes = letters.find((l) => l.key === 'no-indexes')!;
    expect(noIndexes.node).toBe(source('protobuf'));
    expect(noIndexes.error).toMatch(/^the (value is Protobuf message \[.*\]|Protobuf message indexes after) .*If the producer writes no message indexes/);
  }, 600_000);
});
