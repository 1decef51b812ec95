/**
 * The designer end to end, in Debian's Chromium against the built app: draw
 * a pipeline from an empty canvas, fill it in, watch validation and the code
 * preview, export, and check the exported zip is byte for byte what the CLI
 * makes of the exported YAML. Then undo/redo, autosave across a reload, and
 * an invalid file that must change nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, REPO, type OpenDesigner } from './harness.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'designer');

let ui: OpenDesigner;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const yamlNow = () => page.evaluate(() => (window as unknown as { __pipewright: { yaml(): string } }).__pipewright.yaml());
const nodeCount = () => page.locator('.react-flow__node').count();
const handle = (node: string, port: string, type: 'source' | 'target') =>
  page.locator(`.react-flow__handle.${type}[data-nodeid="${node}"][data-handleid="${port}"]`);

async function dragFromPalette(kind: string, x: number, y: number): Promise<void> {
  await page.dragAndDrop(`[data-testid=palette-${kind}]`, '[data-testid=canvas]', { targetPosition: { x, y } });
}

async function wire(from: string, to: string, fromPort = 'out', toPort = 'in'): Promise<void> {
  const a = (await handle(from, fromPort, 'source').boundingBox())!;
  const b = (await handle(to, toPort, 'target').boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}

async function selectNode(id: string): Promise<void> {
  await page.locator(`[data-testid=node-${id}] .pw-node-title`).click();
  await expect.poll(() => page.inputValue('#pw-field-id')).toBe(id);
}

async function download(button: string, saveAs: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button, exact: true }).click()]);
  const path = join(ARTIFACTS, saveAs);
  await dl.saveAs(path);
  return path;
}

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'designer',
    context: { viewport: { width: 1280, height: 800 }, acceptDownloads: true, colorScheme: 'light' },
  });
  ({ context, page, pageErrors } = ui);
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('designer', () => {
  test('draws a pipeline from the palette, validates it, previews the code and exports what the CLI exports', async () => {
    await expect.poll(() => page.locator('[data-testid=empty-state]').isVisible()).toBe(true);
    await expect.poll(() => page.textContent('[data-testid=empty-state]')).toContain('Drag a source here or open an example');
    await shot('01-empty');

    // Drag four kinds onto the canvas, in two rows.
    await dragFromPalette('kafka-source', 150, 90);
    await dragFromPalette('filter', 450, 90);
    await dragFromPalette('map', 150, 270);
    await dragFromPalette('kafka-sink', 450, 270);
    await expect.poll(nodeCount).toBe(4);
    for (const id of ['kafka-source-1', 'filter-1', 'map-1', 'kafka-sink-1']) await expect.poll(() => page.locator(`[data-testid=node-${id}]`).count()).toBe(1);
    await shot('02-dropped');

    await wire('kafka-source-1', 'filter-1');
    await wire('filter-1', 'map-1');
    await wire('map-1', 'kafka-sink-1');
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);

    // A wire the model rejects is refused with the reason: here, a cycle.
    await wire('map-1', 'filter-1');
    await expect.poll(() => page.locator('[data-testid=toast]').allTextContents()).toContainEqual(expect.stringContaining('cycle'));
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);
    await shot('03-wired-cycle-refused');

    // So is a wire into a source: it has no input.
    const out = (await handle('filter-1', 'out', 'source').boundingBox())!;
    const src = (await page.locator('[data-testid=node-kafka-source-1] .pw-node-title').boundingBox())!;
    await page.mouse.move(out.x + out.width / 2, out.y + out.height / 2);
    await page.mouse.down();
    await page.mouse.move(src.x + src.width / 2, src.y + src.height / 2, { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => page.locator('[data-testid=toast]').allTextContents()).toContainEqual(expect.stringContaining('is a source and takes no input'));
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);

    // Inspector: topics, sample events, expressions.
    await selectNode('kafka-source-1');
    await page.fill('#pw-param-topic', 'orders');
    await page.fill(
      '#pw-field-samples',
      '[{ "key": "c1", "value": { "amount": 250, "customer": "c1" } }, { "key": "c2", "value": { "amount": 20, "customer": "c2" } }]',
    );

    await selectNode('filter-1');
    await page.click('#pw-param-where');
    await page.keyboard.type('value.');
    // Completion offers the fields of the source's sample events.
    await expect.poll(() => page.locator('.cm-tooltip-autocomplete').textContent()).toContain('amount');
    await shot('04-expression-completion');
    await page.keyboard.type('amount > 100');
    await page.keyboard.press('Escape');

    await selectNode('map-1');
    await page.click('#pw-param-to');
    await page.keyboard.insertText('({ customer: value.customer, total: value.amount * 2 })');

    await selectNode('kafka-sink-1');
    await page.fill('#pw-param-topic', 'big-orders');

    // Problems go away once everything is filled in.
    await expect.poll(() => page.locator('[data-testid=problems-empty]').isVisible(), { timeout: 10_000 }).toBe(true);
    await shot('05-no-problems');

    // The preview shows the generated code with the expression in it.
    await page.click('[data-testid=tab-code]');
    await page.click('[data-path="src/pipeline.ts"]');
    await expect.poll(() => page.textContent('[data-testid=preview-code]'), { timeout: 10_000 }).toContain('value.amount > 100');
    expect(await page.textContent('[data-testid=preview-code]')).toContain('value.amount * 2');
    await shot('06-code-preview');

    const yamlPath = await download('Export YAML', 'exported.yaml');
    const zipPath = await download('Export zip', 'designer.zip');
    const yaml = readFileSync(yamlPath, 'utf8');
    expect(yaml).toContain('where: value.amount > 100');
    expect(yaml).toMatch(/position:\n\s+x: -?\d+\n\s+y: -?\d+/);

    const cliZip = join(ARTIFACTS, 'cli.zip');
    try {
      execFileSync(process.execPath, [join(REPO, 'bin', 'pipewright.mjs'), 'generate', yamlPath, '--zip', cliZip], { cwd: REPO, stdio: 'pipe' });
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`pipewright generate failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`, { cause: e });
    }
    const fromDesigner = readFileSync(zipPath);
    const fromCli = readFileSync(cliZip);
    expect(fromDesigner.length).toBeGreaterThan(1000);
    expect(Buffer.compare(fromDesigner, fromCli)).toBe(0);
  }, 120_000);

  test('undo and redo every edit, from the keyboard and the toolbar', async () => {
    await page.click('[data-testid=tab-problems]');
    const before = await yamlNow();
    await selectNode('map-1');
    await page.locator('[data-testid=node-map-1]').focus();
    await page.keyboard.press('Delete');
    await expect.poll(nodeCount).toBe(3);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(1);
    await shot('07-deleted');

    await page.keyboard.press('Control+z');
    await expect.poll(nodeCount).toBe(4);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);
    expect(await yamlNow()).toBe(before);

    await page.keyboard.press('Control+Shift+z');
    await expect.poll(nodeCount).toBe(3);
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await expect.poll(nodeCount).toBe(4);
    expect(await yamlNow()).toBe(before);

    // A parameter edit is one undo step too.
    await selectNode('kafka-sink-1');
    await page.fill('#pw-param-topic', 'other-topic');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+z');
    await expect.poll(yamlNow).toBe(before);
    await page.getByRole('button', { name: 'Redo', exact: true }).click();
    await expect.poll(yamlNow).toContain('topic: other-topic');
    await page.keyboard.press('Control+z');
    await expect.poll(yamlNow).toBe(before);

    // Copy and paste gives new ids; undo takes the paste back.
    await selectNode('filter-1');
    await page.locator('[data-testid=node-filter-1]').focus();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(() => page.locator('[data-testid=node-filter-2]').count()).toBe(1);
    await page.keyboard.press('Control+z');
    // Counted in the model: the view followed the pasted node, and the canvas draws only what is in view.
    await expect.poll(() => page.evaluate(() => (window as any).__pipewright.store.getState().pipeline.nodes.length)).toBe(4);

    // Auto-layout moves nodes (left to right along the wires) as one undo step.
    await page.getByRole('button', { name: 'Auto-layout', exact: true }).click();
    // The first layout loads ELK, which takes a while on a busy machine.
    await expect.poll(yamlNow, { timeout: 20_000 }).not.toBe(before);
    const xs = await page.evaluate(() =>
      Object.fromEntries(
        (
          window as unknown as { __pipewright: { store: { getState(): { pipeline: { nodes: { id: string; position: { x: number } }[] } } } } }
        ).__pipewright.store
          .getState()
          .pipeline.nodes.map((n) => [n.id, n.position.x]),
      ),
    );
    expect(xs['kafka-source-1']).toBeLessThan(xs['filter-1']);
    expect(xs['filter-1']).toBeLessThan(xs['map-1']);
    expect(xs['map-1']).toBeLessThan(xs['kafka-sink-1']);
    await shot('07b-auto-layout');
    await page.keyboard.press('Control+z');
    await expect.poll(yamlNow).toBe(before);
  }, 60_000);

  test('a reload restores the autosaved pipeline', async () => {
    const before = await yamlNow();
    await page.waitForTimeout(800); // autosave is debounced
    await page.reload();
    await expect.poll(nodeCount).toBe(4);
    expect(await yamlNow()).toBe(before);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);
    await shot('08-restored');
  }, 60_000);

  test('an invalid YAML file is refused with line:column and the canvas is unchanged', async () => {
    const before = await yamlNow();
    await page.setInputFiles('[data-testid=open-yaml-input]', {
      name: 'broken.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from('version: 1\npipeline: broken\nnodes:\n  - id: a\n    kind: [unclosed\n'),
    });
    const dialog = page.locator('[data-testid=open-failed]');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('Could not open broken.yaml');
    expect(text).toMatch(/broken\.yaml:\d+:\d+/);
    await shot('09-invalid-refused');
    await dialog.getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await yamlNow()).toBe(before);
    expect(await nodeCount()).toBe(4);

    // A file that is YAML but not the shape of a pipeline is refused too: opening it would drop what the model cannot hold.
    await page.setInputFiles('[data-testid=open-yaml-input]', {
      name: 'wrong-shape.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from('version: 1\npipeline: demo\nnodes:\n  - id: a\n    kind: kafka-source\n    topic: t\n    position: left\n'),
    });
    await expect.poll(() => dialog.count()).toBe(1);
    expect(await dialog.textContent()).toMatch(/wrong-shape\.yaml:7:\d+/);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await yamlNow()).toBe(before);

    // The exported YAML opens again as the same pipeline, positions included.
    await page.setInputFiles('[data-testid=open-yaml-input]', join(ARTIFACTS, 'exported.yaml'));
    await expect.poll(() => page.locator('[data-testid=toast]').allTextContents()).toContainEqual(expect.stringContaining('Opened exported.yaml'));
    expect(await yamlNow()).toBe(readFileSync(join(ARTIFACTS, 'exported.yaml'), 'utf8'));
  }, 60_000);

  test('a share link carries the pipeline to a fresh browser', async () => {
    const yaml = await yamlNow();
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.getByRole('button', { name: 'Share link', exact: true }).click();
    // The link is copied once the check says the pipeline has no errors.
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), { timeout: 30_000 }).toMatch(/#p=[A-Za-z0-9_-]+$/);
    const url = await page.evaluate(() => navigator.clipboard.readText());
    const other = await ui.browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    const fresh = await other.newPage();
    await fresh.goto(url);
    await expect.poll(() => fresh.locator('.react-flow__node').count()).toBe(4);
    expect(await fresh.evaluate(() => (window as unknown as { __pipewright: { yaml(): string } }).__pipewright.yaml())).toBe(yaml);
    expect(fresh.url()).not.toContain('#p=');
    await fresh.screenshot({ path: join(ARTIFACTS, '10-shared-dark.png') });
    await other.close();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
