/**
 * Simulator benchmark: a filter → map → window pipeline simulated at full speed in the
 * designer's Web Worker in Debian's Chromium, against the same pipeline on the
 * in-memory runtime in Node in the same run.
 *
 *   node bin/run-ts.mjs bench/simulator.ts [--seconds 4] [--rate 1000]
 *
 * It measures:
 *   worker        events/s through the graph (the source node's "in" count over wall time,
 *                 from the views the worker posts) while the simulator plays at full speed
 *                 in the built designer, 3 replicas, `--rate` events per tick;
 *   node drain    the same events produced to the in-memory log and drained by one graph
 *                 (runtime/transports/memory.ts drain, what the generated tests run), events/s;
 *   node sim      the Simulator itself in Node with the worker's settings, events/s;
 *   frames        requestAnimationFrame deltas on the designer's main thread while the worker
 *                 runs at full speed (p50, p95, max, frames over 50 ms), and with the simulator
 *                 closed, as the baseline.
 * The ratio printed is worker / node drain (target ≥ 0.5). Figures go to stdout and, as JSON,
 * to bench/results/. Not a test: it asserts nothing.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { compileExpressions } from '../codegen/compile.js';
import { parsePipeline } from '../codegen/parse.js';
import { graphSpec, topicDefs } from '../codegen/pipeline-ts.js';
import { simulationPlan } from '../codegen/simulate.js';
import { SimSession } from '../designer/simulator/session.js';
import { Graph } from '../runtime/engine/graph.js';
import { drain, MemoryLog } from '../runtime/transports/memory.js';
import type { OutMessage } from '../runtime/types.js';
import { buildDesigner, launchChromium, REPO, serveDesigner } from '../test/e2e/harness.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const SECONDS = Number(flag('seconds', '4'));
const RATE = Number(flag('rate', '1000'));
const BUILD = true;
const DIST = 'test-artifacts/dist-bench-sim';
const REPLICAS = 3;
/** Per partition per tick: large enough that the replicas keep up with RATE and lag stays flat. */
const BATCH = RATE;

const keys = Array.from({ length: 24 }, (_, i) => `customer-${i}`);
const samples = keys.map((k, i) => `      - { key: ${k}, value: { orderId: ${i}, customer: ${k}, amount: ${(i * 37) % 300}, currency: EUR } }`).join('\n');
const YAML = `version: 2
pipeline: bench-sim
errors:
  policy: dead-letter
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    format: json
    partitions: 6
    samples:
${samples}
    position: { x: 0, y: 80 }
  - id: large
    kind: filter
    input: orders
    where: value.amount >= 100
    position: { x: 260, y: 80 }
  - id: with-tax
    kind: map
    input: large
    to: "({ orderId: value.orderId, customer: value.customer, amount: value.amount, total: Math.round(value.amount * 1.21 * 100) / 100 })"
    position: { x: 520, y: 80 }
  - id: per-second
    kind: window
    input: with-tax
    type: tumbling
    size: 1s
    sum: value.total
    position: { x: 780, y: 80 }
  - id: totals
    kind: kafka-sink
    input: per-second
    topic: totals
    partitions: 6
    position: { x: 1040, y: 80 }
`;

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const fmt = (x: number) => Math.round(x).toLocaleString('en');

interface Frames {
  frames: number;
  p50: number;
  p95: number;
  max: number;
  over50: number;
  /** Share of wall time the page's main thread was busy, and how much of it was script (DevTools metrics). */
  busy: number;
  script: number;
}

async function frames(page: Page, seconds: number): Promise<Frames> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const m0 = await metrics();
  // Page scripts as text: tsx would wrap named functions in a helper the page does not have.
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__recording = true;
    function tick(t) {
      window.__frames.push(t);
      if (window.__recording) requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);
  })()`);
  await page.waitForTimeout(seconds * 1000);
  const ts = await page.evaluate<number[]>(`(() => { window.__recording = false; return window.__frames; })()`);
  const m1 = await metrics();
  await cdp.detach();
  const d = ts.slice(1).map((t, i) => t - ts[i]);
  const wall = m1.Timestamp - m0.Timestamp;
  return {
    frames: d.length,
    p50: quantile(d, 0.5),
    p95: quantile(d, 0.95),
    max: Math.max(...d),
    over50: d.filter((x) => x > 50).length,
    busy: (m1.TaskDuration - m0.TaskDuration) / wall,
    script: (m1.ScriptDuration - m0.ScriptDuration) / wall,
  };
}

async function inWorker(): Promise<{ eventsPerSecond: number; ticksPerSecond: number; lagAtEnd: number; idle: Frames; running: Frames }> {
  if (BUILD) buildDesigner(DIST);
  const served = await serveDesigner(DIST);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.evaluate((y) => (window as any).__pipewright.openYaml(y), YAML);
    await page.waitForSelector('[data-testid=node-with-tax]');
    await page.waitForTimeout(500);
    const idle = await frames(page, 2);
    await page.evaluate(
      ({ rate, batch, replicas }) => {
        const s = (window as any).__pipewright.store.getState();
        s.setSimSettings({ rate, batchSize: batch, replicas, speed: 0, seed: 1 });
        if (!s.simulate()) throw new Error('simulate refused the pipeline');
      },
      { rate: RATE, batch: BATCH, replicas: REPLICAS },
    );
    // The simulator opens paused on its first tick: play once it is there.
    await page.waitForFunction(() => !!(window as any).__pipewright.store.getState().simView, null, { timeout: 60_000 });
    await page.evaluate(() => (window as any).__pipewright.store.getState().simCommand({ type: 'play' }));
    // Warm up: the worker starts, the JIT settles.
    await page.waitForFunction(() => ((window as any).__pipewright.store.getState().simView?.tick ?? 0) > 50, null, { timeout: 60_000 });
    await page.waitForTimeout(1000);
    const read = () =>
      page.evaluate(() => {
        const v = (window as any).__pipewright.store.getState().simView;
        return {
          at: performance.now(),
          in: v.nodes.orders.in as number,
          tick: v.tick as number,
          lag: (v.partitions as { lag: number }[]).reduce((n, p) => n + p.lag, 0),
        };
      });
    const a = await read();
    const running = await frames(page, SECONDS);
    const b = await read();
    await page.evaluate(() => (window as any).__pipewright.store.getState().closeSimulator());
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const secs = (b.at - a.at) / 1000;
    return { eventsPerSecond: (b.in - a.in) / secs, ticksPerSecond: (b.tick - a.tick) / secs, lagAtEnd: b.lag, idle, running };
  } finally {
    await browser.close();
    await served.stop();
    if (BUILD) rmSync(join(REPO, DIST), { recursive: true, force: true });
  }
}

/** The same events through one graph on the in-memory log, as the generated tests run it. */
async function nodeDrain(events: number): Promise<number> {
  const pipeline = parsePipeline(YAML).pipeline!;
  const plan = simulationPlan(pipeline);
  const feed = plan.feeds[0];
  const t0 = performance.now();
  const log = new MemoryLog();
  for (const t of topicDefs(pipeline)) log.createTopic(t.name, t.partitions);
  log.createTopic(plan.spec.errors.topic, 1);
  const graph = new Graph(graphSpec(pipeline), compileExpressions(pipeline));
  const messages: OutMessage[] = [];
  for (let i = 0; i < events; i++) {
    const e = feed.events[i % feed.events.length];
    // Stamped as the simulator stamps them: RATE events per 100 ms tick, so windows close as often.
    messages.push({ topic: feed.topic, key: e.key, value: JSON.stringify(e.value), headers: {}, timestamp: Math.floor(i / RATE) * 100 });
  }
  log.produce(messages);
  await drain(graph, log, plan.spec.pipeline);
  return events / ((performance.now() - t0) / 1000);
}

/** The Simulator with the worker's settings, in Node. */
async function nodeSim(seconds: number): Promise<number> {
  const pipeline = parsePipeline(YAML).pipeline!;
  const s = new SimSession(simulationPlan(pipeline), { seed: 1, replicas: REPLICAS, rate: RATE, batchSize: BATCH });
  for (let i = 0; i < 50; i++) await s.step();
  const before = s.sim.snapshot().nodes.orders.in;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) await s.step();
  return (s.sim.snapshot().nodes.orders.in - before) / ((performance.now() - t0) / 1000);
}

const worker = await inWorker();
const drainEps = Math.max(await nodeDrain(200_000), await nodeDrain(200_000));
const simEps = await nodeSim(SECONDS);
const ratio = worker.eventsPerSecond / drainEps;

console.log(`\nSimulator benchmark: orders → filter → map → window (1 s tumbling, per key) → sink, 6 partitions, ${REPLICAS} replicas, ${RATE} events/tick`);
console.log(
  `  worker (Chromium, full speed)   ${fmt(worker.eventsPerSecond)} events/s  (${fmt(worker.ticksPerSecond)} ticks/s, lag at end ${worker.lagAtEnd})`,
);
console.log(`  node drain (in-memory runtime)  ${fmt(drainEps)} events/s`);
console.log(`  node simulator (same settings)  ${fmt(simEps)} events/s`);
console.log(`  ratio worker / node drain       ${ratio.toFixed(2)}  (target ≥ 0.5)`);
const f = (x: Frames) =>
  `p50 ${x.p50.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms, max ${x.max.toFixed(1)} ms, ${x.over50}/${x.frames} over 50 ms; main thread busy ${(x.busy * 100).toFixed(0)}% (script ${(x.script * 100).toFixed(0)}%)`;
console.log(`  UI frames, simulator closed     ${f(worker.idle)}`);
console.log(`  UI frames, worker at full speed ${f(worker.running)}`);

const out = join(REPO, 'bench', 'results');
mkdirSync(out, { recursive: true });
const file = join(out, `simulator-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify(
    { rate: RATE, replicas: REPLICAS, seconds: SECONDS, worker, nodeDrainEventsPerSecond: drainEps, nodeSimEventsPerSecond: simEps, ratio },
    null,
    2,
  ),
);
console.log(`  → ${file.slice(REPO.length + 1)}`);
