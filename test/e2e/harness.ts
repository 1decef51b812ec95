/**
 * Build the designer, serve the build with `vite preview` on a free port,
 * and drive it with Debian's Chromium through playwright-core. Shared by the
 * end-to-end test and the designer benchmark.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { freePort } from '../integration/process.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VITE = join(REPO, 'node_modules', 'vite', 'bin', 'vite.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export function buildDesigner(outDir = 'dist'): string {
  execFileSync(process.execPath, [VITE, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
  return join(REPO, outDir);
}

export interface Served {
  url: string;
  stop(): Promise<void>;
}

/** Serve a build with `vite preview` and wait until it answers. */
export async function serveDesigner(outDir = 'dist'): Promise<Served> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [VITE, 'preview', '--outDir', outDir, '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite preview exited: ${output}`);
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`vite preview did not answer on ${url}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Where the end-to-end tests' shared build lives; built once per test run. */
export const E2E_DIST = 'test-artifacts/dist-e2e';

/**
 * Build the designer for the end-to-end tests unless this test run built it
 * already. `buildId` is unique per run (the integration project's global
 * setup makes it), so a new run always tests the current sources, and the
 * five browser test files share one build instead of making five.
 */
export function designerBuildFor(buildId: string): string {
  const stamp = join(REPO, E2E_DIST, '.build-id');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === buildId) return join(REPO, E2E_DIST);
  const dir = buildDesigner(E2E_DIST);
  writeFileSync(stamp, buildId);
  return dir;
}

export interface OpenDesigner {
  served: Served;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors the page threw; a test ends by checking it is empty. */
  pageErrors: string[];
  /** Folder for this test file's screenshots and downloads, emptied on open. */
  artifacts: string;
  close(): Promise<void>;
}

/**
 * The set-up every browser test shares: the run's designer build served by
 * `vite preview`, Chromium, one context and page at the designer's URL.
 */
export async function openDesigner(options: {
  buildId: string;
  artifacts: string;
  context: BrowserContextOptions;
  defaultTimeoutMs?: number;
}): Promise<OpenDesigner> {
  const artifacts = join(REPO, 'test-artifacts', options.artifacts);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  designerBuildFor(options.buildId);
  const served = await serveDesigner(E2E_DIST);
  const browser = await launchChromium();
  const context = await browser.newContext(options.context);
  const page = await context.newPage();
  if (options.defaultTimeoutMs) page.setDefaultTimeout(options.defaultTimeoutMs);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(served.url);
  return {
    served,
    browser,
    context,
    page,
    pageErrors,
    artifacts,
    async close() {
      await browser.close();
      await served.stop();
    },
  };
}
