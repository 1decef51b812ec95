// Every example, exported as the designer exports it, is the zip `pipewright generate --zip` makes,
// byte for byte; unpacked, it builds with `npm run build` and passes its own `npm test`. A pipeline
// edited the way a designer user edits it (a filter wired beside an edge) gives the same verdict per
// test in the designer's Tests tab as in the exported repo's `npm test`. A test recorded from the
// simulator, green and then broken, is exported and run the same way by test/e2e/tests-tab.e2e.test.ts.
// Each repository installs with `npm ci --offline` from its own package-lock.json: npm itself checks
// the lock against package.json and installs exactly it, from the npm cache that installing this
// repository filled (the generated lock is cut from this repository's lock).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../codegen/pipeline.js';
import { readPipelineFiles } from '../../codegen/node-files.js';
import { parsePipeline } from '../../codegen/parse.js';
import { serializePipeline } from '../../codegen/serialize.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import { generateRepository, zipRepository } from '../../designer/codegen-run.js';
import { runPipelineTests } from '../../codegen/pipeline-tests.js';
import { mustRun, repoRoot, run } from './process.js';

const EXAMPLES = join(repoRoot, 'examples');
const examples = readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, 'pipeline.yaml')));
const work = mkdtempSync(join(tmpdir(), 'pipewright-exported-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The designer's export zip of a pipeline, checked against the CLI's zip of the YAML the designer exports. */
async function exportBoth(name: string, p: Pipeline, files: PipelineFiles): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const out = generateRepository(p, files);
  expect(out.problems.filter((x) => x.severity === 'error')).toEqual([]);
  const zip = zipRepository(out);
  // The exported YAML beside its model files, as a user saves them.
  const yamlPath = join(dir, 'pipeline.yaml');
  writeFileSync(yamlPath, serializePipeline(p));
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', yamlPath, '--zip', join(dir, 'cli.zip')], { cwd: repoRoot, timeoutMs: 300_000 });
  expect(Buffer.compare(Buffer.from(zip), readFileSync(join(dir, 'cli.zip'))), `${name}: designer zip = CLI zip`).toBe(0);
  const repo = join(dir, 'repo');
  for (const [path, bytes] of Object.entries(unzipSync(zip))) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), bytes);
  }
  await npmCi(repo);
  return repo;
}

/**
 * `npm ci` from the repository's package-lock.json, offline; then npm's own record of what it
 * installed (node_modules/.package-lock.json, with the dev/optional flags npm works out) must be
 * the lock, entry for entry.
 */
async function npmCi(repo: string): Promise<void> {
  await mustRun('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: repo, timeoutMs: 400_000 });
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')).packages as Record<string, object>;
  const installed = JSON.parse(readFileSync(join(repo, 'node_modules/.package-lock.json'), 'utf8')).packages as Record<string, object>;
  const { '': _root, ...entries } = lock;
  expect(installed).toEqual(entries);
}

/** `npm run build`, then `npm test`: the test names that failed, from its TAP output. */
async function buildAndTest(repo: string): Promise<{ code: number | null; failed: string[]; passed: string[]; output: string }> {
  await mustRun('npm', ['run', 'build'], { cwd: repo, timeoutMs: 400_000 });
  const r = await run('npm', ['test'], { cwd: repo, timeoutMs: 400_000 });
  const names = (re: RegExp) => [...r.output.matchAll(re)].map((m) => m[1].replace(/\\#/g, '#').replace(/\\\\/g, '\\'));
  return { code: r.code, failed: names(/^not ok \d+ - (.*)$/gm), passed: names(/^ok \d+ - (.*)$/gm), output: r.output };
}

const load = (name: string) => parsePipeline(readFileSync(join(EXAMPLES, name, 'pipeline.yaml'), 'utf8')).pipeline!;

/** The verdicts of the designer and of the exported repository, test by test, must agree. */
async function sameVerdicts(name: string, p: Pipeline, files: PipelineFiles, expectPass: boolean): Promise<void> {
  const designer = await runPipelineTests(p, files);
  const repo = await exportBoth(name, p, files);
  const npm = await buildAndTest(repo);
  const failing = designer.filter((o) => !o.passed).map((o) => o.name);
  expect(npm.failed, npm.output.slice(-3000)).toEqual(failing);
  for (const t of p.tests) expect(npm.passed.includes(t.name) || npm.failed.includes(t.name), t.name).toBe(true);
  expect(npm.code === 0, npm.output.slice(-3000)).toBe(expectPass);
  expect(failing.length === 0).toBe(expectPass);
}

/**
 * Two repositories at a time: while one waits on npm or a child process, the other builds, so the
 * machine's two cores both work. More than two only queue for the same cores.
 */
function limit(slots: number): <T>(job: () => Promise<T>) => Promise<T> {
  const waiting: (() => void)[] = [];
  let running = 0;
  return async (job) => {
    if (running >= slots) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
const slot = limit(2);

describe('exported repositories', () => {
  it.concurrent.each(examples)(
    '%s: the designer exports the CLI zip, which builds and passes its own npm test',
    (name) =>
      slot(async () => {
        const p = load(name);
        await sameVerdicts(name, p, readPipelineFiles(join(EXAMPLES, name, 'pipeline.yaml'), p), true);
      }),
    900_000,
  );

  it.concurrent(
    'a filter wired beside an edge instead of into it: the designer and npm test both fail the doubled counts',
    () =>
      slot(async () => {
        const p = load('word-count');
        const source = p.nodes.find((n) => n.kind === 'kafka-source')!;
        const next = p.nodes.find((n) => n.inputs.some((i) => i.from === source.id))!;
        const beside = { id: 'beside', kind: 'filter', params: { where: 'true' }, inputs: [{ port: 'in', from: source.id, fromPort: 'out' }] };
        const nodes = [
          ...p.nodes.map((n) => (n.id === next.id ? { ...n, inputs: [...n.inputs, { port: 'in', from: 'beside', fromPort: 'out' }] } : n)),
          beside,
        ];
        await sameVerdicts('beside', { ...p, nodes }, {}, false);
      }),
    900_000,
  );
});
