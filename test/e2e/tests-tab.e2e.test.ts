/**
 * The pipeline's tests in the designer, end to end in Debian's Chromium
 * against the built app: open an example and see its tests pass in the
 * Tests tab; simulate, record a test from the simulator, run it and see it
 * pass; export, and the exported repository (byte for byte the CLI's zip)
 * builds and passes its own `npm test`. Then break the filter: the tests
 * fail with a diff, key by key, the Problems panel names the test and the
 * sink, Export zip asks first, and the exported repository's `npm test`
 * fails the same tests.
 * Screenshots go to test-artifacts/tests-tab/.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { mustRun, run } from '../integration/process.js';
import { openDesigner, REPO, type OpenDesigner } from './harness.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'tests-tab');

let ui: OpenDesigner;
let page: Page;
let pageErrors: string[] = [];

// The machine may be busy with other builds: be patient, the assertions stay exact.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 150_000, interval: 250 });
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const statuses = () => page.$$eval('[data-testid^=test-row-]', (els) => els.map((e) => e.getAttribute('data-status')));

async function download(button: string, saveAs: string, confirm?: string): Promise<string> {
  const click = async () => {
    await page.getByRole('button', { name: button, exact: true }).click();
    if (!confirm) return;
    // A pipeline whose tests fail asks first; the default shows the problems, so confirm on purpose.
    await poll(() => page.textContent('[data-testid=export-anyway-text]')).toBe(confirm);
    await page.click('[data-testid=export-anyway-confirm]');
  };
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(ARTIFACTS, saveAs);
  await dl.saveAs(path);
  return path;
}

/** Export YAML and zip; the zip must be the CLI's; unpacked, `npm run build` and `npm test` run in it. */
async function exportAndTest(name: string, confirm?: string): Promise<{ code: number | null; failed: string[]; output: string }> {
  const yaml = await download('Export YAML', `${name}.yaml`);
  const zip = await download('Export zip', `${name}.zip`, confirm);
  const cliZip = join(ARTIFACTS, `${name}-cli.zip`);
  await mustRun(process.execPath, [join(REPO, 'bin', 'pipewright.mjs'), 'generate', yaml, '--zip', cliZip], { cwd: REPO, timeoutMs: 300_000 });
  expect(Buffer.compare(readFileSync(zip), readFileSync(cliZip))).toBe(0);
  const repo = join(ARTIFACTS, name);
  for (const [path, bytes] of Object.entries(unzipSync(readFileSync(zip)))) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), bytes);
  }
  // The generated package.json pins what this repository has installed.
  symlinkSync(join(REPO, 'node_modules'), join(repo, 'node_modules'), 'dir');
  await mustRun('npm', ['run', 'build'], { cwd: repo, timeoutMs: 400_000 });
  const r = await run('npm', ['test'], { cwd: repo, timeoutMs: 400_000 });
  return { code: r.code, failed: [...r.output.matchAll(/^not ok \d+ - (.*)$/gm)].map((m) => m[1]), output: r.output };
}

beforeAll(async () => {
  // A busy machine starves the renderer now and then; waits are long, the assertions exact.
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'tests-tab',
    context: { viewport: { width: 1440, height: 900 }, acceptDownloads: true, colorScheme: 'light' },
    defaultTimeoutMs: 120_000,
  });
  ({ page, pageErrors } = ui);
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('tests tab', () => {
  test('records a test from the simulator, runs it and sees it pass; a broken filter fails it with a diff, in the designer as in the exported repo', async () => {
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=example-large-orders]');
    await poll(() => page.locator('.react-flow__node').count()).toBe(4);

    // The example's own two tests, run in the worker: both pass.
    await page.click('[data-testid=tab-tests]');
    await poll(statuses).toEqual(['passed', 'passed']);
    await poll(() => page.textContent('[data-testid=tests-summary]')).toBe('2 passed, 0 failed');
    await shot('01-example-tests-pass');

    // Simulate a few ticks, paused, and record what the sources fed.
    await page.click('[data-testid=simulate]');
    await poll(() => page.locator('[data-testid=sim-dock]').isVisible()).toBe(true);
    if (await page.locator('[data-testid=sim-pause]').isVisible()) await page.click('[data-testid=sim-pause]');
    await poll(() => page.locator('[data-testid=sim-play]').isVisible()).toBe(true);
    for (let i = 0; i < 2; i++) await page.click('[data-testid=sim-step]');
    await poll(async () => Number(await page.textContent('[data-testid=sim-produced]'))).toBeGreaterThan(0);
    await page.click('[data-testid=tab-tests]');
    await page.click('[data-testid=tests-record]');
    await poll(() => page.locator('[data-testid^=test-row-]').count()).toBe(3);
    expect(await page.textContent('[data-testid=test-row-2] .pw-test-name')).toMatch(/^recorded at tick \d+$/);
    const recorded = JSON.parse(await page.inputValue('[data-testid=pw-test-2-expect-large-orders]')) as { key: string; value: { total: number } }[];
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.every((e) => e.key === 'c-1' && e.value.total > 100)).toBe(true);
    await page.click('[data-testid=tests-run]');
    await poll(statuses).toEqual(['passed', 'passed', 'passed']);
    await poll(() => page.textContent('[data-testid=tests-summary]')).toBe('3 passed, 0 failed');
    await shot('02-recorded-test-passes');

    const green = await exportAndTest('recorded');
    expect(green.failed).toEqual([]);
    expect(green.code, green.output.slice(-3000)).toBe(0);
    expect(green.output).toMatch(/^ok \d+ - recorded at tick \d+$/m);

    // Break the filter: orders of 40 now pass. The first example test and the recorded one fail.
    await page.click('[data-testid=sim-close]').catch(() => undefined);
    await page.locator('[data-testid=node-large] .pw-node-title').click();
    await poll(() => page.inputValue('#pw-field-id')).toBe('large');
    await page.click('#pw-param-where');
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText('value.amount >= 10');
    await page.keyboard.press('Escape');
    await page.click('[data-testid=tab-tests]');
    await poll(statuses).toEqual(['failed', 'passed', 'failed']);
    await poll(() => page.textContent('[data-testid=tests-summary]')).toBe('1 passed, 2 failed');
    await poll(() => page.textContent('[data-testid=tab-tests]')).toContain('2');

    // The recorded test is open, with its differences; open the first one: sink, key, expected nothing, actual the c-2 order.
    await poll(() => page.locator('[data-testid=test-diff-2]').isVisible()).toBe(true);
    await page.click('[data-testid=test-row-0] .pw-test-name');
    const diff = page.locator('[data-testid=test-diff-0]');
    await poll(() => diff.isVisible()).toBe(true);
    const row = diff.locator('tbody tr').first();
    expect(await row.locator('td').nth(0).textContent()).toBe('large-orders');
    expect(await row.locator('td').nth(1).textContent()).toBe('c-2');
    expect(await row.locator('td').nth(2).textContent()).toBe('nothing');
    expect(await row.locator('td').nth(3).textContent()).toContain('"amount": 40');
    await shot('03-broken-filter-diff');

    // The Problems panel says which test fails on which sink.
    await page.click('[data-testid=tab-problems]');
    const problems = await page.locator('[data-testid=problems-list] .pw-problem-msg').allTextContents();
    expect(problems).toContain(
      'Test "orders of 100 or more pass with their total" fails: sink "large-orders" got, for key "c-2", 1 event where the test expects 0.',
    );
    expect(problems.filter((m) => m.startsWith('Test "recorded at tick'))).toHaveLength(1);
    await shot('04-problems-name-test-and-sink');

    // The exported repository fails the same tests.
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    const red = await exportAndTest('broken', "2 problems: the pipeline's own tests fail, and so will the exported repo's npm test. Export anyway?");
    expect(red.code).not.toBe(0);
    expect(red.failed).toEqual(['orders of 100 or more pass with their total', expect.stringMatching(/^recorded at tick \d+$/)]);
    expect(pageErrors).toEqual([]);
  }, 1_500_000);
});
