/**
 * Designer benchmark: big generated pipelines (bench/designer-pipeline.ts) in
 * Debian's Chromium against the built designer, and codegen + zip of the same
 * pipelines in Node.
 *
 *   node bin/run-ts.mjs bench/designer.ts [--sizes 250,1000] [--no-build] [--steps 150] [--repeat 3] [--edits 40]
 *
 * For each size it measures:
 *   load (link)   a fresh page opens a share link (#p=…) carrying the pipeline:
 *                 navigation start → the nodes are on the canvas and a frame has been drawn;
 *   load (open)   the same YAML opened in a running designer (window.__pipewright.openYaml)
 *                 → two frames later;
 *   drag          a node is dragged in small steps by real mouse events (CDP); frame times are
 *                 the deltas between requestAnimationFrame callbacks during the drag (p50, p95,
 *                 max), and main-thread busy time (and its CPU time) per frame from the performance metrics. Two
 *                 views: zoom 1 (what a user edits at) and the whole pipeline fitted in view
 *                 (every node rendered, the worst case). Each drag runs --repeat times and the run
 *                 with the median p95 is reported;
 *   check         keystroke → problems shown: the check worker's whole check (type check included)
 *                 after an edit that adds or removes a type error, p50/p95 over --edits edits, and the
 *                 longest main-thread task (Long Tasks API, ≥ 50 ms) while the checks ran; beside it,
 *                 from a Chrome trace of the same run, the CPU time of the longest tasks in the same
 *                 windows (a loaded machine stretches a task's wall time, not its CPU time);
 *   main chunk    the size of the page's entry script in the build;
 *   codegen+zip   generate() + zipFiles() in Node, median of several runs, and the ratio of the
 *                 largest size to the smallest (linear growth gives the size ratio).
 * Figures go to stdout and, as JSON, to bench/results/. Not a test: it asserts nothing.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { generate, zipFiles } from '../codegen/generate.js';
import { nodeAssets } from '../codegen/node-assets.js';
import { serializePipeline } from '../codegen/serialize.js';
import { buildDesigner, launchChromium, REPO, serveDesigner } from '../test/e2e/harness.js';
import { bigPipeline } from './designer-pipeline.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const SIZES = flag('sizes', '250,1000').split(',').map(Number);
const STEPS = Number(flag('steps', '150'));
const REPEAT = Number(flag('repeat', '3'));
const BUILD = !argv.includes('--no-build');
const DIST = 'test-artifacts/dist-bench';
const CHECK_EDITS = Number(flag('edits', '40'));

/** Size of the page's entry chunk in the build: the script index.html loads. */
function mainChunkBytes(): number {
  const html = readFileSync(join(REPO, DIST, 'index.html'), 'utf8');
  const src = /<script type="module"[^>]*src="\/?([^"]+)"/.exec(html)?.[1];
  if (!src) throw new Error('no entry script in index.html');
  return statSync(join(REPO, DIST, src)).size;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs: number[]) => quantile(xs, 0.5);
const ms = (x: number) => `${x.toFixed(1)} ms`;

interface DragFigures {
  frames: number;
  p50: number;
  p95: number;
  max: number;
  busyPerFrame: number;
  /** The main thread's CPU time per frame (ThreadTime): busy time without the waits for a core on a loaded machine. */
  cpuPerFrame: number;
  scriptPerFrame: number;
  layoutStylePerFrame: number;
  moved: boolean;
}

type Metrics = Record<string, number>;
const sessions = new WeakMap<Page, CDPSession>();

/** The renderer's cumulative main-thread times (seconds), from the DevTools protocol. */
async function metrics(page: Page): Promise<Metrics> {
  let cdp = sessions.get(page);
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    sessions.set(page, cdp);
  }
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

async function drag(page: Page, nodeId: string): Promise<DragFigures> {
  const header = page.locator(`[data-testid="node-${nodeId}"] .pw-node-head`);
  const box = await header.boundingBox();
  if (!box) throw new Error(`node ${nodeId} is not on screen`);
  const before = await page.evaluate(
    (id) => JSON.stringify((window as any).__pipewright.store.getState().pipeline.nodes.find((n: any) => n.id === id).position),
    nodeId,
  );
  const x0 = box.x + Math.min(20, box.width / 3);
  const y0 = box.y + box.height / 2;
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  // Past React Flow's drag threshold before measuring.
  await page.mouse.move(x0 + 4, y0 + 4);
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
  const m0 = await metrics(page);
  for (let i = 1; i <= STEPS; i++) {
    const a = (i / STEPS) * Math.PI * 2;
    await page.mouse.move(x0 + 4 + i * 1.5, y0 + 4 + Math.sin(a) * 40);
  }
  const m1 = await metrics(page);
  const frames: number[] = await page.evaluate(() => {
    const w = window as any;
    w.__recording = false;
    return w.__frames;
  });
  await page.mouse.up();
  const after = await page.evaluate(
    (id) => JSON.stringify((window as any).__pipewright.store.getState().pipeline.nodes.find((n: any) => n.id === id).position),
    nodeId,
  );
  const deltas = frames.slice(1).map((t, i) => t - frames[i]);
  // Undo the drag so the next measurement starts from the same pipeline.
  await page.evaluate(() => (window as any).__pipewright.store.getState().undo());
  return {
    frames: deltas.length,
    p50: median(deltas),
    p95: quantile(deltas, 0.95),
    max: Math.max(...deltas),
    busyPerFrame: ((m1.TaskDuration - m0.TaskDuration) * 1000) / Math.max(1, deltas.length),
    cpuPerFrame: ((m1.ThreadTime - m0.ThreadTime) * 1000) / Math.max(1, deltas.length),
    scriptPerFrame: ((m1.ScriptDuration - m0.ScriptDuration) * 1000) / Math.max(1, deltas.length),
    layoutStylePerFrame: ((m1.LayoutDuration - m0.LayoutDuration + m1.RecalcStyleDuration - m0.RecalcStyleDuration) * 1000) / Math.max(1, deltas.length),
    moved: before !== after,
  };
}

/** The same drag REPEAT times; the run with the median p95 is reported, since a busy machine adds outliers. */
async function dragRepeated(page: Page, nodeId: string): Promise<DragFigures> {
  const runs: DragFigures[] = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await drag(page, nodeId));
  runs.sort((a, b) => a.p95 - b.p95 || a.busyPerFrame - b.busyPerFrame);
  return runs[Math.floor(runs.length / 2)];
}

interface CheckFigures {
  edits: number;
  p50: number;
  p95: number;
  max: number;
  /** The longest main-thread task while checks ran (between an edit's frame and its problems on screen); 0 when none reached the 50 ms long-task threshold. */
  longestTask: number;
  longTasks: number;
  /** The check's own time in the worker, median. */
  workerP50: number;
  /**
   * The same tasks (starting in the same windows) from a Chrome trace, by the CPU time the page's
   * main thread spent in them: the longest of any task, and the most CPU any of the long tasks above
   * used. Wall time includes the time the thread waited for a core on a loaded machine; CPU time
   * does not.
   */
  longestTaskCpu: number;
  longTasksMaxCpu: number;
}

/** Top-level main-thread tasks in a Chrome trace (toplevel category): start, wall and CPU time, in ms on the trace clock. */
interface TracedTask {
  ts: number;
  wall: number;
  cpu: number;
}

/** The page's main thread is the one that wrote the user-timing marks named `prefix…`; its marks by name and its tasks. */
function tracedTasks(trace: Buffer, prefix: string): { marks: Map<string, number>; tasks: TracedTask[] } {
  const events: { name: string; cat?: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number }[] = JSON.parse(
    trace.toString('utf8'),
  ).traceEvents;
  const first = events.find((e) => e.name.startsWith(prefix));
  if (!first) throw new Error('the trace has no marks of the check: tracing did not record blink.user_timing');
  const main = events.filter((e) => e.pid === first.pid && e.tid === first.tid);
  const marks = new Map(main.filter((e) => e.name.startsWith(prefix)).map((e) => [e.name, e.ts / 1000]));
  const tasks: TracedTask[] = [];
  let end = -Infinity;
  for (const e of main.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask').sort((a, b) => a.ts - b.ts)) {
    // Nested run loops report tasks inside tasks: count the outer one.
    if (e.ts < end) continue;
    end = e.ts + (e.dur ?? 0);
    tasks.push({ ts: e.ts / 1000, wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? 0) / 1000 });
  }
  return { marks, tasks };
}

/**
 * Keystroke → problems shown: the filter's expression is edited in the store, alternately to a
 * field that does not exist (the check must show PW034) and back; the time runs from the edit to
 * the first frame after the check's answer is in the store. Long tasks on the main thread are
 * recorded from the frame after each edit until its problems are shown. Each edit runs in a task
 * of its own, before its window: the windows hold what follows from the check (the request, the
 * answer, the frames that draw it), not the edit itself.
 */
async function checkLatency(page: Page, nodeId: string, edits: number): Promise<CheckFigures> {
  const browser = page.context().browser()!;
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
  const figures = await checkLatencyInPage(page, nodeId, edits).catch(async (e) => {
    await browser.stopTracing();
    throw e;
  });
  const trace = await browser.stopTracing();
  // The windows as the page marked them (pw-check-edited-i → pw-check-shown-i), on the trace's clock.
  const { marks, tasks } = tracedTasks(trace, 'pw-check-');
  const during = tasks.filter((t) => {
    for (let i = 0; marks.has(`pw-check-edited-${i}`); i++)
      if (t.ts >= marks.get(`pw-check-edited-${i}`)! && t.ts < marks.get(`pw-check-shown-${i}`)!) return true;
    return false;
  });
  return {
    ...figures,
    longestTaskCpu: Math.max(0, ...during.map((t) => t.cpu)),
    longTasksMaxCpu: Math.max(0, ...during.filter((t) => t.wall >= 50).map((t) => t.cpu)),
  };
}

async function checkLatencyInPage(page: Page, nodeId: string, edits: number): Promise<CheckFigures> {
  return page.evaluate(`(async () => {
    const st = window.__pipewright.store;
    const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
    const settled = async () => { while (st.getState().problemsFor !== st.getState().structure) await frame(); };
    const tasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) tasks.push(e); }).observe({ type: 'longtask' });
    await settled();
    const times = [], windows = [], worker = [];
    for (let i = 0; i < ${edits}; i++) {
      const typo = i % 2 === 0;
      // Each edit in a task of its own, as a keystroke is: run from the last frame's callback, its
      // work would land in the frame task that showed the previous edit's problems, in that window.
      await new Promise((r) => setTimeout(r, 0));
      const t0 = performance.now();
      st.getState().setParam(${JSON.stringify(nodeId)}, 'where', typo ? 'value.amountz > 0' : 'value.amount > 0');
      const edited = await frame();
      performance.mark('pw-check-edited-' + i);
      await settled();
      const shown = await frame();
      performance.mark('pw-check-shown-' + i);
      times.push(shown - t0);
      windows.push([edited, shown]);
      const problems = st.getState().problems;
      const has = problems.some((p) => p.code === 'PW034' && p.nodeId === ${JSON.stringify(nodeId)});
      if (has !== typo) throw new Error('edit ' + i + ': expected ' + (typo ? 'PW034' : 'no PW034') + ', got ' + JSON.stringify(problems.slice(0, 3)));
    }
    await frame();
    const during = tasks.filter((t) => windows.some(([a, b]) => t.startTime >= a && t.startTime < b));
    const sorted = [...times].sort((a, b) => a - b);
    const q = (f) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];
    return { edits: times.length, p50: q(0.5), p95: q(0.95), max: sorted[sorted.length - 1], longestTask: Math.max(0, ...during.map((t) => t.duration)), longTasks: during.length, workerP50: 0, longestTaskCpu: 0, longTasksMaxCpu: 0 };
  })()`);
}

async function waitFrames(page: Page, n = 2): Promise<void> {
  await page.evaluate(`new Promise((resolve) => {
    function step(left) { if (left === 0) resolve(); else requestAnimationFrame(() => step(left - 1)); }
    step(${n});
  })`);
}

function codegenTime(nodes: number): { millis: number; files: number; zipBytes: number } {
  const p = bigPipeline(nodes);
  const assets = nodeAssets();
  const runs: number[] = [];
  let files = 0;
  let zipBytes = 0;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = generate(p, assets);
    if (!r.files) throw new Error(`generate refused the ${nodes}-node pipeline: ${r.problems[0]?.message}`);
    const zip = zipFiles(r.files);
    runs.push(performance.now() - t0);
    files = Object.keys(r.files).length;
    zipBytes = zip.length;
  }
  // The first runs warm up the JIT and the template cache.
  return { millis: median(runs.slice(2)), files, zipBytes };
}

/** Times codegen + zip in Node at 100 nodes and at each size, and prints the times and how they grow. */
function reportCodegen() {
  console.log('\ncodegen + zip in Node (median of 5 after 2 warm-up runs)');
  const codegen = [100, ...SIZES].map((n) => ({ size: n, ...codegenTime(n) }));
  for (const c of codegen) console.log(`  ${String(c.size).padStart(5)} nodes: ${ms(c.millis)} (${c.files} files, zip ${c.zipBytes} bytes)`);
  const small = codegen.find((c) => c.size === Math.min(...SIZES))!;
  const large = codegen.find((c) => c.size === Math.max(...SIZES))!;
  const hundred = codegen[0];
  console.log(`  ratio ${large.size} ÷ ${small.size}: ${(large.millis / small.millis).toFixed(2)} (nodes ×${large.size / small.size})`);
  console.log(`  ratio ${large.size} ÷ 100: ${(large.millis / hundred.millis).toFixed(2)} (target ≤ 12)`);
  return codegen;
}

async function main() {
  if (BUILD) buildDesigner(DIST);
  const served = await serveDesigner(DIST);
  const browser = await launchChromium();
  const results: Record<string, unknown>[] = [];
  try {
    for (const size of SIZES) {
      const pipeline = bigPipeline(size);
      const yaml = serializePipeline(pipeline);

      // Warm: the YAML opened in a running designer (through its test hook; the bench imports nothing from designer/).
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const first = await ctx.newPage();
      await first.goto(served.url);
      await first.waitForFunction(() => (window as any).__pipewright);
      const loadOpen = await first.evaluate(async (text) => {
        const w = window as any;
        const t0 = performance.now();
        w.__pipewright.openYaml(text);
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }, yaml);
      const link: string = await first.evaluate(() => (window as any).__pipewright.shareLink());
      await first.close();

      // Cold: a fresh page opening the share link (#p=…) that carries the pipeline.
      await ctx.clearCookies();
      const page = await ctx.newPage();
      await page.evaluate(() => localStorage.clear()).catch(() => undefined);
      await page.goto(link);
      await page.waitForFunction(
        (n) => (window as any).__pipewright?.store.getState().pipeline.nodes.length === n && document.querySelector('.react-flow__node'),
        size,
        { timeout: 60_000 },
      );
      await waitFrames(page);
      const loadLink = await page.evaluate(() => performance.now());
      await page.waitForTimeout(500);
      const rendered = await page.locator('.react-flow__node').count();

      // Drag at zoom 1, near the middle of the pipeline.
      const target = `n-${Math.floor(size / 25 / 2)}-1-3`;
      const t = pipeline.nodes.find((n) => n.id === target)!.position!;
      await page.evaluate(({ x, y }) => (window as any).__pipewright.setViewport(-x + 250, -y + 200, 1), t);
      await waitFrames(page, 3);
      await page.waitForTimeout(300);
      const renderedZoom1 = await page.locator('.react-flow__node').count();
      const dragZoom1 = await dragRepeated(page, target);

      // Drag with every node in view.
      await page.evaluate(() => (window as any).__pipewright.fitView());
      await waitFrames(page, 3);
      await page.waitForTimeout(500);
      const renderedFit = await page.locator('.react-flow__node').count();
      const dragFit = await dragRepeated(page, target);
      const check = await checkLatency(page, 'n-0-0-0', CHECK_EDITS);
      await ctx.close();

      const row = { size, loadLinkMs: loadLink, loadOpenMs: loadOpen, rendered, renderedZoom1, dragZoom1, renderedFit, dragFit, check };
      results.push(row);
      console.log(`\n${size} nodes`);
      console.log(`  load: share link → drawn ${ms(loadLink)}; open YAML in a running designer → drawn ${ms(loadOpen)}`);
      for (const [name, d, n] of [
        ['zoom 1', dragZoom1, renderedZoom1],
        ['fit view', dragFit, renderedFit],
      ] as const) {
        console.log(
          `  drag at ${name} (${n} nodes rendered): ${d.frames} frames, p50 ${ms(d.p50)}, p95 ${ms(d.p95)}, max ${ms(d.max)}, main thread per frame: busy ${ms(d.busyPerFrame)} (CPU ${ms(d.cpuPerFrame)}), script ${ms(d.scriptPerFrame)}, style+layout ${ms(d.layoutStylePerFrame)}${d.moved ? '' : '  (NODE DID NOT MOVE)'}`,
        );
      }
      console.log(
        `  check after an edit (${check.edits} edits, PW034 on and off): keystroke → problems shown p50 ${ms(check.p50)}, p95 ${ms(check.p95)}, max ${ms(check.max)}; longest main-thread task meanwhile ${check.longTasks ? ms(check.longestTask) : 'none ≥ 50 ms'} (${check.longTasks} long tasks); by CPU time (trace): longest task ${ms(check.longestTaskCpu)}, the long tasks at most ${ms(check.longTasksMaxCpu)}`,
      );
    }
    console.log(`\nmain chunk (the page's entry script): ${(mainChunkBytes() / 1e6).toFixed(3)} MB`);
  } finally {
    await browser.close();
    await served.stop();
  }

  const codegen = reportCodegen();

  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `designer-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ browser: results, codegen }, null, 2));
  console.log(`\nwrote ${file}`);
}

await main();
