/**
 * Model step benchmark: events/s of the `model` kind per backend, scoring a
 * whole batch in one call versus one call per event, on the same events in
 * the same run.
 *
 *   node bin/run-ts.mjs bench/model.ts [--events 10000] [--batch 500] [--rounds 3]
 *
 * Backends, all on the flight-delays example's model (12 trees, 5 inputs):
 *   json         the LightGBM dump, evaluated in TypeScript
 *   onnx-node    the ONNX file in onnxruntime-node
 *   onnx-web     the ONNX file in onnxruntime-web (wasm, one thread), as the browser runs it
 *   http         a KServe-style endpoint in a separate process (scoring with the JSON model),
 *                over HTTP on localhost; batched = `batch`-event Kafka batches split into
 *                requests of the step's batchSize (256), 4 in flight
 *
 * "batched" feeds the operator the events in batches of `--batch`, as a Kafka
 * batch arrives; "one-by-one" feeds it one event per call and awaits each, as
 * a per-event scoring loop would. Each figure is the best of `--rounds` timed
 * rounds after three warm-up passes. Prints a table with the ratio batched ÷
 * one-by-one per backend (target ≥ 5×) and writes the figures as JSON to
 * bench/results/. Not a test: it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { features, makeFlights } from '../examples/flight-delays/flights.js';
import { withDefaults, type Emitter, type Operator } from '../runtime/kinds/spec.js';
import { model } from '../runtime/kinds/model.js';
import { jsonScorer, parseJsonModel } from '../runtime/model-backends/json.js';
import { provideOnnxRuntime } from '../runtime/model-backends/onnx.js';
import type { Rec } from '../runtime/types.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const exampleDir = join(repoRoot, 'examples/flight-delays');

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    serve: { type: 'boolean', default: false },
  },
});

// --- the benchmark -----------------------------------------------------------------------------

function records(n: number): Rec[] {
  return makeFlights(n, 99)
    .map((f) => ({ ...f, status: 'scheduled' as const }))
    .map((value, i) => ({ key: value.flight, value, timestamp: 0, headers: {}, origin: { topic: 'flights', partition: 0, offset: String(i) } }));
}

/** The example's inputs expression, as its generated code has it. */
const inputs = (value: Parameters<typeof features>[0]) => ({
  dep_hour: value.depHour,
  day_of_week: value.dayOfWeek,
  distance: value.distanceMi,
  inbound_delay: value.inboundDelayMin,
  precipitation: value.precipitationMm ?? 0,
});

interface Collected {
  scores: number[];
  errors: number;
}

function emitter(into: Collected): Emitter {
  return {
    emit: (_port, rec) => void into.scores.push((rec.value as { score: number }).score),
    fail: () => void into.errors++,
    produce: () => {},
  };
}

async function operator(params: Record<string, unknown>): Promise<Operator> {
  const op = model.create({
    nodeId: 'delay-model',
    pipeline: 'bench',
    params: withDefaults(model, params, { expressions: false }),
    fns: { inputs: inputs },
    readFile: async (path) => new Uint8Array(readFileSync(join(exampleDir, path))),
  });
  await op.start?.();
  return op;
}

/** Events/s of one pass over `recs`, in batches of `size` (1 = one call per event). */
async function pass(op: Operator, recs: Rec[], size: number): Promise<{ eventsPerSecond: number; collected: Collected }> {
  const collected: Collected = { scores: [], errors: 0 };
  const out = emitter(collected);
  const t = performance.now();
  for (let i = 0; i < recs.length; i += size) await op.process!(recs.slice(i, i + size), 'in', out);
  const seconds = (performance.now() - t) / 1000;
  if (collected.errors) throw new Error(`${collected.errors} events failed`);
  return { eventsPerSecond: recs.length / seconds, collected };
}

async function measure(op: Operator, recs: Rec[], size: number, rounds: number) {
  // Warm-up until the JIT has settled: three passes (of 2,000 events when one call per event).
  for (let w = 0; w < 3; w++) await pass(op, size === 1 ? recs.slice(0, 2000) : recs, size);
  let best = 0;
  let scores: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const { eventsPerSecond, collected } = await pass(op, recs, size);
    best = Math.max(best, eventsPerSecond);
    scores = collected.scores;
  }
  return { eventsPerSecond: best, scores };
}

async function startEndpoint(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/run-ts.mjs'), fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PORT=(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the endpoint exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/v1/models/flight-delay:predict`, stop: () => child.kill('SIGTERM') };
}

async function main() {
  const n = Number(flags.events);
  const batch = Number(flags.batch);
  const rounds = Number(flags.rounds);
  const recs = records(n);
  const endpoint = await startEndpoint();
  const backends: { name: string; params: Record<string, unknown>; setup?: () => void }[] = [
    { name: 'json', params: { backend: 'json', model: 'models/flight-delay.json' } },
    { name: 'onnx-node', params: { backend: 'onnx', model: 'models/flight-delay.onnx' }, setup: () => provideOnnxRuntime(undefined) },
    {
      name: 'onnx-web',
      params: { backend: 'onnx', model: 'models/flight-delay.onnx' },
      setup: () =>
        provideOnnxRuntime(async () => {
          const ort = (await import('onnxruntime-web')) as unknown as { env: { wasm: { numThreads: number } } };
          ort.env.wasm.numThreads = 1;
          return ort;
        }),
    },
    { name: 'http', params: { backend: 'http', url: endpoint.url, timeoutMs: 10_000 } },
  ];
  const rows: { backend: string; batchedEventsPerSecond: number; oneByOneEventsPerSecond: number; ratio: number; maxScoreDiffVsJson: number }[] = [];
  let reference: number[] = [];
  try {
    for (const b of backends) {
      b.setup?.();
      const op = await operator(b.params);
      const batched = await measure(op, recs, batch, rounds);
      const single = await measure(op, recs, 1, rounds);
      await op.close?.();
      if (b.name === 'json') reference = batched.scores;
      const diff = Math.max(...batched.scores.map((s, i) => Math.abs(s - reference[i])), ...single.scores.map((s, i) => Math.abs(s - reference[i])));
      rows.push({
        backend: b.name,
        batchedEventsPerSecond: batched.eventsPerSecond,
        oneByOneEventsPerSecond: single.eventsPerSecond,
        ratio: batched.eventsPerSecond / single.eventsPerSecond,
        maxScoreDiffVsJson: diff,
      });
      process.stderr.write(`  ${b.name} done\n`);
    }
  } finally {
    endpoint.stop();
  }

  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const lines = [
    `model step: ${fmt(n)} flights, batches of ${batch}, best of ${rounds} rounds, ${cpus().length} CPUs, Node ${process.versions.node}`,
    '',
    `${'backend'.padEnd(10)} ${'batched ev/s'.padStart(14)} ${'one-by-one ev/s'.padStart(16)} ${'batched ÷ one-by-one'.padStart(21)} ${'max |Δscore| vs json'.padStart(21)}`,
    ...rows.map(
      (r) =>
        `${r.backend.padEnd(10)} ${fmt(r.batchedEventsPerSecond).padStart(14)} ${fmt(r.oneByOneEventsPerSecond).padStart(16)} ${(r.ratio.toFixed(1) + '×').padStart(21)} ${r.maxScoreDiffVsJson.toExponential(1).padStart(21)}`,
    ),
    '',
    'target: batched ÷ one-by-one ≥ 5× where the backend accepts batches (onnx, http); json is in-process either way.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const dir = join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `model-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ events: n, batch, rounds, node: process.versions.node, cpus: cpus().length, rows }, null, 2) + '\n');
  process.stdout.write(`wrote ${file.slice(repoRoot.length)}\n`);
}

// --- the inference endpoint, in its own process ------------------------------------------------

function serve() {
  const scorer = jsonScorer(parseJsonModel(readFileSync(join(exampleDir, 'models/flight-delay.json'), 'utf8')));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { instances } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { instances: Record<string, unknown>[] };
      void scorer.score(instances).then((out) => {
        const predictions = out.map((p) => (p instanceof Error ? null : p.score));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions }));
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`PORT=${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (flags.serve) serve();
else await main();
