// Integration test of a generated service against the real broker from
// test/global-setup.ts: the large-orders example is generated with the CLI,
// installed from the npm registry, built, given its topics with
// `npm run topics`, and run as three replicas (separate processes) in one
// consumer group. 10,000 keyed events and a few malformed ones go in; the
// test checks, with outputs computed here and not by the runtime:
//   - every expected output arrives, exactly once, in order per key [1];
//   - every replica was assigned partitions and did work;
//   - malformed events reach the dead-letter topic with provenance headers;
//   - /healthz and /metrics answer; the counters add up;
//   - SIGTERM stops every replica with exit code 0 and commits what it did.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin, type IHeaders } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { brokers, freePort, mustRun, repoRoot, waitFor, createExternalTopics } from './process.js';
import { histogramSeries, parseExposition } from '../harness/exposition.js';

const example = join(repoRoot, 'examples/large-orders/pipeline.yaml');

const KEYS = 200;
const PER_KEY = 50; // 200 keys × 50 = 10,000 valid events
const MALFORMED = ['{"orderId": 1, "amount": ', 'not json at all', '{"unterminated": "string}', '', '[1, 2,]'];
const REPLICAS = 3;
const PARTITIONS = 6;

// --- the events and what the pipeline must make of them, computed here -------------------------

interface Order {
  orderId: number;
  customer: string;
  seq: number;
  amount: number;
  currency: string;
}
interface Output {
  orderId: number;
  customer: string;
  amount: number;
  total: number;
}

const keyOf = (k: number) => `c-${String(k).padStart(3, '0')}`;

function order(k: number, seq: number): Order {
  const orderId = seq * KEYS + k + 1; // increases with seq for every key
  // 0.00 … 299.99, spread so that about two thirds pass `amount >= 100`; 100 exactly occurs too.
  const amount = ((orderId * 7919) % 30_000) / 100;
  return { orderId, customer: keyOf(k), seq, amount, currency: 'EUR' };
}

/** The example's filter (`value.amount >= 100`) and map (total with 21% tax, rounded to cents), restated. */
function expectedOutput(o: Order): Output | undefined {
  if (!(o.amount >= 100)) return undefined;
  return { orderId: o.orderId, customer: o.customer, amount: o.amount, total: Math.round(o.amount * 1.21 * 100) / 100 };
}

// --- processes ---------------------------------------------------------------------------------

interface Replica {
  index: number;
  port: number;
  child: ChildProcess;
  logs: Record<string, unknown>[];
  rawOutput: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
}

function startReplica(index: number, cwd: string, port: number, env: NodeJS.ProcessEnv): Replica {
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const replica: Replica = { index, port, child, logs: [], rawOutput: [], exited: false, exit: undefined as never };
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      replica.rawOutput.push(line);
      try {
        replica.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line; kept in rawOutput for diagnostics
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => replica.rawOutput.push(`[stderr] ${d}`));
  replica.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      replica.exited = true;
      resolve({ code, signal });
    });
  });
  return replica;
}

async function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** Prometheus text exposition → rows of { name, labels, value }. */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const rows: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    rows.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return rows;
}

const header = (h: IHeaders | undefined, name: string) => {
  const v = h?.[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.map(String).join(',') : String(v);
};

// --- the test ----------------------------------------------------------------------------------

describe('generated large-orders service: three replicas against a real broker', () => {
  const runId = randomUUID().slice(0, 8);
  const pipelineName = `large-orders-it-${runId}`;
  const inputTopic = `orders-it-${runId}`;
  const outputTopic = `large-orders-it-${runId}`;
  const deadLetterTopic = `${pipelineName}.dead-letter`;
  const groupId = pipelineName;
  const keep = process.env.PIPEWRIGHT_KEEP_TMP === '1';
  const work = mkdtempSync(join(tmpdir(), 'pipewright-it-'));
  const serviceDir = join(work, 'service');
  const timings: Record<string, number> = {};
  let kafka: Kafka;
  let admin: Admin;
  const replicas: Replica[] = [];
  let serviceEnv: NodeJS.ProcessEnv;

  const diagnostics = () => replicas.map((r) => `--- replica ${r.index} (port ${r.port}) ---\n${r.rawOutput.slice(-20).join('\n')}`).join('\n');

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();

    // A copy of the example with names unique to this run, so that runs on the same broker never share topics or groups.
    const doc = parseDocument(readFileSync(example, 'utf8'));
    doc.set('pipeline', pipelineName);
    const nodes = doc.get('nodes') as { items: unknown[] };
    nodes.items.forEach((_, i) => {
      const kind = doc.getIn(['nodes', i, 'kind']);
      if (kind === 'kafka-source') doc.setIn(['nodes', i, 'topic'], inputTopic);
      if (kind === 'kafka-sink') doc.setIn(['nodes', i, 'topic'], outputTopic);
    });
    const pipelineFile = join(work, 'pipeline.yaml');
    writeFileSync(pipelineFile, doc.toString());

    let t = performance.now();
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', pipelineFile, '-o', serviceDir], { cwd: repoRoot, timeoutMs: 60_000 });
    timings.generateMs = performance.now() - t;
    t = performance.now();
    await mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: serviceDir, timeoutMs: 150_000 });
    timings.installMs = performance.now() - t;
    t = performance.now();
    await mustRun('npm', ['run', 'build'], { cwd: serviceDir, timeoutMs: 90_000 });
    timings.buildMs = performance.now() - t;

    serviceEnv = {
      ...process.env,
      KAFKA_BROKERS: brokers(),
      KAFKA_GROUP_ID: groupId,
      LOG_LEVEL: 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
    await createExternalTopics(serviceDir);
    const topicsOut = await mustRun('npm', ['run', 'topics'], { cwd: serviceDir, env: serviceEnv, timeoutMs: 60_000 });
    for (const topic of [inputTopic, outputTopic, deadLetterTopic]) expect(topicsOut).toContain(`"topic":"${topic}"`);
    const meta = await admin.fetchTopicMetadata({ topics: [inputTopic] });
    expect(meta.topics[0].partitions).toHaveLength(PARTITIONS);
  }, 300_000);

  afterAll(async () => {
    for (const r of replicas) if (!r.exited) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exit));
    if (admin) {
      await admin.deleteGroups([groupId, `${groupId}-verify`]).catch(() => {});
      await admin.deleteTopics({ topics: [inputTopic, outputTopic, deadLetterTopic] }).catch(() => {});
      await admin.disconnect();
    }
    if (!keep) rmSync(work, { recursive: true, force: true });
    console.info(`[integration] timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
  });

  it('processes 10,000 events exactly once, in order per key, dead-letters malformed ones and stops cleanly on SIGTERM', async () => {
    // 1. Three replicas in one consumer group, each on its own PORT.
    let t = performance.now();
    for (let i = 0; i < REPLICAS; i++) {
      replicas.push(startReplica(i, serviceDir, await freePort(), { ...serviceEnv, KAFKA_CLIENT_ID: `${pipelineName}-replica-${i}` }));
    }
    await waitFor(
      'every replica to answer /readyz with 200',
      60_000,
      async () => {
        for (const r of replicas) if (r.exited || (await get(r.port, '/readyz')).status !== 200) return false;
        return true;
      },
      diagnostics,
    );
    // Ready means joined; wait until the group has settled with all three members, so that no
    // rebalance happens while the events flow and the count of outputs can be exact.
    const assignments = await waitFor(
      'a stable group of three replicas sharing all partitions',
      60_000,
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        if (groups[0]?.state !== 'Stable' || groups[0].members.length !== REPLICAS) return false;
        const last = replicas.map((r) => r.logs.filter((l) => l.msg === 'joined consumer group').at(-1));
        if (last.some((l) => l === undefined)) return false;
        const parts = last.map((l) => ((l!.assignment as Record<string, number[]>)[inputTopic] ?? []).slice().sort((a, b) => a - b));
        const all = parts.flat().sort((a, b) => a - b);
        if (all.join() !== [...Array(PARTITIONS).keys()].join()) return false;
        return parts;
      },
      diagnostics,
    );
    timings.readyMs = performance.now() - t;
    for (const parts of assignments) expect(parts.length).toBeGreaterThan(0);

    // 2. /healthz answers 200 on every replica.
    for (const r of replicas) {
      const h = await get(r.port, '/healthz');
      expect(h.status).toBe(200);
    }

    // 3. Produce: seq 0–24 of every key, the malformed events one by one (to learn their partition
    //    and offset), then seq 25–49. Keys are strings; Kafka's partitioner places them.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const expected = new Map<string, Output[]>();
    let expectedCount = 0;
    const sendOrders = async (fromSeq: number, toSeq: number) => {
      let messages: { key: string; value: string }[] = [];
      for (let seq = fromSeq; seq < toSeq; seq++) {
        for (let k = 0; k < KEYS; k++) {
          const o = order(k, seq);
          messages.push({ key: o.customer, value: JSON.stringify(o) });
          const out = expectedOutput(o);
          if (out) {
            expected.set(o.customer, [...(expected.get(o.customer) ?? []), out]);
            expectedCount++;
          }
        }
        if (messages.length >= 1000) {
          await producer.send({ topic: inputTopic, acks: -1, messages });
          messages = [];
        }
      }
      if (messages.length) await producer.send({ topic: inputTopic, acks: -1, messages });
    };
    t = performance.now();
    await sendOrders(0, PER_KEY / 2);
    const malformed: { key: string; value: string; partition: number; offset: string }[] = [];
    for (const [i, value] of MALFORMED.entries()) {
      const key = `bad-${i}`;
      const [meta] = await producer.send({ topic: inputTopic, acks: -1, messages: [{ key, value }] });
      malformed.push({ key, value, partition: meta.partition, offset: meta.baseOffset! });
    }
    await sendOrders(PER_KEY / 2, PER_KEY);
    await producer.disconnect();
    timings.produceMs = performance.now() - t;
    expect(expectedCount).toBeGreaterThan(5000);
    expect(expectedCount).toBeLessThan(KEYS * PER_KEY);

    // 4. Read the output and dead-letter topics from the beginning with a separate group.
    const outputs: { key: string | undefined; value: Output; partition: number }[] = [];
    const deadLetters: { key: string | undefined; value: string; headers: IHeaders | undefined }[] = [];
    const verifier = kafka.consumer({ groupId: `${groupId}-verify`, allowAutoTopicCreation: false });
    await verifier.connect();
    await verifier.subscribe({ topics: [outputTopic, deadLetterTopic], fromBeginning: true });
    await verifier.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (topic === outputTopic) {
          outputs.push({ key: message.key?.toString(), value: JSON.parse(message.value!.toString()) as Output, partition });
        } else {
          deadLetters.push({ key: message.key?.toString(), value: message.value?.toString() ?? '', headers: message.headers });
        }
      },
    });
    try {
      await waitFor(
        `${expectedCount} outputs and ${MALFORMED.length} dead letters`,
        120_000,
        async () => outputs.length >= expectedCount && deadLetters.length >= MALFORMED.length,
        () => `outputs ${outputs.length}/${expectedCount}, dead letters ${deadLetters.length}/${MALFORMED.length}\n${diagnostics()}`,
      );
      timings.processMs = performance.now() - t;
      // Everything was committed: the group's offsets reach the end of every input partition.
      const ends = await admin.fetchTopicOffsets(inputTopic);
      await waitFor('the service group to commit every input offset', 30_000, async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [inputTopic] });
        return ends.every((e) => committed.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
      });
      // A moment more, so that a duplicate would have time to show up.
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      await verifier.disconnect();
    }

    // 5. None lost, none duplicated, order kept per key.
    expect(outputs.length).toBe(expectedCount);
    const byKey = new Map<string, Output[]>();
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const o of outputs) {
      expect(o.key).toBe(o.value.customer);
      byKey.set(o.key!, [...(byKey.get(o.key!) ?? []), o.value]);
      partitionsOfKey.set(o.key!, (partitionsOfKey.get(o.key!) ?? new Set()).add(o.partition));
    }
    expect([...byKey.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, want] of expected) {
      const got = byKey.get(key)!;
      // Sequence numbers (carried in orderId) strictly increase per key…
      for (let i = 1; i < got.length; i++) expect(got[i].orderId, `order of key ${key}`).toBeGreaterThan(got[i - 1].orderId);
      // …and the outputs are exactly the expected ones.
      expect(got, `outputs of key ${key}`).toEqual(want);
      expect(partitionsOfKey.get(key)!.size, `partitions of key ${key}`).toBe(1);
    }

    // 6. Every malformed event is on the dead-letter topic, with its bytes and its provenance.
    expect(deadLetters).toHaveLength(MALFORMED.length);
    for (const bad of malformed) {
      const dl = deadLetters.find((d) => d.key === bad.key);
      expect(dl, `dead letter for ${bad.key}`).toBeDefined();
      expect(dl!.value).toBe(bad.value);
      expect(header(dl!.headers, 'pipewright.error')).toMatch(/JSON/);
      expect(header(dl!.headers, 'pipewright.node')).toBe('orders');
      expect(header(dl!.headers, 'pipewright.source.topic')).toBe(inputTopic);
      expect(header(dl!.headers, 'pipewright.source.partition')).toBe(String(bad.partition));
      expect(header(dl!.headers, 'pipewright.source.offset')).toBe(bad.offset);
    }

    // 7. /metrics is Prometheus text; every replica did work, and the counters add up.
    const sum = (rows: ReturnType<typeof parseMetrics>, name: string, labels: Record<string, string> = {}) =>
      rows.filter((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v)).reduce((s, r) => s + r.value, 0);
    const scraped: ReturnType<typeof parseMetrics>[] = [];
    for (const r of replicas) {
      const m = await get(r.port, '/metrics');
      expect(m.status).toBe(200);
      expect(m.type).toMatch(/^text\/plain/);
      for (const name of ['pipewright_consumed_total', 'pipewright_produced_total', 'pipewright_dead_letters_total', 'pipewright_batches_total']) {
        expect(m.body).toContain(`# TYPE ${name} counter`);
      }
      expect(m.body).toContain('# TYPE pipewright_partition_lag gauge');
      const rows = parseMetrics(m.body);
      for (const row of rows) expect(row.labels.pipeline).toBe(pipelineName);
      expect(sum(rows, 'pipewright_consumed_total'), `replica ${r.index} consumed`).toBeGreaterThan(0);
      scraped.push(rows);
    }
    const total = (name: string, labels?: Record<string, string>) => scraped.reduce((s, rows) => s + sum(rows, name, labels), 0);
    expect(total('pipewright_consumed_total')).toBe(KEYS * PER_KEY + MALFORMED.length);
    expect(total('pipewright_produced_total')).toBe(expectedCount + MALFORMED.length);
    expect(total('pipewright_dead_letters_total')).toBe(MALFORMED.length);
    expect(total('pipewright_node_errors_total', { node: 'orders' })).toBe(MALFORMED.length);
    expect(total('pipewright_node_in_total', { node: 'large' })).toBe(KEYS * PER_KEY);
    expect(total('pipewright_node_out_total', { node: 'large' })).toBe(expectedCount);
    expect(total('pipewright_partition_lag')).toBe(0);
    // The latency histograms read as Prometheus reads them (cumulative buckets, +Inf = _count), and
    // every consumed record's end-to-end latency was observed once, by the replica that consumed it.
    for (const r of replicas) {
      const families = parseExposition((await get(r.port, '/metrics')).body);
      const [batch] = histogramSeries(families.get('pipewright_batch_duration_seconds')!);
      expect(batch.count).toBe(families.get('pipewright_batches_total')!.samples[0].value);
      const nodes = histogramSeries(families.get('pipewright_node_duration_seconds')!);
      expect(nodes.map((n) => n.labels.node).sort()).toEqual(
        [...new Set(scraped[0].filter((x) => x.name === 'pipewright_node_in_total').map((x) => x.labels.node))].sort(),
      );
      // The source decodes every slice; a slice tried again after a failed send is decoded again.
      expect(nodes.find((n) => n.labels.node === 'orders')!.count).toBeGreaterThanOrEqual(batch.count);
    }
    expect(total('pipewright_end_to_end_latency_seconds_count', { topic: inputTopic })).toBe(KEYS * PER_KEY + MALFORMED.length);
    expect(total('pipewright_end_to_end_latency_seconds_bucket', { topic: inputTopic, le: '+Inf' })).toBe(KEYS * PER_KEY + MALFORMED.length);

    // 8. SIGTERM: every replica exits with code 0, promptly.
    t = performance.now();
    const exits = await Promise.all(
      replicas.map(async (r) => {
        r.child.kill('SIGTERM');
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 25_000).unref());
        const result = await Promise.race([r.exit, timeout]);
        return { replica: r.index, result, ms: Math.round(performance.now() - t) };
      }),
    );
    timings.sigtermMs = performance.now() - t;
    console.info(`[integration] SIGTERM → exit per replica (ms): ${exits.map((e) => e.ms).join(', ')}`);
    for (const e of exits) expect(e.result, `replica ${e.replica} after SIGTERM\n${diagnostics()}`).toEqual({ code: 0, signal: null });
    for (const r of replicas) expect(r.logs.some((l) => l.msg === 'stopped')).toBe(true);

    // Nothing left uncommitted after the shutdown either.
    const ends = await admin.fetchTopicOffsets(inputTopic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [inputTopic] });
    for (const e of ends) expect(committed.partitions.find((p) => p.partition === e.partition)?.offset).toBe(e.high);
  }, 240_000);
});

// [1] No replica is killed or added while events flow, so at-least-once delivery has no reason to
//     replay anything: the exact count is asserted, and a duplicate fails the test.
