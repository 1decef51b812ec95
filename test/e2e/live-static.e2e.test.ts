/**
 * Without `?token=` the designer stays the static site: in Chromium against the built app (served
 * by `vite preview`, no dev server), opening it, opening an example and selecting its Kafka source
 * sends no request to /api, and nothing of live mode shows (no Live dock, no "Sample from topic").
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, type OpenDesigner } from './harness.js';

let ui: OpenDesigner;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  ui = await openDesigner({ buildId: inject('designerBuildId'), artifacts: 'live-static', context: { viewport: { width: 1280, height: 800 } } });
  ({ page, pageErrors } = ui);
}, 300_000);

afterAll(async () => {
  await ui?.close();
});

describe('the static designer', () => {
  test('makes no request to a server and shows nothing of live mode', async () => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    // Load again with the listener in place, so the page's start-up requests are seen too.
    await page.goto(ui.served.url);
    await page.getByRole('button', { name: 'Examples', exact: true }).click();
    await page.click('[data-testid=example-large-orders]');
    await expect.poll(() => page.locator('.react-flow__node').count(), { timeout: 30_000 }).toBe(4);
    await page.click('.react-flow__node[data-id=orders]');
    await expect.poll(() => page.locator('[data-testid=inspector]').isVisible(), { timeout: 30_000 }).toBe(true);
    // The check worker has answered: the page is fully started.
    await expect.poll(() => page.locator('[data-testid=tab-problems]').textContent(), { timeout: 30_000 }).toMatch(/Problems/);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((p) => p.startsWith('/api'))).toEqual([]);
    expect(await page.locator('[data-testid=live-dock]').count()).toBe(0);
    expect(await page.locator('[data-testid=live-sample]').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
