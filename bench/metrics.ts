/**
 * What the service's latency metrics cost: the large-orders pipeline's engine runs the same
 * records in slices of 2,500 (BATCH_CHUNK_SIZE's default), bare and with the timing the service
 * does (every node timed on every slice, the slice's duration and each record's end-to-end age
 * observed), in alternating rounds; and how long one /metrics render takes for a pipeline of 50
 * nodes, process metrics included. No Kafka: this isolates the instrumentation. Throughput is
 * records per CPU second of this process (user + system), steadier than wall time on a shared machine.
 *
 *   node bin/run-ts.mjs bench/metrics.ts [--records 500000] [--rounds 5]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileExpressions } from '../codegen/compile.js';
import { parsePipeline } from '../codegen/parse.js';
import { graphSpec } from '../codegen/pipeline-ts.js';
import { Graph } from '../runtime/engine/graph.js';
import { Metrics } from '../runtime/service/metrics.js';
import { ProcessMetrics } from '../runtime/service/process-metrics.js';
import type { RawMessage } from '../runtime/types.js';
import { repoRoot } from './common.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RECORDS = arg('records', 500_000);
const ROUNDS = arg('rounds', 5);
const SLICE = 2500;

const { pipeline } = parsePipeline(readFileSync(join(repoRoot, 'bench/large-orders.pipeline.yaml'), 'utf8'));
if (!pipeline) throw new Error('bench/large-orders.pipeline.yaml does not parse');
const spec = graphSpec(pipeline);
const fns = compileExpressions(pipeline);
const now = Date.now();
const slices: RawMessage[][] = [];
for (let start = 0; start < RECORDS; start += SLICE) {
  const slice: RawMessage[] = [];
  for (let i = start; i < Math.min(start + SLICE, RECORDS); i++) {
    const value = JSON.stringify({ orderId: i, customer: `c-${i % 1000}`, amount: i % 300, currency: 'EUR', sentAt: now });
    slice.push({ key: `c-${i % 1000}`, value, timestamp: now - (i % 500), headers: {}, origin: { topic: 'orders', partition: 0, offset: String(i) } });
  }
  slices.push(slice);
}

async function run(timed: boolean): Promise<number> {
  const metrics = new Metrics();
  const graph = new Graph(spec, fns, timed ? { onNodeTime: (node, s) => metrics.observeNode(node, s) } : {});
  const cpu = process.cpuUsage();
  for (const slice of slices) {
    const t = performance.now();
    const result = await graph.process('orders', slice);
    if (timed)
      metrics.sliceDone(
        'orders',
        slice.map((m) => m.timestamp),
        result,
        t,
      );
  }
  // CPU time, not wall time: much steadier on a shared machine.
  const used = process.cpuUsage(cpu);
  return RECORDS / ((used.user + used.system) / 1e6);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bare: number[] = [];
const timed: number[] = [];
await run(false); // warm-up
await run(true);
for (let r = 0; r < ROUNDS; r++) {
  bare.push(await run(false));
  timed.push(await run(true));
}

// A render for a pipeline of 50 nodes, every histogram filled.
const many = new Metrics();
const stats = new Map(Array.from({ length: 50 }, (_, i) => [`node-${i}`, { in: 1, out: 1, errors: 0 }] as const));
for (const node of stats.keys()) for (let i = 0; i < 100; i++) many.observeNode(node, i / 1000);
for (let p = 0; p < 12; p++) many.lag.set(`orders\u0000${p}`, p);
many.sliceDone('orders', [now - 5], { messages: [], deadLetters: 0, skipped: 0 }, performance.now());
const processMetrics = new ProcessMetrics();
const renders: number[] = [];
let bytes = 0;
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  const text = many.render(stats, 'bench') + (await processMetrics.render());
  renders.push(performance.now() - t);
  bytes = text.length;
}
processMetrics.stop();

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`engine, ${fmt(RECORDS)} records in slices of ${SLICE}, medians of ${ROUNDS} alternating rounds:`);
console.log('| | records per CPU second | ratio |');
console.log('|---|---|---|');
console.log(`| bare engine (baseline) | ${fmt(median(bare))} | 1.00 |`);
console.log(`| with latency metrics | ${fmt(median(timed))} | ${(median(timed) / median(bare)).toFixed(2)} |`);
console.log(`per round (timed / bare): ${timed.map((t, i) => (t / bare[i]).toFixed(2)).join(', ')}`);
console.log(`/metrics render, 50 nodes + process metrics: median ${median(renders).toFixed(2)} ms (includes one event-loop turn), ${fmt(bytes)} bytes`);
