// Integration test of the stateful examples against the real broker from test/global-setup.ts:
// hourly-orders (select-key → tumbling window with grace) and word-count (flat-map → select-key
// → window) are generated with the CLI, installed, built, given their topics (repartition and
// compacted changelog topics included) and run as two replicas in one consumer group. Events
// go in hour by hour (minute by minute); in the middle of the stream one replica is killed with
// SIGKILL and a replacement started, as Kubernetes would. At the end, the window results on the
// output topic, taking the latest value per key, equal the results computed here: every window
// and key exactly once, none lost, none counted twice [1]. With `delivery: exactly-once`, three
// replicas are killed, each while it has a transaction open (see TransactionWatch), and every result
// is on the output topic once, read with read_committed.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, type Document } from 'yaml';
import { TransactionWatch } from '../../bench/chaos-lib.js';
import { brokers, cleanUpRun, createExternalTopics, freePort, mustRun, repoRoot, startReplica, waitFor, type Replica } from './process.js';

interface Scenario {
  example: string;
  /** Produces phase `i` of the stream; returns nothing, the expected results are kept by the scenario. */
  phases: number;
  produce(producer: Producer, topic: string, phase: number): Promise<void>;
  /** Events after the last phase that close every window of the phases. */
  close(producer: Producer, topic: string): Promise<void>;
  expected: Map<string, unknown>;
  /** Changes the example's pipeline before it is generated. */
  edit?: (doc: Document) => void;
  /** Phases during which a replica is SIGKILLed (default: the middle one). */
  kills?: number[];
  /**
   * With delivery: exactly-once, every kill hits a transaction in the middle, and every result is
   * written exactly once, read with read_committed.
   */
  exactlyOnce?: boolean;
  /** Pause between the slices of a phase (ms; default 15). */
  spreadMs?: number;
}

/** Sends in small slices, so that a phase is still arriving while it is processed. */
async function sendSpread(producer: Producer, topic: string, messages: { key: string; value: string; timestamp?: string }[], pauseMs = 15): Promise<void> {
  for (let i = 0; i < messages.length; i += 40) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 40) });
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * hourly-orders; with `bigOnly`, a branch between the re-key and the window sends orders of 5 units
 * or more to its named route `big`, and only that route is counted, in windows with 60 s of grace.
 */
function hourlyOrders(bigOnly = false, spreadMs?: number): Scenario {
  const PRODUCTS = 20;
  const PER_PRODUCT_HOUR = 25;
  const base = Math.floor(Date.now() / HOUR) * HOUR - 12 * HOUR;
  const expected = new Map<string, { key: string; windowStart: string; windowEnd: string; count: number; sum: number }>();
  let orderId = 0;
  return {
    example: 'hourly-orders',
    phases: 4,
    expected,
    edit: bigOnly
      ? (doc) => {
          const nodes = doc.get('nodes') as { items: unknown[] };
          const hourly = nodes.items.findIndex((_, i) => doc.getIn(['nodes', i, 'id']) === 'hourly');
          nodes.items.splice(hourly, 0, doc.createNode({ id: 'route', kind: 'branch', input: 'by-product', routes: { big: 'value.units >= 5' } }));
          doc.setIn(['nodes', hourly + 1, 'input'], 'route.big');
          doc.setIn(['nodes', hourly + 1, 'grace'], '60s');
        }
      : undefined,
    async produce(producer, topic, hour) {
      const messages = [];
      for (let i = 0; i < PER_PRODUCT_HOUR; i++) {
        for (let p = 0; p < PRODUCTS; p++) {
          const productId = 100 + p;
          const units = 1 + ((orderId * 7 + p) % 9);
          const at = base + hour * HOUR + Math.floor(((i + 0.5) / PER_PRODUCT_HOUR) * HOUR);
          const id = `o-${orderId++}`;
          messages.push({ key: id, value: JSON.stringify({ orderId: id, productId, units, orderedAt: iso(at) }) });
          if (bigOnly && units < 5) continue;
          const start = base + hour * HOUR;
          const key = `${productId}@${iso(start)}`;
          const w = expected.get(key) ?? { key: String(productId), windowStart: iso(start), windowEnd: iso(start + HOUR), count: 0, sum: 0 };
          w.count++;
          w.sum += units;
          expected.set(key, w);
        }
      }
      await sendSpread(producer, topic, messages, spreadMs);
    },
    async close(producer, topic) {
      const at = base + (this.phases + 2) * HOUR;
      const messages = Array.from({ length: PRODUCTS }, (_, p) => ({
        key: `close-${p}`,
        value: JSON.stringify({ orderId: `close-${p}`, productId: 100 + p, units: bigOnly ? 5 : 1, orderedAt: iso(at) }),
      }));
      await producer.send({ topic, acks: -1, messages });
    },
  };
}

function wordCount(): Scenario {
  const WORDS = Array.from({ length: 40 }, (_, i) => `w${i.toString(36)}${'abcdefgh'[i % 8]}`);
  const LINES_PER_MINUTE = 150;
  const base = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;
  const expected = new Map<string, { key: string; windowStart: string; windowEnd: string; count: number }>();
  let n = 0;
  return {
    example: 'word-count',
    phases: 4,
    expected,
    async produce(producer, topic, minute) {
      const messages = [];
      for (let i = 0; i < LINES_PER_MINUTE; i++) {
        const words = Array.from({ length: 3 + (n % 6) }, (_, j) => WORDS[(n * 13 + j * 7) % WORDS.length]);
        n++;
        const at = base + minute * MINUTE + Math.floor(((i + 0.5) / LINES_PER_MINUTE) * MINUTE);
        // Mixed case and punctuation: the example lower-cases and splits on non-word characters.
        messages.push({ key: `line-${n}`, value: `${words.join(' ').toUpperCase()}.`, timestamp: String(at) });
        const start = base + minute * MINUTE;
        for (const word of words) {
          const key = `${word}@${iso(start)}`;
          const w = expected.get(key) ?? { key: word, windowStart: iso(start), windowEnd: iso(start + MINUTE), count: 0 };
          w.count++;
          expected.set(key, w);
        }
      }
      await sendSpread(producer, topic, messages);
    },
    async close(producer, topic) {
      const at = base + (this.phases + 5) * MINUTE;
      // Every word once more, much later: every partition's watermark passes every window above.
      const messages = WORDS.map((word, i) => ({ key: `close-${i}`, value: word, timestamp: String(at) }));
      await producer.send({ topic, acks: -1, messages });
    },
  };
}

describe.each([
  ['hourly-orders', () => hourlyOrders()],
  ['word-count', wordCount],
  ['hourly-orders behind a branch route', () => hourlyOrders(true)],
  [
    'hourly-orders exactly-once, three kills',
    // A phase arrives over about three seconds, so that the kill finds transactions in flight even
    // when the group is still settling after the kill before.
    (): Scenario => ({ ...hourlyOrders(false, 250), edit: (doc) => doc.set('delivery', 'exactly-once'), kills: [1, 2, 3], exactlyOnce: true }),
  ],
] as const)('generated stateful service, %s: two replicas, one killed mid-stream', (_, make) => {
  const scenario = make();
  const runId = randomUUID().slice(0, 8);
  const pipelineName = `${scenario.example}-it-${runId}`;
  const inputTopic = `${scenario.example}-in-${runId}`;
  const outputTopic = `${scenario.example}-out-${runId}`;
  const groupId = pipelineName;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-stateful-'));
  const serviceDir = join(work, 'service');
  let kafka: Kafka;
  let admin: Admin;
  let topics: string[] = [];
  const replicas: Replica[] = [];
  let env: NodeJS.ProcessEnv;
  const diagnostics = () => replicas.map((r) => `--- ${r.name} ---\n${r.output.join('').split('\n').slice(-15).join('\n')}`).join('\n');

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-stateful-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    const doc = parseDocument(readFileSync(join(repoRoot, 'examples', scenario.example, 'pipeline.yaml'), 'utf8'));
    doc.set('pipeline', pipelineName);
    const nodes = doc.get('nodes') as { items: unknown[] };
    nodes.items.forEach((_, i) => {
      const kind = doc.getIn(['nodes', i, 'kind']);
      if (kind === 'kafka-source') doc.setIn(['nodes', i, 'topic'], inputTopic);
      if (kind === 'kafka-sink') doc.setIn(['nodes', i, 'topic'], outputTopic);
    });
    doc.delete('tests');
    scenario.edit?.(doc);
    const file = join(work, 'pipeline.yaml');
    writeFileSync(file, doc.toString());
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', serviceDir], { cwd: repoRoot, timeoutMs: 60_000 });
    await mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: serviceDir, timeoutMs: 150_000 });
    await mustRun('npm', ['run', 'build'], { cwd: serviceDir, timeoutMs: 90_000 });
    env = { ...process.env, KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: groupId, LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
    // A replica that died holds its partitions for the session timeout: the least a broker accepts, so a kill costs 6 s of waiting, not 30.
    env.KAFKA_SESSION_TIMEOUT_MS = '6000';
    await createExternalTopics(serviceDir);
    const out = await mustRun('npm', ['run', 'topics'], { cwd: serviceDir, env, timeoutMs: 60_000 });
    topics = [...out.matchAll(/"topic":"([^"]+)"/g)].map((m) => m[1]);
    expect(topics).toEqual(expect.arrayContaining([`${pipelineName}.by-${scenario.example === 'word-count' ? 'word' : 'product'}.repartition`]));
    const changelog = topics.find((t) => t.endsWith('.changelog'))!;
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: changelog, configNames: ['cleanup.policy'] }] });
    expect(described.resources[0].configEntries[0].configValue).toBe('compact');
  }, 400_000);

  afterAll(() => cleanUpRun({ replicas, admin, group: groupId, topics: [...topics, inputTopic, outputTopic], work }));

  it('emits every window result exactly once per window and key, losing nothing, across a SIGKILL', async () => {
    const start = async (name: string) =>
      replicas.push(startReplica(name, serviceDir, { ...env, PORT: String(await freePort()), KAFKA_CLIENT_ID: `${pipelineName}-${name}` }));
    await start('a');
    await start('b');
    const members = async (n: number) => {
      const { groups } = await admin.describeGroups([groupId]);
      return groups[0]?.state === 'Stable' && groups[0].members.length === n;
    };
    await waitFor('a stable group of two replicas', 90_000, () => members(2), diagnostics);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const sources = topics.filter((t) => t === inputTopic || t.endsWith('.repartition'));
    /** Everything produced so far has been processed and committed, the repartition topic included. */
    let lastSnapshot = '';
    const settled = async () => {
      const snapshot: string[] = [];
      for (const topic of sources) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const e of ends) {
          const c = committed.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
          // Commit markers of transactions take offsets after the last records (one per producer that wrote
          // there), and no consumer commits past them: exactly-once, an internal topic is settled once its
          // committed offsets are within a marker per input partition of the end, and no longer move.
          snapshot.push(`${topic}:${e.partition}:${c}`);
          const done = c === e.high || (scenario.exactlyOnce === true && topic !== inputTopic && Number(c) >= Number(e.high) - 6);
          if (e.high !== '0' && !done) return false;
        }
      }
      const same = snapshot.join() === lastSnapshot;
      lastSnapshot = snapshot.join();
      if (scenario.exactlyOnce && !same) await new Promise((r) => setTimeout(r, 1000));
      return !scenario.exactlyOnce || same;
    };
    const kills = scenario.kills ?? [Math.floor(scenario.phases / 2)];
    // Exactly-once: partition n of the repartition topic is processed by one replica, whose transactions
    // write partition n of the changelog; a replica is killed only while such a transaction is open.
    const changelog = topics.find((t) => t.endsWith('.changelog'))!;
    const repartition = topics.find((t) => t.endsWith('.repartition'))!;
    const watch = scenario.exactlyOnce ? new TransactionWatch(kafka, admin, [changelog]) : undefined;
    await watch?.start();
    let produced = 0;
    for (let phase = 0; phase < scenario.phases; phase++) {
      const sending = scenario.produce(producer, inputTopic, phase);
      if (kills.includes(phase)) {
        // Mid-stream: the phase is arriving and being processed when replica a dies without a chance to commit.
        for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [inputTopic] });
          if (committed.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) > produced) break;
        }
        const victim = replicas.find((r) => !r.exited)!;
        if (watch) {
          const mid = await watch.killMidTransaction({
            pid: victim.child.pid!,
            groupId,
            clientId: `${pipelineName}-${victim.name}`,
            exclusive: (assignment) => (assignment[repartition] ?? []).map((partition) => ({ topic: changelog, partition })),
            timeoutMs: 30_000,
          });
          expect(mid, `replica ${victim.name} killed while a transaction of it was open`).toBe(true);
        } else victim.child.kill('SIGKILL');
        await victim.exit;
        await start(`${victim.name}${phase}`);
      }
      await sending;
      produced = (await admin.fetchTopicOffsets(inputTopic)).reduce((n, o) => n + Number(o.high), 0);
      // Phases are separated so that no partition's watermark passes a window before all its events are in [2].
      await waitFor(`phase ${phase} to be processed`, 120_000, settled, diagnostics);
    }
    await watch?.stop();
    await scenario.close(producer, inputTopic);
    await producer.disconnect();

    const results = new Map<string, unknown[]>();
    const dead: string[] = [];
    const verifier = kafka.consumer({ groupId: `${groupId}-verify`, allowAutoTopicCreation: false });
    await verifier.connect();
    await verifier.subscribe({ topics: [outputTopic, `${pipelineName}.dead-letter`], fromBeginning: true });
    await verifier.run({
      eachMessage: async ({ topic, message }) => {
        if (topic !== outputTopic) dead.push(message.value?.toString() ?? '');
        else results.set(message.key!.toString(), [...(results.get(message.key!.toString()) ?? []), JSON.parse(message.value!.toString())]);
      },
    });
    try {
      await waitFor(
        `${scenario.expected.size} window results`,
        120_000,
        async () => [...scenario.expected.keys()].every((k) => results.has(k)),
        () => `${results.size}/${scenario.expected.size}\n${diagnostics()}`,
      );
      await waitFor('the last events to be committed', 60_000, settled, diagnostics);
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      await verifier.disconnect();
    }

    expect(replicas[0].exited).toBe(true);
    expect(dead).toEqual([]);
    // Every expected window and key is there, with the right value; nothing else is.
    expect(new Set(results.keys())).toEqual(new Set(scenario.expected.keys()));
    for (const [key, want] of scenario.expected) {
      const got = results.get(key)!;
      expect(got.at(-1), key).toEqual(want);
      // A replay may write a result again, but never a different one: nothing was counted twice.
      for (const v of got) expect(v, key).toEqual(want);
      // Exactly-once, read committed: written once, whatever was killed in the middle of a transaction.
      if (scenario.exactlyOnce) expect(got, key).toHaveLength(1);
    }
    const rewritten = [...results.values()].filter((v) => v.length > 1).length;
    console.info(`[stateful] ${scenario.example}: ${scenario.expected.size} windows, ${rewritten} written more than once after the kill`);
    // The replicas restored state from the changelog after the kill.
    expect(replicas.map((r) => r.output.join('')).join('')).toMatch(/"msg":"restored state"/);
  }, 600_000);
});

// [1] The service is at-least-once: after the kill, the new owner of a partition replays from the
//     last committed offset. Window state comes back from the changelog, which records the last
//     input offset it reflects, so replayed events are not counted again; events replayed into the
//     repartition topic carry their source offset and are dropped when read back; and a result
//     written again has the same key and value, so the latest value per key is exact.
// [2] Watermarks are per partition and events from different input partitions interleave in the
//     repartition topic in any order, so a window can only be exact if no later event overtakes
//     the events of a window by more than its grace. Producing hour by hour (minute by minute),
//     each once the last was processed, keeps every event inside its window's grace.
