// Integration tests of two generated services against the real broker from test/global-setup.ts
// and the real PostgreSQL on 127.0.0.1:5432 (database test, trust auth):
//   - request-buffering: clients POST jobs to the service's /jobs endpoint; each 202 means Kafka
//     has the job, which the test checks on the topic itself; the same service consumes the topic
//     and hands valid jobs to a webhook (a real HTTP server here), invalid ones to the dead-letter
//     topic; bad JSON gets 400, too large bodies 413; SIGTERM exits 0.
//   - order-validation: orders on the input topic, enriched from a customers table topic, end up as
//     rows of a PostgreSQL table (upserted on order_id), on orders.accepted or on orders.rejected, as
//     the pipeline's rules say.
// Each run works on a copy of the example whose topics, group, table and webhook are its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, type Document } from 'yaml';
import { brokers, freePort, mustRun, repoRoot, waitFor, createExternalTopics } from './process.js';

const PG_URL = process.env.PW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Service {
  child: ChildProcess;
  port: number;
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Generates the pipeline with the CLI and builds it. The generated package.json pins the same
 * kafkajs, ajv, pg, typescript and @types/node as this repository, so its node_modules stands in
 * for `npm install` (the large-orders integration test covers installing from the registry).
 */
async function generateAndBuild(doc: Document, work: string, env: NodeJS.ProcessEnv): Promise<string> {
  const file = join(work, 'pipeline.yaml');
  writeFileSync(file, doc.toString());
  const dir = join(work, 'service');
  await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', dir], { cwd: repoRoot, timeoutMs: 60_000 });
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const ours = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  for (const [name, version] of Object.entries(pkg.dependencies)) expect(ours.dependencies[name] ?? ours.devDependencies[name], name).toBe(version);
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await mustRun(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 120_000 });
  await createExternalTopics(dir);
  await mustRun(process.execPath, ['dist/src/topics.js'], { cwd: dir, env, timeoutMs: 60_000 });
  return dir;
}

function start(dir: string, port: number, env: NodeJS.ProcessEnv): Service {
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: dir, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => output.push(`[stderr] ${d}`));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, port, output, exit };
}

/** Every message of `topics` from the beginning, read by a group of its own, until `done` says so. */
async function readTopics(
  kafka: Kafka,
  topics: string[],
  done: (got: Map<string, KafkaMessage[]>) => boolean,
  timeoutMs: number,
): Promise<Map<string, KafkaMessage[]>> {
  const got = new Map<string, KafkaMessage[]>(topics.map((t) => [t, []]));
  const consumer = kafka.consumer({ groupId: `verify-${randomUUID().slice(0, 8)}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, message }) => void got.get(topic)!.push(message) });
  try {
    await waitFor(
      `messages on ${topics.join(', ')}`,
      timeoutMs,
      async () => done(got),
      () => JSON.stringify([...got].map(([t, m]) => [t, m.length])),
    );
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function sigterm(s: Service): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  s.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no exit within 25s after SIGTERM:\n${s.output.slice(-20).join('')}`)), 25_000),
  );
  return Promise.race([s.exit, timeout]);
}

describe('generated request-buffering service: HTTP in, Kafka as the buffer, webhook out', () => {
  const runId = randomUUID().slice(0, 8);
  const name = `request-buffering-it-${runId}`;
  const topic = `image-jobs-it-${runId}`;
  const deadLetters = `${name}.dead-letter`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-ingest-it-'));
  let kafka: Kafka;
  let admin: Admin;
  let webhook: Server;
  const delivered: { body: Record<string, unknown>; idempotencyKey: string }[] = [];
  let service: Service | undefined;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-ingest-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    // The image worker: a real HTTP server that answers 503 to every fifth first attempt, so retries happen.
    const attempts = new Map<string, number>();
    webhook = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        const job = JSON.parse(body) as Record<string, unknown>;
        if (n === 1 && Number(String(job.jobId).slice(2)) % 5 === 0) return void res.writeHead(503).end('busy');
        delivered.push({ body: job, idempotencyKey: key });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));

    const doc = parseDocument(readFileSync(join(repoRoot, 'examples/request-buffering/pipeline.yaml'), 'utf8'));
    doc.set('pipeline', name);
    doc.setIn(['nodes', 0, 'topic'], topic);
    doc.setIn(['nodes', 0, 'partitions'], 3);
    doc.setIn(['nodes', 3, 'url'], `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/work`);
    doc.setIn(['nodes', 3, 'backoffMs'], 20);
    doc.set('kafka', doc.createNode({ profile: 'plaintext', mechanism: 'scram-sha-512', replicationFactor: 1 }));
    env = { ...process.env, KAFKA_BROKERS: brokers(), KAFKAJS_NO_PARTITIONER_WARNING: '1', LOG_LEVEL: 'info' };
    dir = await generateAndBuild(doc, work, env);
  }, 240_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
    webhook?.closeAllConnections();
    await new Promise((r) => (webhook ? webhook.close(r) : r(undefined)));
    if (admin) {
      await admin.deleteGroups([name]).catch(() => {});
      await admin.deleteTopics({ topics: [topic, deadLetters] }).catch(() => {});
      await admin.disconnect();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('answers 202 once Kafka has each job, hands valid jobs to the webhook in order per customer, and rejects bad requests clearly', async () => {
    service = start(dir, await freePort(), env);
    const url = `http://127.0.0.1:${service.port}`;
    const diagnostics = () => service!.output.slice(-30).join('');
    await waitFor('/readyz to answer 200', 60_000, async () => (await fetch(`${url}/readyz`)).status === 200, diagnostics);

    // 600 valid jobs from 30 customers as 600 concurrent requests, 100 more as one JSON-lines request, and 20 invalid ones.
    const job = (i: number) => ({ jobId: `j-${i}`, customerId: `c-${i % 30}`, action: i % 2 ? 'resize' : 'thumbnail', ...(i % 3 ? { width: 100 + i } : {}) });
    const began = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job(i)) }),
      ),
    );
    const requestMs = performance.now() - began;
    expect(answers.map((a) => a.status).filter((s) => s !== 202)).toEqual([]);
    expect(await answers[0].json()).toEqual({ accepted: 1 });
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify(job(600 + i))).join('\n');
    const batch = await fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
    expect(batch.status).toBe(202);
    expect(await batch.json()).toEqual({ accepted: 100 });
    for (let i = 0; i < 20; i++) {
      const bad = await fetch(`${url}/jobs`, { method: 'POST', body: JSON.stringify({ jobId: `bad-${i}`, customerId: `c-${i}`, action: 'explode' }) });
      expect(bad.status).toBe(202);
    }

    // Bad requests never reach Kafka.
    const broken = await fetch(`${url}/jobs`, { method: 'POST', body: '{"jobId": "j-x", ' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/^the request body is not valid JSON/);
    const huge = await fetch(`${url}/jobs`, { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) });
    expect(huge.status).toBe(413);
    expect((await fetch(`${url}/jobs`)).status).toBe(405);

    // Every accepted job is on the topic, keyed by customer; nothing else is.
    const onTopic = await readTopics(kafka, [topic], (got) => got.get(topic)!.length >= 720, 60_000);
    const jobs = onTopic.get(topic)!;
    expect(jobs).toHaveLength(720);
    for (const m of jobs) expect(m.key?.toString()).toBe(JSON.parse(m.value!.toString()).customerId);

    // The worker side: 700 valid jobs delivered (retries included), shaped, in order per customer; 20 dead letters.
    await waitFor('700 jobs at the webhook', 60_000, async () => delivered.length >= 700, diagnostics);
    expect(delivered).toHaveLength(700);
    expect(new Set(delivered.map((d) => d.idempotencyKey)).size).toBe(700);
    const want = Array.from({ length: 700 }, (_, i) => ({ ...job(i), width: (job(i) as { width?: number }).width ?? 256 }));
    for (let c = 0; c < 30; c++) {
      type Job = { customerId: unknown; jobId: string };
      const mine = (list: Job[]) => list.filter((j) => j.customerId === `c-${c}`).map((j) => j.jobId);
      // Concurrent requests have no order among them; the order to keep is the one Kafka gave them.
      const topicOrder = mine(jobs.map((m) => JSON.parse(m.value!.toString()) as Job)).filter((id) => !id.startsWith('bad'));
      expect(mine(delivered.map((d) => d.body as Job))).toEqual(topicOrder);
    }
    expect([...delivered.map((d) => d.body)].sort((a, b) => String(a.jobId).localeCompare(String(b.jobId)))).toEqual(
      want.sort((a, b) => a.jobId.localeCompare(b.jobId)),
    );
    const dead = await readTopics(kafka, [deadLetters], (got) => got.get(deadLetters)!.length >= 20, 30_000);
    expect(dead.get(deadLetters)!).toHaveLength(20);
    expect(String(dead.get(deadLetters)![0].headers!['pipewright.error'])).toMatch(/must be equal to one of the allowed values/);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`pipewright_ingest_events_total\\{pipeline="${name}"\\} 720`));
    expect(metrics).toMatch(/status="400"\} 1/);
    expect(metrics).toMatch(/status="413"\} 1/);
    console.info(
      `[integration] request-buffering: 600 concurrent POSTs answered 202 in ${Math.round(requestMs)} ms (${Math.round(600 / (requestMs / 1000))} requests/s)`,
    );

    expect(await sigterm(service)).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe('generated order-validation service: orders to PostgreSQL and to accepted / rejected topics', () => {
  const runId = randomUUID().slice(0, 8);
  const name = `order-validation-it-${runId}`;
  const input = `orders-it-${runId}`;
  const accepted = `orders-accepted-it-${runId}`;
  const rejected = `orders-rejected-it-${runId}`;
  const customers = `customers-it-${runId}`;
  const table = `accepted_orders_it_${runId.replace(/-/g, '_')}`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-orders-it-'));
  let kafka: Kafka;
  let admin: Admin;
  let db: pg.Client;
  let service: Service | undefined;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-orders-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await db.query(
      `CREATE TABLE ${table} (order_id text PRIMARY KEY, customer_id text NOT NULL, customer_name text, total numeric NOT NULL, units integer NOT NULL, status text NOT NULL)`,
    );

    const doc = parseDocument(readFileSync(join(repoRoot, 'examples/order-validation/pipeline.yaml'), 'utf8'));
    doc.set('pipeline', name);
    doc.set('kafka', doc.createNode({ profile: 'plaintext', mechanism: 'scram-sha-512', replicationFactor: 1 }));
    const topics: Record<string, string> = { orders: input, accepted, rejected, customers };
    (doc.get('nodes') as { items: unknown[] }).items.forEach((_, i) => {
      const id = String(doc.getIn(['nodes', i, 'id']));
      if (topics[id]) doc.setIn(['nodes', i, 'topic'], topics[id]);
      if (doc.getIn(['nodes', i, 'partitions']) !== undefined) doc.setIn(['nodes', i, 'partitions'], 3);
      if (id === 'orders-table') doc.setIn(['nodes', i, 'table'], table);
    });
    env = { ...process.env, KAFKA_BROKERS: brokers(), KAFKAJS_NO_PARTITIONER_WARNING: '1', DATABASE_URL: PG_URL };
    dir = await generateAndBuild(doc, work, env);
  }, 240_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
    await db?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await db?.end();
    if (admin) {
      await admin.deleteGroups([name]).catch(() => {});
      await admin.deleteTopics({ topics: [input, accepted, rejected, customers, `${name}.dead-letter`] }).catch(() => {});
      await admin.disconnect();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('writes the expected rows, accepted and rejected orders, and overwrites a row when its order comes again', async () => {
    // The customers table: c-0 … c-15 with credit limits from 1,000 to 2,500; c-16 is unknown.
    const limit = (c: number) => 1000 + 100 * c;
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic: customers,
      acks: -1,
      messages: Array.from({ length: 16 }, (_, c) => ({
        key: `c-${c}`,
        value: JSON.stringify({ customerId: `c-${c}`, name: `Customer ${c}`, creditLimit: limit(c) }),
      })),
    });
    service = start(dir, await freePort(), env);
    const diagnostics = () => service!.output.slice(-30).join('');
    await waitFor('/readyz to answer 200', 60_000, async () => (await fetch(`http://127.0.0.1:${service!.port}/readyz`)).status === 200, diagnostics);

    // 300 orders: every seventh over the limit (rejected by the rules), every eleventh malformed (rejected by the schema).
    const orders = Array.from({ length: 300 }, (_, i) => {
      const units = 1 + (i % 4);
      const price = i % 7 === 0 ? 2000 : 10 + (i % 13);
      const order = { orderId: `o-${i}`, customerId: `c-${i % 17}`, items: [{ sku: `p-${i % 5}`, units, price }], total: units * price };
      return i % 11 === 0 ? { ...order, customerId: 17 } : order;
    });
    const customerOf = (o: (typeof orders)[number]) => (typeof o.customerId === 'string' ? Number(o.customerId.slice(2)) : -1);
    const isAccepted = (o: (typeof orders)[number]) => customerOf(o) >= 0 && customerOf(o) < 16 && o.total <= limit(customerOf(o));
    await producer.send({ topic: input, acks: -1, messages: orders.map((o) => ({ key: o.orderId, value: JSON.stringify(o) })) });
    // o-1 again, changed: the upsert overwrites its row.
    const again = { ...orders[1], items: [{ sku: 'p-1', units: 5, price: 3 }], total: 15 };
    await producer.send({ topic: input, acks: -1, messages: [{ key: again.orderId, value: JSON.stringify(again) }] });
    await producer.disconnect();

    const want = orders.filter(isAccepted);
    const wantRejected = orders.length - want.length;
    const got = await readTopics(
      kafka,
      [accepted, rejected],
      (m) => m.get(accepted)!.length >= want.length + 1 && m.get(rejected)!.length >= wantRejected,
      60_000,
    );
    expect(got.get(accepted)!).toHaveLength(want.length + 1);
    expect(got.get(rejected)!).toHaveLength(wantRejected);
    const schemaRejects = got.get(rejected)!.filter((m) => m.headers?.['pipewright.error']);
    expect(schemaRejects).toHaveLength(orders.filter((_, i) => i % 11 === 0).length);

    const rows = await waitFor(
      'every accepted order in PostgreSQL',
      30_000,
      async () => {
        const r = await db.query(`SELECT order_id, customer_id, customer_name, total::float8 AS total, units, status FROM ${table}`);
        const sorted = r.rows.sort((x, y) => (x.order_id < y.order_id ? -1 : 1));
        return sorted.length === want.length && sorted.find((x) => x.order_id === 'o-1')?.total === 15 ? sorted : false;
      },
      diagnostics,
    );
    const expected = want
      .map((o) => (o.orderId === 'o-1' ? again : o))
      .map((o) => ({
        order_id: o.orderId,
        customer_id: o.customerId,
        customer_name: `Customer ${customerOf(o)}`,
        total: o.total,
        units: o.items.reduce((n, i) => n + i.units, 0),
        status: 'accepted',
      }))
      .sort((a, b) => (a.order_id < b.order_id ? -1 : 1));
    expect(rows).toEqual(expected);

    expect(await sigterm(service)).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe('generated service with a generator source on the real broker', () => {
  const runId = randomUUID().slice(0, 8);
  const name = `generator-it-${runId}`;
  const generated = `generated-it-${runId}`;
  const large = `large-it-${runId}`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-generator-it-'));
  let kafka: Kafka;
  let admin: Admin;
  let service: Service | undefined;

  afterAll(async () => {
    if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
    if (admin) {
      await admin.deleteGroups([name]).catch(() => {});
      await admin.deleteTopics({ topics: [generated, large, `${name}.dead-letter`] }).catch(() => {});
      await admin.disconnect();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('produces the seeded events at the rate, consumes them, and writes what the filter keeps', async () => {
    kafka = new Kafka({ clientId: `pw-gen-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    const fields = { id: 'seq', user: 'pick(alice,bob,carol)', amount: 'uniform(1,500)' };
    const doc = parseDocument(
      [
        `pipeline: ${name}`,
        'kafka: { replicationFactor: 1 }',
        'nodes:',
        `  - { id: orders, kind: generator, topic: ${generated}, key: user, rate: 100, count: 120, seed: 42, fields: ${JSON.stringify(fields)} }`,
        '  - { id: big, kind: filter, input: orders, where: "value.amount >= 250" }',
        `  - { id: out, kind: kafka-sink, input: big, topic: ${large} }`,
      ].join('\n'),
    );
    const env = { ...process.env, KAFKA_BROKERS: brokers(), KAFKAJS_NO_PARTITIONER_WARNING: '1' };
    const dir = await generateAndBuild(doc, work, env);
    const began = Date.now();
    service = start(dir, await freePort(), env);

    // The same generator, in memory, says what must arrive.
    const { EventGenerator } = await import('../../runtime/kinds/generator.js');
    const gen = new EventGenerator({ fields, key: 'user', count: 120, seed: 42 });
    const all = Array.from({ length: 120 }, () => gen.next(0));
    const want = all.filter((e) => (e.value as { amount: number }).amount >= 250);
    const got = await readTopics(kafka, [generated, large], (m) => m.get(generated)!.length >= 120 && m.get(large)!.length >= want.length, 60_000);
    const elapsed = Date.now() - began;
    expect(
      got
        .get(generated)!
        .map((m) => JSON.parse(m.value!.toString()))
        .sort((a, b) => a.id - b.id),
    ).toEqual(all.map((e) => e.value));
    expect(
      got
        .get(large)!
        .map((m) => [m.key?.toString(), JSON.parse(m.value!.toString())])
        .sort((a, b) => a[1].id - b[1].id),
    ).toEqual(want.map((e) => [e.key, e.value]));
    // 120 events at 100 per second take over a second.
    expect(elapsed).toBeGreaterThan(1000);
    expect(await sigterm(service)).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe('generated service with a generator source on two replicas, the generating one killed', () => {
  const runId = randomUUID().slice(0, 8);
  const name = `generator-ha-it-${runId}`;
  const generated = `generated-ha-it-${runId}`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-generator-ha-it-'));
  const services: Service[] = [];
  let kafka: Kafka;
  let admin: Admin;

  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    if (admin) {
      await admin.deleteGroups([name, `${name}.generator.orders`, `${name}.generator.orders.progress`]).catch(() => {});
      await admin.deleteTopics({ topics: [generated, `${name}.dead-letter`] }).catch(() => {});
      await admin.disconnect();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('generates on one replica at a time, and the survivor continues the sequence with nothing repeated or skipped', async () => {
    kafka = new Kafka({ clientId: `pw-gen-ha-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    const COUNT = 1500;
    const doc = parseDocument(
      [
        `pipeline: ${name}`,
        'kafka: { replicationFactor: 1 }',
        'nodes:',
        `  - { id: orders, kind: generator, topic: ${generated}, rate: 150, count: ${COUNT}, seed: 9, fields: { id: seq, amount: "uniform(1,500)" } }`,
        '  - { id: out, kind: log-sink, input: orders }',
      ].join('\n'),
    );
    const env = { ...process.env, KAFKA_BROKERS: brokers(), KAFKAJS_NO_PARTITIONER_WARNING: '1', LOG_LEVEL: 'info' };
    const dir = await generateAndBuild(doc, work, env);
    services.push(start(dir, await freePort(), env), start(dir, await freePort(), env));
    const logs = (s: Service) => s.output.join('');
    /** What a replica last said about the generator: whether it owns it after the last rebalance. */
    const owns = (s: Service) => {
      const text = logs(s);
      return text.lastIndexOf('this replica owns the generator') > text.lastIndexOf('another replica owns the generator');
    };
    const stable = async () => {
      const { groups } = await admin.describeGroups([`${name}.generator.orders`]);
      return groups[0]?.state === 'Stable' && groups[0].members.length === 2 && services.every((s) => /owns the generator/.test(logs(s)));
    };
    await waitFor('both replicas in the generator group', 90_000, stable, () => services.map(logs).join('\n'));
    expect(services.filter(owns)).toHaveLength(1);
    const owner = services.find(owns)!;
    const other = services.find((s) => s !== owner)!;
    // Kill the generating replica once it is well into the sequence.
    await waitFor('a third of the events', 60_000, async () => (await admin.fetchTopicOffsets(generated)).reduce((n, o) => n + Number(o.high), 0) > COUNT / 3);
    expect(owns(other)).toBe(false);
    owner.child.kill('SIGKILL');
    await owner.exit;
    await waitFor(
      'the survivor to take the generator over',
      90_000,
      async () => owns(other),
      () => logs(other),
    );

    // Read committed (kafkajs's default): what the killed replica had not committed is not there.
    const got = await readTopics(kafka, [generated], (m) => m.get(generated)!.length >= COUNT, 120_000);
    await new Promise((r) => setTimeout(r, 1500));
    const ids = got.get(generated)!.map((m) => (JSON.parse(m.value!.toString()) as { id: number }).id);
    const { EventGenerator } = await import('../../runtime/kinds/generator.js');
    const gen = new EventGenerator({ fields: { id: 'seq', amount: 'uniform(1,500)' }, count: COUNT, seed: 9 });
    const want = Array.from({ length: COUNT }, () => gen.next(0).value);
    const values = got.get(generated)!.map((m) => JSON.parse(m.value!.toString()) as { id: number });
    expect(ids.length).toBe(COUNT);
    expect(values.sort((a, b) => a.id - b.id)).toEqual(want);
    expect(logs(other)).toMatch(/"msg":"generator continues its sequence".*"seq":[1-9]/);
    expect(await sigterm(other)).toEqual({ code: 0, signal: null });
  }, 300_000);
});
