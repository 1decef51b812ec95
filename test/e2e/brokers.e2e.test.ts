/**
 * Brokers in the simulator, end to end in Chromium against the built app:
 * turn three brokers on, kill the leader of a partition and see an in-sync
 * follower take over, the broker marked down and the note saying so; then
 * restart it. Screenshots go to test-artifacts/brokers/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, REPO, type OpenDesigner } from './harness.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'brokers');

let ui: OpenDesigner;
let page: Page;
let pageErrors: string[] = [];

// The machine may be busy with other builds: be patient, the assertions stay exact.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 45_000, interval: 200 });
const text = async (testId: string) => (await page.textContent(`[data-testid="${testId}"]`))?.trim() ?? '';

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'brokers',
    context: { viewport: { width: 1440, height: 900 }, colorScheme: 'light' },
  });
  ({ page, pageErrors } = ui);
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('brokers in the simulator', () => {
  test('killing the leader of a partition makes an in-sync follower the new leader', async () => {
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=example-large-orders]');
    await poll(() => page.locator('.react-flow__node').count()).toBe(4);
    await page.click('[data-testid=simulate]');
    await poll(() => page.locator('[data-testid=sim-dock]').isVisible()).toBe(true);

    await page.click('[data-testid=sim-tab-brokers]');
    await page.click('[data-testid=sim-cluster-on]');
    await poll(() => page.locator('.pw-sim-broker').count()).toBe(3);
    await page.click('[data-testid=sim-step]');
    await page.click('[data-testid=sim-step]');
    await poll(() => text('sim-isr-orders-0')).toBe('1, 2, 3');
    const leader = await text('sim-leader-orders-0');
    expect(leader).toBe('1');

    await page.click(`[data-testid=sim-broker-kill-${leader}]`);
    await poll(() => page.getAttribute(`[data-testid=sim-broker-${leader}]`, 'data-up')).toBe('false');
    await poll(() => text('sim-leader-orders-0')).toBe('2');
    expect(await text('sim-isr-orders-0')).toBe('2, 3');
    // Broker 1 led two partitions; the notes fold the leader changes into one line showing the latest.
    const said = /broker 1 died: partition orders-(\d) lost its leader; broker (\d) \(in sync\) is the new leader/;
    await poll(() => text('sim-notes')).toMatch(said);
    const [, partition, next] = said.exec(await text('sim-notes'))!;
    expect(await text(`sim-leader-orders-${partition}`)).toBe(next);
    expect(await text('sim-notes')).toContain('Broker 1 died. It led 2 partitions');
    await page.screenshot({ path: join(ARTIFACTS, '01-leader-failed-over.png') });

    await page.click(`[data-testid=sim-broker-restart-${leader}]`);
    await poll(() => page.getAttribute(`[data-testid=sim-broker-${leader}]`, 'data-up')).toBe('true');
    await page.click('[data-testid=sim-step]');
    await poll(() => text('sim-isr-orders-0')).toBe('1, 2, 3');
    expect(await text('sim-cluster-lost')).toBe('0');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
