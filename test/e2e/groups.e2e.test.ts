/**
 * Other groups in the simulator, in Debian's Chromium against the built app:
 * add an "analytics" consumer group beside the pipeline's own, see its lag
 * and its committed offsets marked on the topic lanes, kill one of its
 * members and see the pipeline's group untouched; then a consumer group, a
 * share group and a queue side by side, and a share group member's death
 * redelivering its records. Screenshots go to
 * test-artifacts/groups/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, REPO, type OpenDesigner } from './harness.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'groups');

let ui: OpenDesigner;
let page: Page;

// The machine may be busy with other builds: be patient, the assertions stay exact.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 45_000, interval: 200 });
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const num = async (testId: string) => Number((await page.textContent(`[data-testid="${testId}"]`))?.trim());
const attrs = (selector: string, name: string) =>
  page.$$eval(selector, (els, n) => els.map((e) => `${e.getAttribute('data-testid')}=${e.getAttribute(n)}`), name);

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'groups',
    context: { viewport: { width: 1440, height: 900 }, colorScheme: 'light' },
  });
  ({ page } = ui);
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('other groups in the simulator', () => {
  test('an analytics group reads the same topic with its own lag and offsets, and its crash leaves the pipeline alone', async () => {
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=example-large-orders]');
    await poll(() => page.locator('.react-flow__node').count()).toBe(4);
    await page.click('[data-testid=simulate]');
    await poll(() => page.textContent('[data-testid=sim-tick]')).toBe('1');

    await page.click('[data-testid=sim-tab-groups]');
    // The pipeline's own group name is taken: a clear message, nothing added.
    await page.fill('[data-testid=sim-group-name]', 'large-orders');
    await page.click('[data-testid=sim-group-add]');
    await poll(() => page.textContent('[data-testid=sim-group-error]')).toContain('a group called "large-orders" is already reading');
    expect(await page.locator('.pw-sim-xgroup').count()).toBe(0);

    await page.fill('[data-testid=sim-group-name]', 'analytics');
    await page.selectOption('[data-testid=sim-group-type]', 'consumer');
    await page.selectOption('[data-testid=sim-group-topic]', 'orders');
    await page.fill('[data-testid=sim-group-members]', '2');
    await page.click('[data-testid=sim-group-add]');
    await poll(() => page.locator('[data-testid=sim-xgroup-analytics]').isVisible()).toBe(true);
    await poll(() => page.textContent('[data-testid=sim-notes]')).toContain('consumer group analytics (2 members) reads orders from the beginning');

    // A higher rate than the group handles per tick: it lags, and steps show it exactly.
    await page.fill('[data-testid=sim-rate]', '30');
    for (let tick = 2; tick <= 4; tick++) {
      await page.click('[data-testid=sim-step]');
      await poll(() => page.textContent('[data-testid=sim-tick]')).toBe(String(tick));
    }
    const produced = await num('sim-produced');
    const lag = await num('sim-xgroup-analytics-lag');
    expect(lag).toBeGreaterThan(0);
    expect(lag).toBe(produced - (await num('sim-xgroup-analytics-acked')));
    await shot('01-analytics-group');

    // The lanes mark each group's committed offset: analytics' markers say what its panel says.
    const committed = await attrs('[data-testid^="sim-xgroup-analytics-p"]', 'data-committed');
    expect(committed).toHaveLength(6);
    await page.click('[data-testid=sim-tab-topics]');
    const markers = await attrs('[data-testid^="sim-marker-analytics-orders-"]', 'data-offset');
    expect(markers.map((m) => m.replace('sim-marker-analytics-orders-', 'p'))).toEqual(committed.map((c) => c.replace('sim-xgroup-analytics-p', 'p')));
    expect(await page.textContent('[data-testid=sim-lane-orders-4]')).toContain('analytics');
    expect(await page.locator('[data-testid^="sim-marker-large-orders-orders-"]').count()).toBe(6);
    await shot('02-lane-markers');

    // Kill analytics' member A: its group rebalances; the pipeline's group keeps its one replica.
    await page.click('[data-testid=sim-tab-groups]');
    await page.click('[data-testid=sim-xgroup-analytics-kill-A]');
    await poll(() => page.locator('[data-testid^="sim-xgroup-analytics-member-"]').count()).toBe(1);
    await poll(() => page.textContent('[data-testid=sim-notes]')).toContain('member A of consumer group analytics crashed');
    await page.click('[data-testid=sim-tab-group]');
    expect(await page.locator('.pw-sim-member-list > .pw-sim-member').count()).toBe(1);
    expect(await num('sim-generation')).toBe(1);
    await shot('03-after-kill');

    // One of each type, side by side; a share group member dies and its records go to the other.
    await page.click('[data-testid=sim-tab-groups]');
    await page.click('[data-testid=sim-group-add-all]');
    await poll(() => page.locator('.pw-sim-xgroup').count()).toBe(4);
    const step = async () => {
      const tick = await num('sim-tick');
      await page.click('[data-testid=sim-step]');
      await poll(() => num('sim-tick')).toBe(tick + 1);
    };
    await step();
    await step();
    await page.click('[data-testid=sim-xgroup-share-readers-kill-A]');
    for (let i = 0; i < 6; i++) await step();
    await poll(() => num('sim-xgroup-share-readers-redelivered')).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=sim-notes]')).toMatch(
      /share group share-readers: record orders\[\d\]@\d+ \(key c-\d\) redelivered to member B after member A died/,
    );
    expect(await num('sim-xgroup-consumer-readers-redelivered')).toBe(0);
    expect(await num('sim-xgroup-queue-readers-redelivered')).toBe(0);
    await shot('04-side-by-side');
    expect(ui.pageErrors).toEqual([]);
  });
});
