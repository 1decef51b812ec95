/**
 * Shutdown benchmark: how long an idle replica of the generated service takes from SIGTERM to its
 * exit, with the fetch wait it runs with (KAFKA_FETCH_MAX_WAIT_MS, 500 ms) against kafkajs's
 * default fetch wait (5,000 ms) as the baseline, on the same broker, in the same run.
 *
 *   node bin/run-ts.mjs bench/shutdown.ts [--repeat 5] [--keep]
 *
 * The service is bench/window.pipeline.yaml (a windowed aggregation): besides its consumer group it
 * runs the consumer that restores state from the changelog, so a stop waits for two fetches.
 * For every measurement: two replicas in a fresh group; 2,000 events are produced and processed
 * until every offset is committed; the replicas then idle for 3 s; one gets SIGTERM, and the time
 * to its exit is measured. The exit code must be 0 and the offsets must still be the end offsets.
 * Prints the medians and the ratio, and writes JSON to bench/results/. Target: under 2 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { brokers, buildGenerated, createTopics, repoRoot } from './common.js';

const PARTITIONS = 6;
const EVENTS = 2000;

const { values: flags } = parseArgs({ options: { repeat: { type: 'string', default: '5' }, keep: { type: 'boolean', default: false } } });
const REPEAT = Number(flags.repeat);
if (!Number.isInteger(REPEAT) || REPEAT <= 0) throw new Error('--repeat must be a positive whole number');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Measurement {
  fetchWaitMs: number;
  exitMs: number;
  code: number | null;
}

async function main() {
  const broker = await brokers();
  const kafka = new Kafka({ clientId: 'bench-shutdown', brokers: broker.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-shutdown-'));
  const serviceDir = join(work, 'service');
  await buildGenerated('bench/window.pipeline.yaml', serviceDir);
  const pristine = readFileSync(join(serviceDir, 'dist/src/pipeline.js'), 'utf8');

  const results: Measurement[] = [];
  for (let r = 0; r < REPEAT; r++) {
    for (const fetchWaitMs of r % 2 ? [5000, 500] : [500, 5000]) {
      writeFileSync(join(serviceDir, 'dist/src/pipeline.js'), pristine);
      results.push(await measure(kafka, admin, serviceDir, broker, fetchWaitMs));
      console.info(JSON.stringify(results.at(-1)));
    }
  }
  await admin.disconnect();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (wait: number) => results.filter((x) => x.fetchWaitMs === wait).map((x) => x.exitMs);
  const g = median(of(500));
  const b = median(of(5000));
  console.info(`\nSIGTERM → exit of an idle replica (windowed service, 2 replicas, ${PARTITIONS} partitions), ${REPEAT} run(s)`);
  console.info(`                         fetch wait 500 ms   fetch wait 5,000 ms (kafkajs default)   ratio`);
  console.info(`median (ms)              ${g.toFixed(0).padStart(17)}   ${b.toFixed(0).padStart(37)}   ${(g / b).toFixed(2)}  (target < 2,000 ms)`);
  console.info(
    `max (ms)                 ${Math.max(...of(500))
      .toFixed(0)
      .padStart(17)}   ${Math.max(...of(5000))
      .toFixed(0)
      .padStart(37)}`,
  );
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench/results', `shutdown-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ results }, null, 2));
  if (!flags.keep) rmSync(work, { recursive: true, force: true });
}

async function measure(kafka: Kafka, admin: Admin, serviceDir: string, broker: string, fetchWaitMs: number): Promise<Measurement> {
  const id = randomUUID().slice(0, 8);
  const group = `bench-shutdown-${id}`;
  const t = { input: `bs-in-${id}`, output: `bs-out-${id}`, changelog: `${group}.hourly.changelog`, dead: `${group}.dead-letter` };
  await createTopics(admin, [
    { topic: t.input, numPartitions: PARTITIONS },
    { topic: t.output, numPartitions: PARTITIONS },
    { topic: t.changelog, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: t.dead, numPartitions: 1 },
  ]);
  const built = readFileSync(join(serviceDir, 'dist/src/pipeline.js'), 'utf8')
    .replaceAll('"bench-window-in"', JSON.stringify(t.input))
    .replaceAll('"bench-window-out"', JSON.stringify(t.output))
    .replaceAll('"bench-window.dead-letter"', JSON.stringify(t.dead))
    .replaceAll('"bench-window"', JSON.stringify(group));
  writeFileSync(join(serviceDir, 'dist/src/pipeline.js'), built);
  const start = (name: string): { child: ChildProcess; exit: Promise<number | null> } => {
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: serviceDir,
      env: {
        ...process.env,
        KAFKA_BROKERS: broker,
        KAFKA_GROUP_ID: group,
        KAFKA_CLIENT_ID: `${group}-${name}`,
        KAFKA_FETCH_MAX_WAIT_MS: String(fetchWaitMs),
        PORT: String(20000 + Math.floor(Math.random() * 20000)),
        LOG_LEVEL: 'warn',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  };
  const replicas = [start('a'), start('b')];
  const stable = async () => {
    const { groups } = await admin.describeGroups([group]);
    return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
  };
  for (const deadline = Date.now() + 120_000; !(await stable()); await sleep(200)) {
    if (Date.now() > deadline) throw new Error('the two replicas did not form a stable group within two minutes');
  }
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const now = Date.now();
  await producer.send({
    topic: t.input,
    acks: -1,
    messages: Array.from({ length: EVENTS }, (_, i) => ({ key: `p-${i % 100}`, value: JSON.stringify({ units: 1 }), timestamp: String(now) })),
  });
  await producer.disconnect();
  const committedAll = async () => {
    const ends = await admin.fetchTopicOffsets(t.input);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [t.input] });
    return ends.every((e) => committed.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
  };
  for (const deadline = Date.now() + 120_000; !(await committedAll()); await sleep(100)) {
    if (Date.now() > deadline) throw new Error('the events were not processed within two minutes');
  }
  await sleep(3000);
  const began = performance.now();
  replicas[0].child.kill('SIGTERM');
  const code = await replicas[0].exit;
  const exitMs = performance.now() - began;
  if (!(await committedAll())) throw new Error('offsets moved back after the shutdown');
  replicas[1].child.kill('SIGTERM');
  await replicas[1].exit;
  await admin.deleteTopics({ topics: Object.values(t) }).catch(() => {});
  await admin.deleteGroups([group]).catch(() => {});
  return { fetchWaitMs, exitMs: Math.round(exitMs), code };
}

await main();
