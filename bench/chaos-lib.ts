/**
 * The chaos runner's scenarios, shared by bench/chaos.ts (the full matrix, on a broker of its own)
 * and test/integration/chaos.integration.test.ts (a small subset on the test broker): the
 * pipelines, how one scenario runs against a built generated service, and how its outputs are
 * compared with what was expected. See bench/chaos.ts for the columns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssignerProtocol, Partitioners, type Admin, type Consumer, type Kafka } from 'kafkajs';
import pg from 'pg';
import { buildGenerated } from './common.js';
import { OFFSETS_TABLE, offsetsTableSql } from '../runtime/kinds/postgres-sink.js';
import { freePort } from '../test/integration/process.js';

export interface Settings {
  events: number;
  keys: number;
  replicas: number;
  /** How long the events take to arrive. */
  seconds: number;
  delivery: string;
  /** KAFKA_SESSION_TIMEOUT_MS of the replicas (the service's default when left out). */
  sessionTimeoutMs?: number;
  /** http-sink-down: how long the webhook answers 503 (30 s when left out). */
  hookDownMs?: number;
}

/** What the webhook of the http-sink pipeline answered 2xx (each body with its Idempotency-Key); it answers 503 while `down` is set. */
export interface Webhook {
  down: boolean;
  /** `at`: when the request arrived (ms since the epoch). */
  bodies: { id: number; key: string; seq: number; idempotencyKey?: string; at?: number }[];
}

/** Starts the webhook of the http-sink pipeline on 127.0.0.1: it records every body it accepts, and answers 503 while `hook.down`. */
export async function startWebhook(): Promise<{ hook: Webhook; url: string; close: () => Promise<void> }> {
  const hook: Webhook = { down: false, bodies: [] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (hook.down) return void res.writeHead(503).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; key: string; seq: number };
      const idempotencyKey = req.headers['idempotency-key'];
      hook.bodies.push({ ...body, idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined, at: Date.now() });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    hook,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const PARTITIONS = 6;
const MINUTE = 60_000;
const BASE = Date.UTC(2024, 0, 1);

export type PipelineName = 'stateless' | 'windowed' | 'joined' | 'branch-window' | 'http-sink' | 'postgres-sink';
export type ScenarioName = 'kill' | 'rolling' | 'broker-restart' | 'broker-pause' | 'http-sink-down' | 'postgres-sink-down' | 'poison';

/**
 * The PostgreSQL of the postgres-sink scenario: the runner connects as `admin` (a superuser) to
 * create each run's table and to take the writer's rights away; the replicas connect as `ROLE`, an
 * ordinary role, because a superuser's INSERT cannot be revoked.
 */
export const POSTGRES = { admin: 'postgres://postgres@127.0.0.1:5432/postgres', writer: 'postgres://pipewright_chaos_writer@127.0.0.1:5432/postgres', role: 'pipewright_chaos_writer' };

/** One event: key k<n>, its n-th event of that key; units decide filters and routes; t is event time. */
interface Event {
  id: number;
  key: string;
  seq: number;
  units: number;
  t: number;
  poison: boolean;
}

function yamlOf(name: PipelineName, webhook: string, delivery: string): string {
  const head = [
    'version: 2',
    `pipeline: chaos-${name}`,
    delivery === 'at-least-once' ? '' : `delivery: ${delivery}`,
    'errors: { policy: dead-letter }',
    'nodes:',
    '  - id: orders',
    '    kind: kafka-source',
    '    topic: chaos-in',
    '    format: json',
    `    partitions: ${PARTITIONS}`,
    '    samples:',
    '      - { key: k1, value: { id: 1, key: k1, seq: 0, units: 3, t: 1704067200000 } }',
  ];
  const sink = (input: string) => ['  - id: out', '    kind: kafka-sink', `    input: ${input}`, '    topic: chaos-out', `    partitions: ${PARTITIONS}`];
  const window = (input: string) => ['  - id: per-minute', '    kind: window', `    input: ${input}`, '    size: 1m', '    grace: 5s', '    time: value.t', '    sum: value.units'];
  const body: Record<PipelineName, string[]> = {
    stateless: [
      '  - id: keep', '    kind: filter', '    input: orders', '    where: value.units % 5 !== 0',
      '  - id: shape', '    kind: map', '    input: keep', '    to: "({ id: value.id, key: value.key, seq: value.seq, double: value.units * 2 })"',
      ...sink('shape'),
    ],
    windowed: [...window('orders'), ...sink('per-minute')],
    joined: [
      '  - id: customers', '    kind: kafka-source', '    topic: chaos-table', '    format: json', `    partitions: ${PARTITIONS}`,
      '    samples:', '      - { key: k1, value: { tier: gold } }',
      '  - id: enrich', '    kind: join', '    input: { in: orders, other: customers }', '    mode: table', '    as: customer', '    how: left',
      ...sink('enrich'),
    ],
    'branch-window': [
      '  - id: route', '    kind: branch', '    input: orders', '    routes:', '      big: value.units >= 5',
      ...window('route.big'), ...sink('per-minute'),
    ],
    'postgres-sink': [
      '  - id: rows', '    kind: postgres-sink', '    input: orders', '    table: chaos_rows', '    columns: [id, key, seq, units]', '    key: [id]',
      '    urlEnv: CHAOS_DATABASE_URL', '    retries: 10', '    backoffMs: 200',
    ],
    'http-sink': [
      '  - id: hook', '    kind: http-sink', '    input: orders', `    url: ${webhook}`, '    retries: 10', '    backoffMs: 200', '    timeoutMs: 2000',
    ],
  };
  return [...head.filter(Boolean), ...body[name]].join('\n') + '\n';
}

/** What the pipeline should output, by output key: a value, or a list of values in order (per-event outputs). */
export function expected(name: PipelineName, events: Event[]): { perEvent: Map<number, string> | undefined; windows: Map<string, { count: number; sum: number }> | undefined } {
  const good = events.filter((e) => !e.poison);
  if (name === 'stateless') return { perEvent: new Map(good.filter((e) => e.units % 5 !== 0).map((e) => [e.id, e.key])), windows: undefined };
  if (name === 'joined' || name === 'http-sink' || name === 'postgres-sink') return { perEvent: new Map(good.map((e) => [e.id, e.key])), windows: undefined };
  const windows = new Map<string, { count: number; sum: number }>();
  for (const e of good) {
    if (name === 'branch-window' && e.units < 5) continue;
    const start = Math.floor(e.t / MINUTE) * MINUTE;
    const k = `${e.key}@${new Date(start).toISOString()}`;
    const w = windows.get(k) ?? { count: 0, sum: 0 };
    w.count++;
    w.sum += e.units;
    windows.set(k, w);
  }
  return { perEvent: undefined, windows };
}

interface Replica {
  child: ChildProcess;
  clientId: string;
  port: number;
  output: string[];
  exited: Promise<void>;
  gone: boolean;
}

export interface Row {
  pipeline: string;
  scenario: string;
  delivery: string;
  eventsIn: number;
  outputs: number;
  lost: number;
  duplicated: number;
  orderBreaks: number;
  exactWindows: string;
  deadLetters: number;
  recoverSeconds: number;
  faults: number;
  /** Exactly-once, kill: kills that hit the replica with a transaction open. */
  midTransaction: number;
  /**
   * Sinks outside Kafka (postgres-sink, http-sink): of the outputs written more than once
   * (`duplicated`), those a receiver absorbs. Postgres: every upsert that hit a row already written
   * (the replay writes the same values again; the primary key keeps one row per event). HTTP: every
   * request whose Idempotency-Key had already been answered 2xx, which a receiver can drop.
   */
  absorbed?: number;
  /**
   * HTTP: for each request whose Idempotency-Key had already been answered, the time since the first
   * answered request with it arrived. A request sent again because its answer did not reach the sink
   * within `timeoutMs` comes about `timeoutMs` plus one backoff later.
   */
  repeatGapsMs?: number[];
  note: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Kills replicas of an exactly-once service in the middle of a transaction, and proves it. A reader
 * of its own (read_uncommitted) follows how far records go in `topics`. To kill a replica, it is
 * stopped (SIGSTOP); if a partition that only this replica writes to (`exclusive`, from its current
 * assignment) holds records past the partition's last stable offset (what read_committed consumers
 * may read up to), one of its transactions is open, and it is killed (SIGKILL); otherwise it
 * continues (SIGCONT) and is tried again a moment later.
 */
export class TransactionWatch {
  private readonly seen = new Map<string, number>();
  private readonly reader: Consumer;

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly topics: string[],
  ) {
    this.reader = kafka.consumer({ groupId: `txn-watch-${randomUUID()}`, readUncommitted: true, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  }

  async start(): Promise<void> {
    const joined = new Promise<void>((resolve) => this.reader.on(this.reader.events.GROUP_JOIN, () => resolve()));
    await this.reader.connect();
    await this.reader.subscribe({ topics: this.topics, fromBeginning: true });
    await this.reader.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const last = batch.messages.at(-1);
        if (last) this.seen.set(`${batch.topic}:${batch.partition}`, Number(last.offset) + 1);
      },
    });
    await joined;
  }

  /** Whether a transaction is open on one of these partitions. */
  async open(partitions: { topic: string; partition: number }[]): Promise<boolean> {
    for (const topic of new Set(partitions.map((p) => p.topic))) {
      // kafkajs's admin lists offsets read_committed: `high` is the last stable offset.
      for (const o of await this.admin.fetchTopicOffsets(topic)) {
        if (!partitions.some((p) => p.topic === topic && p.partition === o.partition)) continue;
        if ((this.seen.get(`${topic}:${o.partition}`) ?? 0) > Number(o.high)) return true;
      }
    }
    return false;
  }

  /**
   * Kills the replica `pid` (consumer client id `clientId` in `groupId`) while one of its transactions is
   * open; false when none was found open within `timeoutMs` (the replica then still runs).
   */
  async killMidTransaction(o: {
    pid: number;
    groupId: string;
    clientId: string;
    exclusive: (assignment: Record<string, number[]>) => { topic: string; partition: number }[];
    timeoutMs: number;
  }): Promise<boolean> {
    for (const deadline = Date.now() + o.timeoutMs; Date.now() < deadline; await sleep(20 + Math.random() * 60)) {
      const { groups } = await this.admin.describeGroups([o.groupId]);
      if (groups[0]?.state !== 'Stable') continue;
      const member = groups[0].members.find((m) => m.clientId === o.clientId);
      if (!member) continue;
      const partitions = o.exclusive(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {});
      if (partitions.length === 0) continue;
      process.kill(o.pid, 'SIGSTOP');
      let open = false;
      try {
        // What it wrote before it stopped reaches the reader.
        await sleep(150);
        open = await this.open(partitions);
      } finally {
        process.kill(o.pid, open ? 'SIGKILL' : 'SIGCONT');
      }
      if (open) return true;
    }
    return false;
  }

  async stop(): Promise<void> {
    await this.reader.disconnect();
  }
}

/** Generates a pipeline of the runner with the CLI into `dir` and builds it; returns the service folder. */
export async function buildPipeline(name: PipelineName, dir: string, webhook: string, delivery: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pipeline.yaml'), yamlOf(name, webhook, delivery));
  await buildGenerated(join(dir, 'pipeline.yaml'), join(dir, 'service'));
  return join(dir, 'service');
}

// eslint-disable-next-line max-lines-per-function -- one chaos scenario as a script: its setup, replicas, faults, drain and checks share the run's processes, topics and counters; still to be split
export async function runScenario(o: {
  settings: Settings;
  /** Where the replicas' output is written when a scenario does not finish. */
  logDir: string;
  kafka: Kafka;
  brokers: string;
  serviceDir: string;
  name: PipelineName;
  scenario: ScenarioName;
  /** The webhook of the http-sink pipeline (see startWebhook). */
  hook: Webhook;
  brokerPid: () => number;
  restart: () => Promise<unknown>;
}): Promise<Row> {
  const { kafka, name, scenario, serviceDir } = o;
  const { events: EVENTS, keys: KEYS, replicas: REPLICAS, seconds: SECONDS, delivery: DELIVERY } = o.settings;
  const id = randomUUID().slice(0, 8);
  const pipeline = `chaos-${name}-${id}`;
  const t = { input: `${pipeline}-in`, output: `${pipeline}-out`, table: `${pipeline}-table`, dead: `${pipeline}.dead-letter`, rows: `chaos_rows_${id}` };
  // The built graph names its topics and pipeline literally: a copy per scenario, renamed.
  const pipelineJs = join(serviceDir, 'dist/src/pipeline.js');
  if (!existsSync(`${pipelineJs}.orig`)) writeFileSync(`${pipelineJs}.orig`, readFileSync(pipelineJs, 'utf8'));
  const pristine = readFileSync(`${pipelineJs}.orig`, 'utf8');
  writeFileSync(
    pipelineJs,
    pristine
      .replaceAll('"chaos-in"', JSON.stringify(t.input))
      .replaceAll('"chaos-out"', JSON.stringify(t.output))
      .replaceAll('"chaos-table"', JSON.stringify(t.table))
      .replaceAll('"chaos_rows"', JSON.stringify(t.rows))
      .replaceAll(`"chaos-${name}.dead-letter"`, JSON.stringify(t.dead))
      .replaceAll(`"chaos-${name}"`, JSON.stringify(pipeline)),
  );
  // The postgres sink's table: every column it writes, and two it does not: `rewrites`, counted up by a
  // trigger whenever an upsert hits a row already there, and `written`, the order rows were first inserted.
  const db = name === 'postgres-sink' ? new pg.Pool({ connectionString: POSTGRES.admin, max: 2 }) : undefined;
  if (db) {
    await db.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${POSTGRES.role}') THEN CREATE ROLE ${POSTGRES.role} LOGIN; END IF; END $$`);
    await db.query(`CREATE OR REPLACE FUNCTION chaos_count_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.rewrites := OLD.rewrites + 1; RETURN NEW; END $$`);
    await db.query(`CREATE TABLE ${t.rows} (id bigint PRIMARY KEY, key text, seq integer, units integer, rewrites integer NOT NULL DEFAULT 0, written bigserial)`);
    await db.query(`CREATE TRIGGER count_rewrite BEFORE UPDATE ON ${t.rows} FOR EACH ROW EXECUTE FUNCTION chaos_count_rewrite()`);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON ${t.rows} TO ${POSTGRES.role}; GRANT USAGE ON SEQUENCE ${t.rows}_written_seq TO ${POSTGRES.role}`);
    // The sink's offsets table, as db/schema.sql creates it: the writer may not create tables in public.
    await db.query(offsetsTableSql());
    await db.query(`GRANT SELECT, INSERT, UPDATE ON ${OFFSETS_TABLE} TO ${POSTGRES.role}`);
  }
  const admin = kafka.admin();
  await admin.connect();
  const stateful = name === 'windowed' || name === 'branch-window';
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: t.input, numPartitions: PARTITIONS },
      { topic: t.output, numPartitions: PARTITIONS },
      { topic: t.dead, numPartitions: 1 },
      ...(name === 'joined' ? [{ topic: t.table, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] : []),
      ...(stateful ? [{ topic: `${pipeline}.per-minute.changelog`, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] : []),
    ],
  });
  // Exactly-once, kills hit a replica in the middle of a transaction: partition n of the input is
  // processed by one replica only, and its transactions write partition n of the changelog (a window's
  // state) or of the output (the key is kept, and both topics are partitioned alike).
  const watched = DELIVERY !== 'exactly-once' || scenario !== 'kill' || name === 'http-sink' ? undefined : stateful ? `${pipeline}.per-minute.changelog` : t.output;
  const watch = watched === undefined ? undefined : new TransactionWatch(kafka, admin, [watched]);
  const watching = watch?.start();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  if (name === 'joined') {
    await producer.send({ topic: t.table, acks: -1, messages: Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: JSON.stringify({ tier: k % 2 ? 'gold' : 'silver' }) })) });
  }
  o.hook.bodies.length = 0;

  // Events: keys in turn, event time one second apart per key, so windows of a minute fill and close as time goes on.
  const seqs = new Map<string, number>();
  const events: Event[] = Array.from({ length: EVENTS }, (_, i) => {
    const key = `k${i % KEYS}`;
    const seq = seqs.get(key) ?? 0;
    seqs.set(key, seq + 1);
    return { id: i, key, seq, units: 1 + ((i * 7) % 9), t: BASE + Math.floor(i / KEYS) * 1000, poison: scenario === 'poison' && i % 100 === 37 };
  });

  const replicas: Replica[] = [];
  const start = async () => {
    // A port the system says is free (a random one can be an outgoing connection's).
    const port = await freePort();
    const clientId = `${pipeline}-${replicas.length}`;
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: serviceDir,
      env: { ...process.env, KAFKA_BROKERS: o.brokers, KAFKA_GROUP_ID: pipeline, KAFKA_CLIENT_ID: clientId, PORT: String(port), LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...(o.settings.sessionTimeoutMs ? { KAFKA_SESSION_TIMEOUT_MS: String(o.settings.sessionTimeoutMs) } : {}),
        ...(db ? { CHAOS_DATABASE_URL: POSTGRES.writer } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r: Replica = { child, clientId, port, output: [], gone: false, exited: undefined as never };
    child.stdout.setEncoding('utf8').on('data', (d: string) => r.output.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => r.output.push(d));
    r.exited = new Promise((resolve) => child.on('exit', () => ((r.gone = true), resolve())));
    replicas.push(r);
    return r;
  };
  const ready = async (r: Replica, timeoutMs = 120_000) => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) {
      if (r.gone) throw new Error(`a replica exited while starting:\n${r.output.join('').slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${r.port}/readyz`).then((x) => x.ok, () => false);
      if (ok) return;
    }
    throw new Error(`a replica was not ready within ${timeoutMs / 1000} s:\n${r.output.join('').slice(-2000)}`);
  };
  const live = () => replicas.filter((r) => !r.gone);
  for (let i = 0; i < REPLICAS; i++) await start();
  for (const r of live()) await ready(r);

  // Committed progress over time, for the recovery figure.
  const progress: { at: number; committed: number }[] = [];
  let polling = true;
  const sources = [t.input];
  const committed = async () => {
    let n = 0;
    for (const topic of sources) {
      const [c] = await admin.fetchOffsets({ groupId: pipeline, topics: [topic] });
      n += c.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    }
    return n;
  };
  const poller = (async () => {
    while (polling) {
      const n = await committed().catch(() => undefined);
      if (n !== undefined) progress.push({ at: Date.now(), committed: n });
      await sleep(250);
    }
  })();

  // Produce at a steady rate over SECONDS, faults at planned points of the stream.
  const faultEnds: number[] = [];
  let faults = 0;
  let midTransaction = 0;
  const inject = async (at: number) => {
    if (scenario === 'kill') {
      const victim = live()[at % live().length];
      await watching;
      const mid = await watch?.killMidTransaction({
        pid: victim.child.pid!,
        groupId: pipeline,
        clientId: victim.clientId,
        exclusive: (assignment) => (assignment[t.input] ?? []).map((partition) => ({ topic: watched!, partition })),
        timeoutMs: 30_000,
      });
      if (mid) midTransaction++;
      else victim.child.kill('SIGKILL');
      await victim.exited;
      faultEnds.push(Date.now());
      faults++;
      await start();
    } else if (scenario === 'broker-restart') {
      await o.restart();
      faultEnds.push(Date.now());
      faults++;
    }
  };
  const plan: number[] = scenario === 'kill' || scenario === 'broker-restart' ? [0.2, 0.45, 0.7] : [];
  let background: Promise<void> = Promise.resolve();
  if (scenario === 'rolling') {
    background = (async () => {
      await sleep(SECONDS * 100);
      for (let round = 0; round < 2; round++) {
        for (const r of [...live()]) {
          const next = await start();
          r.child.kill('SIGTERM');
          await r.exited;
          await ready(next);
          faultEnds.push(Date.now());
          faults++;
        }
      }
    })();
  } else if (scenario === 'broker-pause') {
    background = (async () => {
      await sleep(SECONDS * 300);
      const pid = o.brokerPid();
      process.kill(pid, 'SIGSTOP');
      await sleep(20_000);
      process.kill(pid, 'SIGCONT');
      faultEnds.push(Date.now());
      faults++;
    })();
  } else if (scenario === 'postgres-sink-down' && db) {
    // The database refuses the sink for 30 s: the writer's INSERT and UPDATE rights are taken away
    // (permission denied, SQLSTATE 42501), and its connections are ended (pg_terminate_backend) every 2 s.
    background = (async () => {
      await sleep(SECONDS * 300);
      await db.query(`REVOKE INSERT, UPDATE ON ${t.rows} FROM ${POSTGRES.role}`);
      for (const until = Date.now() + 30_000; Date.now() < until; await sleep(2000)) {
        await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [POSTGRES.role]);
      }
      await db.query(`GRANT INSERT, UPDATE ON ${t.rows} TO ${POSTGRES.role}`);
      faultEnds.push(Date.now());
      faults++;
    })();
  } else if (scenario === 'http-sink-down') {
    background = (async () => {
      await sleep(SECONDS * 300);
      o.hook.down = true;
      await sleep(o.settings.hookDownMs ?? 30_000);
      o.hook.down = false;
      faultEnds.push(Date.now());
      faults++;
    })();
  }
  const began = Date.now();
  const slice = Math.max(1, Math.floor(EVENTS / (SECONDS * 10)));
  let planned = 0;
  // Faults run beside the stream, which keeps arriving meanwhile, one after the other.
  let injected: Promise<void> = Promise.resolve();
  for (let i = 0; i < EVENTS; i += slice) {
    const batch = events.slice(i, i + slice);
    await producer.send({
      topic: t.input,
      acks: -1,
      messages: batch.map((e) => ({ key: e.key, value: e.poison ? `{"id":${e.id},` : JSON.stringify({ id: e.id, key: e.key, seq: e.seq, units: e.units, t: e.t }) })),
    });
    if (planned < plan.length && i / EVENTS >= plan[planned]) {
      const n = planned++;
      injected = injected.then(() => inject(n));
    }
    const due = began + ((i + slice) / EVENTS) * SECONDS * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  await injected;
  await background;
  await watch?.stop();
  // Windows of the last minutes close when every partition's watermark passes them: one late event per key.
  if (stateful) {
    const end = BASE + Math.ceil(EVENTS / KEYS) * 1000 + 10 * MINUTE;
    await producer.send({ topic: t.input, acks: -1, messages: Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: JSON.stringify({ id: -1 - k, key: `k${k}`, seq: -1, units: 9, t: end }) })) });
  }
  const total = (await admin.fetchTopicOffsets(t.input)).reduce((n, p) => n + Number(p.high), 0);
  let note = '';
  try {
    for (const deadline = Date.now() + 300_000; ; await sleep(500)) {
      if ((await committed().catch(() => 0)) >= total) break;
      if (Date.now() > deadline) throw new Error('not all events were committed within 5 minutes after the stream');
    }
  } catch (e) {
    note = String(e instanceof Error ? e.message : e);
  }
  await sleep(2000);
  polling = false;
  await poller;
  for (const r of live()) r.child.kill('SIGTERM');
  await Promise.all(replicas.map((r) => r.exited));
  await producer.disconnect();

  // Read what came out.
  const outputs: { key: string; value: Record<string, unknown> }[] = [];
  const deadLetters: string[] = [];
  const reader = kafka.consumer({ groupId: `${pipeline}-verify` });
  await reader.connect();
  await reader.subscribe({ topics: [t.output, t.dead], fromBeginning: true });
  // Read up to the end of every partition: with transactions, the end is past commit markers and
  // aborted records, which the reader skips, so positions are followed rather than records counted.
  const ends = new Map<string, number>();
  for (const topic of [t.output, t.dead]) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${p.partition}`, Number(p.high));
  const reached = new Map<string, number>();
  reader.on(reader.events.END_BATCH_PROCESS, ({ payload }) => reached.set(`${payload.topic}:${payload.partition}`, Number(payload.lastOffset) + 1));
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === t.dead) deadLetters.push(message.value?.toString() ?? '');
      else outputs.push({ key: message.key?.toString() ?? '', value: JSON.parse(message.value!.toString()) as Record<string, unknown> });
    },
  });
  const behind = () => [...ends].some(([k, end]) => end > 0 && (reached.get(k) ?? 0) < end);
  for (const deadline = Date.now() + 60_000; behind() && Date.now() < deadline; ) await sleep(200);
  await reader.disconnect();

  // Compare with what was expected.
  const exp = expected(name, events);
  let lost = 0;
  let duplicated = 0;
  let orderBreaks = 0;
  let exactWindows = '';
  let absorbed: number | undefined;
  let repeatGapsMs: number[] | undefined;
  let rows: { id: number; key: string; seq: number; rewrites: number }[] = [];
  if (db) {
    rows = (await db.query(`SELECT id, key, seq, rewrites FROM ${t.rows} ORDER BY written`)).rows.map((r: Record<string, unknown>) => ({ id: Number(r.id), key: String(r.key), seq: Number(r.seq), rewrites: Number(r.rewrites) }));
    absorbed = rows.reduce((n, r) => n + r.rewrites, 0);
  } else if (name === 'http-sink') {
    const answered = new Map<string, number | undefined>();
    absorbed = 0;
    repeatGapsMs = [];
    for (const b of o.hook.bodies) {
      if (b.idempotencyKey === undefined) continue;
      if (answered.has(b.idempotencyKey)) {
        absorbed++;
        const first = answered.get(b.idempotencyKey);
        if (first !== undefined && b.at !== undefined) repeatGapsMs.push(b.at - first);
      } else answered.set(b.idempotencyKey, b.at);
    }
  }
  if (exp.perEvent) {
    const got = db ? rows : name === 'http-sink' ? o.hook.bodies.map((b) => ({ id: b.id, key: b.key, seq: b.seq })) : outputs.map((x) => ({ id: Number(x.value.id), key: x.key, seq: Number(x.value.seq) }));
    const seen = new Map<number, number>();
    const lastSeq = new Map<string, number>();
    for (const g of got) {
      seen.set(g.id, (seen.get(g.id) ?? 0) + 1);
      if ((lastSeq.get(g.key) ?? -1) > g.seq) orderBreaks++;
      lastSeq.set(g.key, g.seq);
    }
    for (const idOf of exp.perEvent.keys()) if (!seen.has(idOf)) lost++;
    for (const n of seen.values()) duplicated += n - 1;
    // An upsert sink holds one row per event; an event written again shows as a rewrite of its row.
    if (db) duplicated += rows.reduce((n, r) => n + r.rewrites, 0);
  } else if (exp.windows) {
    const latest = new Map<string, Record<string, unknown>>();
    const writes = new Map<string, number>();
    for (const x of outputs) {
      latest.set(x.key, x.value);
      writes.set(x.key, (writes.get(x.key) ?? 0) + 1);
    }
    let exact = 0;
    for (const [k, w] of exp.windows) {
      const v = latest.get(k);
      if (v && v.count === w.count && v.sum === w.sum) exact++;
      else lost++;
    }
    for (const [k, n] of writes) if (exp.windows.has(k)) duplicated += n - 1;
    exactWindows = `${exact}/${exp.windows.size}`;
  }
  // Recovery: from each fault's end to the first committed progress after it.
  let recoverSeconds = 0;
  for (const end of faultEnds) {
    const before = [...progress].reverse().find((p) => p.at <= end)?.committed ?? 0;
    const after = progress.find((p) => p.at > end && p.committed > before);
    recoverSeconds = Math.max(recoverSeconds, after ? (after.at - end) / 1000 : NaN);
  }
  // The replicas' logs stay beside the run, for reading what a slow recovery or a loss was about.
  const logFile = join(o.logDir, `${pipeline}.log`);
  writeFileSync(logFile, replicas.map((r, i) => `--- replica ${i} ---\n${r.output.join('')}`).join('\n'));
  if (note) note = `${note} (replica logs: ${logFile})`;
  const poisoned = events.filter((e) => e.poison).length;
  if (deadLetters.length !== poisoned) note = `${note} ${deadLetters.length} dead letters, ${poisoned} expected`.trim();

  await admin.deleteTopics({ topics: [t.input, t.output, t.dead, t.table, `${pipeline}.per-minute.changelog`].filter(Boolean) }).catch(() => {});
  await admin.deleteGroups([pipeline, `${pipeline}-verify`]).catch(() => {});
  await admin.disconnect();
  if (db) {
    await db.query(`DROP TABLE ${t.rows}`).catch(() => {});
    await db.end();
  }
  return {
    pipeline: name,
    scenario,
    delivery: DELIVERY,
    eventsIn: events.length,
    outputs: db ? rows.length : name === 'http-sink' ? o.hook.bodies.length : outputs.length,
    lost,
    duplicated,
    orderBreaks,
    exactWindows,
    deadLetters: deadLetters.length,
    recoverSeconds,
    faults,
    midTransaction,
    absorbed,
    repeatGapsMs,
    note,
  };
}

