/**
 * Service benchmark: the generated large-orders service against a minimal hand-written kafkajs
 * eachBatch consume → produce loop (bench/baseline.mjs), on the same broker, in the same run.
 *
 *   node bin/run-ts.mjs bench/service.ts [--events 200000] [--keys 1000] [--repeat 1] [--paired]
 *                                        [--latency-seconds 15] [--latency-rate N] [--chunk N]
 *                                        [--only throughput|latency] [--profile] [--keep]
 *
 * Uses KAFKA_BROKERS when set, otherwise starts (or reuses) the local broker of
 * scripts/kafka-broker.mjs. For every measurement each contender gets fresh topics
 * (6 partitions, as the example) and a fresh consumer group, and runs as its own process:
 *
 *   throughput  N events are produced first; the contender is started and consumes them all.
 *               events/s = input events between the first output observed and the last one,
 *               over that time (the output topic's high watermark is polled every 20 ms) [1].
 *               Peak RSS is the process's VmHWM from /proc once it is done.
 *   latency     a rate-limited producer sends events stamped with `sentAt` at about half of the
 *               contender's own peak rate (or --latency-rate); a consumer in this process reads
 *               the outputs, and latency = when an output is read − its sentAt. The first 3 s are
 *               warm-up and not counted.
 *
 * --paired runs both contenders at the same time, so that both meet the same background load.
 *
 * Prints a table with the ratios generated ÷ baseline and writes the figures as JSON to
 * bench/results/. Not a test: it asserts nothing; see bench/README.md for the targets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { parseDocument } from 'yaml';
import { cpuSeconds, createTopics as createBenchTopics } from './common.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const PARTITIONS = 6;
const WARMUP_MS = 3000;

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    keys: { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '1' },
    'latency-seconds': { type: 'string', default: '15' },
    'latency-rate': { type: 'string' },
    chunk: { type: 'string' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    paired: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(flags.events);
const KEYS = Number(flags.keys);
const REPEAT = Number(flags.repeat);
const LATENCY_SECONDS = Number(flags['latency-seconds']);
const FIXED_RATE = flags['latency-rate'] === undefined ? undefined : Number(flags['latency-rate']);
if (flags.only !== undefined && flags.only !== 'throughput' && flags.only !== 'latency') throw new Error('--only takes throughput or latency');
if (flags.only === 'latency' && FIXED_RATE === undefined) throw new Error('--only latency needs --latency-rate N');
for (const [name, v] of Object.entries({ EVENTS, KEYS, REPEAT, LATENCY_SECONDS })) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name.toLowerCase()} must be a positive whole number`);
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// --- events ------------------------------------------------------------------------------------

interface Order {
  orderId: number;
  customer: string;
  amount: number;
  currency: string;
  sentAt: number;
}

function makeOrder(i: number, sentAt: number): Order {
  const orderId = i + 1;
  return { orderId, customer: `c-${i % KEYS}`, amount: ((orderId * 7919) % 30_000) / 100, currency: 'EUR', sentAt };
}
const passes = (o: Order) => o.amount >= 100;

// --- processes ---------------------------------------------------------------------------------

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${Buffer.concat(out).toString()}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak resident set size of a live process, in MiB (Linux /proc). */
function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface Topics {
  group: string;
  input: string;
  output: string;
  deadLetter: string;
}

interface Contender {
  name: 'generated' | 'baseline';
  /** Prepares the program for these topics (the generated service is generated and built for them). */
  prepare(t: Topics): Promise<void>;
  start(t: Topics): Promise<Started>;
}

interface Started {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: string[];
}

function launch(args: string[], cwd: string, env: NodeJS.ProcessEnv): Started {
  // --profile: a V8 CPU profile of every contender process, for chrome://inspect or speedscope.
  const profile = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(repoRoot, 'bench/results/profiles')}`] : [];
  const child = spawn(process.execPath, [...profile, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => output.push(d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output };
}

async function stop(s: Started): Promise<number> {
  const t = performance.now();
  s.child.kill('SIGTERM');
  const code = await Promise.race([s.exited, sleep(30_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    s.child.kill('SIGKILL');
    await s.exited;
    throw new Error(`process did not exit within 30 s of SIGTERM\n${s.output.join('').slice(-2000)}`);
  }
  if (code !== 0) log(`warning: process exited with ${code} on SIGTERM\n${s.output.join('').slice(-2000)}`);
  return performance.now() - t;
}

async function waitJoined(s: Started, admin: Admin, group: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (s.child.exitCode !== null) throw new Error(`process exited early\n${s.output.join('')}`);
    if (s.output.join('').includes('joined consumer group')) {
      const { groups } = await admin.describeGroups([group]);
      if (groups[0]?.state === 'Stable') return;
    }
    await sleep(50);
  }
  throw new Error(`did not join group ${group} within 60 s\n${s.output.join('')}`);
}

/** The generated service: generated from bench/large-orders.pipeline.yaml for the given topics and built, offline. */
function generatedContender(work: string): Contender {
  const template = readFileSync(join(repoRoot, 'bench/large-orders.pipeline.yaml'), 'utf8');
  const dirs = new Map<string, string>();
  return {
    name: 'generated',
    async prepare(t) {
      const doc = parseDocument(template);
      doc.set('pipeline', t.group);
      const nodes = doc.get('nodes') as { items: unknown[] };
      nodes.items.forEach((_, i) => {
        const kind = doc.getIn(['nodes', i, 'kind']);
        if (kind === 'kafka-source') doc.setIn(['nodes', i, 'topic'], t.input);
        if (kind === 'kafka-sink') doc.setIn(['nodes', i, 'topic'], t.output);
      });
      doc.set('errors', { policy: 'dead-letter', topic: t.deadLetter });
      const file = join(work, `${t.group}.yaml`);
      writeFileSync(file, doc.toString());
      const dir = join(work, t.group);
      await run(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', dir], repoRoot);
      // The repository's own node_modules has the versions the generated package.json pins (kafkajs,
      // typescript, @types/node), so the bench needs no network.
      symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
      await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
      dirs.set(t.group, dir);
    },
    async start(t) {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KAFKA_BROKERS: brokers,
        KAFKA_GROUP_ID: t.group,
        PORT: String(await freePort()),
        LOG_LEVEL: 'info',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      };
      if (flags.chunk) env.BATCH_CHUNK_SIZE = flags.chunk;
      return launch(['dist/src/main.js'], dirs.get(t.group)!, env);
    },
  };
}

function baselineContender(): Contender {
  return {
    name: 'baseline',
    async prepare() {},
    async start(t) {
      return launch([join(repoRoot, 'bench/baseline.mjs')], repoRoot, {
        ...process.env,
        KAFKA_BROKERS: brokers,
        GROUP_ID: t.group,
        INPUT_TOPIC: t.input,
        OUTPUT_TOPIC: t.output,
        DEAD_LETTER_TOPIC: t.deadLetter,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      });
    },
  };
}

// --- measurements ------------------------------------------------------------------------------

let brokers = '';
let kafka: Kafka;
let admin: Admin;
const runId = randomUUID().slice(0, 8);
const created: string[] = [];
const groups: string[] = [];

function topicsFor(contender: string, phase: string, rep: number): Topics {
  const group = `bench-${runId}-${contender.slice(0, 3)}-${phase}-${rep}`;
  groups.push(group, `${group}-reader`);
  return { group, input: `${group}-in`, output: `${group}-out`, deadLetter: `${group}-dlq` };
}

async function createTopics(t: Topics): Promise<void> {
  const topics = [
    { topic: t.input, numPartitions: PARTITIONS, replicationFactor: 1 },
    { topic: t.output, numPartitions: PARTITIONS, replicationFactor: 1 },
    { topic: t.deadLetter, numPartitions: 1, replicationFactor: 1 },
  ];
  created.push(...topics.map((x) => x.topic));
  await createBenchTopics(admin, topics);
}

async function highWatermark(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((s, o) => s + Number(o.high), 0);
}

/** Produces the same N events to every given input topic, in sendBatch calls of 5,000, a few in flight. */
async function preProduce(producer: Producer, topics: string[]): Promise<number> {
  let expected = 0;
  const BATCH = 5000;
  const inFlight: Promise<unknown>[] = [];
  for (let start = 0; start < EVENTS; start += BATCH) {
    const messages: { key: string; value: string }[] = [];
    for (let i = start; i < Math.min(EVENTS, start + BATCH); i++) {
      const o = makeOrder(i, 0);
      if (passes(o)) expected++;
      messages.push({ key: o.customer, value: JSON.stringify(o) });
    }
    inFlight.push(producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages })) }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return expected;
}

interface Throughput {
  eventsPerSecond: number;
  /** CPU time of the process per 1,000 input events over the same window: robust on a busy machine. */
  cpuMsPer1000: number;
  seconds: number;
  peakRssMiB: number | null;
  sigtermMs: number;
}

async function measureThroughput(c: Contender, t: Topics, expectedOutputs: number): Promise<Throughput> {
  const s = await c.start(t);
  let t0 = 0;
  let c0 = 0;
  let t1 = 0;
  let cpu0 = 0;
  let cpu1 = 0;
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (s.child.exitCode !== null) throw new Error(`${c.name} exited early\n${s.output.join('')}`);
    if (Date.now() > deadline) throw new Error(`${c.name} did not finish within 10 minutes`);
    const n = await highWatermark(t.output);
    const now = performance.now();
    if (n > 0 && t0 === 0) {
      t0 = now;
      c0 = n;
      cpu0 = cpuSeconds(s.child.pid!);
    }
    if (n >= expectedOutputs) {
      t1 = now;
      cpu1 = cpuSeconds(s.child.pid!);
      break;
    }
    await sleep(20);
  }
  const peakRss = peakRssMiB(s.child.pid!);
  const sigtermMs = await stop(s);
  const seconds = (t1 - t0) / 1000;
  // Outputs are a fixed fraction of the input; convert the outputs seen after the first into input events.
  const events = (expectedOutputs - c0) * (EVENTS / expectedOutputs);
  return { eventsPerSecond: events / seconds, cpuMsPer1000: ((cpu1 - cpu0) * 1000 * 1000) / events, seconds, peakRssMiB: peakRss, sigtermMs };
}

interface Latency {
  rate: number;
  achievedRate: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  peakRssMiB: number | null;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function measureLatency(c: Contender, t: Topics, rate: number, producer: Producer): Promise<Latency> {
  const s = await c.start(t);
  await waitJoined(s, admin, t.group);

  const latencies: number[] = [];
  let observed = 0;
  let measureFrom = Infinity;
  const reader = kafka.consumer({ groupId: `${t.group}-reader`, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topics: [t.output], fromBeginning: true });
  let readerJoined = false;
  reader.on(reader.events.GROUP_JOIN, () => (readerJoined = true));
  await reader.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const sentAt = (JSON.parse(m.value!.toString()) as { sentAt: number }).sentAt;
        observed++;
        if (sentAt >= measureFrom) latencies.push(now - sentAt);
      }
    },
  });
  while (!readerJoined) await sleep(20);

  // Rate-limited producer: every few milliseconds, send what is due by now, stamped with the send time.
  const began = Date.now();
  measureFrom = began + WARMUP_MS;
  const total = Math.round(rate * LATENCY_SECONDS);
  let sent = 0;
  let expected = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - began) / 1000) * rate));
    if (due > sent) {
      const messages: { key: string; value: string }[] = [];
      const sentAt = Date.now();
      // At most 2,000 per request: when the machine falls behind, what is due is sent in several.
      for (const last = Math.min(due, sent + 2000); sent < last; sent++) {
        const o = makeOrder(sent, sentAt);
        if (passes(o)) expected++;
        messages.push({ key: o.customer, value: JSON.stringify(o) });
      }
      await producer.send({ topic: t.input, acks: -1, messages });
    } else {
      await sleep(2);
    }
  }
  const achievedRate = sent / ((Date.now() - began) / 1000);
  const deadline = Date.now() + 60_000;
  while (observed < expected && Date.now() < deadline) await sleep(20);
  if (observed < expected) log(`warning: ${c.name} produced only ${observed} of ${expected} outputs in the latency phase`);
  await reader.disconnect();
  const peakRss = peakRssMiB(s.child.pid!);
  await stop(s);
  latencies.sort((a, b) => a - b);
  return {
    rate,
    achievedRate,
    samples: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    peakRssMiB: peakRss,
  };
}

// --- main --------------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** KAFKA_BROKERS, or a broker of scripts/kafka-broker.mjs; returns how to stop the broker when this run started it. */
async function useBroker(): Promise<(() => Promise<unknown>) | undefined> {
  let stopBroker: (() => Promise<unknown>) | undefined;
  if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS;
  } else {
    const script = new URL('../scripts/kafka-broker.mjs', import.meta.url).href;
    const { startBroker } = (await import(script)) as {
      startBroker: (o: object) => Promise<{ brokers: string; reused: boolean; stop: () => Promise<unknown> }>;
    };
    const b = await startBroker({});
    brokers = b.brokers;
    if (!b.reused) stopBroker = b.stop;
  }
  return stopBroker;
}

/** Prints the medians of both contenders side by side and writes all runs to bench/results/. */
function report(throughput: Record<string, Throughput[]>, latency: Record<string, Latency[]>): void {
  const summary = (name: string) => ({
    eventsPerSecond: median(throughput[name].map((r) => r.eventsPerSecond)),
    cpuMsPer1000: median(throughput[name].map((r) => r.cpuMsPer1000)),
    peakRssMiB: median(throughput[name].map((r) => r.peakRssMiB ?? NaN)),
    latencyRate: median(latency[name].map((r) => r.rate)),
    p50: median(latency[name].map((r) => r.p50)),
    p99: median(latency[name].map((r) => r.p99)),
    latencyPeakRssMiB: median(latency[name].map((r) => r.peakRssMiB ?? NaN)),
  });
  const g = summary('generated');
  const b = summary('baseline');
  const ratios = {
    throughput: g.eventsPerSecond / b.eventsPerSecond,
    cpuPerEvent: g.cpuMsPer1000 / b.cpuMsPer1000,
    p99: g.p99 / b.p99,
    p50: g.p50 / b.p50,
    peakRss: g.peakRssMiB / b.peakRssMiB,
  };
  const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  const rows: [string, string, string, string, string][] = [
    ['', 'generated', 'baseline', 'gen ÷ base', 'target'],
    ['throughput (events/s)', fmt(g.eventsPerSecond), fmt(b.eventsPerSecond), fmt(ratios.throughput, 2), '≥ 1.0'],
    ['CPU ms per 1,000 events', fmt(g.cpuMsPer1000, 1), fmt(b.cpuMsPer1000, 1), fmt(ratios.cpuPerEvent, 2), ''],
    ['peak RSS, throughput (MiB)', fmt(g.peakRssMiB), fmt(b.peakRssMiB), fmt(ratios.peakRss, 2), ''],
    ['latency phase rate (events/s)', fmt(g.latencyRate), fmt(b.latencyRate), '', '½ of own peak'],
    ['p50 end-to-end latency (ms)', fmt(g.p50), fmt(b.p50), fmt(ratios.p50, 2), ''],
    ['p99 end-to-end latency (ms)', fmt(g.p99), fmt(b.p99), fmt(ratios.p99, 2), '≤ 1.2'],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ');
  process.stdout.write(`\nService benchmark: ${EVENTS} events, ${KEYS} keys, ${PARTITIONS} partitions, repeat ${REPEAT} (medians)\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);

  const results = {
    bench: 'service',
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    brokers,
    options: { events: EVENTS, keys: KEYS, repeat: REPEAT, latencySeconds: LATENCY_SECONDS, latencyRate: FIXED_RATE, chunk: flags.chunk },
    summary: { generated: g, baseline: b, ratios },
    runs: { throughput, latency },
  };
  const dir = join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `service-${results.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file.slice(repoRoot.length)}\n`);
}

async function main(): Promise<void> {
  const stopBroker = await useBroker();
  // Quiet: the few retried errors while fresh topics get their leaders are noise; failures still throw.
  kafka = new Kafka({ clientId: 'pipewright-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-'));
  const contenders = [generatedContender(work), baselineContender()];
  log(`broker ${brokers}; ${EVENTS} events, ${KEYS} keys, ${PARTITIONS} partitions, repeat ${REPEAT}; ${cpus().length} CPUs`);

  const throughput: Record<string, Throughput[]> = { generated: [], baseline: [] };
  const latency: Record<string, Latency[]> = { generated: [], baseline: [] };
  try {
    // Every topic and every generated build first, so that all measurements run the same code
    // and no build competes with a measurement for the CPU.
    const plan: { tput: Record<string, Topics>; lat: Record<string, Topics> }[] = [];
    for (let rep = 0; rep < REPEAT; rep++) {
      const tput = Object.fromEntries(contenders.map((c) => [c.name, topicsFor(c.name, 'tput', rep)]));
      const lat = Object.fromEntries(contenders.map((c) => [c.name, topicsFor(c.name, 'lat', rep)]));
      plan.push({ tput, lat });
      for (const c of contenders) {
        for (const t of [tput[c.name], lat[c.name]]) {
          await createTopics(t);
          await c.prepare(t);
        }
      }
    }
    log(`prepared ${plan.length * 2 * contenders.length} measurements`);
    for (const [rep, { tput }] of plan.entries()) {
      if (flags.only === 'latency') break;
      const t = performance.now();
      const expected = await preProduce(
        producer,
        contenders.map((c) => tput[c.name].input),
      );
      log(`produced ${EVENTS} events to ${contenders.length} topics in ${((performance.now() - t) / 1000).toFixed(1)} s; ${expected} pass the filter`);
      // Alternate who goes first, so that neither always meets a warmer broker.
      const order = rep % 2 === 0 ? contenders : [...contenders].reverse();
      const results = flags.paired ? await Promise.all(order.map((c) => measureThroughput(c, tput[c.name], expected))) : [];
      for (const [i, c] of order.entries()) {
        const r = flags.paired ? results[i] : await measureThroughput(c, tput[c.name], expected);
        throughput[c.name].push(r);
        log(
          `throughput ${c.name}: ${Math.round(r.eventsPerSecond)} events/s over ${r.seconds.toFixed(2)} s, ${r.cpuMsPer1000.toFixed(1)} CPU ms per 1,000 events, peak RSS ${r.peakRssMiB?.toFixed(0)} MiB`,
        );
      }
    }
    for (const [rep, { lat }] of plan.entries()) {
      if (flags.only === 'throughput') break;
      const order = rep % 2 === 0 ? contenders : [...contenders].reverse();
      const rateOf = (c: Contender) => FIXED_RATE ?? Math.round(median(throughput[c.name].map((r) => r.eventsPerSecond)) / 2);
      const results = flags.paired ? await Promise.all(order.map((c) => measureLatency(c, lat[c.name], rateOf(c), producer))) : [];
      for (const [i, c] of order.entries()) {
        const rate = rateOf(c);
        const r = flags.paired ? results[i] : await measureLatency(c, lat[c.name], rate, producer);
        latency[c.name].push(r);
        log(
          `latency ${c.name} at ${rate} events/s (achieved ${Math.round(r.achievedRate)}): p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (${r.samples} samples)`,
        );
      }
    }
  } finally {
    await producer.disconnect();
    await admin.deleteGroups(groups).catch(() => {});
    await admin.deleteTopics({ topics: created }).catch(() => {});
    await admin.disconnect();
    if (!flags.keep) rmSync(work, { recursive: true, force: true });
    await stopBroker?.();
  }

  report(throughput, latency);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);

// [1] The first batch's outputs are left out on both sides: the time before them is group
//     join and the first fetch, which is start-up, not throughput.
