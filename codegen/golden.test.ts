/**
 * Golden tests: every example generates a tree that is compared file by file
 * with committed snapshots (update with `npx vitest run codegen/golden -u`).
 * That each example's tree installs, builds and passes its own tests is
 * test/integration/exported-repos.integration.test.ts's part (npm ci, npm run
 * build, npm test on the exported zip), so it is not repeated here.
 * Small pipelines in __golden__/kinds/ (one per node kind and parameter
 * family) are compared in a compact form: their src/pipeline.ts, topics,
 * network policy and database schema. A .golden file that no case produces any more fails the run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, zipFiles } from './generate.js';
import { nodeAssets, REPO_ROOT } from './node-assets.js';
import { readPipelineFiles } from './node-files.js';
import { parsePipeline } from './parse.js';

const examples = readdirSync(join(REPO_ROOT, 'examples'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .filter((name) => {
    try {
      return readFileSync(join(REPO_ROOT, 'examples', name, 'pipeline.yaml')).length > 0;
    } catch {
      return false;
    }
  });

const GOLDEN = join(REPO_ROOT, 'codegen', '__golden__');
const KINDS = join(GOLDEN, 'kinds');
const kindCases = readdirSync(KINDS)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();
/** The files of a generated tree that a kind case's golden holds: what the kind and its parameters change. */
const COMPACT = ['src/pipeline.ts', 'topics/topics.yaml', 'k8s/networkpolicy.yaml', 'db/schema.sql'];
const REGENERATE = 'npx vitest run codegen/golden.test.ts -u';

/** Every .golden file under a folder, relative to codegen/__golden__/. */
function goldenFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.golden'))
    .map((e) => relative(GOLDEN, join(e.parentPath, e.name)))
    .sort();
}

describe.each(examples)('example %s', (name) => {
  const text = readFileSync(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), 'utf8');
  const parsed = parsePipeline(text);
  // The example's own files (models) sit beside its pipeline.yaml.
  const files = parsed.pipeline ? readPipelineFiles(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), parsed.pipeline) : {};
  const result = parsed.pipeline ? generate(parsed.pipeline, nodeAssets(), files) : { files: null, problems: parsed.problems };

  it('is valid and generates', () => {
    expect(parsed.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(result.files).not.toBeNull();
  });

  it('matches the golden files', async () => {
    const files = result.files!;
    for (const [path, contents] of Object.entries(files)) {
      if (path.startsWith('src/runtime/')) continue;
      await expect(contents).toMatchFileSnapshot(`__golden__/${name}/${path}.golden`);
    }
  });

  it('vendors the runtime exactly', () => {
    const vendored = Object.entries(result.files!).filter(([p]) => p.startsWith('src/runtime/'));
    expect(vendored.length).toBeGreaterThan(5);
    for (const [path, contents] of vendored) {
      expect(contents).toBe(readFileSync(join(REPO_ROOT, 'runtime', path.slice('src/runtime/'.length)), 'utf8'));
    }
  });

  it('is deterministic, down to the zip bytes', () => {
    const again = generate(parsePipeline(text).pipeline!, nodeAssets(), files);
    expect(again.files).toEqual(result.files);
    expect(Buffer.from(zipFiles(again.files!, again.binary)).equals(Buffer.from(zipFiles(result.files!, result.binary)))).toBe(true);
  });
});

describe.each(kindCases)('kind case %s', (name) => {
  const parsed = parsePipeline(readFileSync(join(KINDS, `${name}.yaml`), 'utf8'));
  const result = parsed.pipeline ? generate(parsed.pipeline, nodeAssets()) : { files: null, problems: parsed.problems };

  it('is valid, generates, and matches its compact golden (src/pipeline.ts, topics, network policy, schema)', async () => {
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const files = result.files!;
    const compact = COMPACT.filter((path) => files[path] !== undefined).map((path) => `==> ${path} <==\n${files[path]}`);
    await expect(compact.join('\n')).toMatchFileSnapshot(`__golden__/kinds/${name}.golden`);
  });
});

describe('golden files', () => {
  it('are all produced by a case: an example or a pipeline in __golden__/kinds/', () => {
    const produced = new Set(kindCases.map((name) => `kinds/${name}.golden`));
    for (const name of examples) {
      const parsed = parsePipeline(readFileSync(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), 'utf8'));
      const files = parsed.pipeline
        ? (generate(parsed.pipeline, nodeAssets(), readPipelineFiles(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), parsed.pipeline)).files ?? {})
        : {};
      for (const path of Object.keys(files)) if (!path.startsWith('src/runtime/')) produced.add(`${name}/${path}.golden`);
    }
    const stale = goldenFiles(GOLDEN).filter((f) => !produced.has(f));
    expect(
      stale,
      `Stale golden files, produced by no example and no pipeline in codegen/__golden__/kinds/: delete them (${stale.map((f) => `codegen/__golden__/${f}`).join(' ')}), then regenerate the rest with ${REGENERATE} and review the diff.`,
    ).toEqual([]);
  });
});
