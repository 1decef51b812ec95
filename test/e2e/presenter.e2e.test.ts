/**
 * Presenter mode end to end, in Debian's Chromium against the built app:
 * open an example, press P, see the designer's panels gone and the type
 * larger, step through the tour with the arrow keys, pause with Space and
 * step one tick with `.`, slow the simulation down, leave with Escape and
 * find the designer as it was; then open the page with ?present.
 * Screenshots go to test-artifacts/presenter/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openDesigner, type OpenDesigner } from './harness.js';

let ui: OpenDesigner;
let page: Page;

// The machine may be busy with other builds: be patient, the assertions stay exact.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });
const shot = (name: string) => page.screenshot({ path: join(ui.artifacts, `${name}.png`) });
const visible = (selector: string) => page.locator(selector).first().isVisible();
const tick = async () => Number((await page.textContent('[data-testid=present-tick]'))?.trim());
/** The size the type is drawn at: the computed font size, times the CSS zoom it is under, times the canvas's zoom. */
const typeSize = (selector: string) =>
  page.$eval(selector, (el) => {
    const viewport = el.closest('.react-flow__viewport');
    const canvasZoom = viewport ? new DOMMatrix(getComputedStyle(viewport).transform).a : 1;
    return parseFloat(getComputedStyle(el).fontSize) * ((el as HTMLElement & { currentCSSZoom?: number }).currentCSSZoom ?? 1) * canvasZoom;
  });
const tourTitle = () => page.textContent('[data-testid=present-panel-tour] h4');
/** What the simulator's worker reports it runs at (ticks per second). */
const workerSpeed = () =>
  page.evaluate(() => (window.__pipewright as { store: { getState(): { simStatus: { speed: number } | null } } }).store.getState().simStatus?.speed);

beforeAll(async () => {
  ui = await openDesigner({
    buildId: inject('designerBuildId'),
    artifacts: 'presenter',
    context: { viewport: { width: 1440, height: 900 }, colorScheme: 'light' },
  });
  page = ui.page;
}, 240_000);

afterAll(async () => {
  await ui?.close();
});

describe('presenter mode', () => {
  test('P presents: large type, one panel, tour by arrows, Space and . drive the simulation, Esc leaves', async () => {
    await page.click('button:has-text("Examples")');
    await page.click('[data-testid=example-large-orders]');
    await poll(() => page.locator('.react-flow__node').count()).toBe(4);
    const nodeTitle = '[data-testid=node-large] .pw-node-title';
    const normalType = await typeSize(nodeTitle);
    expect(await visible('.pw-palette')).toBe(true);
    expect(await visible('.pw-inspector')).toBe(true);

    await page.click('.react-flow__pane', { position: { x: 20, y: 20 } });
    await page.keyboard.press('p');
    await poll(() => visible('[data-testid=present]')).toBe(true);
    for (const hidden of ['.pw-palette', '.pw-inspector', '.pw-toolbar', '[data-testid=sim-dock]']) expect(await visible(hidden), hidden).toBe(false);
    // The canvas fits the pipeline into the room the designer's panels left, zoomed in further than the designer's fit.
    await poll(() => typeSize(nodeTitle)).toBeGreaterThan(normalType * 1.3);
    expect(await page.getAttribute('html', 'data-present')).toBe('below');
    expect(await page.evaluate(() => location.search)).toBe('?present');
    // The key is a user gesture, so the browser lets the page go full screen.
    await poll(() => page.evaluate(() => document.fullscreenElement === document.documentElement)).toBe(true);
    // Presenting opened the simulator, paused on its first tick, with the example's tour beside the canvas.
    await poll(tick).toBe(1);
    expect(await typeSize('[data-testid=present-panel-tour] p')).toBeGreaterThanOrEqual(13 * 1.5);
    expect(await tourTitle()).toBe('Keys pick partitions');
    await shot('01-presenting');

    // → and the clicker's PageDown: the next steps of the tour.
    await page.keyboard.press('ArrowRight');
    await poll(tourTitle).toBe('One replica owns everything');
    await page.keyboard.press('PageDown');
    await poll(tourTitle).toBe('Filter and map on the canvas');
    await page.keyboard.press('ArrowLeft');
    await poll(tourTitle).toBe('One replica owns everything');

    // Space runs, Space pauses; `.` then advances exactly one tick.
    await page.keyboard.press(' ');
    await poll(tick).toBeGreaterThan(3);
    await page.keyboard.press(' ');
    await poll(() => page.getAttribute('[data-testid=present-play]', 'aria-label')).toBe('Run the simulation (Space)');
    const paused = await tick();
    await page.waitForTimeout(400);
    expect(await tick()).toBe(paused);
    await page.keyboard.press('.');
    await poll(tick).toBe(paused + 1);
    await page.waitForTimeout(400);
    expect(await tick()).toBe(paused + 1);

    // Slow motion: − halves the dock's 10 ticks/s, + + doubles it; the worker runs at what is shown.
    await page.keyboard.press('-');
    await poll(() => page.textContent('[data-testid=present-speed]')).toBe('0.5×');
    await poll(workerSpeed).toBe(5);
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await poll(() => page.textContent('[data-testid=present-speed]')).toBe('2×');
    await poll(workerSpeed).toBe(20);

    // ? shows the keys; ] shows the next panel, one at a time.
    await page.keyboard.press('?');
    await poll(() => visible('[data-testid=present-keys]')).toBe(true);
    await page.keyboard.press(']');
    await poll(() => visible('[data-testid=present-panel-notes]')).toBe(true);
    expect(await page.locator('[data-testid=present] [role=tabpanel]').count()).toBe(1);
    await shot('02-keys-and-notes');

    // Esc: the designer as it was, its speed given back.
    await page.keyboard.press('Escape');
    await poll(() => page.locator('[data-testid=present]').count()).toBe(0);
    for (const shown of ['.pw-palette', '.pw-inspector', '.pw-toolbar', '[data-testid=sim-dock]']) expect(await visible(shown), shown).toBe(true);
    await poll(() => typeSize(nodeTitle)).toBeCloseTo(normalType, 1);
    expect(await page.evaluate(() => location.search)).toBe('');
    expect(await page.evaluate(() => document.fullscreenElement)).toBeNull();
    await poll(workerSpeed).toBe(10);
    expect(await page.inputValue('[data-testid=sim-speed]')).toBe('10');
    await shot('03-designer-again');
    expect(ui.pageErrors).toEqual([]);
  }, 60_000);

  test('?present opens the page in presenter mode; labelled controls, reduced motion, the Present button and ✕', async () => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.goto(`${ui.served.url}?present`);
    await poll(() => visible('[data-testid=present]')).toBe(true);
    expect(await visible('.pw-palette')).toBe(false);
    // Every control says what it does; asked for less motion, the stage appears without its transition.
    expect(await page.$$eval('[data-testid=present] button', (els) => els.filter((b) => !(b.getAttribute('aria-label') || b.textContent?.trim())).length)).toBe(
      0,
    );
    expect(await page.$eval('[data-testid=present]', (el) => getComputedStyle(el).animationName)).toBe('none');
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    expect(await page.$eval('[data-testid=present]', (el) => getComputedStyle(el).animationName)).toBe('pw-present-in');
    await page.click('[data-testid=present-exit]');
    await poll(() => page.locator('[data-testid=present]').count()).toBe(0);
    await page.click('[data-testid=present-enter]');
    await poll(() => visible('[data-testid=present]')).toBe(true);
    await page.keyboard.press('Escape');
    await poll(() => visible('.pw-palette')).toBe(true);
    expect(ui.pageErrors).toEqual([]);
  }, 60_000);
});
