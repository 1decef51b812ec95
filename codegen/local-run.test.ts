/**
 * The local run of a generated repository, checked without Docker: the
 * docker-compose.yml of every example (and of pipelines with awkward sinks)
 * parsed and read as Compose reads it, images pinned, every service healthy
 * before the ones that need it, the Kafka address each side must use; the
 * db/schema.sql applied to the real PostgreSQL on 127.0.0.1:5432 and accepted
 * by the postgres sink's own start-up check and upsert; the stand-in webhook
 * run for real.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkTable, postgresSink, toRow, upsertSql } from '../runtime/kinds/postgres-sink.js';
import { withDefaults } from '../runtime/kinds/spec.js';
import { markdownText } from './escape.js';
import { generate, type FileMap } from './generate.js';
import { LOCAL_IMAGES } from './local-run.js';
import type { Pipeline } from './pipeline.js';
import { nodeAssets, REPO_ROOT } from './node-assets.js';
import { readPipelineFiles } from './node-files.js';
import { parsePipeline } from './parse.js';

type Any = any;

const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples')).filter((d) => {
  try {
    return readFileSync(join(REPO_ROOT, 'examples', d, 'pipeline.yaml')).length > 0;
  } catch {
    return false;
  }
});

const exampleYaml = (name: string) => readFileSync(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), 'utf8');

/** Sinks a user may well write: a schema-qualified table, columns that are SQL keywords, two nodes on one table with different keys, and webhooks the stand-in can and cannot answer for. */
const AWKWARD = `
pipeline: awkward-sinks
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    partitions: 3
    samples:
      - { key: o-1, value: { order: o-1, user: u-1, select: 2, from: true, meta: { a: 1 } } }
  - id: by-order
    kind: postgres-sink
    input: orders
    table: sales.order_lines
    columns: [order, user, select, from, meta]
    key: [order]
  - id: by-user
    kind: postgres-sink
    input: orders
    table: sales.order_lines
    columns: [user, order, group]
    key: [user, order]
    urlEnv: SALES_DB_URL
  - id: hook
    kind: http-sink
    input: orders
    url: http://hooks.example.com:9000/orders
  - id: hook-two
    kind: http-sink
    input: orders
    url: http://audit-service/in
  - id: real-hook
    kind: http-sink
    input: orders
    url: https://hooks.example.org/orders
  - id: local-hook
    kind: http-sink
    input: orders
    url: http://127.0.0.1:9999/x
tests:
  - name: rows as the sinks write them
    input:
      orders:
        - { key: o-1, value: { order: o-1, user: u-1, select: 2, from: true, meta: { a: 1 }, group: g } }
    expect:
      by-order:
        - { key: o-1, value: { order: o-1, user: u-1, select: 2, from: true, meta: '{"a":1}' } }
      by-user:
        - { key: o-1, value: { user: u-1, order: o-1, group: g } }
      hook:
        - { key: o-1, value: { order: o-1, user: u-1, select: 2, from: true, meta: { a: 1 }, group: g } }
      hook-two:
        - { key: o-1, value: { order: o-1, user: u-1, select: 2, from: true, meta: { a: 1 }, group: g } }
      real-hook:
        - { key: o-1, value: { order: o-1, user: u-1, select: 2, from: true, meta: { a: 1 }, group: g } }
      local-hook:
        - { key: o-1, value: { order: o-1, user: u-1, select: 2, from: true, meta: { a: 1 }, group: g } }
`;

interface Generated {
  name: string;
  pipeline: Pipeline;
  files: FileMap;
}

function gen(name: string, yaml: string, dir?: string): Generated {
  const parsed = parsePipeline(yaml);
  expect(
    parsed.problems.filter((x) => x.severity === 'error'),
    name,
  ).toEqual([]);
  const pipeline = parsed.pipeline!;
  const out = generate(pipeline, nodeAssets(), dir ? readPipelineFiles(join(dir, 'pipeline.yaml'), pipeline) : {});
  expect(
    out.problems.filter((x) => x.severity === 'error'),
    name,
  ).toEqual([]);
  return { name, pipeline, files: out.files! };
}

const CASES: Generated[] = [...EXAMPLES.map((e) => gen(e, exampleYaml(e), join(REPO_ROOT, 'examples', e))), gen('awkward-sinks', AWKWARD)];

const PINNED = /^([^@\s]+:[^@\s]+)@sha256:[0-9a-f]{64}$/;

/** The services in an order Compose can start them in: each after everything it depends on; throws on a cycle. */
function startOrder(services: Record<string, Any>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: string, path: string[]) => {
    if (state.get(s) === 'done') return;
    if (state.get(s) === 'visiting') throw new Error(`depends_on cycle: ${[...path, s].join(' → ')}`);
    state.set(s, 'visiting');
    for (const d of Object.keys(services[s].depends_on ?? {})) visit(d, [...path, s]);
    state.set(s, 'done');
    order.push(s);
  };
  for (const s of Object.keys(services)) visit(s, []);
  return order;
}

/** Every service `s` waits for, directly or through others, with the condition of the direct edge. */
function waitsFor(services: Record<string, Any>, s: string, seen = new Map<string, string>()): Map<string, string> {
  for (const [d, how] of Object.entries<Any>(services[s].depends_on ?? {})) {
    if (seen.has(d)) continue;
    seen.set(d, how.condition);
    waitsFor(services, d, seen);
  }
  return seen;
}

/** name → host:port of a Kafka listener list such as HOST://localhost:9092,DOCKER://kafka:19092. */
function listeners(v: string): Map<string, { host: string; port: number }> {
  return new Map(
    v.split(',').map((l) => {
      const m = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(l.trim());
      if (!m) throw new Error(`not a listener: ${l}`);
      return [m[1], { host: m[2], port: Number(m[3]) }];
    }),
  );
}

describe.each(CASES)('docker-compose.yml of $name', ({ pipeline, files }) => {
  const compose = parseYaml(files['docker-compose.yml']);
  const services = compose.services as Record<string, Any>;
  const postgresNodes = pipeline.nodes.filter((n) => n.kind === 'postgres-sink');
  const httpNodes = pipeline.nodes.filter((n) => n.kind === 'http-sink');
  const mockable = httpNodes.filter((n) => /^http:\/\/[a-z][a-z0-9.-]*[a-z0-9](:\d+)?\//.test(String(n.params.url)));

  it('has Kafka, the topics job and the service, PostgreSQL with a postgres sink and the stand-in webhook with an http sink', () => {
    const expected = ['kafka', 'service', 'topics', ...(postgresNodes.length ? ['postgres'] : []), ...(mockable.length ? ['http-sink'] : [])].sort();
    expect(Object.keys(services).sort()).toEqual(expected);
  });

  it('pins every image by digest, with its tag in a comment; the built ones come from a Dockerfile whose FROMs are pinned', () => {
    const lines = files['docker-compose.yml'].split('\n');
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) {
        expect(s.build, name).toBe('.');
        continue;
      }
      const m = PINNED.exec(s.image);
      expect(m, `${name}: ${s.image}`).not.toBeNull();
      expect(
        lines.some((l) => l.trim() === `image: ${s.image} # ${m![1]}`),
        `${name}: the tag beside the digest`,
      ).toBe(true);
    }
    const froms = files.Dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f.split(/\s+/)[1], f).toMatch(PINNED);
    expect(files.Dockerfile).toContain(`# ${LOCAL_IMAGES.node.tag}`);
  });

  it('starts in an order without cycles: every service waits until what it needs is healthy, the service until Kafka, the topics and its sinks are', () => {
    const order = startOrder(services);
    expect(order.indexOf('service')).toBe(order.length - 1);
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, how] of Object.entries<Any>(s.depends_on ?? {})) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
        // A one-shot job is waited for to finish; everything else to be healthy, which needs a healthcheck.
        if (how.condition === 'service_completed_successfully') expect(services[dep].restart, `${dep} is a one-shot`).toBe('no');
        else {
          expect(how.condition, `${name} → ${dep}`).toBe('service_healthy');
          expect(services[dep].healthcheck?.test?.length, `${dep} has a healthcheck`).toBeGreaterThan(0);
        }
      }
    }
    const wanted: Record<string, string> = { kafka: 'service_healthy', topics: 'service_completed_successfully' };
    if (postgresNodes.length) wanted.postgres = 'service_healthy';
    if (mockable.length) wanted['http-sink'] = 'service_healthy';
    expect(Object.fromEntries(waitsFor(services, 'service'))).toEqual(wanted);
    expect(Object.fromEntries(waitsFor(services, 'topics'))).toEqual({ kafka: 'service_healthy' });
    // Long-running services all report health; only one-shot jobs do not.
    for (const [name, s] of Object.entries(services)) if (s.restart !== 'no') expect(s.healthcheck?.test?.length, name).toBeGreaterThan(0);
  });

  it('gives Kafka a listener for this machine (localhost:9092) and one for the containers, which the service and the topics job use', () => {
    const env = services.kafka.environment;
    const bound = listeners(env.KAFKA_LISTENERS);
    const advertised = listeners(env.KAFKA_ADVERTISED_LISTENERS);
    const protocols = new Map(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((x: string) => x.split(':')));
    for (const name of bound.keys()) expect(protocols.has(name), name).toBe(true);
    expect(bound.has(env.KAFKA_CONTROLLER_LISTENER_NAMES)).toBe(true);
    expect(advertised.has(env.KAFKA_INTER_BROKER_LISTENER_NAME)).toBe(true);
    // The host side: advertised as localhost on the port published to 127.0.0.1.
    const host = [...advertised].find(([, a]) => a.host === 'localhost');
    expect(host).toBeDefined();
    expect(services.kafka.ports).toContain(`127.0.0.1:${host![1].port}:${bound.get(host![0])!.port}`);
    // The container side: advertised under the service's name, on a port the broker listens on.
    const inside = [...advertised].find(([, a]) => a.host === 'kafka')!;
    expect(inside).toBeDefined();
    expect(bound.get(inside[0])!.port).toBe(inside[1].port);
    const internal = `kafka:${inside[1].port}`;
    expect(services.service.environment.KAFKA_BROKERS).toBe(internal);
    expect(services.topics.environment.KAFKA_BROKERS).toBe(internal);
    expect(services.topics.environment.CREATE_EXTERNAL_TOPICS).toBe('true');
    expect(services.kafka.healthcheck.test.join(' ')).toContain(internal);
    // The README tells which address is for which side.
    expect(files['README.md']).toContain(`\`localhost:${host![1].port}\``);
    expect(files['README.md']).toContain(`\`${internal}\``);
  });

  it('publishes each port once, on 127.0.0.1 only', () => {
    const published = Object.values(services).flatMap((s: Any) => (s.ports ?? []) as string[]);
    for (const p of published) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    const hostPorts = published.map((p) => p.split(':')[1]);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(services.service.ports).toEqual(['127.0.0.1:8080:8080']);
  });

  it('wires the database: the schema mounted for the first start, every connection-string variable pointing at it', () => {
    if (!postgresNodes.length) {
      expect(files['db/schema.sql']).toBeUndefined();
      return;
    }
    const db = services.postgres;
    expect(db.volumes).toContain('./db/schema.sql:/docker-entrypoint-initdb.d/schema.sql:ro');
    expect(files['db/schema.sql']).toBeDefined();
    for (const n of postgresNodes) {
      const url = new URL(services.service.environment[withDefaults(postgresSink, n.params).urlEnv]);
      expect(url.hostname).toBe('postgres');
      expect(url.port).toBe('5432');
      expect(decodeURIComponent(url.username)).toBe(db.environment.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(db.environment.POSTGRES_PASSWORD);
      expect(url.pathname.slice(1)).toBe(db.environment.POSTGRES_DB);
    }
    expect(db.healthcheck.test.join(' ')).toContain('pg_isready');
  });

  it("answers for every http sink it can under the sink URL's host and port, and the README names the ones it cannot", () => {
    if (!mockable.length) {
      expect(files['local/mock-http-sink.mjs']).toBeUndefined();
      return;
    }
    const mock = services['http-sink'];
    const ports = String(mock.environment.MOCK_PORTS).split(',');
    for (const n of mockable) {
      const u = new URL(String(n.params.url));
      expect(mock.networks.default.aliases, n.id).toContain(u.hostname);
      expect(ports, n.id).toContain(u.port || '80');
    }
    expect(mock.volumes).toEqual(['./local/mock-http-sink.mjs:/mock/mock-http-sink.mjs:ro']);
    expect(files['local/mock-http-sink.mjs']).toBeDefined();
    for (const n of httpNodes.filter((x) => !mockable.includes(x))) {
      expect(mock.networks.default.aliases).not.toContain(new URL(String(n.params.url)).hostname);
      expect(files['README.md'], n.id).toContain(`calls ${markdownText(String(n.params.url))} for real`);
    }
  });

  it("gives the README's quick start the script it runs: npm run produce-samples", () => {
    const pkg = JSON.parse(files['package.json']);
    expect(pkg.scripts['produce-samples']).toBe('node dist/src/produce-samples.js');
    expect(files['src/produce-samples.ts']).toBeDefined();
    expect(files['README.md']).toMatch(/```sh\ndocker compose up --build -d[^\n]*\nnpm ci && npm run build[^\n]*\nnpm run produce-samples/);
  });
});

describe('db/schema.sql on the real PostgreSQL', () => {
  const PG_URL = process.env.PW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const databases: string[] = [];
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    for (const d of databases) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    await admin.end();
  });

  const withPostgres = CASES.filter((c) => c.pipeline.nodes.some((n) => n.kind === 'postgres-sink'));

  it('covers an example and the awkward sinks', () => {
    expect(withPostgres.map((c) => c.name)).toEqual(expect.arrayContaining(['order-validation', 'awkward-sinks']));
  });

  it.each(withPostgres)(
    "$name: applies to a fresh database, passes the sink's start-up check, and takes the rows its tests expect",
    async ({ pipeline, files }) => {
      const database = `pw_schema_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      databases.push(database);
      await admin.end();
      const url = new URL(PG_URL);
      url.pathname = `/${database}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
      try {
        await pool.query(files['db/schema.sql']);
        for (const n of pipeline.nodes.filter((x) => x.kind === 'postgres-sink')) {
          const table = String(n.params.table);
          const columns = n.params.columns as string[];
          const key = n.params.key as string[];
          await expect(checkTable(pool, table, columns, key), n.id).resolves.toBeUndefined();
          // What the sink writes: the tests' rows, through its own statement.
          const rows = pipeline.tests.flatMap((t) => t.expect[n.id] ?? []).map((e) => toRow(e.value, columns));
          expect(rows.length, `${n.id} has expected rows to write`).toBeGreaterThan(0);
          for (const row of rows)
            await pool.query(
              upsertSql(table, columns, key, 1),
              columns.map((c) => row[c]),
            );
          const count = await pool.query(
            `SELECT count(*)::int AS n FROM ${table
              .split('.')
              .map((s) => `"${s}"`)
              .join('.')}`,
          );
          expect(count.rows[0].n).toBeGreaterThan(0);
        }
      } finally {
        await pool.end();
      }
    },
  );
});

describe('the stand-in webhook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipewright-mock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });

  it('answers 200 on every port it is given and logs each request with its body', async () => {
    const files = CASES.find((c) => c.files['local/mock-http-sink.mjs'])!.files;
    const script = join(dir, 'mock-http-sink.mjs');
    writeFileSync(script, files['local/mock-http-sink.mjs']);
    const ports = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [script], { env: { ...process.env, MOCK_PORTS: ports.join(',') }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => ports.every((p) => out.includes(`port ${p}`)) && resolve());
        child.on('exit', (code) => reject(new Error(`the stand-in exited with ${code}: ${out}`)));
      });
      for (const [i, port] of ports.entries()) {
        const res = await fetch(`http://127.0.0.1:${port}/work`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jobId: `j-${i}` }),
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ ok: true });
      }
      expect((await fetch(`http://127.0.0.1:${ports[0]}/healthz`)).status).toBe(200);
      const logged = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      expect(logged.map((l) => ({ method: l.method, path: l.path, body: l.body }))).toEqual([
        { method: 'POST', path: '/work', body: '{"jobId":"j-0"}' },
        { method: 'POST', path: '/work', body: '{"jobId":"j-1"}' },
      ]);
    } finally {
      child.kill();
    }
  });
});
