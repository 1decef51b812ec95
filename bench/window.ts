/**
 * Windowed aggregation benchmark: the generated service running a tumbling one-hour window
 * (count and sum of units per key, state in a changelog-backed store) against a hand-written
 * kafkajs loop doing the same aggregation with the same durability (bench/window-baseline.mjs),
 * on the same broker, in the same run.
 *
 *   node bin/run-ts.mjs bench/window.ts [--events 400000] [--keys 100000] [--repeat 1] [--keep]
 *
 * For each contender: fresh topics (6 partitions; a compacted changelog) and a fresh group;
 * N events over K distinct keys are produced first, their record timestamps spread over two
 * hours in order, so K windows are open at once and the first hour's K results are emitted
 * half-way. Then the contender starts as its own process.
 *   events/s   input events committed between the first commit seen and the last, over that
 *              time (the group's committed offsets are polled every 50 ms), so start-up and the
 *              group join are left out.
 *   memory     VmHWM (peak RSS) of the process once it is done, and the same scaled to 100,000
 *              open windows (keys), less the RSS of the process when idle after joining.
 * Prints the ratios generated ÷ baseline (target ≥ 0.8) and writes JSON to bench/results/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { alternating, brokers, buildGenerated, medianOf, procStatus, repoRoot, startGenerated } from './common.js';

const PARTITIONS = 6;
const HOUR = 3_600_000;

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '400000' },
    keys: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(flags.events);
const KEYS = Number(flags.keys);
const REPEAT = Number(flags.repeat);

interface Contender {
  name: 'generated' | 'baseline';
  start(topics: { input: string; output: string; changelog: string; group: string }): ChildProcess | Promise<ChildProcess>;
}

interface Measurement {
  contender: string;
  eventsPerSecond: number;
  peakRssMb: number;
  idleRssMb: number;
  mbPer100kKeys: number;
}

const ms = () => performance.now();

async function main() {
  const broker = await brokers();
  const kafka = new Kafka({ clientId: 'bench-window', brokers: broker.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-window-'));

  // The generated service, built once; topics and group come from the environment of each run.
  const serviceDir = join(work, 'service');
  await buildGenerated('bench/window.pipeline.yaml', serviceDir);
  const pristine = readFileSync(join(serviceDir, 'dist/src/pipeline.js'), 'utf8');

  const contenders: Contender[] = [
    {
      name: 'generated',
      start: (t) =>
        startGenerated(
          serviceDir,
          pristine,
          { 'bench-window-in': t.input, 'bench-window-out': t.output, 'bench-window.dead-letter': `${t.group}.dead-letter`, 'bench-window': t.group },
          { KAFKA_BROKERS: broker, KAFKA_GROUP_ID: t.group },
        ),
    },
    {
      name: 'baseline',
      start: (t) =>
        spawn(process.execPath, ['bench/window-baseline.mjs'], {
          cwd: repoRoot,
          env: { ...process.env, KAFKA_BROKERS: broker, GROUP_ID: t.group, INPUT_TOPIC: t.input, OUTPUT_TOPIC: t.output, CHANGELOG_TOPIC: t.changelog },
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
    },
  ];

  const results = await alternating(contenders, REPEAT, (c) => measure(kafka, admin, c));
  await admin.disconnect();

  const fig = (name: string) => ({
    eps: medianOf(results, name, 'eventsPerSecond'),
    mem: medianOf(results, name, 'mbPer100kKeys'),
    peak: medianOf(results, name, 'peakRssMb'),
  });
  const g = fig('generated');
  const b = fig('baseline');
  console.info(`\nwindowed aggregation, ${EVENTS} events, ${KEYS} keys, tumbling 1h, count + sum, 6 partitions, ${REPEAT} run(s)`);
  console.info(`                    generated   baseline   ratio`);
  console.info(`events/s            ${g.eps.toFixed(0).padStart(9)}  ${b.eps.toFixed(0).padStart(9)}   ${(g.eps / b.eps).toFixed(2)}  (target ≥ 0.8)`);
  console.info(`peak RSS (MB)       ${g.peak.toFixed(0).padStart(9)}  ${b.peak.toFixed(0).padStart(9)}   ${(g.peak / b.peak).toFixed(2)}`);
  console.info(`MB per 100k keys    ${g.mem.toFixed(1).padStart(9)}  ${b.mem.toFixed(1).padStart(9)}   ${(g.mem / b.mem).toFixed(2)}`);
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench/results', `window-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ events: EVENTS, keys: KEYS, results }, null, 2),
  );
  if (!flags.keep) rmSync(work, { recursive: true, force: true });
}

async function measure(kafka: Kafka, admin: Admin, c: Contender): Promise<Measurement> {
  const id = randomUUID().slice(0, 8);
  const group = `bench-window-${c.name}-${id}`;
  const t = { input: `bw-in-${id}`, output: `bw-out-${id}`, changelog: c.name === 'generated' ? `${group}.hourly.changelog` : `bw-changelog-${id}`, group };
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: t.input, numPartitions: PARTITIONS },
      { topic: t.output, numPartitions: PARTITIONS },
      { topic: t.changelog, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: `${group}.dead-letter`, numPartitions: 1 },
    ],
  });
  // N events over K keys, in time order over two hours: K windows open at once, closed half-way.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const base = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  for (let i = 0; i < EVENTS;) {
    const messages = [];
    for (const end = Math.min(EVENTS, i + 10_000); i < end; i++) {
      messages.push({ key: `p-${i % KEYS}`, value: JSON.stringify({ units: 1 + (i % 7) }), timestamp: String(base + Math.floor((i / EVENTS) * 2 * HOUR)) });
    }
    await producer.send({ topic: t.input, acks: -1, messages });
  }
  await producer.disconnect();

  const child = await c.start(t);
  let idleRssKb = NaN;
  child.stdout!.setEncoding('utf8').on('data', () => {});
  let first: { at: number; done: number } | undefined;
  let last = 0;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [t.input] });
    const done = committed.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    // Idle: the last reading before the first commit, once it has started and joined.
    if (done === 0) idleRssKb = procStatus(child.pid!).rssKb;
    if (done > 0 && !first) first = { at: ms(), done };
    if (done >= EVENTS) {
      last = ms();
      break;
    }
    if (Date.now() > deadline) throw new Error(`${c.name}: only ${done}/${EVENTS} events committed after ten minutes`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { hwmKb } = procStatus(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  await admin.deleteTopics({ topics: [t.input, t.output, t.changelog, `${group}.dead-letter`] }).catch(() => {});
  await admin.deleteGroups([group]).catch(() => {});
  const eventsPerSecond = ((EVENTS - first!.done) / (last - first!.at)) * 1000;
  return {
    contender: c.name,
    eventsPerSecond,
    peakRssMb: hwmKb / 1024,
    idleRssMb: idleRssKb / 1024,
    mbPer100kKeys: (((hwmKb - idleRssKb) / 1024) * 100_000) / KEYS,
  };
}

await main();
