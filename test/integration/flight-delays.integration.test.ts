// Integration test of the generated flight-delays service (an ONNX model step) against the real
// broker from test/global-setup.ts: the example is generated with the CLI together with its model
// file, installed from the npm registry (onnxruntime-node included), built, its own tests run,
// given its topics, and started. 10,000 flights and two the model cannot read go in; the test
// checks against scores computed here by the example's own tree evaluator, not by the runtime:
//   - every scheduled flight is scored once, with the expected (rounded) probability;
//   - the alerts topic holds exactly the flights at or above 0.5;
//   - unreadable flights reach the dead-letter topic with the model step's error;
//   - SIGTERM stops the service with exit code 0 after it committed everything;
//   - with a broken model file the service refuses to start, saying why.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin, type IHeaders } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { build } from '../../examples/flight-delays/build-model.js';
import { features, makeFlights, type Flight } from '../../examples/flight-delays/flights.js';
import { probability } from '../../examples/flight-delays/gbm.js';
import { brokers, freePort, mustRun, repoRoot, run, waitFor, createExternalTopics } from './process.js';

const exampleDir = join(repoRoot, 'examples/flight-delays');
const FLIGHTS = 10_000;
const SEED = 424242;
const THRESHOLD = 0.5;

const header = (h: IHeaders | undefined, name: string) => {
  const v = h?.[name];
  return v === undefined ? undefined : String(v);
};

/** What the example's `summary` map writes: the probability rounded to three decimals. */
const rounded = (p: number) => Math.round(p * 1000) / 1000;

describe('generated flight-delays service (ONNX model step) against a real broker', () => {
  const runId = randomUUID().slice(0, 8);
  const pipelineName = `flight-delays-it-${runId}`;
  const topics = { flights: `flights-it-${runId}`, scored: `scored-flights-it-${runId}`, alerts: `flight-delay-alerts-it-${runId}` };
  const deadLetterTopic = `${pipelineName}.dead-letter`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-fd-it-'));
  const serviceDir = join(work, 'service');
  const timings: Record<string, number> = {};
  let kafka: Kafka;
  let admin: Admin;
  let service: { child: ChildProcess; output: string[]; exit: Promise<number | null>; exited: boolean } | undefined;
  let serviceEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-fd-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();

    // The example with topic names unique to this run, its model file beside it as in the repository.
    const doc = parseDocument(readFileSync(join(exampleDir, 'pipeline.yaml'), 'utf8'));
    doc.set('pipeline', pipelineName);
    (doc.get('nodes') as { items: unknown[] }).items.forEach((_, i) => {
      const id = String(doc.getIn(['nodes', i, 'id']));
      if (id === 'flights') doc.setIn(['nodes', i, 'topic'], topics.flights);
      if (id === 'scored-flights') doc.setIn(['nodes', i, 'topic'], topics.scored);
      if (id === 'delay-alerts') doc.setIn(['nodes', i, 'topic'], topics.alerts);
    });
    writeFileSync(join(work, 'pipeline.yaml'), doc.toString());
    cpSync(join(exampleDir, 'models'), join(work, 'models'), { recursive: true });

    const env = process.env; // the generated .npmrc skips onnxruntime-node's GPU download
    let t = performance.now();
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', join(work, 'pipeline.yaml'), '-o', serviceDir], { cwd: repoRoot, timeoutMs: 60_000 });
    expect(readFileSync(join(serviceDir, 'models/flight-delay.onnx')).equals(readFileSync(join(exampleDir, 'models/flight-delay.onnx')))).toBe(true);
    expect(JSON.parse(readFileSync(join(serviceDir, 'package.json'), 'utf8')).dependencies['onnxruntime-node']).toBeDefined();
    timings.generateMs = performance.now() - t;
    t = performance.now();
    await mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: serviceDir, env, timeoutMs: 240_000 });
    timings.installMs = performance.now() - t;
    t = performance.now();
    const tested = await mustRun('npm', ['test'], { cwd: serviceDir, env, timeoutMs: 120_000 });
    expect(tested).toMatch(/# fail 0/);
    timings.buildAndTestMs = performance.now() - t;

    serviceEnv = { ...process.env, KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipelineName, LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
    await createExternalTopics(serviceDir);
    await mustRun('npm', ['run', 'topics'], { cwd: serviceDir, env: serviceEnv, timeoutMs: 60_000 });
  }, 420_000);

  afterAll(async () => {
    if (service && !service.exited) service.child.kill('SIGKILL');
    await service?.exit;
    if (admin) {
      await admin.deleteGroups([pipelineName, `${pipelineName}-verify`]).catch(() => {});
      await admin.deleteTopics({ topics: [...Object.values(topics), deadLetterTopic] }).catch(() => {});
      await admin.disconnect();
    }
    if (process.env.PIPEWRIGHT_KEEP_TMP !== '1') rmSync(work, { recursive: true, force: true });
    console.info(
      `[integration] flight-delays timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`,
    );
  });

  it('scores 10,000 flights, alerts on the expected ones and dead-letters the unreadable', async () => {
    // What must come out, from the example's own evaluator.
    const { trees } = build();
    const flights = makeFlights(FLIGHTS, SEED);
    const expected = new Map<number, number>(); // index of a scheduled flight → rounded probability
    const either = new Map<number, number[]>(); // flights whose rounding onnxruntime's float32 may tip [1]
    flights.forEach((f, i) => {
      if (f.status !== 'scheduled') return;
      const p = probability(trees, features(f));
      expected.set(i, rounded(p));
      const low = rounded(p - 1e-6);
      const high = rounded(p + 1e-6);
      if (low !== high) either.set(i, [low, high]);
    });
    // The alert count must not hang on rounding: no flight may sit that close to the threshold.
    for (const [i, [low, high]] of either) expect(low >= THRESHOLD, `flight ${i} sits on the alert threshold`).toBe(high >= THRESHOLD);
    const expectedAlerts = [...expected.values()].filter((p) => p >= THRESHOLD).length;
    expect(expected.size).toBeGreaterThan(8000);
    expect(expectedAlerts).toBeGreaterThan(100);

    const port = await freePort();
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: serviceDir,
      env: { ...serviceEnv, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    service = { child, output, exited: false, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
    void service.exit.then(() => (service!.exited = true));
    const diagnostics = () => output.join('').slice(-3000);
    await waitFor('the service to be ready', 60_000, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, diagnostics);

    // Each flight carries its index, so outputs can be matched to what was expected.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    let t = performance.now();
    for (let i = 0; i < FLIGHTS; i += 1000) {
      await producer.send({
        topic: topics.flights,
        acks: -1,
        messages: flights.slice(i, i + 1000).map((f, j) => ({ key: f.flight, value: JSON.stringify({ ...f, flight: `${f.flight}-${i + j}` }) })),
      });
    }
    const unreadable: Partial<Flight>[] = [
      { flight: 'XX1-unreadable', status: 'scheduled', depHour: 'evening' as unknown as number, dayOfWeek: 1, distanceMi: 800 },
      { flight: 'XX2-unreadable', status: 'scheduled', depHour: 9, dayOfWeek: 1, distanceMi: { miles: 800 } as unknown as number },
    ];
    await producer.send({ topic: topics.flights, acks: -1, messages: unreadable.map((f) => ({ key: f.flight!, value: JSON.stringify(f) })) });
    await producer.disconnect();

    const scored = new Map<number, { delayProbability: number; count: number }>();
    const alerts: number[] = [];
    const dead: { key?: string; headers?: IHeaders }[] = [];
    const verifier = kafka.consumer({ groupId: `${pipelineName}-verify`, allowAutoTopicCreation: false });
    await verifier.connect();
    await verifier.subscribe({ topics: [topics.scored, topics.alerts, deadLetterTopic], fromBeginning: true });
    await verifier.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === deadLetterTopic) {
          dead.push({ key: message.key?.toString(), headers: message.headers });
          return;
        }
        const v = JSON.parse(message.value!.toString()) as { flight: string; delayProbability: number };
        const index = Number(v.flight.slice(v.flight.lastIndexOf('-') + 1));
        if (topic === topics.alerts) alerts.push(index);
        else {
          const prev = scored.get(index);
          scored.set(index, { delayProbability: v.delayProbability, count: (prev?.count ?? 0) + 1 });
        }
      },
    });
    try {
      await waitFor(
        `${expected.size} scored flights, ${expectedAlerts} alerts and ${unreadable.length} dead letters`,
        120_000,
        () => scored.size >= expected.size && alerts.length >= expectedAlerts && dead.length >= unreadable.length,
        () => `scored ${scored.size}/${expected.size}, alerts ${alerts.length}/${expectedAlerts}, dead ${dead.length}\n${diagnostics()}`,
      );
      timings.scoreMs = performance.now() - t;
      const ends = await admin.fetchTopicOffsets(topics.flights);
      await waitFor('the service to commit every offset', 30_000, async () => {
        const [committed] = await admin.fetchOffsets({ groupId: pipelineName, topics: [topics.flights] });
        return ends.every((e) => committed.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
      });
      await new Promise((r) => setTimeout(r, 1500)); // room for a duplicate to show up
    } finally {
      await verifier.disconnect();
    }

    expect(scored.size).toBe(expected.size);
    let mismatches = 0;
    for (const [i, p] of expected) {
      const got = scored.get(i);
      expect(got?.count, `flight ${i} scored once`).toBe(1);
      if (got?.delayProbability !== p && !either.get(i)?.includes(got?.delayProbability ?? NaN)) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(alerts.length).toBe(expectedAlerts);
    expect(new Set(alerts)).toEqual(new Set([...expected].filter(([, p]) => p >= THRESHOLD).map(([i]) => i)));
    expect(dead.map((d) => d.key).sort()).toEqual(['XX1-unreadable', 'XX2-unreadable']);
    for (const d of dead) {
      expect(header(d.headers, 'pipewright.node')).toBe('delay-model');
      expect(header(d.headers, 'pipewright.error')).toMatch(/must be a number/);
    }
    console.info(
      `[integration] flight-delays: ${expected.size} scheduled of ${FLIGHTS} flights scored, ${expectedAlerts} alerts, ${Math.round((FLIGHTS / timings.scoreMs) * 1000)} flights/s end to end`,
    );

    t = performance.now();
    child.kill('SIGTERM');
    const code = await Promise.race([service.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 25_000).unref())]);
    timings.sigtermMs = performance.now() - t;
    expect(code, diagnostics()).toBe(0);
  }, 300_000);

  it('refuses to start, with a clear message, when its model file cannot be loaded', async () => {
    const model = join(serviceDir, 'models/flight-delay.onnx');
    const bytes = readFileSync(model);
    writeFileSync(model, bytes.subarray(0, 100)); // truncated
    try {
      const r = await run(process.execPath, ['dist/src/main.js'], {
        cwd: serviceDir,
        env: { ...serviceEnv, PORT: String(await freePort()) },
        timeoutMs: 30_000,
      });
      expect(r.code).toBe(1);
      const line = r.output.split('\n').find((l) => l.includes('the pipeline cannot start'));
      expect(line, r.output).toBeDefined();
      expect(JSON.parse(line!).error).toMatch(
        /node "delay-model" \(model\) cannot start: the model "models\/flight-delay\.onnx" cannot be loaded: not an ONNX model/,
      );
      expect(r.output).not.toMatch(/joined consumer group/);
    } finally {
      writeFileSync(model, bytes);
    }
  }, 60_000);
});

// [1] onnxruntime adds the trees up exactly (the example's leaves are multiples of 2^-12) but takes the
//     sigmoid in float32, within about 1e-7 of the float64 value computed here. A probability within
//     1e-6 of a rounding boundary (x.xxx5) may therefore round either way; both are accepted.
