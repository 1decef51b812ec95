/**
 * The simulator end to end, in Debian's Chromium against the built app:
 * open an example, simulate it in the worker, see counts rise on the canvas,
 * add a replica and see the assignment change, kill one and see the
 * rebalance and the replay count, pause and step one event at a time.
 * Screenshots go to test-artifacts/simulator/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, REPO, type OpenDesigner } from './harness.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'simulator');

let ui: OpenDesigner;
let page: Page;
let pageErrors: string[] = [];

// The machine may be busy with other builds: be patient, the assertions stay exact.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 45_000, interval: 200 });
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const num = async (testId: string) => Number((await page.textContent(`[data-testid=${testId}]`))?.trim());
const nodeIn = async (id: string) => Number(/in (\d+)/.exec((await page.textContent(`[data-testid=sim-node-${id}-in]`)) ?? '')?.[1] ?? NaN);
const assignments = () =>
  page.$$eval('[data-testid^=sim-member-]', (els) =>
    els.map((e) => `${e.getAttribute('data-testid')!.slice('sim-member-'.length)}=${e.getAttribute('data-assigned')}`),
  );

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'simulator',
    context: { viewport: { width: 1440, height: 900 }, colorScheme: 'light' },
  });
  ({ page, pageErrors } = ui);
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('simulator', () => {
  test('simulates an example: counts rise, replicas rebalance, a crash replays, pause and step', async () => {
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=example-large-orders]');
    await poll(() => page.locator('.react-flow__node').count()).toBe(4);

    await page.click('[data-testid=simulate]');
    await poll(() => page.locator('[data-testid=sim-dock]').isVisible()).toBe(true);
    // It opens paused on its first tick, saying so, with Play in view.
    await poll(() => num('sim-tick')).toBe(1);
    await poll(() => page.locator('[data-testid=sim-paused-hint]').isVisible()).toBe(true);
    await page.waitForTimeout(400);
    expect(await num('sim-tick')).toBe(1);
    await page.click('[data-testid=sim-play]');
    // The worker plays: counts rise on the nodes and on the edges.
    await poll(() => num('sim-tick')).toBeGreaterThan(5);
    await poll(() => nodeIn('orders')).toBeGreaterThan(10);
    const edge = page.locator('[data-testid="sim-edge-large.out->with-tax.in"]');
    await poll(() => edge.textContent()).toMatch(/^[1-9]\d* · [\d.]+\/s$/);
    const first = await nodeIn('orders');
    await page.waitForTimeout(600);
    expect(await nodeIn('orders')).toBeGreaterThan(first);
    await shot('01-running');

    // One replica owns all six partitions; a second one takes half of them.
    expect(await assignments()).toEqual(['replica-001=orders[0],orders[1],orders[2],orders[3],orders[4],orders[5]']);
    const generation = await num('sim-generation');
    await page.click('[data-testid=sim-add-replica]');
    await poll(assignments).toEqual(['replica-001=orders[0],orders[2],orders[4]', 'replica-002=orders[1],orders[3],orders[5]']);
    expect(await num('sim-generation')).toBe(generation + 1);
    await poll(() => page.textContent('[data-testid=sim-notes]')).toContain('replica-002 joined the group');
    await shot('02-two-replicas');

    // Seven members for six partitions: one is idle.
    for (let i = 0; i < 5; i++) await page.click('[data-testid=sim-add-replica]');
    await poll(() => page.locator('.pw-sim-member.is-idle').count()).toBe(1);
    await poll(() => page.textContent('[data-testid=sim-member-replica-007]')).toContain('idle');
    await shot('03-idle-member');
    for (let i = 0; i < 4; i++) await page.click('[data-testid=sim-remove-replica]');
    await poll(() => page.locator('.pw-sim-member').count()).toBe(3);

    // Slow the replicas' capacity relative to the rate so a batch is always in flight, then crash one.
    await page.fill('[data-testid=sim-rate]', '40');
    await page.waitForTimeout(800);
    const before = await assignments();
    // The samples' keys (c-1, c-2) hash to partitions 4 and 5; replica-002 owns partition 4 of three members.
    expect(await assignments()).toContain('replica-002=orders[1],orders[4]');
    await page.click('[data-testid=sim-kill-replica-002]');
    await poll(() => page.locator('.pw-sim-member').count()).toBe(2);
    await poll(assignments).not.toEqual(before);
    expect((await assignments()).join(' ')).not.toContain('replica-002');
    await poll(() => page.textContent('[data-testid=sim-notes]')).toContain('replica-002 crashed');
    await poll(() => num('sim-replayed')).toBeGreaterThan(0);
    await poll(() => page.textContent('[data-testid=sim-notes]')).toContain('a second time');
    await shot('04-killed-replayed');

    // Full speed in the worker; the page still answers, and Pause stops it.
    await page.selectOption('[data-testid=sim-speed]', '0');
    const slow = await num('sim-tick');
    await poll(() => num('sim-tick')).toBeGreaterThan(slow + 100);
    await shot('04b-full-speed');

    // Pause: the tick stops. Step one event: exactly one more event enters the graph.
    await page.click('[data-testid=sim-pause]');
    await poll(() => page.locator('[data-testid=sim-play]').isVisible()).toBe(true);
    const pausedTick = await num('sim-tick');
    await page.waitForTimeout(500);
    expect(await num('sim-tick')).toBe(pausedTick);
    const produced = await num('sim-produced');
    await page.click('[data-testid=sim-step-one]');
    await poll(() => num('sim-produced')).toBe(produced + 1);
    expect(await num('sim-tick')).toBe(pausedTick + 1);
    await page.click('[data-testid=sim-step]');
    await poll(() => num('sim-tick')).toBe(pausedTick + 2);
    expect(await num('sim-produced')).toBe(produced + 1 + 40);

    // The selected edge's last events: key, partition, offset, value.
    await page.click('[data-testid=sim-tab-edge]');
    await page.locator('.react-flow__edge').nth(1).click({ force: true });
    await poll(() => page.locator('[data-testid=sim-edge-events] tbody tr').count()).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=sim-edge-events]')).toMatch(/c-\d/);
    await shot('05-edge-events');

    // Topics: lanes with log-end offsets and the key → partition map.
    await page.click('[data-testid=sim-tab-topics]');
    await poll(() => page.locator('[data-testid^=sim-lane-orders-]').count()).toBe(6);
    expect(await page.textContent('[data-testid=sim-keys-orders]')).toMatch(/c-1 → p\d/);
    await shot('06-topics');

    await page.click('[data-testid=sim-tab-tour]');
    await poll(() => page.textContent('[data-testid=sim-tour]')).toContain('Keys pick partitions');
    await page.click('[data-testid=sim-tab-group]');
    await poll(() => page.locator('[data-testid=sim-lag-chart] polyline').count()).toBe(6);
    await shot('07-group');

    // Reset with the same seed starts again from tick 0.
    await page.click('[data-testid=sim-reset]');
    await poll(() => num('sim-tick')).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 400_000);

  test('shows windows: watermarks, open windows per key, windows closing with their results', async () => {
    await page.click('[data-testid=sim-close]');
    await poll(() => page.locator('[data-testid=sim-dock]').count()).toBe(0);
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=example-hourly-orders]');
    await poll(() => page.locator('[data-testid=node-hourly]').count()).toBe(1);
    await page.click('[data-testid=simulate]');
    // One loop of the three samples a tick (the first test left the rate at 40), from tick 0.
    await page.fill('[data-testid=sim-rate]', '3');
    await page.click('[data-testid=sim-reset]');
    await page.selectOption('[data-testid=sim-speed]', '30');
    if (await page.locator('[data-testid=sim-play]').isVisible()) await page.click('[data-testid=sim-play]');
    await page.click('[data-testid=sim-tab-time]');
    await poll(() => num('sim-window-hourly-open')).toBeGreaterThan(0);
    await poll(() => num('sim-window-hourly-closed')).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=sim-window-hourly]')).toMatch(/watermark:.*p\d \d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(await page.textContent('[data-testid=sim-window-hourly]')).toMatch(
      /"windowStart":"\d{4}-\d\d-\d\dT\d\d:00:00.000Z","windowEnd":"[^"]+","count":\d+,"sum":\d+/,
    );
    await poll(() => page.textContent('[data-testid=sim-notes]')).toContain('window');
    await shot('08-windows');
    await page.click('[data-testid=sim-tab-topics]');
    await poll(() => page.locator('[data-testid=sim-topic-hourly-orders\\.by-product\\.repartition]').count()).toBe(1);
    await shot('09-repartition-topics');
    expect(pageErrors).toEqual([]);
  }, 200_000);
});
