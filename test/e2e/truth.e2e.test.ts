/**
 * The designer tells the truth, in Chromium: open the hourly-orders example,
 * change the window's sum to `value.unitz` (the field is `units`), and the
 * TypeScript error `pipewright validate` reports (PW034, "Did you mean
 * 'units'?") shows in the Problems panel, as the node's badge and on the
 * inspector's Sum field; Export zip then asks first, and its default action
 * shows the problems. Fixing the typo clears all three and export proceeds.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, REPO, type OpenDesigner } from './harness.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'truth');

let ui: OpenDesigner;
let page: Page;
let pageErrors: string[] = [];
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'truth',
    context: { viewport: { width: 1440, height: 900 }, acceptDownloads: true },
  });
  ({ page, pageErrors } = ui);
}, 300_000);

afterAll(async () => {
  await ui?.close();
});

describe('the designer reports what pipewright validate reports', () => {
  test('a typo in the window sum is PW034 on the panel, the node and the field; export asks first', async () => {
    await page.getByRole('button', { name: 'Examples', exact: true }).click();
    await page.click('[data-testid=example-hourly-orders]');
    await expect.poll(() => page.locator('.react-flow__node').count(), { timeout: 30_000 }).toBe(4);
    await page.click('[data-testid=tab-problems]');
    // The first check starts the worker and its compiler: give a cold machine time.
    await expect.poll(() => page.locator('[data-testid=problems-empty]').isVisible(), { timeout: 60_000 }).toBe(true);

    await page.locator('[data-testid=node-hourly] .pw-node-title').click();
    await expect.poll(() => page.inputValue('#pw-field-id')).toBe('hourly');
    await page.click('#pw-param-sum');
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('z');

    // The panel: the CLI's code, node, message and hint.
    const problem = page.locator('[data-testid=problems-list] .pw-problem').first();
    await expect.poll(() => problem.textContent(), { timeout: 30_000 }).toContain('PW034');
    const text = (await problem.textContent())!;
    expect(text).toContain('hourly');
    expect(text).toContain("Property 'unitz' does not exist");
    expect(text).toContain("Did you mean 'units'?");
    // The node's badge.
    await expect.poll(() => page.locator('[data-testid=node-hourly]').getAttribute('data-issue')).toBe('error');
    await expect.poll(() => page.locator('[data-testid=node-hourly] .pw-node-issue').count()).toBe(1);
    // The inspector's Sum field, and no other.
    await expect.poll(() => page.locator('#pw-param-sum-msg').textContent()).toContain("Did you mean 'units'?");
    expect(await page.locator('[data-testid=expr-pw-param-sum]').getAttribute('class')).toContain('is-invalid');
    expect(await page.locator('[data-testid=expr-pw-param-time]').getAttribute('class')).not.toContain('is-invalid');
    await shot('01-unitz');

    // Export asks first; Enter takes the default, which shows the problems.
    await page.getByRole('button', { name: 'Export zip', exact: true }).click();
    const dialog = page.locator('[data-testid=export-anyway]');
    await expect.poll(() => dialog.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.locator('[data-testid=export-anyway-text]').textContent()).toBe('1 problem: the exported repo will not build. Export anyway?');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('export-anyway-show');
    await shot('02-export-asks');
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.locator('[data-testid=tab-problems]').getAttribute('aria-selected')).toBe('true');

    // Share link asks too.
    await page.getByRole('button', { name: 'Share link', exact: true }).click();
    await expect.poll(() => dialog.isVisible(), { timeout: 30_000 }).toBe(true);
    await page.keyboard.press('Escape');

    // Fixing the typo clears the panel, the badge and the field; export downloads without asking.
    await page.click('#pw-param-sum');
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('s');
    await expect.poll(() => page.locator('[data-testid=problems-empty]').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.locator('[data-testid=node-hourly]').getAttribute('data-issue')).toBeNull();
    expect(await page.locator('#pw-param-sum-msg').count()).toBe(0);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByRole('button', { name: 'Export zip', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('hourly-orders.zip');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
