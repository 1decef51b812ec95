/**
 * Kafka Streams benchmark: the generated service against the same pipeline written as a Kafka Streams
 * application (bench/kstreams/, Java), on the same broker, with the same events, one process each.
 *
 *   node bin/run-ts.mjs bench/kstreams.ts [--topologies filter-map,window,join] [--repeat 1]
 *        [--variants generated,kstreams,kstreams-commit100] [--events 200000] [--keys 1000]
 *        [--window-keys 50000] [--table-keys 100000] [--keep] [--profile] [--logs <folder>]
 *
 * Topologies (the generated side is the pipeline file, generated with the CLI and built once):
 *   filter-map  bench/large-orders.pipeline.yaml   N orders over --keys customers; amount >= 100 → total
 *   window      bench/window.pipeline.yaml         N events over --window-keys keys, record times over three
 *                                                  hours (2% in the first, the rest over the next two):
 *                                                  tumbling 1 h, count + sum, one result per closed window
 *   join        bench/join.pipeline.yaml           --table-keys customers in a compacted topic, then N orders
 *                                                  each naming one; left join on value.customerId
 * Contenders:
 *   generated           `node dist/src/main.js` of the generated service, its defaults
 *   kstreams            the Kafka Streams application with Kafka Streams' default settings
 *   kstreams-commit100  the same with commit.interval.ms=100 (default 30 s)
 *
 * Every measurement has fresh topics (6 partitions) and a fresh group / application.id; the events are
 * produced first, then the contender starts and reads all 6 partitions.
 *   events/s   input events between the first output seen and the last expected one, over that time
 *              (the output topic's high watermark is polled every 20 ms): start-up, group join, the
 *              table load and the JVM's start are left out.
 *   CPU/event  user + system CPU of the process (/proc/<pid>/stat, every thread) over the same window,
 *              and over the whole run from spawn (start-up, JIT and table load included).
 *   peak RSS   VmHWM of the process when it is done.
 *   outputs    afterwards every output is read back and compared, by id, with the generated
 *              service's outputs of the same repetition (values parsed, so 303 and 303.0 are equal):
 *              a measurement whose outputs differ is reported as such.
 * A windowed result of Kafka Streams leaves on window close only when a record passes through the
 * aggregation after the window closed and its emit interval (1 s of wall clock) has passed; so while
 * it waits, the bench appends one record per partition every second, a second past the last hour of
 * events (key `~tick`, its own window never closes), to every contender alike.
 *
 * --profile writes a V8 CPU profile of every run of the generated service to bench/results/profiles/.
 *
 * Prints the medians and the ratios generated ÷ Kafka Streams, and writes JSON to bench/results/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { parseDocument } from 'yaml';
import { brokers as brokersOf, buildGenerated, cpuSeconds, createTopics, procStatus, repoRoot } from './common.js';

const PARTITIONS = 6;
const HOUR = 3_600_000;
const TOPOLOGIES = ['filter-map', 'window', 'join'] as const;
type Topology = (typeof TOPOLOGIES)[number];
const VARIANTS = ['generated', 'kstreams', 'kstreams-commit100'] as const;
type Variant = (typeof VARIANTS)[number];

const { values: flags } = parseArgs({
  options: {
    topologies: { type: 'string', default: TOPOLOGIES.join(',') },
    variants: { type: 'string', default: VARIANTS.join(',') },
    repeat: { type: 'string', default: '1' },
    events: { type: 'string', default: '200000' },
    keys: { type: 'string', default: '1000' },
    'window-keys': { type: 'string', default: '50000' },
    'table-keys': { type: 'string', default: '100000' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    logs: { type: 'string' },
  },
});
const EVENTS = Number(flags.events);
const KEYS = Number(flags.keys);
const WINDOW_KEYS = Number(flags['window-keys']);
const TABLE_KEYS = Number(flags['table-keys']);
const REPEAT = Number(flags.repeat);
for (const [name, v] of Object.entries({ events: EVENTS, keys: KEYS, 'window-keys': WINDOW_KEYS, 'table-keys': TABLE_KEYS, repeat: REPEAT })) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive whole number`);
}
const topologies = flags.topologies.split(',') as Topology[];
const variants = flags.variants.split(',') as Variant[];
for (const t of topologies) if (!TOPOLOGIES.includes(t)) throw new Error(`--topologies: ${t} is not one of ${TOPOLOGIES.join(', ')}`);
for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`--variants: ${v} is not one of ${VARIANTS.join(', ')}`);
if (!variants.includes('generated')) throw new Error('--variants must include generated: the others are compared with it');

const log = (msg: string) => process.stderr.write(`[kstreams] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

/** Retries what a loaded broker refuses for a moment (a fresh topic's metadata, a leader not yet known), for up to a minute. */
async function retry<T>(what: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await what();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(500);
    }
  }
}

// --- the Kafka Streams application -----------------------------------------------------------

const ksDir = join(repoRoot, 'bench/kstreams');
const ksJar = join(ksDir, 'target/kstreams-bench.jar');
const ksSources = [join(ksDir, 'pom.xml'), join(ksDir, 'src/main/java/dev/pipewright/bench/KStreamsBench.java')];

class Prerequisite extends Error {}

function javaMajor(): number {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Prerequisite(
      'The Kafka Streams peer needs Java 17 or newer, but `java` was not found on PATH.\nInstall a JDK, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless maven',
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (!(major >= 17)) throw new Prerequisite(`The Kafka Streams peer needs Java 17 or newer, found: ${`${r.stderr}${r.stdout}`.split('\n')[0]}`);
  return major;
}

/** Builds bench/kstreams with Maven unless its jar is newer than its sources (then no Maven and no network are needed). */
async function ensureKStreams(): Promise<void> {
  javaMajor();
  const built = existsSync(ksJar) && existsSync(join(ksDir, 'target/lib')) && ksSources.every((f) => statSync(f).mtimeMs < statSync(ksJar).mtimeMs);
  if (built) return;
  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new Prerequisite(
      'The Kafka Streams peer is built once with Maven, but `mvn` was not found on PATH.\nInstall it, e.g. on Debian/Ubuntu: apt-get install -y maven (and a JDK: openjdk-17-jdk-headless)',
    );
  }
  if (spawnSync('javac', ['-version'], { encoding: 'utf8' }).status !== 0) {
    throw new Prerequisite(
      'The Kafka Streams peer is compiled once, but `javac` was not found: a Java runtime alone is not enough.\nInstall a JDK, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless',
    );
  }
  log('building bench/kstreams with Maven (the first build downloads Kafka Streams from Maven Central)…');
  const args = ['-B', '-q', '-f', join(ksDir, 'pom.xml'), 'package'];
  const out: Buffer[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('mvn', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => out.push(d));
    child.on('error', () => resolve(-1));
    child.on('close', resolve);
  });
  if (code !== 0) {
    const text = Buffer.concat(out).toString('utf8').trim().split('\n').slice(-20).join('\n');
    throw new Prerequisite(
      `Could not build bench/kstreams (mvn exited with ${code}); Maven Central must be reachable for the first build.\nCommand: mvn ${args.join(' ')}\n${text}`,
    );
  }
}

// --- the generated service -------------------------------------------------------------------

const PIPELINES: Record<Topology, string> = {
  'filter-map': 'bench/large-orders.pipeline.yaml',
  window: 'bench/window.pipeline.yaml',
  join: 'bench/join.pipeline.yaml',
};

/** Generates and builds a topology's pipeline once, with placeholder names that each run rewrites in the built graph. */
async function buildPipeline(topology: Topology, work: string): Promise<string> {
  const doc = parseDocument(readFileSync(join(repoRoot, PIPELINES[topology]), 'utf8'));
  doc.set('pipeline', `pwks-${topology}`);
  doc.delete('errors');
  const nodes = (doc.get('nodes') as { items: unknown[] }).items;
  nodes.forEach((_, i) => {
    const kind = doc.getIn(['nodes', i, 'kind']);
    const id = doc.getIn(['nodes', i, 'id']);
    if (kind === 'kafka-source') doc.setIn(['nodes', i, 'topic'], id === 'customers' ? 'pwks-table' : 'pwks-in');
    if (kind === 'kafka-sink') doc.setIn(['nodes', i, 'topic'], 'pwks-out');
  });
  const file = join(work, `${topology}.pipeline.yaml`);
  writeFileSync(file, doc.toString());
  const dir = join(work, topology);
  await buildGenerated(file, dir);
  return dir;
}

// --- events ----------------------------------------------------------------------------------

interface Topics {
  group: string;
  input: string;
  output: string;
  table: string;
}

/**
 * A send that waits while the broker does not know the fresh topic yet (under load its metadata can
 * lag its creation past kafkajs's own retries). Those errors come before anything is appended, so
 * sending again cannot write an event twice.
 */
async function sendWhenKnown(
  producer: Producer,
  topic: string,
  messages: { key: string; value: string; timestamp?: string; partition?: number }[],
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await producer.send({ topic, acks: -1, messages });
      return;
    } catch (e) {
      const cause = (e as { cause?: { type?: string } }).cause?.type ?? (e as { type?: string }).type;
      if (Date.now() > deadline || !['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION'].includes(cause ?? '')) throw e;
      await sleep(500);
    }
  }
}

/** Produces a topology's events; returns how many outputs it must give and the input events before its first output. */
async function produceEvents(producer: Producer, topology: Topology, t: Topics): Promise<{ expected: number; beforeFirst: number; closeAt: number }> {
  // One request at a time from an idempotent producer: a retried request is neither appended twice nor
  // after a later one, so each partition holds the events in the order they were made (a window's
  // records arrive in time order; an event out of order would be late for both contenders).
  const send = async (topic: string, count: number, make: (i: number) => { key: string; value: string; timestamp?: string }) => {
    for (let i = 0; i < count;) {
      const messages: { key: string; value: string; timestamp?: string }[] = [];
      for (const end = Math.min(count, i + 5000); i < end; i++) messages.push(make(i));
      await sendWhenKnown(producer, topic, messages);
    }
  };
  if (topology === 'filter-map') {
    let expected = 0;
    await send(t.input, EVENTS, (i) => {
      const orderId = i + 1;
      const amount = ((orderId * 7919) % 30_000) / 100;
      if (amount >= 100) expected++;
      return { key: `c-${i % KEYS}`, value: JSON.stringify({ orderId, customer: `c-${i % KEYS}`, amount, currency: 'EUR', sentAt: 0 }) };
    });
    return { expected, beforeFirst: 0, closeAt: 0 };
  }
  if (topology === 'window') {
    const windows = new Set<string>();
    const base = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
    const first = Math.max(1, Math.floor(EVENTS * 0.02));
    await send(t.input, EVENTS, (i) => {
      const ts = i < first ? base + Math.floor((i / first) * HOUR) : base + HOUR + Math.floor(((i - first) / (EVENTS - first)) * 2 * HOUR);
      const key = `p-${i % WINDOW_KEYS}`;
      windows.add(`${key}@${Math.floor(ts / HOUR)}`);
      return { key, value: JSON.stringify({ units: 1 + (i % 7) }), timestamp: String(ts) };
    });
    return { expected: windows.size, beforeFirst: first, closeAt: base + 3 * HOUR };
  }
  const tiers = ['bronze', 'silver', 'gold'];
  await send(t.table, TABLE_KEYS, (i) => ({
    key: `c-${i}`,
    value: JSON.stringify({ customerId: `c-${i}`, name: `Customer ${i}`, tier: tiers[i % 3], creditLimit: 1000 + (i % 50) * 100 }),
  }));
  await send(t.input, EVENTS, (i) => ({
    key: `o-${i}`,
    value: JSON.stringify({ orderId: `o-${i}`, customerId: `c-${(i * 7919) % TABLE_KEYS}`, total: 10 + (i % 90) }),
  }));
  return { expected: EVENTS, beforeFirst: 0, closeAt: 0 };
}

/**
 * Window ticks: one record per partition, a second past the end of the last hour of events, so that its
 * windows close (the stream moves on, as a live one does). Not hours later: Kafka Streams keeps a
 * window in its store for size + grace by default, and a jump of the stream time past that drops the
 * windows not yet emitted (its emit pass runs at most once a second).
 */
async function tick(producer: Producer, t: Topics, closeAt: number): Promise<void> {
  const ts = String(closeAt + 1000);
  await sendWhenKnown(
    producer,
    t.input,
    Array.from({ length: PARTITIONS }, (_, partition) => ({ key: '~tick', value: '{"units":0}', partition, timestamp: ts })),
  );
}

// --- one measurement -------------------------------------------------------------------------

interface Measurement {
  topology: Topology;
  variant: Variant;
  rep: number;
  eventsPerSecond: number;
  cpuMsPer1000: number;
  cpuMsPer1000Total: number;
  peakRssMb: number;
  seconds: number;
  startSeconds: number;
  outputs: number;
  distinct: number;
  equalToGenerated: boolean | null;
  loadAverage: number;
}

interface Started {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** Contenders still running: killed if the bench itself ends early. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
/** Groups of this run, deleted again at the end: Kafka Streams' members do not leave their group on close, so it stays busy until their session ends. */
const runGroups = new Set<string>();

function launch(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  const output: string[] = [];
  let size = 0;
  const keep = (d: string) => {
    output.push(d);
    size += d.length;
    while (size > 200_000 && output.length > 1) size -= output.shift()!.length;
  };
  // --logs <folder>: every contender's whole output, one file per measurement.
  const file = flags.logs ? join(flags.logs, `${env.APPLICATION_ID ?? env.KAFKA_GROUP_ID ?? child.pid}.log`) : undefined;
  if (file) mkdirSync(flags.logs!, { recursive: true });
  const tee = (d: string) => {
    keep(d);
    if (file) appendFileSync(file, d);
  };
  child.stdout.setEncoding('utf8').on('data', tee);
  child.stderr.setEncoding('utf8').on('data', tee);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  const code = await Promise.race([s.exited, sleep(40_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    s.child.kill('SIGKILL');
    await s.exited;
    log(`warning: the process did not exit within 40 s of SIGTERM`);
  }
}

async function highWatermark(admin: Admin, topic: string): Promise<number> {
  return (await retry(() => admin.fetchTopicOffsets(topic))).reduce((s, o) => s + Number(o.high), 0);
}

/** Reads a topic in full: id → canonical value (keys sorted, numbers as JSON.parse reads them), and the record count. */
async function readOutputs(kafka: Kafka, admin: Admin, topology: Topology, topic: string): Promise<{ byId: Map<string, string>; records: number }> {
  const total = await highWatermark(admin, topic);
  const byId = new Map<string, string>();
  let records = 0;
  const groupId = `pwks-read-${randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 << 20 });
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : v;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    if (total === 0) resolve();
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          records++;
          const key = m.key?.toString() ?? '';
          const value = JSON.parse(m.value!.toString()) as Record<string, unknown>;
          const id = topology === 'filter-map' ? String(value.orderId) : key;
          byId.set(id, JSON.stringify(canonical(value)));
        }
        if (records >= total) resolve();
      },
    });
  });
  await Promise.race([done, sleep(120_000)]);
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => {});
  if (records < total) log(`warning: read only ${records} of ${total} outputs of ${topic}`);
  return { byId, records };
}

/** Whether two runs gave the same outputs; logs the first few that differ. */
function sameOutputs(a: Map<string, string>, b: Map<string, string>, label: string): boolean {
  let differ = 0;
  for (const [id, v] of a) {
    if (b.get(id) === v) continue;
    if (++differ <= 3) log(`${label}: output ${id} is ${b.get(id) ?? 'missing'}, the generated service's ${v}`);
  }
  for (const id of b.keys()) if (!a.has(id) && ++differ <= 3) log(`${label}: output ${id} is not among the generated service's`);
  if (differ > 0) log(`${label}: ${differ} outputs differ from the generated service's`);
  return differ === 0;
}

/** Starts the contender of one measurement on topics `t`: the generated service (its graph pointed at them) or Kafka Streams (its state in `stateDir`). */
function launchContender(topology: Topology, variant: Variant, t: Topics, id: string, built: Record<string, string>, stateDir: string): Started {
  const { group } = t;
  if (variant === 'generated') {
    const dir = built[topology];
    const graph = join(dir, 'dist/src/pipeline.js');
    const pristine = readFileSync(`${graph}.pristine`, 'utf8');
    writeFileSync(
      graph,
      pristine
        .replaceAll('"pwks-in"', JSON.stringify(t.input))
        .replaceAll('"pwks-table"', JSON.stringify(t.table))
        .replaceAll('"pwks-out"', JSON.stringify(t.output))
        .replaceAll(`"pwks-${topology}.dead-letter"`, JSON.stringify(`${group}.dead-letter`))
        .replaceAll(`"pwks-${topology}"`, JSON.stringify(group)),
    );
    // --profile: a V8 CPU profile of the generated service into bench/results/profiles/ (written on exit).
    const profile = flags.profile
      ? ['--cpu-prof', `--cpu-prof-dir=${join(repoRoot, 'bench/results/profiles')}`, `--cpu-prof-name=kstreams-${topology}-${id}.cpuprofile`]
      : [];
    const s = launch(process.execPath, [...profile, 'dist/src/main.js'], dir, {
      ...process.env,
      KAFKA_BROKERS: brokers,
      KAFKA_GROUP_ID: group,
      PORT: String(20000 + Math.floor(Math.random() * 20000)),
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    });
    return s;
  }
  const s = launch(
    'java',
    ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', `${ksJar}:${join(ksDir, 'target/lib')}/*`, 'dev.pipewright.bench.KStreamsBench'],
    repoRoot,
    {
      ...process.env,
      TOPOLOGY: topology,
      KAFKA_BROKERS: brokers,
      APPLICATION_ID: group,
      INPUT_TOPIC: t.input,
      OUTPUT_TOPIC: t.output,
      TABLE_TOPIC: t.table,
      STATE_DIR: stateDir,
      ...(variant === 'kstreams-commit100' ? { COMMIT_INTERVAL_MS: '100' } : {}),
    },
  );
  return s;
}

/**
 * Waits until the contender has written all `expected` outputs (a window's ticks meanwhile), and
 * returns when and at what CPU time the first and the last came (`c0`: outputs at the first).
 */
async function waitForOutputs(
  admin: Admin,
  producer: Producer,
  topology: Topology,
  variant: Variant,
  t: Topics,
  s: Started,
  expected: number,
  closeAt: number,
) {
  const pid = s.child.pid!;
  let t0 = 0;
  let c0 = 0;
  let cpu0 = 0;
  let t1 = 0;
  let cpu1 = 0;
  let lastTick = 0;
  let lastCount = -1;
  let lastChange = now();
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (s.child.exitCode !== null) throw new Error(`${variant} (${topology}) exited with ${s.child.exitCode}\n${s.output.join('').slice(-3000)}`);
    if (Date.now() > deadline)
      throw new Error(
        `${variant} (${topology}) gave only ${await highWatermark(admin, t.output)} of ${expected} outputs in ten minutes\n${s.output.join('').slice(-3000)}`,
      );
    const n = await highWatermark(admin, t.output);
    const at = now();
    // Nothing new for a minute once outputs have started: the rest will not come.
    if (n !== lastCount) {
      lastCount = n;
      lastChange = at;
    } else if (n > 0 && at - lastChange > 60_000) {
      throw new Error(`${variant} (${topology}) gave ${n} of ${expected} outputs and nothing more for a minute\n${s.output.join('').slice(-3000)}`);
    }
    if (n > 0 && t0 === 0) {
      t0 = at;
      c0 = n;
      cpu0 = cpuSeconds(pid);
    }
    if (n >= expected) {
      t1 = at;
      cpu1 = cpuSeconds(pid);
      break;
    }
    if (topology === 'window' && at - lastTick >= 1000) {
      lastTick = at;
      await tick(producer, t, closeAt);
    }
    await sleep(20);
  }
  return { t0, c0, cpu0, t1, cpu1 };
}

/** The topics a measurement creates: input and output, the join's table, and the generated service's dead letters and window changelog. */
function measurementTopics(topology: Topology, variant: Variant, t: Topics) {
  const topics = [
    { topic: t.input, numPartitions: PARTITIONS, replicationFactor: 1 },
    { topic: t.output, numPartitions: PARTITIONS, replicationFactor: 1 },
  ];
  if (topology === 'join')
    topics.push({
      topic: t.table,
      numPartitions: PARTITIONS,
      replicationFactor: 1,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    } as (typeof topics)[number]);
  if (variant === 'generated') {
    topics.push({ topic: `${t.group}.dead-letter`, numPartitions: 1, replicationFactor: 1 });
    if (topology === 'window')
      topics.push({
        topic: `${t.group}.hourly.changelog`,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      } as (typeof topics)[number]);
  }
  return topics;
}

async function measure(
  kafka: Kafka,
  admin: Admin,
  topology: Topology,
  variant: Variant,
  rep: number,
  built: Record<string, string>,
  work: string,
): Promise<{ m: Measurement; byId: Map<string, string> }> {
  const id = randomUUID().slice(0, 8);
  const group = `pwks-${topology}-${variant === 'generated' ? 'gen' : variant === 'kstreams' ? 'ks' : 'ks100'}-${id}`;
  const t: Topics = { group, input: `${group}-in`, output: `${group}-out`, table: `${group}-table` };
  await createTopics(admin, measurementTopics(topology, variant, t));
  // A producer of its own: kafkajs keeps refreshing the metadata of every topic a producer wrote to,
  // and the topics of earlier measurements are deleted.
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  let s: Started | undefined;
  let stateDir = '';
  const cleanUp = async () => {
    if (s) await stop(s);
    await producer.disconnect().catch(() => {});
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    // The run's topics, its group, and Kafka Streams' internal topics (named after the application.id).
    const mine = (await admin.listTopics()).filter(
      (x) => x === t.input || x === t.output || x === t.table || x.startsWith(`${group}.`) || x.startsWith(`${group}-`),
    );
    await admin.deleteTopics({ topics: mine }).catch(() => {});
    const { groups } = await admin.listGroups().catch(() => ({ groups: [] as { groupId: string }[] }));
    const gs = groups.map((x) => x.groupId).filter((g) => g === group || g.startsWith(`${group}.`));
    for (const g of gs) runGroups.add(g);
    if (gs.length)
      await admin.deleteGroups(gs).then(
        () => gs.forEach((g) => runGroups.delete(g)),
        () => {},
      );
  };
  try {
    const { expected, beforeFirst, closeAt } = await produceEvents(producer, topology, t);

    if (variant !== 'generated') stateDir = mkdtempSync(join(work, 'state-'));
    s = launchContender(topology, variant, t, id, built, stateDir);
    const spawned = now();
    const pid = s.child.pid!;

    const { t0, c0, cpu0, t1, cpu1 } = await waitForOutputs(admin, producer, topology, variant, t, s, expected, closeAt);
    const { hwmKb } = procStatus(pid);
    await stop(s);

    const { byId, records } = await readOutputs(kafka, admin, topology, t.output);
    if (byId.size !== expected) log(`warning: ${variant} (${topology}) gave ${byId.size} distinct outputs, ${expected} expected`);

    // Outputs after the first seen stand for a fixed share of the input (filter-map, join); a window's
    // first results come once the first hour's events are read, so its span covers the events after them.
    const events = topology === 'window' ? EVENTS - beforeFirst : (expected - c0) * (EVENTS / expected);
    const m: Measurement = {
      topology,
      variant,
      rep,
      eventsPerSecond: events / ((t1 - t0) / 1000),
      cpuMsPer1000: ((cpu1 - cpu0) * 1e6) / events,
      cpuMsPer1000Total: (cpu1 * 1e6) / EVENTS,
      peakRssMb: hwmKb / 1024,
      seconds: (t1 - t0) / 1000,
      startSeconds: (t0 - spawned) / 1000,
      outputs: records,
      distinct: byId.size,
      equalToGenerated: null,
      loadAverage: loadavg()[0],
    };
    return { m, byId };
  } finally {
    await cleanUp();
  }
}

// --- main ------------------------------------------------------------------------------------

let brokers = '';

/** Prints the medians per topology and contender, and writes every measurement to bench/results/. */
function report(results: Measurement[], failures: string[], uptime: string): void {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const fmt = (v: number, digits = 0) =>
    Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
  const endUptime = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`\nKafka Streams benchmark: ${EVENTS} events, 6 partitions, repeat ${REPEAT} (medians); ${cpus().length} CPUs\n`);
  process.stdout.write(`before: ${uptime}\nafter:  ${endUptime}\n`);
  const summary: Record<string, unknown> = {};
  for (const topology of topologies) {
    const of = (v: Variant) => results.filter((m) => m.topology === topology && m.variant === v);
    const fig = (v: Variant) => ({
      eps: median(of(v).map((m) => m.eventsPerSecond)),
      cpu: median(of(v).map((m) => m.cpuMsPer1000)),
      cpuTotal: median(of(v).map((m) => m.cpuMsPer1000Total)),
      rss: median(of(v).map((m) => m.peakRssMb)),
      start: median(of(v).map((m) => m.startSeconds)),
      equal: of(v).every((m) => m.equalToGenerated === true),
      outputs: median(of(v).map((m) => m.distinct)),
    });
    const g = fig('generated');
    process.stdout.write(`\n${topology}\n`);
    const rows: string[][] = [
      ['', 'events/s', 'CPU ms/1k', 'CPU ms/1k whole run', 'peak RSS MB', 'first output s', 'outputs', 'same outputs', 'gen ÷ it: events/s', 'CPU/event'],
    ];
    for (const v of variants) {
      if (of(v).length === 0) continue;
      const x = fig(v);
      summary[`${topology}/${v}`] = x;
      rows.push([
        v,
        fmt(x.eps),
        fmt(x.cpu, 1),
        fmt(x.cpuTotal, 1),
        fmt(x.rss),
        fmt(x.start, 1),
        fmt(x.outputs),
        x.equal ? 'yes' : 'NO',
        v === 'generated' ? '' : fmt(g.eps / x.eps, 2),
        v === 'generated' ? '' : fmt(g.cpu / x.cpu, 2),
      ]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}\n`);
  }
  for (const f of failures) process.stdout.write(`\nfailed and left out: ${f.split('\n')[0]}\n`);
  process.stdout.write('\ntargets: generated ÷ Kafka Streams events/s ≥ 1.0, CPU per event ≤ 0.8\n');
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  const file = join(repoRoot, 'bench/results', `kstreams-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { failures, events: EVENTS, keys: KEYS, windowKeys: WINDOW_KEYS, tableKeys: TABLE_KEYS, repeat: REPEAT, uptime: [uptime, endUptime], summary, results },
      null,
      2,
    ),
  );
  process.stdout.write(`results: ${file.slice(repoRoot.length)}\n`);
}

async function main(): Promise<void> {
  if (variants.some((v) => v !== 'generated')) await ensureKStreams();
  brokers = await brokersOf();
  const kafka = new Kafka({ clientId: 'pwks-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-kstreams-'));
  const uptime = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  log(`broker ${brokers}; ${cpus().length} CPUs; ${uptime}`);

  const built: Record<string, string> = {};
  for (const topology of topologies) {
    built[topology] = await buildPipeline(topology, work);
    const graph = join(built[topology], 'dist/src/pipeline.js');
    writeFileSync(`${graph}.pristine`, readFileSync(graph));
  }

  const results: Measurement[] = [];
  const failures: string[] = [];
  try {
    for (let rep = 0; rep < REPEAT; rep++) {
      for (const topology of topologies) {
        // Alternate the order between repetitions, so that no contender always meets a warmer broker.
        const outputs = new Map<Variant, Map<string, string>>();
        const measured: Measurement[] = [];
        for (const variant of rep % 2 === 0 ? variants : [...variants].reverse()) {
          try {
            const { m, byId } = await measure(kafka, admin, topology, variant, rep, built, work);
            outputs.set(variant, byId);
            measured.push(m);
          } catch (e) {
            // One failed measurement is reported and left out; the others of the run still count.
            failures.push(`${topology} ${variant} #${rep + 1}: ${e instanceof Error ? e.message.slice(0, 3000) : String(e)}`);
            log(`FAILED ${failures.at(-1)}`);
          }
        }
        // Equal work: every contender's outputs, id by id, against the generated service's.
        for (const m of measured) {
          const reference = outputs.get('generated');
          m.equalToGenerated = reference ? sameOutputs(reference, outputs.get(m.variant)!, `${topology} ${m.variant} #${rep + 1}`) : null;
          results.push(m);
          log(
            `${topology} ${m.variant} #${rep + 1}: ${Math.round(m.eventsPerSecond)} events/s over ${m.seconds.toFixed(1)} s, ` +
              `${m.cpuMsPer1000.toFixed(1)} CPU ms/1,000 (whole run ${m.cpuMsPer1000Total.toFixed(1)}), peak RSS ${m.peakRssMb.toFixed(0)} MB, ` +
              `first output after ${m.startSeconds.toFixed(1)} s, outputs ${m.outputs} (${m.distinct} distinct)` +
              (m.equalToGenerated === null ? ', not compared' : m.equalToGenerated ? ', equal to generated' : ', DIFFERENT FROM GENERATED') +
              `, load ${m.loadAverage.toFixed(1)}`,
          );
        }
      }
    }
  } finally {
    // Groups still busy when their measurement ended (Kafka Streams' members stay until their session times out).
    if (runGroups.size > 0) {
      const deadline = Date.now() + 60_000;
      while (runGroups.size > 0 && Date.now() < deadline) {
        for (const g of [...runGroups])
          await admin.deleteGroups([g]).then(
            () => runGroups.delete(g),
            () => {},
          );
        if (runGroups.size > 0) await sleep(5000);
      }
      if (runGroups.size > 0) log(`could not delete the groups ${[...runGroups].join(', ')}`);
    }
    await admin.disconnect();
    if (!flags.keep) rmSync(work, { recursive: true, force: true });
  }

  report(results, failures, uptime);
}

main().then(
  () => process.exit(0),
  (e) => {
    if (e instanceof Prerequisite) process.stderr.write(`[kstreams] ${e.message}\n`);
    else process.stderr.write(`[kstreams] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
