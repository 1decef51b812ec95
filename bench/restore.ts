/**
 * Restore benchmark: window state of K keys (default 1,000,000) in a compacted changelog topic of
 * 6 partitions, brought back into memory by the runtime's restorer (bench/restore-child.ts, what a
 * replica of the generated service runs when it is assigned partitions) against a hand-written
 * kafkajs loop reading the same topic into Maps (bench/restore-baseline.mjs), on the same broker,
 * in the same run.
 *
 *   node bin/run-ts.mjs bench/restore.ts [--keys 1000000] [--repeat 1] [--format compact|json]
 *
 * The changelog holds one record per key, as the window's store writes it (an open one-hour window
 * with count and sum): in its compact form (runtime/engine/window-codec.ts), or with `--format json`
 * as JSON, as windows wrote it before (and changelogs written then still hold). Each contender is
 * its own process:
 *   seconds     from the first restore call (baseline: its group join) to the last
 *               partition reaching the end offset it had when the read began;
 *   records/s   records applied over that time (target ≥ 100,000);
 *   records/CPU s  records applied per CPU second of the process over that time (process.cpuUsage):
 *               what a free core would do, on a machine shared with other work;
 *   peak RSS    VmHWM of the process once done;
 *   MB/100k     (peak RSS − RSS when connected and idle) scaled to 100,000 keys (target ≤ 120).
 * Prints the ratios restorer ÷ baseline and writes JSON to bench/results/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { brokers, procStatus, repoRoot } from './common.js';
import { encodeWindow } from '../runtime/engine/window-codec.js';

const PARTITIONS = 6;
const HOUR = 3_600_000;
const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '1' },
    reuse: { type: 'string' },
    keep: { type: 'boolean', default: false },
    format: { type: 'string', default: 'compact' },
  },
});
if (flags.format !== 'compact' && flags.format !== 'json')
  throw new Error('--format is compact (as the window writes its changelog now) or json (as it did before)');
const KEYS = Number(flags.keys);
const REPEAT = Number(flags.repeat);

interface Measurement {
  contender: string;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  cpuSeconds: number;
  recordsPerCpuSecond: number;
  /** The 1-minute load average when the contender finished. */
  load: number;
  peakRssMb: number;
  idleRssMb: number;
  mbPer100kKeys: number;
}

async function main() {
  const broker = await brokers();
  const kafka = new Kafka({ clientId: 'bench-restore', brokers: broker.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  // --reuse <name> reads the changelog a run with --keep left (writing a million records takes minutes).
  const pipeline = flags.reuse ?? `bench-restore-${randomUUID().slice(0, 8)}`;
  const topic = `${pipeline}.w.changelog`;
  if (!flags.reuse) await write(kafka, admin, topic);
  await run(kafka, admin, broker, pipeline, topic);
}

async function write(kafka: Kafka, admin: Admin, topic: string) {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const began = performance.now();
  const start = Math.floor(Date.now() / HOUR) * HOUR;
  for (let i = 0; i < KEYS;) {
    const topicMessages = [];
    for (let p = 0; p < PARTITIONS; p++) topicMessages.push({ topic, messages: [] as { key: string; value: string | Buffer; partition: number }[] });
    for (const end = Math.min(KEYS, i + 30_000); i < end; i++) {
      const k = `p-${i}`;
      const w = { k, s: start, e: start + HOUR, n: 1 + (i % 9), sum: 3 * (i % 9) };
      topicMessages[i % PARTITIONS].messages.push({
        key: `w\u0000${k}\u0000${start}`,
        value: flags.format === 'json' ? JSON.stringify(w) : Buffer.from(encodeWindow(w)!),
        partition: i % PARTITIONS,
      });
    }
    await producer.sendBatch({ topicMessages, acks: -1 });
  }
  await producer.disconnect();
  console.info(`wrote ${KEYS} window records (${flags.format}) to ${topic} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
}

async function run(kafka: Kafka, admin: Admin, broker: string, pipeline: string, topic: string) {
  const contenders = {
    restorer: () =>
      spawn(process.execPath, ['bin/run-ts.mjs', 'bench/restore-child.ts'], {
        cwd: repoRoot,
        env: { ...process.env, KAFKA_BROKERS: broker, PIPELINE: pipeline, PARTITIONS: String(PARTITIONS) },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    baseline: () =>
      spawn(process.execPath, ['bench/restore-baseline.mjs'], {
        cwd: repoRoot,
        env: { ...process.env, KAFKA_BROKERS: broker, PIPELINE: pipeline, PARTITIONS: String(PARTITIONS) },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
  };
  const results: Measurement[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const order: (keyof typeof contenders)[] = r % 2 ? ['baseline', 'restorer'] : ['restorer', 'baseline'];
    for (const name of order) {
      results.push(await measure(name, contenders[name]()));
      console.info(JSON.stringify(results.at(-1)));
    }
  }
  if (!flags.keep) await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  const groups = (await admin.listGroups()).groups.filter(
    (g) => g.groupId.startsWith(`${pipeline}.restore.`) || g.groupId.startsWith('bench-restore-baseline-'),
  );
  await admin.deleteGroups(groups.map((g) => g.groupId)).catch(() => {});
  await admin.disconnect();

  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (name: string, f: keyof Measurement) => median(results.filter((x) => x.contender === name).map((x) => x[f] as number));
  const row = (label: string, f: keyof Measurement, digits = 0, note = '') => {
    const [a, b] = [of('restorer', f), of('baseline', f)];
    console.info(`${label.padEnd(18)}${a.toFixed(digits).padStart(10)}  ${b.toFixed(digits).padStart(10)}   ${(a / b).toFixed(2)}${note}`);
  };
  console.info(`\nrestore of ${KEYS} window keys, ${PARTITIONS} partitions, ${REPEAT} run(s)`);
  console.info(`                    restorer    baseline   ratio`);
  row('seconds', 'seconds', 1);
  row('records/s', 'recordsPerSecond', 0, '  (target ≥ 100,000 records/s)');
  row('CPU seconds', 'cpuSeconds', 2);
  row('records/CPU s', 'recordsPerCpuSecond', 0, '  (what one free core would do)');
  row('load average', 'load', 1);
  row('peak RSS (MB)', 'peakRssMb');
  row('MB per 100k keys', 'mbPer100kKeys', 1, '  (target ≤ 120)');
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench/results', `restore-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ keys: KEYS, results }, null, 2),
  );
}

async function measure(contender: string, child: ChildProcess): Promise<Measurement> {
  let idleRssKb = NaN;
  const done = await new Promise<{ records: number; seconds: number; cpuSeconds: number }>((resolve, reject) => {
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, nl)) as { ready?: boolean; done?: boolean; records: number; seconds: number; cpuSeconds: number };
        buffered = buffered.slice(nl + 1);
        if (line.ready) idleRssKb = procStatus(child.pid!).rssKb;
        if (line.done) resolve(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`${contender} exited with ${code} before it was done`)));
  });
  const { hwmKb } = procStatus(child.pid!);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return {
    contender,
    records: done.records,
    seconds: done.seconds,
    recordsPerSecond: done.records / done.seconds,
    cpuSeconds: done.cpuSeconds,
    recordsPerCpuSecond: done.records / done.cpuSeconds,
    load: loadavg()[0],
    peakRssMb: hwmKb / 1024,
    idleRssMb: idleRssKb / 1024,
    mbPer100kKeys: (((hwmKb - idleRssKb) / 1024) * 100_000) / KEYS,
  };
}

await main();
