/**
 * Live mode with a cluster that cannot be reached: the designer opens, says in its status line which
 * brokers it cannot reach and why, with the server's hint, and nothing on the page throws.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { DevServer } from '../../codegen/dev/node-server.js';
import { launchChromium } from './harness.js';
import { startLiveServer } from './live-harness.js';

let work: string;
let dev: DevServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pw-live-down-'));
  const file = join(work, 'pipeline.yaml');
  writeFileSync(
    file,
    'version: 1\npipeline: nowhere\nnodes:\n  - { id: in, kind: kafka-source, topic: nowhere-in }\n  - { id: out, kind: kafka-sink, input: in, topic: nowhere-out }\n',
  );
  // Port 9 (discard) on this machine: nothing listens, every connection is refused.
  dev = await startLiveServer({ file, brokers: '127.0.0.1:9', work, buildId: inject('designerBuildId') });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(dev.url);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await dev?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('live mode without a reachable cluster', () => {
  test('the status line names the brokers it cannot reach, with a hint; the canvas still opens the file', async () => {
    const status = page.locator('[data-testid=live-status]');
    await expect.poll(() => status.textContent(), { timeout: 90_000 }).toMatch(/not connected to 127\.0\.0\.1:9 \(.+\)/);
    expect(await page.locator('.react-flow__node').count()).toBe(2);
    expect(pageErrors).toEqual([]);
  });
});
