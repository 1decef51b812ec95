/**
 * Exactly-once's cost: the same generated service with `delivery: at-least-once` and with
 * `delivery: exactly-once`, on the same broker, in the same run, for a stateless pipeline (the
 * large-orders filter and map) and a windowed one (a tumbling hour, count and sum, with its changelog).
 *
 *   node bin/run-ts.mjs bench/eos.ts [--events 200000] [--keys 2000] [--repeat 1] [--pipelines stateless,windowed]
 *
 * For each pipeline, delivery and repeat: fresh topics (6 partitions) and a fresh group; the events
 * are produced first, then one replica starts.
 *   events/s      input events committed between the first commit seen and the last, over that time
 *                 (the group's committed offsets are polled every 50 ms): start-up and joining left out.
 *   CPU ms/1000   user + system CPU time of the service over the same span, per 1000 events.
 * Prints exactly-once ÷ at-least-once for both, and writes JSON to bench/results/.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { parseDocument } from 'yaml';
import { brokers, buildGenerated, cpuSeconds, createTopics, repoRoot } from './common.js';

const PARTITIONS = 6;
const HOUR = 3_600_000;
const DELIVERIES = ['at-least-once', 'exactly-once'] as const;
type Delivery = (typeof DELIVERIES)[number];

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    keys: { type: 'string', default: '2000' },
    repeat: { type: 'string', default: '1' },
    pipelines: { type: 'string', default: 'stateless,windowed' },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(flags.events);
const KEYS = Number(flags.keys);
const REPEAT = Number(flags.repeat);

/** The pipelines: their YAML, the names in it that each run renames, and an event. */
const PIPELINES = {
  stateless: {
    yaml: 'bench/large-orders.pipeline.yaml',
    names: { pipeline: 'large-orders-bench', input: 'orders', output: 'large-orders' },
    event: (i: number) => ({
      key: `c-${i % KEYS}`,
      value: JSON.stringify({ orderId: i, customer: `c-${i % KEYS}`, amount: i % 300, currency: 'EUR', sentAt: 0 }),
    }),
  },
  windowed: {
    yaml: 'bench/window.pipeline.yaml',
    names: { pipeline: 'bench-window', input: 'bench-window-in', output: 'bench-window-out' },
    event: (i: number, base: number) => ({
      key: `p-${i % KEYS}`,
      value: JSON.stringify({ units: 1 + (i % 7) }),
      timestamp: String(base + Math.floor((i / EVENTS) * 2 * HOUR)),
    }),
  },
};
type PipelineName = keyof typeof PIPELINES;

interface Measurement {
  pipeline: PipelineName;
  delivery: Delivery;
  eventsPerSecond: number;
  cpuMsPer1000: number;
}

async function main() {
  const broker = await brokers();
  const kafka = new Kafka({ clientId: 'bench-eos', brokers: broker.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-eos-'));
  const pipelines = flags.pipelines.split(',') as PipelineName[];
  const results: Measurement[] = [];
  for (const name of pipelines) {
    const built = new Map<Delivery, string>();
    for (const delivery of DELIVERIES) {
      const doc = parseDocument(readFileSync(join(repoRoot, PIPELINES[name].yaml), 'utf8'));
      doc.set('delivery', delivery);
      doc.delete('tests');
      const dir = join(work, `${name}-${delivery}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'pipeline.yaml'), doc.toString());
      await buildGenerated(join(dir, 'pipeline.yaml'), join(dir, 'service'));
      built.set(delivery, join(dir, 'service'));
    }
    for (let r = 0; r < REPEAT; r++) {
      // Alternating which goes first, so that neither always meets a warmer broker.
      for (const delivery of r % 2 ? [...DELIVERIES].reverse() : DELIVERIES) {
        results.push(await measure(kafka, admin, broker, name, delivery, built.get(delivery)!));
        console.info(JSON.stringify(results.at(-1)));
      }
    }
  }
  await admin.disconnect();

  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (name: string, d: Delivery, f: 'eventsPerSecond' | 'cpuMsPer1000') =>
    median(results.filter((x) => x.pipeline === name && x.delivery === d).map((x) => x[f]));
  console.info(`\nexactly-once vs at-least-once, ${EVENTS} events over ${KEYS} keys, 6 partitions, one replica, ${REPEAT} run(s), median`);
  console.info(`pipeline    measure          at-least-once  exactly-once  ratio (eos ÷ alo)`);
  for (const name of pipelines) {
    for (const [label, f, digits] of [
      ['events/s', 'eventsPerSecond', 0],
      ['CPU ms/1000 ev', 'cpuMsPer1000', 1],
    ] as const) {
      const a = of(name, 'at-least-once', f);
      const e = of(name, 'exactly-once', f);
      console.info(`${name.padEnd(11)} ${label.padEnd(16)} ${a.toFixed(digits).padStart(13)}  ${e.toFixed(digits).padStart(12)}  ${(e / a).toFixed(2)}`);
    }
  }
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench/results', `eos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ events: EVENTS, keys: KEYS, results }, null, 2),
  );
  if (!flags.keep) rmSync(work, { recursive: true, force: true });
}

async function measure(kafka: Kafka, admin: Admin, broker: string, name: PipelineName, delivery: Delivery, serviceDir: string): Promise<Measurement> {
  const p = PIPELINES[name];
  const id = randomUUID().slice(0, 8);
  const group = `bench-eos-${name}-${id}`;
  const t = { input: `be-in-${id}`, output: `be-out-${id}`, dead: `${group}.dead-letter`, changelog: `${group}.hourly.changelog` };
  await createTopics(admin, [
    { topic: t.input, numPartitions: PARTITIONS },
    { topic: t.output, numPartitions: PARTITIONS },
    { topic: t.dead, numPartitions: 1 },
    ...(name === 'windowed' ? [{ topic: t.changelog, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] : []),
  ]);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const base = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  for (let i = 0; i < EVENTS;) {
    const messages = [];
    for (const end = Math.min(EVENTS, i + 10_000); i < end; i++) messages.push(p.event(i, base));
    await producer.send({ topic: t.input, acks: -1, messages });
  }
  await producer.disconnect();

  // The pipeline's topics are fixed in its built graph: a copy renamed for this run.
  const js = join(serviceDir, 'dist/src/pipeline.js');
  const pristine = `${js}.orig`;
  try {
    readFileSync(pristine);
  } catch {
    writeFileSync(pristine, readFileSync(js, 'utf8'));
  }
  writeFileSync(
    js,
    readFileSync(pristine, 'utf8')
      .replaceAll(JSON.stringify(p.names.input), JSON.stringify(t.input))
      .replaceAll(JSON.stringify(p.names.output), JSON.stringify(t.output))
      .replaceAll(JSON.stringify(`${p.names.pipeline}.dead-letter`), JSON.stringify(t.dead))
      .replaceAll(JSON.stringify(p.names.pipeline), JSON.stringify(group)),
  );
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: serviceDir,
    env: {
      ...process.env,
      KAFKA_BROKERS: broker,
      KAFKA_GROUP_ID: group,
      PORT: String(20000 + Math.floor(Math.random() * 20000)),
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let first: { at: number; done: number; cpu: number } | undefined;
  let last = { at: 0, cpu: 0 };
  const deadline = Date.now() + 900_000;
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [t.input] });
    const done = committed.partitions.reduce((s, x) => s + Math.max(0, Number(x.offset)), 0);
    if (done > 0 && !first) first = { at: performance.now(), done, cpu: cpuSeconds(child.pid!) };
    if (done >= EVENTS) {
      last = { at: performance.now(), cpu: cpuSeconds(child.pid!) };
      break;
    }
    if (Date.now() > deadline) throw new Error(`${name}, ${delivery}: only ${done}/${EVENTS} events committed after 15 minutes`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  await admin.deleteTopics({ topics: [t.input, t.output, t.dead, ...(name === 'windowed' ? [t.changelog] : [])] }).catch(() => {});
  await admin.deleteGroups([group]).catch(() => {});
  const events = EVENTS - first!.done;
  return {
    pipeline: name,
    delivery,
    eventsPerSecond: (events / (last.at - first!.at)) * 1000,
    cpuMsPer1000: ((last.cpu - first!.cpu) * 1000 * 1000) / events,
  };
}

await main();
