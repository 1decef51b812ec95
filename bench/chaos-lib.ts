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
import { AssignerProtocol, Partitioners, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
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
export const POSTGRES = {
  admin: 'postgres://postgres@127.0.0.1:5432/postgres',
  writer: 'postgres://pipewright_chaos_writer@127.0.0.1:5432/postgres',
  role: 'pipewright_chaos_writer',
};

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
  return [...head.filter(Boolean), ...nodesOf(name, webhook)].join('\n') + '\n';
}

/** The Kafka sink every scenario pipeline but the database and webhook ones ends in. */
const sinkYaml = (input: string) => ['  - id: out', '    kind: kafka-sink', `    input: ${input}`, '    topic: chaos-out', `    partitions: ${PARTITIONS}`];
/** A one-minute tumbling window summing units. */
const windowYaml = (input: string) => [
  '  - id: per-minute',
  '    kind: window',
  `    input: ${input}`,
  '    size: 1m',
  '    grace: 5s',
  '    time: value.t',
  '    sum: value.units',
];

/** The nodes after the source of each scenario pipeline. */
function nodesOf(name: PipelineName, webhook: string): string[] {
  const body: Record<PipelineName, string[]> = {
    stateless: [
      '  - id: keep',
      '    kind: filter',
      '    input: orders',
      '    where: value.units % 5 !== 0',
      '  - id: shape',
      '    kind: map',
      '    input: keep',
      '    to: "({ id: value.id, key: value.key, seq: value.seq, double: value.units * 2 })"',
      ...sinkYaml('shape'),
    ],
    windowed: [...windowYaml('orders'), ...sinkYaml('per-minute')],
    joined: [
      '  - id: customers',
      '    kind: kafka-source',
      '    topic: chaos-table',
      '    format: json',
      `    partitions: ${PARTITIONS}`,
      '    samples:',
      '      - { key: k1, value: { tier: gold } }',
      '  - id: enrich',
      '    kind: join',
      '    input: { in: orders, other: customers }',
      '    mode: table',
      '    as: customer',
      '    how: left',
      ...sinkYaml('enrich'),
    ],
    'branch-window': [
      '  - id: route',
      '    kind: branch',
      '    input: orders',
      '    routes:',
      '      big: value.units >= 5',
      ...windowYaml('route.big'),
      ...sinkYaml('per-minute'),
    ],
    'postgres-sink': [
      '  - id: rows',
      '    kind: postgres-sink',
      '    input: orders',
      '    table: chaos_rows',
      '    columns: [id, key, seq, units]',
      '    key: [id]',
      '    urlEnv: CHAOS_DATABASE_URL',
      '    retries: 10',
      '    backoffMs: 200',
    ],
    'http-sink': [
      '  - id: hook',
      '    kind: http-sink',
      '    input: orders',
      `    url: ${webhook}`,
      '    retries: 10',
      '    backoffMs: 200',
      '    timeoutMs: 2000',
    ],
  };
  return body[name];
}

/** What the pipeline should output, by output key: a value, or a list of values in order (per-event outputs). */
export function expected(
  name: PipelineName,
  events: Event[],
): { perEvent: Map<number, string> | undefined; windows: Map<string, { count: number; sum: number }> | undefined } {
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

/** What runScenario needs: the run's settings, the built service, the broker and its faults, and the webhook. */
export interface ScenarioOptions {
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
}

/** The topics and table of one run, named after its pipeline `pipeline` (unique by `id`). */
function topicsOf(pipeline: string, id: string) {
  return { input: `${pipeline}-in`, output: `${pipeline}-out`, table: `${pipeline}-table`, dead: `${pipeline}.dead-letter`, rows: `chaos_rows_${id}` };
}
type RunTopics = ReturnType<typeof topicsOf>;

/** Events: keys in turn, event time one second apart per key, so windows of a minute fill and close as time goes on; poison pills in the poison scenario. */
function eventsOf(count: number, keys: number, scenario: ScenarioName): Event[] {
  const seqs = new Map<string, number>();
  return Array.from({ length: count }, (_, i) => {
    const key = `k${i % keys}`;
    const seq = seqs.get(key) ?? 0;
    seqs.set(key, seq + 1);
    return { id: i, key, seq, units: 1 + ((i * 7) % 9), t: BASE + Math.floor(i / keys) * 1000, poison: scenario === 'poison' && i % 100 === 37 };
  });
}

/** The built graph names its topics and pipeline literally: points a copy of it (from the pristine `.orig`) at the run's `pipeline` and topics `t`. */
function renameBuiltGraph(serviceDir: string, name: PipelineName, pipeline: string, t: RunTopics): void {
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
}

/** Creates the postgres sink's table `t.rows` and its offsets table, and lets the writer's role write to them. */
async function createSinkTable(db: pg.Pool, t: RunTopics): Promise<void> {
  // Every column the sink writes, and two it does not: `rewrites`, counted up by a trigger whenever
  // an upsert hits a row already there, and `written`, the order rows were first inserted.
  await db.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${POSTGRES.role}') THEN CREATE ROLE ${POSTGRES.role} LOGIN; END IF; END $$`);
  await db.query(
    `CREATE OR REPLACE FUNCTION chaos_count_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.rewrites := OLD.rewrites + 1; RETURN NEW; END $$`,
  );
  await db.query(
    `CREATE TABLE ${t.rows} (id bigint PRIMARY KEY, key text, seq integer, units integer, rewrites integer NOT NULL DEFAULT 0, written bigserial)`,
  );
  await db.query(`CREATE TRIGGER count_rewrite BEFORE UPDATE ON ${t.rows} FOR EACH ROW EXECUTE FUNCTION chaos_count_rewrite()`);
  await db.query(`GRANT SELECT, INSERT, UPDATE ON ${t.rows} TO ${POSTGRES.role}; GRANT USAGE ON SEQUENCE ${t.rows}_written_seq TO ${POSTGRES.role}`);
  // The sink's offsets table, as db/schema.sql creates it: the writer may not create tables in public.
  await db.query(offsetsTableSql());
  await db.query(`GRANT SELECT, INSERT, UPDATE ON ${OFFSETS_TABLE} TO ${POSTGRES.role}`);
}

type Output = { key: string; value: Record<string, unknown> };

/** Reads the output and dead-letter topics `t` of a run from the beginning to their ends, as consumer group `groupId`. */
async function readOutputs(kafka: Kafka, admin: Admin, groupId: string, t: RunTopics): Promise<{ outputs: Output[]; deadLetters: string[] }> {
  const outputs: Output[] = [];
  const deadLetters: string[] = [];
  const reader = kafka.consumer({ groupId });
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
  for (const deadline = Date.now() + 60_000; behind() && Date.now() < deadline;) await sleep(200);
  await reader.disconnect();
  return { outputs, deadLetters };
}

type SinkRow = { id: number; key: string; seq: number; rewrites: number };

/** The postgres sink's rows of table `t.rows`, in the order they were first written. */
async function sinkRows(db: pg.Pool, t: RunTopics): Promise<SinkRow[]> {
  return (await db.query(`SELECT id, key, seq, rewrites FROM ${t.rows} ORDER BY written`)).rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    key: String(r.key),
    seq: Number(r.seq),
    rewrites: Number(r.rewrites),
  }));
}

/** The webhook's requests whose Idempotency-Key had already been answered 2xx (`absorbed`), and each one's time since the first answered one. */
function idempotentRepeats(hook: Webhook): { absorbed: number; repeatGapsMs: number[] } {
  const answered = new Map<string, number | undefined>();
  let absorbed = 0;
  const repeatGapsMs: number[] = [];
  for (const b of hook.bodies) {
    if (b.idempotencyKey === undefined) continue;
    if (answered.has(b.idempotencyKey)) {
      absorbed++;
      const first = answered.get(b.idempotencyKey);
      if (first !== undefined && b.at !== undefined) repeatGapsMs.push(b.at - first);
    } else answered.set(b.idempotencyKey, b.at);
  }
  return { absorbed, repeatGapsMs };
}

type Tally = Pick<Row, 'lost' | 'duplicated' | 'orderBreaks' | 'exactWindows'>;

/** Per-event outputs `got` (in the order written) against the expected event ids: missing, written more than once (`rewrites`: upserts onto a row already there), out of per-key order. */
function comparePerEvent(expectedIds: Map<number, string>, got: { id: number; key: string; seq: number }[], rewrites: number): Tally {
  let lost = 0;
  let duplicated = 0;
  let orderBreaks = 0;
  const seen = new Map<number, number>();
  const lastSeq = new Map<string, number>();
  for (const g of got) {
    seen.set(g.id, (seen.get(g.id) ?? 0) + 1);
    if ((lastSeq.get(g.key) ?? -1) > g.seq) orderBreaks++;
    lastSeq.set(g.key, g.seq);
  }
  for (const idOf of expectedIds.keys()) if (!seen.has(idOf)) lost++;
  for (const n of seen.values()) duplicated += n - 1;
  // An upsert sink holds one row per event; an event written again shows as a rewrite of its row.
  duplicated += rewrites;
  return { lost, duplicated, orderBreaks, exactWindows: '' };
}

/** Window results against the expected ones: windows whose latest result is not exact (lost), results written more than once, and `exact/expected`. */
function compareWindows(windows: Map<string, { count: number; sum: number }>, outputs: Output[]): Tally {
  let lost = 0;
  let duplicated = 0;
  const latest = new Map<string, Record<string, unknown>>();
  const writes = new Map<string, number>();
  for (const x of outputs) {
    latest.set(x.key, x.value);
    writes.set(x.key, (writes.get(x.key) ?? 0) + 1);
  }
  let exact = 0;
  for (const [k, w] of windows) {
    const v = latest.get(k);
    if (v && v.count === w.count && v.sum === w.sum) exact++;
    else lost++;
  }
  for (const [k, n] of writes) if (windows.has(k)) duplicated += n - 1;
  return { lost, duplicated, orderBreaks: 0, exactWindows: `${exact}/${windows.size}` };
}

/** Recovery: the longest time from a fault's end to the first committed progress after it (NaN when none came). */
function recoverySeconds(faultEnds: number[], progress: { at: number; committed: number }[]): number {
  let recoverSeconds = 0;
  for (const end of faultEnds) {
    const before = [...progress].reverse().find((p) => p.at <= end)?.committed ?? 0;
    const after = progress.find((p) => p.at > end && p.committed > before);
    recoverSeconds = Math.max(recoverSeconds, after ? (after.at - end) / 1000 : NaN);
  }
  return recoverSeconds;
}

/** One run of a chaos scenario: its topics, table and clients, its replicas, and what it counts (committed progress, faults, kills mid-transaction). */
class ScenarioRun {
  readonly pipeline: string;
  readonly t: RunTopics;
  /** The pipeline keeps windows (and their changelog). */
  readonly stateful: boolean;
  readonly events: Event[];
  /** The postgres-sink pipeline's database, as its admin. */
  readonly db: pg.Pool | undefined;
  readonly admin: Admin;
  readonly producer: Producer;
  /**
   * Exactly-once, kills hit a replica in the middle of a transaction: partition n of the input is
   * processed by one replica only, and its transactions write partition n of the changelog (a window's
   * state) or of the output (the key is kept, and both topics are partitioned alike).
   */
  readonly watched: string | undefined;
  readonly watch: TransactionWatch | undefined;
  private watching: Promise<void> | undefined;
  readonly replicas: Replica[] = [];
  /** Committed progress over time, for the recovery figure. */
  readonly progress: { at: number; committed: number }[] = [];
  private polling = true;
  private poller: Promise<void> = Promise.resolve();
  /** When each fault was over. */
  readonly faultEnds: number[] = [];
  faults = 0;
  midTransaction = 0;

  constructor(private readonly o: ScenarioOptions) {
    const { kafka, name, scenario } = o;
    const id = randomUUID().slice(0, 8);
    this.pipeline = `chaos-${name}-${id}`;
    this.t = topicsOf(this.pipeline, id);
    this.stateful = name === 'windowed' || name === 'branch-window';
    this.events = eventsOf(o.settings.events, o.settings.keys, scenario);
    this.db = name === 'postgres-sink' ? new pg.Pool({ connectionString: POSTGRES.admin, max: 2 }) : undefined;
    this.admin = kafka.admin();
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    this.watched =
      o.settings.delivery !== 'exactly-once' || scenario !== 'kill' || name === 'http-sink'
        ? undefined
        : this.stateful
          ? `${this.pipeline}.per-minute.changelog`
          : this.t.output;
    this.watch = this.watched === undefined ? undefined : new TransactionWatch(kafka, this.admin, [this.watched]);
  }

  /** Sets the run up: the built graph renamed, the sink's table, the topics, the transaction watch, the producer, the joined pipeline's table. */
  async setUp(): Promise<void> {
    const { o, t, db, admin, pipeline } = this;
    renameBuiltGraph(o.serviceDir, o.name, pipeline, t);
    if (db) await createSinkTable(db, t);
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.input, numPartitions: PARTITIONS },
        { topic: t.output, numPartitions: PARTITIONS },
        { topic: t.dead, numPartitions: 1 },
        ...(o.name === 'joined' ? [{ topic: t.table, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] : []),
        ...(this.stateful
          ? [{ topic: `${pipeline}.per-minute.changelog`, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]
          : []),
      ],
    });
    this.watching = this.watch?.start();
    await this.producer.connect();
    if (o.name === 'joined') {
      await this.producer.send({
        topic: t.table,
        acks: -1,
        messages: Array.from({ length: o.settings.keys }, (_, k) => ({ key: `k${k}`, value: JSON.stringify({ tier: k % 2 ? 'gold' : 'silver' }) })),
      });
    }
    o.hook.bodies.length = 0;
  }

  /** Starts one more replica of the service, its output kept; it is not waited for (see ready). */
  async startReplica(): Promise<Replica> {
    const { o } = this;
    // A port the system says is free (a random one can be an outgoing connection's).
    const port = await freePort();
    const clientId = `${this.pipeline}-${this.replicas.length}`;
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: o.serviceDir,
      env: {
        ...process.env,
        KAFKA_BROKERS: o.brokers,
        KAFKA_GROUP_ID: this.pipeline,
        KAFKA_CLIENT_ID: clientId,
        PORT: String(port),
        LOG_LEVEL: 'info',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...(o.settings.sessionTimeoutMs ? { KAFKA_SESSION_TIMEOUT_MS: String(o.settings.sessionTimeoutMs) } : {}),
        ...(this.db ? { CHAOS_DATABASE_URL: POSTGRES.writer } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r: Replica = { child, clientId, port, output: [], gone: false, exited: undefined as never };
    child.stdout.setEncoding('utf8').on('data', (d: string) => r.output.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => r.output.push(d));
    r.exited = new Promise((resolve) => child.on('exit', () => ((r.gone = true), resolve())));
    this.replicas.push(r);
    return r;
  }

  /** Waits until replica `r` answers /readyz; throws, with its output, when it exits first or takes longer than `timeoutMs`. */
  async ready(r: Replica, timeoutMs = 120_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) {
      if (r.gone) throw new Error(`a replica exited while starting:\n${r.output.join('').slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${r.port}/readyz`).then(
        (x) => x.ok,
        () => false,
      );
      if (ok) return;
    }
    throw new Error(`a replica was not ready within ${timeoutMs / 1000} s:\n${r.output.join('').slice(-2000)}`);
  }

  /** The replicas that have not exited. */
  live(): Replica[] {
    return this.replicas.filter((r) => !r.gone);
  }

  /** Starts the settings' number of replicas, then waits until each is ready. */
  async startReplicas(): Promise<void> {
    for (let i = 0; i < this.o.settings.replicas; i++) await this.startReplica();
    for (const r of this.live()) await this.ready(r);
  }

  /** How many input records the service's consumer group has committed, over all partitions. */
  async committed(): Promise<number> {
    let n = 0;
    for (const topic of [this.t.input]) {
      const [c] = await this.admin.fetchOffsets({ groupId: this.pipeline, topics: [topic] });
      n += c.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    }
    return n;
  }

  /** Records the committed progress every 250 ms, until drain stops it. */
  startPolling(): void {
    this.poller = (async () => {
      while (this.polling) {
        const n = await this.committed().catch(() => undefined);
        if (n !== undefined) this.progress.push({ at: Date.now(), committed: n });
        await sleep(250);
      }
    })();
  }

  /** Counts a fault as over now: recovery is measured from here. */
  private faultOver(): void {
    this.faultEnds.push(Date.now());
    this.faults++;
  }

  /** The planned fault number `at` of the kill and broker-restart scenarios. */
  async inject(at: number): Promise<void> {
    if (this.o.scenario === 'kill') {
      await this.killReplica(at);
    } else if (this.o.scenario === 'broker-restart') {
      await this.o.restart();
      this.faultOver();
    }
  }

  /** Kills a replica (while a transaction of it is open, when the run watches for that), waits until it is gone, and starts its replacement. */
  private async killReplica(at: number): Promise<void> {
    const victim = this.live()[at % this.live().length];
    await this.watching;
    const mid = await this.watch?.killMidTransaction({
      pid: victim.child.pid!,
      groupId: this.pipeline,
      clientId: victim.clientId,
      exclusive: (assignment) => (assignment[this.t.input] ?? []).map((partition) => ({ topic: this.watched!, partition })),
      timeoutMs: 30_000,
    });
    if (mid) this.midTransaction++;
    else victim.child.kill('SIGKILL');
    await victim.exited;
    this.faultOver();
    await this.startReplica();
  }

  /** Starts the fault that runs beside the stream in the scenarios that have one; resolves when it is over. */
  startBackgroundFault(): Promise<void> {
    const { scenario } = this.o;
    if (scenario === 'rolling') return this.rollingRestart();
    if (scenario === 'broker-pause') return this.pauseBroker();
    if (scenario === 'postgres-sink-down' && this.db) return this.refuseDatabase(this.db);
    if (scenario === 'http-sink-down') return this.refuseWebhook();
    return Promise.resolve();
  }

  /** Rolling: twice over, each replica is replaced: its successor started, then it is stopped (SIGTERM), then the successor waited for. */
  private async rollingRestart(): Promise<void> {
    await sleep(this.o.settings.seconds * 100);
    for (let round = 0; round < 2; round++) {
      for (const r of [...this.live()]) {
        const next = await this.startReplica();
        r.child.kill('SIGTERM');
        await r.exited;
        await this.ready(next);
        this.faultOver();
      }
    }
  }

  /** The broker is stopped (SIGSTOP) for 20 s, 30% into the stream. */
  private async pauseBroker(): Promise<void> {
    await sleep(this.o.settings.seconds * 300);
    const pid = this.o.brokerPid();
    process.kill(pid, 'SIGSTOP');
    await sleep(20_000);
    process.kill(pid, 'SIGCONT');
    this.faultOver();
  }

  /** The database refuses the sink for 30 s, 30% into the stream. */
  private async refuseDatabase(db: pg.Pool): Promise<void> {
    const { t } = this;
    // The writer's INSERT and UPDATE rights are taken away (permission denied, SQLSTATE 42501), and
    // its connections are ended (pg_terminate_backend) every 2 s.
    await sleep(this.o.settings.seconds * 300);
    await db.query(`REVOKE INSERT, UPDATE ON ${t.rows} FROM ${POSTGRES.role}`);
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(2000)) {
      await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [POSTGRES.role]);
    }
    await db.query(`GRANT INSERT, UPDATE ON ${t.rows} TO ${POSTGRES.role}`);
    this.faultOver();
  }

  /** The webhook answers 503 for `hookDownMs` (30 s when left out), 30% into the stream. */
  private async refuseWebhook(): Promise<void> {
    await sleep(this.o.settings.seconds * 300);
    this.o.hook.down = true;
    await sleep(this.o.settings.hookDownMs ?? 30_000);
    this.o.hook.down = false;
    this.faultOver();
  }

  /** Produces the events at a steady rate over the settings' seconds, with the faults at planned points of the stream; returns when both are over. */
  async produce(): Promise<void> {
    const { o, t, events } = this;
    const { events: EVENTS, seconds: SECONDS } = o.settings;
    const plan: number[] = o.scenario === 'kill' || o.scenario === 'broker-restart' ? [0.2, 0.45, 0.7] : [];
    const background = this.startBackgroundFault();
    const began = Date.now();
    const slice = Math.max(1, Math.floor(EVENTS / (SECONDS * 10)));
    let planned = 0;
    // Faults run beside the stream, which keeps arriving meanwhile, one after the other.
    let injected: Promise<void> = Promise.resolve();
    for (let i = 0; i < EVENTS; i += slice) {
      const batch = events.slice(i, i + slice);
      await this.producer.send({
        topic: t.input,
        acks: -1,
        messages: batch.map((e) => ({
          key: e.key,
          value: e.poison ? `{"id":${e.id},` : JSON.stringify({ id: e.id, key: e.key, seq: e.seq, units: e.units, t: e.t }),
        })),
      });
      if (planned < plan.length && i / EVENTS >= plan[planned]) {
        const n = planned++;
        injected = injected.then(() => this.inject(n));
      }
      const due = began + ((i + slice) / EVENTS) * SECONDS * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    await injected;
    await background;
    await this.watch?.stop();
  }

  /** Windows of the last minutes close when every partition's watermark passes them: one late event per key. */
  async closeWindows(): Promise<void> {
    const { events: EVENTS, keys: KEYS } = this.o.settings;
    const end = BASE + Math.ceil(EVENTS / KEYS) * 1000 + 10 * MINUTE;
    await this.producer.send({
      topic: this.t.input,
      acks: -1,
      messages: Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: JSON.stringify({ id: -1 - k, key: `k${k}`, seq: -1, units: 9, t: end }) })),
    });
  }

  /** Waits up to 5 minutes for every input record to be committed (the returned note says when not), then stops the poller, the replicas and the producer. */
  async drain(): Promise<string> {
    if (this.stateful) await this.closeWindows();
    const total = (await this.admin.fetchTopicOffsets(this.t.input)).reduce((n, p) => n + Number(p.high), 0);
    let note = '';
    try {
      for (const deadline = Date.now() + 300_000; ; await sleep(500)) {
        if ((await this.committed().catch(() => 0)) >= total) break;
        if (Date.now() > deadline) throw new Error('not all events were committed within 5 minutes after the stream');
      }
    } catch (e) {
      note = String(e instanceof Error ? e.message : e);
    }
    await sleep(2000);
    this.polling = false;
    await this.poller;
    for (const r of this.live()) r.child.kill('SIGTERM');
    await Promise.all(this.replicas.map((r) => r.exited));
    await this.producer.disconnect();
    return note;
  }

  /** Compares what came out (topics, table or webhook) with what was expected, keeps the replicas' logs, and returns the run's row. */
  async check(note: string): Promise<Row> {
    const { o, t, db, events } = this;
    const { outputs, deadLetters } = await readOutputs(o.kafka, this.admin, `${this.pipeline}-verify`, t);
    const exp = expected(o.name, events);
    const rows = db ? await sinkRows(db, t) : [];
    const rewrites = rows.reduce((n, r) => n + r.rewrites, 0);
    const repeats = db
      ? { absorbed: rewrites, repeatGapsMs: undefined }
      : o.name === 'http-sink'
        ? idempotentRepeats(o.hook)
        : { absorbed: undefined, repeatGapsMs: undefined };
    const written = () =>
      db
        ? rows
        : o.name === 'http-sink'
          ? o.hook.bodies.map((b) => ({ id: b.id, key: b.key, seq: b.seq }))
          : outputs.map((x) => ({ id: Number(x.value.id), key: x.key, seq: Number(x.value.seq) }));
    const tally: Tally = exp.perEvent
      ? comparePerEvent(exp.perEvent, written(), rewrites)
      : exp.windows
        ? compareWindows(exp.windows, outputs)
        : { lost: 0, duplicated: 0, orderBreaks: 0, exactWindows: '' };
    const recoverSeconds = recoverySeconds(this.faultEnds, this.progress);
    return {
      pipeline: o.name,
      scenario: o.scenario,
      delivery: o.settings.delivery,
      eventsIn: events.length,
      outputs: db ? rows.length : o.name === 'http-sink' ? o.hook.bodies.length : outputs.length,
      ...tally,
      deadLetters: deadLetters.length,
      recoverSeconds,
      faults: this.faults,
      midTransaction: this.midTransaction,
      ...repeats,
      note: this.keepLogs(note, deadLetters.length),
    };
  }

  /** Writes the replicas' logs beside the run, for reading what a slow recovery or a loss was about; returns the note completed with where they are and with dead letters not as expected. */
  private keepLogs(note: string, deadLetters: number): string {
    const logFile = join(this.o.logDir, `${this.pipeline}.log`);
    writeFileSync(logFile, this.replicas.map((r, i) => `--- replica ${i} ---\n${r.output.join('')}`).join('\n'));
    if (note) note = `${note} (replica logs: ${logFile})`;
    const poisoned = this.events.filter((e) => e.poison).length;
    if (deadLetters !== poisoned) note = `${note} ${deadLetters} dead letters, ${poisoned} expected`.trim();
    return note;
  }

  /** Deletes the run's topics, consumer groups and table, and closes its admin and database clients. */
  async cleanUp(): Promise<void> {
    const { t, pipeline, db } = this;
    await this.admin.deleteTopics({ topics: [t.input, t.output, t.dead, t.table, `${pipeline}.per-minute.changelog`].filter(Boolean) }).catch(() => {});
    await this.admin.deleteGroups([pipeline, `${pipeline}-verify`]).catch(() => {});
    await this.admin.disconnect();
    if (db) {
      await db.query(`DROP TABLE ${t.rows}`).catch(() => {});
      await db.end();
    }
  }
}

/** Runs one chaos scenario on the built service: set-up, replicas, events with the scenario's faults, drain, and the checked row. */
export async function runScenario(o: ScenarioOptions): Promise<Row> {
  const run = new ScenarioRun(o);
  await run.setUp();
  await run.startReplicas();
  run.startPolling();
  await run.produce();
  const note = await run.drain();
  const row = await run.check(note);
  await run.cleanUp();
  return row;
}
