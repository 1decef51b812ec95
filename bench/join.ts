/**
 * Stream–table join benchmark: the generated service enriching orders with their customer from a
 * compacted customers topic (join, mode: table; bench/join.pipeline.yaml) against a hand-written
 * kafkajs loop doing the same enrichment (bench/join-baseline.mjs), on the same broker, in the same run.
 *
 *   node bin/run-ts.mjs bench/join.ts [--events 200000] [--keys 100000] [--repeat 1] [--keep]
 *
 * For each contender: fresh topics (6 partitions; a compacted table topic) and a fresh group; the
 * table topic gets K customers (distinct keys), then N orders are produced, each naming one of them.
 * Then the contender starts as its own process: it reads the table in full before it consumes orders.
 *   events/s   input events committed between the first commit seen and the last, over that time
 *              (the group's committed offsets are polled every 50 ms), so start-up, the table load and
 *              the group join are left out.
 *   load s     from the start of the process to its first commit: start-up, table load, group join.
 *   memory     VmHWM (peak RSS) of the process once it is done; and the table's share: RSS just before
 *              the first commit (table loaded) less the RSS of the same program started on an empty
 *              table topic and idle in its group, scaled to 100,000 keys.
 *   matched    share of the outputs of one fetch per output partition whose `customer` is not null
 *              (every order names a customer that exists, so 1.00 when the enrichment works).
 * Prints the ratios generated ÷ baseline and writes JSON to bench/results/.
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

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    keys: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(flags.events);
const KEYS = Number(flags.keys);
const REPEAT = Number(flags.repeat);

interface Topics {
  input: string;
  table: string;
  output: string;
  group: string;
}

interface Contender {
  name: 'generated' | 'baseline';
  start(topics: Topics): ChildProcess | Promise<ChildProcess>;
}

interface Measurement {
  contender: string;
  eventsPerSecond: number;
  loadSeconds: number;
  peakRssMb: number;
  loadedRssMb: number;
  emptyTableRssMb: number;
  mbPer100kKeys: number;
  matched: number;
}

const ms = () => performance.now();
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

async function main() {
  const broker = await brokers();
  const kafka = new Kafka({ clientId: 'bench-join', brokers: broker.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-join-'));

  // The generated service, built once; topics and group are rewritten in a copy of the built graph for each run.
  const serviceDir = join(work, 'service');
  await buildGenerated('bench/join.pipeline.yaml', serviceDir);
  const graphFile = join(serviceDir, 'dist/src/pipeline.js');
  const pristine = readFileSync(graphFile, 'utf8');

  const contenders: Contender[] = [
    {
      name: 'generated',
      start: (t) =>
        startGenerated(
          serviceDir,
          pristine,
          {
            'bench-join-orders': t.input,
            'bench-join-customers': t.table,
            'bench-join-out': t.output,
            'bench-join.dead-letter': `${t.group}.dead-letter`,
            'bench-join': t.group,
          },
          { KAFKA_BROKERS: broker, KAFKA_GROUP_ID: t.group },
        ),
    },
    {
      name: 'baseline',
      start: (t) =>
        spawn(process.execPath, ['bench/join-baseline.mjs'], {
          cwd: repoRoot,
          env: { ...process.env, KAFKA_BROKERS: broker, GROUP_ID: t.group, INPUT_TOPIC: t.input, TABLE_TOPIC: t.table, OUTPUT_TOPIC: t.output },
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
    },
  ];

  const results = await alternating(contenders, REPEAT, (c) => measure(kafka, admin, c));
  await admin.disconnect();

  const of = (name: string, f: keyof Measurement) => medianOf(results, name, f);
  const fig = (name: string) => ({
    eps: of(name, 'eventsPerSecond'),
    load: of(name, 'loadSeconds'),
    peak: of(name, 'peakRssMb'),
    mem: of(name, 'mbPer100kKeys'),
    matched: of(name, 'matched'),
  });
  const g = fig('generated');
  const b = fig('baseline');
  const row = (label: string, x: number, y: number, digits: number) =>
    console.info(`${label.padEnd(20)}${x.toFixed(digits).padStart(9)}  ${y.toFixed(digits).padStart(9)}   ${(x / y).toFixed(2)}`);
  console.info(`\nstream–table join, ${EVENTS} events, ${KEYS} table keys, left join on value.customerId, 6 partitions, ${REPEAT} run(s)`);
  console.info(`                    generated   baseline   ratio`);
  row('events/s', g.eps, b.eps, 0);
  row('load s', g.load, b.load, 1);
  row('peak RSS (MB)', g.peak, b.peak, 0);
  row('MB per 100k keys', g.mem, b.mem, 1);
  row('matched', g.matched, b.matched, 2);
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench/results', `join-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ events: EVENTS, keys: KEYS, results }, null, 2),
  );
  if (!flags.keep) rmSync(work, { recursive: true, force: true });
}

function topicsFor(c: Contender): Topics {
  const id = randomUUID().slice(0, 8);
  return { input: `bj-in-${id}`, table: `bj-customers-${id}`, output: `bj-out-${id}`, group: `bench-join-${c.name}-${id}` };
}

async function createTopics(admin: Admin, t: Topics): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: t.input, numPartitions: PARTITIONS },
      { topic: t.table, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: t.output, numPartitions: PARTITIONS },
      { topic: `${t.group}.dead-letter`, numPartitions: 1 },
    ],
  });
}

/** Deletes the run's topics, its group and the private groups its table readers made (`<group>.…`). */
async function cleanUp(admin: Admin, t: Topics): Promise<void> {
  await admin.deleteTopics({ topics: [t.input, t.table, t.output, `${t.group}.dead-letter`] }).catch(() => {});
  const { groups } = await admin.listGroups().catch(() => ({ groups: [] as { groupId: string }[] }));
  const mine = groups.map((x) => x.groupId).filter((id) => id === t.group || id.startsWith(`${t.group}.`));
  if (mine.length > 0) await admin.deleteGroups(mine).catch(() => {});
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}

async function measure(kafka: Kafka, admin: Admin, c: Contender): Promise<Measurement> {
  // Reference: the same program on an empty table, idle once its group is stable.
  const e = topicsFor(c);
  await createTopics(admin, e);
  const idle = await c.start(e);
  idle.stdout!.setEncoding('utf8').on('data', () => {});
  const idleDeadline = Date.now() + 120_000;
  for (;;) {
    const { groups } = await admin.describeGroups([e.group]);
    if (groups[0]?.state === 'Stable') break;
    if (idle.exitCode !== null) throw new Error(`${c.name}: exited on an empty table`);
    if (Date.now() > idleDeadline) throw new Error(`${c.name}: did not join its group on an empty table`);
    await sleep(100);
  }
  await sleep(1000);
  const emptyTableRssKb = procStatus(idle.pid!).rssKb;
  await stop(idle);
  await cleanUp(admin, e);

  const t = topicsFor(c);
  await createTopics(admin, t);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const tiers = ['bronze', 'silver', 'gold'];
  for (let i = 0; i < KEYS;) {
    const messages = [];
    for (const end = Math.min(KEYS, i + 10_000); i < end; i++) {
      messages.push({
        key: `c-${i}`,
        value: JSON.stringify({ customerId: `c-${i}`, name: `Customer ${i}`, tier: tiers[i % 3], creditLimit: 1000 + (i % 50) * 100 }),
      });
    }
    await producer.send({ topic: t.table, acks: -1, messages });
  }
  for (let i = 0; i < EVENTS;) {
    const messages = [];
    for (const end = Math.min(EVENTS, i + 10_000); i < end; i++) {
      messages.push({ key: `o-${i}`, value: JSON.stringify({ orderId: `o-${i}`, customerId: `c-${(i * 7919) % KEYS}`, total: 10 + (i % 90) }) });
    }
    await producer.send({ topic: t.input, acks: -1, messages });
  }
  await producer.disconnect();

  const started = ms();
  const child = await c.start(t);
  child.stdout!.setEncoding('utf8').on('data', () => {});
  let loadedRssKb = NaN;
  let first: { at: number; done: number } | undefined;
  let last = 0;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId: t.group, topics: [t.input] });
    const done = committed.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    // Loaded: the last reading before the first commit (the table is read before any order).
    if (done === 0) loadedRssKb = procStatus(child.pid!).rssKb;
    if (done > 0 && !first) first = { at: ms(), done };
    if (done >= EVENTS) {
      last = ms();
      break;
    }
    if (child.exitCode !== null) throw new Error(`${c.name}: exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${c.name}: only ${done}/${EVENTS} events committed after ten minutes`);
    await sleep(50);
  }
  const { hwmKb } = procStatus(child.pid!);
  await stop(child);
  const matched = await matchedShare(kafka, admin, t.output);
  await cleanUp(admin, t);
  return {
    contender: c.name,
    eventsPerSecond: ((EVENTS - first!.done) / (last - first!.at)) * 1000,
    loadSeconds: (first!.at - started) / 1000,
    peakRssMb: hwmKb / 1024,
    loadedRssMb: loadedRssKb / 1024,
    emptyTableRssMb: emptyTableRssKb / 1024,
    mbPer100kKeys: (((loadedRssKb - emptyTableRssKb) / 1024) * 100_000) / KEYS,
    matched,
  };
}

/** Share of the outputs of the first fetch of each output partition that carry a customer. */
async function matchedShare(kafka: Kafka, admin: Admin, topic: string): Promise<number> {
  const groupId = `bench-join-check-${randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let seen = 0;
  let withCustomer = 0;
  const partitions = new Set<number>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          seen++;
          if ((JSON.parse(m.value!.toString()) as { customer?: unknown }).customer) withCustomer++;
        }
        partitions.add(batch.partition);
        if (partitions.size >= PARTITIONS) resolve();
      },
    });
  });
  await Promise.race([done, sleep(30_000)]);
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => {});
  return seen === 0 ? NaN : withCustomer / seen;
}

await main();
