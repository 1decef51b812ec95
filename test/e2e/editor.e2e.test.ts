/**
 * Editing on the canvas, end to end in Debian's Chromium at 1440×900: drop a
 * filter from the palette onto a wire and an unwired node onto another (the
 * wire is split, highlighted while dragging), answer the question a second
 * wire into a taken input asks, inspect a wire, the keyboard shortcuts and
 * their help, and the panels: resize and collapse the simulator dock, whose
 * size is kept across a reload, while the canvas keeps half the height.
 * The edited pipeline is checked the way its exported repository would be:
 * the CLI's validate, and its own tests run on the in-memory log.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { compileExpressions } from '../../codegen/compile.js';
import { testCases } from '../../codegen/test-cases.js';
import { parsePipeline } from '../../codegen/parse.js';
import { graphSpec, topicDefs } from '../../codegen/pipeline-ts.js';
import { runCase } from '../../runtime/testing.js';
import { openDesigner, REPO, type OpenDesigner } from './harness.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'editor');
const poll = expect.poll;

let ui: OpenDesigner;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const api = <T>(fn: string, arg?: unknown) => page.evaluate(([f, a]) => (window as any).__pipewright[f](a), [fn, arg] as const) as Promise<T>;
const yamlNow = () => api<string>('yaml');
const inputsOf = (id: string) =>
  page.evaluate((n) => (window as any).__pipewright.store.getState().pipeline.nodes.find((x: { id: string }) => x.id === n)?.inputs, id);
const box = async (selector: string) => (await page.locator(selector).boundingBox())!;
/** Sizes on screen are fractional; a pixel either way is the same size. */
const near = (a: number, b: number) => Math.abs(a - b) <= 1.5;
const centre = (b: { x: number; y: number; width: number; height: number }) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

/** The CLI's verdict and the pipeline's own tests, on the YAML the designer exports. */
async function asExported(name: string): Promise<{ validate: string; failures: string[] }> {
  const text = await yamlNow();
  const file = join(ARTIFACTS, `${name}.yaml`);
  writeFileSync(file, text);
  let validate: string;
  try {
    validate = execFileSync(process.execPath, [join(REPO, 'bin', 'pipewright.mjs'), 'validate', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    validate = `FAILED ${(e as { stderr?: string }).stderr ?? ''}`;
  }
  const { pipeline } = parsePipeline(text);
  const failures: string[] = [];
  const { cases } = testCases(pipeline!);
  for (const c of cases) {
    const r = await runCase(graphSpec(pipeline!), compileExpressions(pipeline!), topicDefs(pipeline!), c);
    if (JSON.stringify(r.actual) !== JSON.stringify(r.expected))
      failures.push(`${c.name}: expected ${JSON.stringify(r.expected)}, got ${JSON.stringify(r.actual)}`);
  }
  return { validate, failures };
}

// Orders into a topic, and a test that expects only the large ones: the pipeline needs a filter.
const YAML = `version: 1
pipeline: big-orders
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    partitions: 2
    samples:
      - { key: c-1, value: { orderId: 1, amount: 250 } }
      - { key: c-2, value: { orderId: 2, amount: 40 } }
    position: { x: 0, y: 100 }
  - id: out
    kind: kafka-sink
    input: orders
    topic: big-orders
    position: { x: 560, y: 100 }
  - id: other
    kind: kafka-source
    topic: more-orders
    samples:
      - { key: c-3, value: { orderId: 3, amount: 500 } }
    position: { x: 0, y: 330 }
tests:
  - name: only orders of 100 or more reach big-orders
    input:
      orders:
        - { key: c-1, value: { orderId: 1, amount: 250 } }
        - { key: c-2, value: { orderId: 2, amount: 40 } }
    expect:
      out:
        - { key: c-1, value: { orderId: 1, amount: 250 } }
`;

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'editor',
    context: { viewport: { width: 1440, height: 900 }, colorScheme: 'light', acceptDownloads: true },
  });
  ({ context, page, pageErrors } = ui);
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('editing on the canvas', () => {
  test('an empty canvas: no minimap, no false "ready to export", a theme button that changes the look on every click', async () => {
    await poll(() => page.locator('[data-testid=empty-state]').isVisible()).toBe(true);
    expect(await page.locator('.react-flow__minimap').count()).toBe(0);
    await poll(() => page.locator('[data-testid=problems-nothing]').isVisible()).toBe(true);
    expect(await page.textContent('.pw-bottom')).not.toContain('ready to export');
    const looks: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.click('[data-testid=theme]');
      looks.push(`${await page.getAttribute('[data-testid=theme]', 'data-theme-choice')}/${await page.evaluate(() => document.documentElement.dataset.theme)}`);
    }
    // System is light here: dark, then light, then back to system (light).
    expect(looks).toEqual(['dark/dark', 'light/light', 'system/light']);
    await shot('01-empty');
  }, 180_000);

  test('a filter dropped from the palette onto a wire goes into it, highlighted while dragging; the pipeline then validates and passes its tests', async () => {
    await api('openYaml', YAML);
    await poll(() => page.locator('.react-flow__node').count()).toBe(3);
    await poll(() => page.locator('.react-flow__minimap').count()).toBe(1);
    // As drawn, every order reaches the sink: its test fails.
    expect((await asExported('before')).failures).toHaveLength(1);

    const a = await box('[data-testid=node-orders]');
    const b = await box('[data-testid=node-out]');
    const onWire = { x: (a.x + a.width + b.x) / 2, y: a.y + a.height / 2 };
    const from = centre(await box('[data-testid=palette-filter]'));
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(onWire.x - 40, onWire.y - 60, { steps: 8 });
    expect(await page.locator('.react-flow__edge.pw-edge-drop').count()).toBe(0);
    await page.mouse.move(onWire.x, onWire.y + 4, { steps: 8 });
    await poll(() => page.locator('.react-flow__edge.pw-edge-drop').count()).toBe(1);
    expect(await page.getAttribute('.react-flow__edge.pw-edge-drop', 'data-id')).toBe('orders.out->out.in');
    await shot('02-drop-target');
    await page.mouse.up();

    await poll(() => inputsOf('out')).toEqual([{ port: 'in', from: 'filter-1', fromPort: 'out' }]);
    expect(await inputsOf('filter-1')).toEqual([{ port: 'in', from: 'orders', fromPort: 'out' }]);
    expect(await page.locator('.react-flow__edge.pw-edge-drop').count()).toBe(0);
    // The inserted node sits between the two ends, overlapping neither.
    const [src, filter, sink] = await Promise.all(['orders', 'filter-1', 'out'].map((id) => box(`[data-testid=node-${id}]`)));
    expect(filter.x).toBeGreaterThan(src.x + src.width);
    expect(sink.x).toBeGreaterThan(filter.x + filter.width);

    // It is selected: fill in its expression.
    await poll(() => page.inputValue('#pw-field-id')).toBe('filter-1');
    await page.click('#pw-param-where');
    await page.keyboard.insertText('value.amount >= 100');
    // No errors left (the unwired source "other" is a warning).
    await poll(() => page.textContent('[data-testid=problems-list]'), { timeout: 10_000 }).not.toContain('Error');
    expect(await page.textContent('[data-testid=problems-list]')).toContain('PW028');
    expect(await page.locator('[data-testid=tab-problems] .pw-badge.pw-error').count()).toBe(0);
    await shot('03-split-and-valid');
    const after = await asExported('after-split');
    expect(after.validate).toMatch(/valid \(pipeline big-orders, 4 nodes\)/);
    expect(after.failures).toEqual([]);
    // One undo takes the whole insert back.
    await page.click('.react-flow__pane', { position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await poll(() => inputsOf('out')).toEqual([{ port: 'in', from: 'orders', fromPort: 'out' }]);
    await page.keyboard.press('Control+Shift+z');
    await page.keyboard.press('Control+Shift+z');
    await poll(() => inputsOf('out')).toEqual([{ port: 'in', from: 'filter-1', fromPort: 'out' }]);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  test('an unwired node dragged onto a wire goes into it', async () => {
    await page.click('[data-testid=palette-map]');
    await poll(() => page.locator('[data-testid=node-map-1]').count()).toBe(1);
    // Placed clear of every other node.
    const placed = await box('[data-testid=node-map-1]');
    for (const id of ['orders', 'filter-1', 'out', 'other']) {
      const o = await box(`[data-testid=node-${id}]`);
      const apart = placed.x + placed.width <= o.x || o.x + o.width <= placed.x || placed.y + placed.height <= o.y || o.y + o.height <= placed.y;
      expect(apart, `map-1 overlaps ${id}`).toBe(true);
    }
    await page.click('#pw-param-to');
    await page.keyboard.insertText('({ orderId: value.orderId, amount: value.amount })');
    const grip = await box('[data-testid=node-map-1] .pw-node-title');
    const f = await box('[data-testid=node-filter-1]');
    const o = await box('[data-testid=node-out]');
    const onWire = { x: (f.x + f.width + o.x) / 2, y: f.y + f.height / 2 };
    // The node's centre goes onto the wire: the grip is above the centre by this much.
    const node = await box('[data-testid=node-map-1]');
    const dy = node.y + node.height / 2 - (grip.y + grip.height / 2);
    const dx = node.x + node.width / 2 - (grip.x + grip.width / 2);
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2);
    await page.mouse.down();
    await page.mouse.move(onWire.x - dx, onWire.y - dy, { steps: 15 });
    await poll(() => page.locator('.react-flow__edge.pw-edge-drop').count()).toBe(1);
    await shot('04-node-over-wire');
    await page.mouse.up();
    await poll(() => inputsOf('out')).toEqual([{ port: 'in', from: 'map-1', fromPort: 'out' }]);
    expect(await inputsOf('map-1')).toEqual([{ port: 'in', from: 'filter-1', fromPort: 'out' }]);
    await shot('05-node-inserted');
    const after = await asExported('after-node-drag');
    expect(after.validate).toMatch(/valid \(pipeline big-orders, 5 nodes\)/);
    expect(after.failures).toEqual([]);
  }, 180_000);

  test('a second wire into a taken input asks, and "replace the existing wire" replaces it', async () => {
    const out = centre(await box('.react-flow__handle.source[data-nodeid="other"][data-handleid="out"]'));
    const into = centre(await box('.react-flow__handle.target[data-nodeid="filter-1"][data-handleid="in"]'));
    await page.mouse.move(out.x, out.y);
    await page.mouse.down();
    await page.mouse.move(into.x, into.y, { steps: 12 });
    await page.mouse.up();
    await poll(() => page.locator('[data-testid=second-input]').isVisible()).toBe(true);
    expect(await page.textContent('[data-testid=second-input]')).toContain('"filter-1" already reads from "orders". A filter takes one input');
    await shot('06-second-input');
    // Nothing changed yet.
    expect(await inputsOf('filter-1')).toEqual([{ port: 'in', from: 'orders', fromPort: 'out' }]);
    await page.click('[data-testid=replace-wire]');
    await poll(() => inputsOf('filter-1')).toEqual([{ port: 'in', from: 'other', fromPort: 'out' }]);
    await page.keyboard.press('Control+z');
    await poll(() => inputsOf('filter-1')).toEqual([{ port: 'in', from: 'orders', fromPort: 'out' }]);
  }, 180_000);

  test('a selected wire shows its ends and the type of its events', async () => {
    await page.click('.react-flow__pane', { position: { x: 20, y: 20 } });
    await page.evaluate(() => (window as any).__pipewright.store.getState().select([], ['orders.out->filter-1.in']));
    await poll(() => page.locator('[data-testid=edge-inspector]').isVisible()).toBe(true);
    expect(await page.textContent('[data-testid=edge-from]')).toMatch(/orders\s*port\s*out/);
    expect(await page.textContent('[data-testid=edge-to]')).toMatch(/filter-1\s*port\s*in/);
    expect(await page.textContent('[data-testid=edge-type]')).toMatch(/orderId: number;[\s\S]*amount: number;/);
    // Clicking the wire itself selects it too.
    await page.click('.react-flow__pane', { position: { x: 20, y: 20 } });
    await poll(() => page.locator('[data-testid=edge-inspector]').count()).toBe(0);
    const f = centre(await box('.react-flow__handle.source[data-nodeid="map-1"][data-handleid="out"]'));
    const o = centre(await box('.react-flow__handle.target[data-nodeid="out"][data-handleid="in"]'));
    await page.mouse.click((f.x + o.x) / 2, (f.y + o.y) / 2);
    await poll(() => page.locator('[data-testid=edge-inspector]').isVisible()).toBe(true);
    expect(await page.textContent('[data-testid=edge-from]')).toMatch(/map-1/);
    await shot('07-edge-inspector');
  }, 180_000);

  test('shortcuts: ? lists them, Ctrl+A, Ctrl+C, Ctrl+V, Delete, Ctrl+Z, Shift+Ctrl+Z and F work', async () => {
    await page.click('.react-flow__pane', { position: { x: 20, y: 20 } });
    await page.keyboard.press('?');
    await poll(() => page.locator('[data-testid=shortcuts]').isVisible()).toBe(true);
    const help = await page.textContent('[data-testid=shortcuts]');
    for (const k of ['Undo', 'Redo', 'Delete', 'Copy', 'Paste', 'Select every node', 'Fit the pipeline in view']) expect(help).toContain(k);
    await shot('08-shortcuts');
    await page.keyboard.press('Escape');
    await poll(() => page.locator('[data-testid=shortcuts]').count()).toBe(0);

    // Counted in the model: pasted copies may land outside the view, where the canvas does not draw them.
    const count = () => page.evaluate(() => (window as any).__pipewright.store.getState().pipeline.nodes.length as number);
    expect(await count()).toBe(5);
    await page.keyboard.press('Control+a');
    await poll(() => page.locator('.react-flow__node.selected').count()).toBe(5);
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await poll(count).toBe(10);
    // The copies are selected; Delete removes them, Ctrl+Z brings them back, Shift+Ctrl+Z removes them again.
    await poll(() => page.evaluate(() => (window as any).__pipewright.store.getState().selectedNodes.length)).toBe(5);
    await page.keyboard.press('Delete');
    await poll(count).toBe(5);
    await page.keyboard.press('Control+z');
    await poll(count).toBe(10);
    await page.keyboard.press('Control+Shift+z');
    await poll(count).toBe(5);
    // F fits the pipeline into view: zoomed far in and panned away, F brings every node back on screen.
    await page.evaluate(() => (window as any).__pipewright.setViewport(-3000, -3000, 1.5));
    await poll(() => page.locator('[data-testid=node-orders]').isVisible()).toBe(false);
    await page.keyboard.press('f');
    const pane = await box('[data-testid=canvas]');
    for (const id of ['orders', 'filter-1', 'map-1', 'out', 'other']) {
      await poll(async () => {
        const n = await page.locator(`[data-testid=node-${id}]`).boundingBox();
        return !!n && n.x >= pane.x && n.y >= pane.y && n.x + n.width <= pane.x + pane.width && n.y + n.height <= pane.y + pane.height;
      }).toBe(true);
    }
    expect(pageErrors).toEqual([]);
  }, 180_000);

  test('Tab goes through the inspector in the order it is drawn', async () => {
    await page.locator('[data-testid=node-filter-1] .pw-node-title').click();
    await poll(() => page.inputValue('#pw-field-id')).toBe('filter-1');
    await page.focus('#pw-field-id');
    const tops: number[] = [];
    for (let i = 0; i < 8; i++) {
      const at = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el && el.closest('.pw-inspector') ? el.getBoundingClientRect().top : null;
      });
      if (at === null) break;
      tops.push(at);
      await page.keyboard.press('Tab');
    }
    expect(tops.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < tops.length; i++) expect(tops[i]).toBeGreaterThanOrEqual(tops[i - 1]);
  }, 180_000);

  test('the simulator dock resizes and collapses, keeps its size across a reload, and the canvas keeps half the height', async () => {
    await page.click('.react-flow__pane', { position: { x: 20, y: 20 } });
    await page.click('[data-testid=simulate]');
    await poll(() => page.locator('[data-testid=sim-dock]').isVisible()).toBe(true);
    const center = await box('.pw-center');
    const dock = await box('[data-testid=sim-dock]');
    expect((await box('[data-testid=canvas]')).height).toBeGreaterThanOrEqual(center.height / 2 - 1);
    // Drag the dock's top edge up by 40px.
    const edge = await box('[data-testid=splitter-dock]');
    await page.mouse.move(edge.x + 300, edge.y + edge.height / 2);
    await page.mouse.down();
    await page.mouse.move(edge.x + 300, edge.y + edge.height / 2 - 40, { steps: 6 });
    await page.mouse.up();
    await poll(async () => near((await box('[data-testid=sim-dock]')).height, dock.height + 40)).toBe(true);
    await shot('09-dock-resized');
    // Dragging far up stops where the canvas would drop below half the height.
    const edge2 = await box('[data-testid=splitter-dock]');
    await page.mouse.move(edge2.x + 300, edge2.y + 3);
    await page.mouse.down();
    await page.mouse.move(edge2.x + 300, 60, { steps: 6 });
    await page.mouse.up();
    const canvas = await box('[data-testid=canvas]');
    expect(canvas.height).toBeGreaterThanOrEqual(center.height / 2 - 1);
    const tall = (await box('[data-testid=sim-dock]')).height;
    expect(tall).toBeGreaterThanOrEqual(dock.height + 40 - 1.5);
    // It got as tall as the canvas allows: the canvas sits at half the height, within a pixel.
    expect(near(canvas.height, center.height / 2)).toBe(true);
    await shot('10-dock-tallest');
    // With the keyboard: focus the edge, arrow down shrinks it.
    await page.focus('[data-testid=splitter-dock]');
    await page.keyboard.press('ArrowDown');
    await poll(async () => near((await box('[data-testid=sim-dock]')).height, tall - 16)).toBe(true);
    // Collapse to the controls, and back.
    await page.click('[data-testid=sim-collapse]');
    await poll(async () => (await box('[data-testid=sim-dock]')).height).toBeLessThan(120);
    expect(await page.locator('[data-testid=sim-notes]').count()).toBe(0);
    await shot('11-dock-collapsed');
    await page.click('[data-testid=sim-collapse]');
    await poll(async () => near((await box('[data-testid=sim-dock]')).height, tall - 16)).toBe(true);
    // The size is kept for the next visit.
    await page.reload();
    await poll(() => page.locator('.react-flow__node').count()).toBe(5);
    await page.click('[data-testid=simulate]');
    await poll(async () => near((await page.locator('[data-testid=sim-dock]').boundingBox())?.height ?? 0, tall - 16)).toBe(true);
    // The bottom panel resizes the same way.
    await page.click('[data-testid=simulate]');
    if ((await page.getAttribute('[data-testid=bottom-toggle]', 'aria-expanded')) !== 'true') await page.click('[data-testid=bottom-toggle]');
    const bottom = await box('[data-testid=bottom-panel]');
    const bedge = await box('[data-testid=splitter-bottom]');
    await page.mouse.move(bedge.x + 300, bedge.y + bedge.height / 2);
    await page.mouse.down();
    await page.mouse.move(bedge.x + 300, bedge.y + bedge.height / 2 + 50, { steps: 5 });
    await page.mouse.up();
    await poll(async () => near((await box('[data-testid=bottom-panel]')).height, bottom.height - 50)).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  test('the code preview: highlighted, with copy and download', async () => {
    await page.click('[data-testid=tab-code]');
    await page.click('[data-path="src/pipeline.ts"]');
    await poll(() => page.textContent('[data-testid=preview-code]'), { timeout: 15_000 }).toContain('value.amount >= 100');
    // Highlighted: keywords and strings are coloured spans, not plain text.
    expect(await page.locator('[data-testid=preview-code] .cm-line span').count()).toBeGreaterThan(10);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.click('[data-testid=preview-copy]');
    await poll(() => page.evaluate(() => navigator.clipboard.readText())).toContain('value.amount >= 100');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=preview-download]')]);
    expect(dl.suggestedFilename()).toBe('pipeline.ts');
    await shot('12-code-preview');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
