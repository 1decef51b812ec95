/**
 * The workshop end to end, in Chromium against the built designer: an
 * exercise opens from its link over the learner's own pipeline, Check fails
 * with the reason, a hint shows, the solution applies, Check passes and the
 * progress advances; the workshop page lists the exercises in order with the
 * done mark; leaving brings the learner's own pipeline back, never
 * overwritten. Screenshots go to test-artifacts/workshop/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, type OpenDesigner } from './harness.js';

let ui: OpenDesigner;
let page: Page;

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 45_000, interval: 200 });
const shot = (name: string) => page.screenshot({ path: join(ui.artifacts, `${name}.png`) });
const text = async (testId: string) => ((await page.textContent(`[data-testid=${testId}]`)) ?? '').trim();
const saved = (key: string) => page.evaluate((k) => localStorage.getItem(k) ?? '', key);

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'workshop',
    context: { viewport: { width: 1440, height: 900 }, colorScheme: 'light' },
  });
  page = ui.page;
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('workshop', () => {
  test('an exercise from its link: check fails with the reason, a hint, the solution, check passes, progress advances', async () => {
    // The learner's own pipeline, autosaved.
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=example-word-count]');
    await poll(() => saved('pipewright.autosave')).toContain('pipeline: word-count');
    const own = await saved('pipewright.autosave');

    await page.goto('about:blank');
    await page.goto(`${ui.served.url}#exercise=large-orders/keys-and-partitions`);
    await poll(() => page.locator('[data-testid=exercise-panel]').isVisible()).toBe(true);
    expect(await text('exercise-progress')).toMatch(/^Exercise 1 of 8 · keys and partitions · 0 of 8 done$/);
    expect(await text('exercise-goal')).toContain("Make all of a customer's large orders land in one partition of large-orders.");
    await poll(() => page.locator('.react-flow__node').count()).toBe(4);

    await page.click('[data-testid=exercise-check]');
    await poll(() => page.getAttribute('[data-testid=exercise-result]', 'data-state')).toBe('fail');
    expect(await text('exercise-reason')).toMatch(
      /^✗ Records with customer "c-\d" are spread over partitions .* of large-orders, so no one consumer sees them all, in order\./,
    );
    await shot('01-check-fails');

    await page.click('[data-testid=exercise-hint]');
    expect(await page.locator('[data-testid=exercise-hints] li').allTextContents()).toEqual([
      'Open the Topics tab of the simulator and look at which partition each record of large-orders went to.',
    ]);
    expect(await text('exercise-hint')).toBe('Hint 2 of 3');

    await page.click('[data-testid=exercise-show-solution]');
    await page.click('[data-testid=exercise-apply-solution]');
    await poll(() => page.evaluate(() => (window as unknown as { __pipewright: { yaml(): string } }).__pipewright.yaml())).toContain('key: value.customer');
    await page.click('[data-testid=exercise-check]');
    await poll(() => page.getAttribute('[data-testid=exercise-result]', 'data-state')).toBe('pass');
    expect(await text('exercise-reason')).toMatch(/^✓ Every customer of large-orders stays in one partition/);
    expect(await text('exercise-progress')).toMatch(/· 1 of 8 done$/);
    expect(await text('exercise-next')).toBe('Next: More replicas than partitions →');
    await shot('02-check-passes');

    // The exercise's work saved under its own key; the learner's pipeline untouched.
    await poll(() => saved('pipewright.exercise.large-orders/keys-and-partitions')).toContain('key: value.customer');
    expect(await saved('pipewright.autosave')).toBe(own);

    // The workshop page, from the examples gallery: every exercise in order, the first one done.
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=open-workshop]');
    await poll(() => page.locator('[data-testid=workshop-item]').count()).toBe(8);
    const items = await page.$$eval('[data-testid=workshop-item]', (els) => els.map((e) => `${e.getAttribute('data-ref')} ${e.getAttribute('data-done')}`));
    expect(items).toEqual([
      'large-orders/keys-and-partitions yes',
      'large-orders/idle-members no',
      'large-orders/replays no',
      'hourly-orders/re-key-before-window no',
      'hourly-orders/grace-period no',
      'large-orders/dead-letters no',
      'word-count/several-groups no',
      'order-validation/replication-and-acks no',
    ]);
    expect(await text('workshop-done-count')).toBe('1 of 8 done.');
    await shot('03-workshop');

    // An exercise opens from the page; leaving brings the learner's own pipeline back.
    await page.click('[data-testid=workshop-item][data-ref="large-orders/idle-members"] a');
    await poll(() => text('exercise-progress')).toBe('Exercise 2 of 8 · scaling a group and the idle member · 1 of 8 done');
    expect(await page.locator('[data-testid=workshop-dialog]').count()).toBe(0);
    await page.click('[data-testid=exercise-leave]');
    await poll(() => page.locator('[data-testid=exercise-panel]').count()).toBe(0);
    await poll(() => page.evaluate(() => (window as unknown as { __pipewright: { yaml(): string } }).__pipewright.yaml())).toContain('pipeline: word-count');
    expect(ui.pageErrors).toEqual([]);
  }, 90_000);

  test("the replication exercise: its cluster and script run in the learner's simulation; acks=all passes", async () => {
    await page.goto(`${ui.served.url}#exercise=order-validation/replication-and-acks`);
    await poll(() => text('exercise-progress')).toMatch(/^Exercise 8 of 8 · replication and acks · 1 of 8 done$/);
    await page.click('[data-testid=exercise-check]');
    await poll(() => page.getAttribute('[data-testid=exercise-result]', 'data-state')).toBe('fail');
    expect(await text('exercise-reason')).toMatch(/^✗ \d+ acknowledged records are no longer in the log: broker 1 went down/);
    await page.click('[data-testid=exercise-show-solution]');
    await page.click('[data-testid=exercise-apply-solution]');
    await page.click('[data-testid=exercise-check]');
    await poll(() => page.getAttribute('[data-testid=exercise-result]', 'data-state')).toBe('pass');
    expect(await text('exercise-reason')).toMatch(/^✓ Broker 1 went down and all \d+ acknowledged writes survived/);
    expect(await text('exercise-progress')).toMatch(/· 2 of 8 done$/);
    expect(ui.pageErrors).toEqual([]);
  }, 60_000);

  // Every other exercise the same way: unsolved, Check fails with its reason and a hint shows; the solution, applied by script, passes.
  test.each([
    'large-orders/idle-members',
    'large-orders/replays',
    'hourly-orders/re-key-before-window',
    'hourly-orders/grace-period',
    'large-orders/dead-letters',
    'word-count/several-groups',
  ])(
    '%s: unsolved it fails with a reason and a hint; solved it passes',
    async (ref) => {
      await page.goto('about:blank');
      await page.goto(`${ui.served.url}#exercise=${ref}`);
      await poll(() => page.locator('[data-testid=exercise-panel]').isVisible()).toBe(true);
      await page.click('[data-testid=exercise-check]');
      await poll(() => page.getAttribute('[data-testid=exercise-result]', 'data-state')).toBe('fail');
      // One line per check: at least one says what is wrong.
      expect(await page.locator('[data-testid=exercise-result]').textContent()).toMatch(/✗ \S/);
      await page.click('[data-testid=exercise-hint]');
      expect((await page.locator('[data-testid=exercise-hints] li').allTextContents())[0]).toMatch(/\S/);
      await page.click('[data-testid=exercise-show-solution]');
      await page.click('[data-testid=exercise-apply-solution]');
      await page.click('[data-testid=exercise-check]');
      await poll(() => page.getAttribute('[data-testid=exercise-result]', 'data-state')).toBe('pass');
      expect(await page.locator('[data-testid=exercise-result]').textContent()).not.toContain('✗');
      expect(ui.pageErrors).toEqual([]);
    },
    60_000,
  );
});
