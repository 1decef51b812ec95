// The simulator is the runtime, not a second implementation: for two examples, a seeded
// simulator run and the generated service on the real broker (test/global-setup.ts), fed the
// same events, give the same outputs, key by key. Each example is copied with names unique to
// this run, generated with the CLI, installed, built, given its topics and started as one
// replica; the simulator runs the same copy in this process with two replicas and rebalances.
// It also checks that the broker's partitioner put the input events in the same partitions as
// the simulator's murmur2 did.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parsePipeline } from '../../codegen/parse.js';
import { simulate, simulationPlan } from '../../codegen/simulate.js';
import type { Pipeline } from '../../codegen/pipeline.js';
import { TEST_EPOCH } from '../../runtime/testing.js';
import { loopEvent } from '../../runtime/simulator/simulator.js';
import type { MemoryLog } from '../../runtime/transports/memory.js';
import { brokers, freePort, mustRun, repoRoot, createExternalTopics } from './process.js';

const ROUNDS = 50; // each source's samples, 50 times over
const TICK_MS = 100;

const decode = (v: string | null) => {
  if (v === null) return null;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};

function byKeyFromLog(log: MemoryLog, topic: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of log.messages(topic))
    (out[m.key ?? '(no key)'] ??= []).push(decode(typeof m.value === 'string' ? m.value : m.value === null ? null : new TextDecoder().decode(m.value)));
  return out;
}

describe.each(['large-orders', 'flight-delays'])('%s: the simulator and the generated service on a real broker', (example) => {
  const runId = randomUUID().slice(0, 8);
  const exampleDir = join(repoRoot, 'examples', example);
  const work = mkdtempSync(join(tmpdir(), 'pipewright-eq-'));
  const serviceDir = join(work, 'service');
  let pipeline: Pipeline;
  let kafka: Kafka;
  let admin: Admin;
  let service: { child: ChildProcess; output: string[]; exit: Promise<number | null>; exited: boolean } | undefined;
  let serviceEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-eq-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();

    // The example with its topics and group renamed for this run; its model files beside it.
    const doc = parseDocument(readFileSync(join(exampleDir, 'pipeline.yaml'), 'utf8'));
    doc.set('pipeline', `${example}-eq-${runId}`);
    (doc.get('nodes') as { items: unknown[] }).items.forEach((_, i) => {
      const kind = doc.getIn(['nodes', i, 'kind']);
      if (kind === 'kafka-source' || kind === 'kafka-sink') doc.setIn(['nodes', i, 'topic'], `${String(doc.getIn(['nodes', i, 'topic']))}-eq-${runId}`);
    });
    writeFileSync(join(work, 'pipeline.yaml'), doc.toString());
    if (existsSync(join(exampleDir, 'models'))) cpSync(join(exampleDir, 'models'), join(work, 'models'), { recursive: true });
    pipeline = parsePipeline(doc.toString()).pipeline!;
    expect(pipeline).toBeTruthy();

    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', join(work, 'pipeline.yaml'), '-o', serviceDir], { cwd: repoRoot, timeoutMs: 60_000 });
    await mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: serviceDir, timeoutMs: 240_000 });
    await mustRun('npm', ['run', 'build'], { cwd: serviceDir, timeoutMs: 120_000 });
    serviceEnv = { ...process.env, KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline.name, LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
    await createExternalTopics(serviceDir);
    await mustRun('npm', ['run', 'topics'], { cwd: serviceDir, env: serviceEnv, timeoutMs: 60_000 });
  }, 480_000);

  afterAll(async () => {
    if (service && !service.exited) service.child.kill('SIGKILL');
    await service?.exit;
    if (admin) {
      const topics = [...new Set(simulationPlan(pipeline).topics.map((t) => t.name))];
      await admin.deleteGroups([pipeline.name, `${pipeline.name}-verify`]).catch(() => {});
      await admin.deleteTopics({ topics }).catch(() => {});
      await admin.disconnect();
    }
    if (process.env.PIPEWRIGHT_KEEP_TMP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('gives the same outputs per key, from the same partitions', async () => {
    // 1. The simulator: seeded, two replicas, a third joining and one leaving on the way.
    const plan = simulationPlan(pipeline);
    const files = { readFile: async (path: string) => new Uint8Array(await readFile(join(work, path))) };
    const ticks = ROUNDS * Math.max(...plan.feeds.map((f) => f.events.length));
    const sim = simulate(pipeline, { seed: 11, replicas: 2, rate: 1, batchSize: 3, tickMs: TICK_MS }, files);
    for (let t = 1; t <= ticks; t++) {
      await sim.step();
      if (t === 10) sim.addReplica();
      if (t === 40) sim.removeReplica('replica-001');
    }
    sim.rate = 0;
    for (let i = 0; i < 500 && sim.totalLag() > 0; i++) await sim.step();
    expect(sim.totalLag()).toBe(0);

    // 2. The same events, in the same order and with the same timestamps, to the real broker.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    for (const f of plan.feeds) {
      const messages = [];
      for (let t = 1; t <= ticks; t++) {
        const e = loopEvent(f.events, t - 1);
        messages.push({ key: e.key, value: JSON.stringify(e.value), timestamp: String(TEST_EPOCH + t * TICK_MS) });
      }
      await producer.send({ topic: f.topic, acks: -1, messages });
      // murmur2 on both sides: every partition holds as many events as the simulator's.
      const offsets = await admin.fetchTopicOffsets(f.topic);
      for (const o of offsets) expect(Number(o.high), `${f.topic}[${o.partition}]`).toBe(sim.log.endOffset(f.topic, o.partition));
    }
    await producer.disconnect();

    // 3. The generated service consumes them.
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: serviceDir,
      env: { ...serviceEnv, PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString('utf8')));
    service = { child, output, exited: false, exit: new Promise((r) => child.on('exit', (code) => ((service!.exited = true), r(code)))) };

    // 4. Read every output topic from the beginning until it holds what the simulator produced.
    const sinks = plan.topics.map((t) => t.name).filter((t) => !plan.feeds.some((f) => f.topic === t));
    const want = Object.fromEntries(sinks.map((t) => [t, sim.log.messages(t).length]));
    const got: Record<string, Record<string, unknown[]>> = Object.fromEntries(sinks.map((t) => [t, {}]));
    const counts: Record<string, number> = Object.fromEntries(sinks.map((t) => [t, 0]));
    const consumer = kafka.consumer({ groupId: `${pipeline.name}-verify`, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topics: sinks, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const key = message.key?.toString('utf8') ?? '(no key)';
        (got[topic][key] ??= []).push(decode(message.value?.toString('utf8') ?? null));
        counts[topic]++;
      },
    });
    const deadline = Date.now() + 120_000;
    while (sinks.some((t) => counts[t] < want[t]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 1500)); // anything extra would arrive now
    await consumer.disconnect();
    expect(counts, output.join('').slice(-3000)).toEqual(want);
    for (const t of sinks) expect(got[t], t).toEqual(byKeyFromLog(sim.log, t));
    expect(Object.values(want).reduce((a, b) => a + b, 0)).toBeGreaterThan(ROUNDS);

    child.kill('SIGTERM');
    expect(await service.exit).toBe(0);
  }, 300_000);
});
