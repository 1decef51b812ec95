import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { main } from './cli.js';
import { REPO_ROOT } from './node-assets.js';

const EXAMPLE = join(REPO_ROOT, 'examples/large-orders/pipeline.yaml');
const dir = mkdtempSync(join(tmpdir(), 'pipewright-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pipewright CLI', () => {
  it('validates a good pipeline with exit code 0', async () => {
    const r = await cli('validate', EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid \(pipeline large-orders, 4 nodes\)/);
  });

  it('lists every problem with file:line:column, node id and hint, exit code 1', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replace('kind: filter', 'kind: filtre').replace('value.amount * 1.21', 'value.amont * 1.21'));
    const r = await cli('validate', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml:\d+:\d+: error PW013 \[node large\]: Unknown node kind "filtre"/);
    expect(r.err).toMatch(/hint: Did you mean "filter"\?/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('reports type errors once the structure is valid', async () => {
    const bad = join(dir, 'typo.yaml');
    writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replace('value.amount >= 100', 'value.amout >= 100'));
    const r = await cli('validate', bad, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.valid).toBe(false);
    expect(report.problems[0]).toMatchObject({ code: 'PW034', nodeId: 'large', line: 24, column: 12 });
  });

  it('validates several files in one run: a report per file, the worst exit code', async () => {
    const bad = join(dir, 'several-bad.yaml');
    writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replace('kind: filter', 'kind: filtre'));
    const json = await cli('validate', EXAMPLE, bad, '--json');
    expect(json.code).toBe(1);
    const reports = JSON.parse(json.out) as { file: string; valid: boolean; problems: { code: string; file: string }[] }[];
    expect(reports.map((r) => [r.file, r.valid])).toEqual([
      [EXAMPLE, true],
      [bad, false],
    ]);
    expect(reports[1].problems.map((p) => [p.code, p.file])).toContainEqual(['PW013', bad]);
    const text = await cli('validate', bad, EXAMPLE);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/valid \(pipeline large-orders, 4 nodes\)/);
    expect(text.err).toMatch(/several-bad\.yaml:\d+:\d+: error PW013/);
    // A file that cannot be read is said, the others still checked, and the exit code is 2.
    const missing = await cli('validate', join(dir, 'missing.yaml'), EXAMPLE);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read .*no such file/);
    expect(missing.out).toMatch(/valid \(pipeline large-orders/);
  });

  it('says what is wrong with the command line or the file, exit code 2', async () => {
    expect((await cli('validate', join(dir, 'missing.yaml'))).err).toMatch(/cannot read .*no such file/);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('generate', EXAMPLE)).err).toMatch(/-o <folder> or --zip/);
    expect((await cli('validate', EXAMPLE, '--bogus')).code).toBe(2);
  });

  it('generates a folder and a zip with the same files, scripts executable', async () => {
    const folder = join(dir, 'out');
    const zip = join(dir, 'out.zip');
    const r = await cli('generate', EXAMPLE, '-o', folder, '--zip', zip);
    expect(r.code).toBe(0);
    const entries = unzipSync(readFileSync(zip));
    for (const [path, bytes] of Object.entries(entries)) {
      expect(Buffer.from(bytes).equals(readFileSync(join(folder, path))), path).toBe(true);
    }
    expect(statSync(join(folder, 'topics/create-topics.sh')).mode & 0o111).toBeTruthy();
    expect(existsSync(join(folder, 'src/runtime/engine/graph.ts'))).toBe(true);
  });

  it('reads a pipeline written in format version 1, with kind: http, and generates it in version 2', async () => {
    const current = readFileSync(join(REPO_ROOT, 'examples/request-buffering/pipeline.yaml'), 'utf8');
    expect(current).toMatch(/^version: 2\n[^]*kind: http-sink\n/);
    const old = join(dir, 'version-1.yaml');
    writeFileSync(old, current.replace(/^version: 2\n/, 'version: 1\n').replace('kind: http-sink\n', 'kind: http\n'));
    const v = await cli('validate', old);
    expect(v.err).toBe('');
    expect(v.code).toBe(0);
    const folder = join(dir, 'from-version-1');
    expect((await cli('generate', old, '-o', folder)).code).toBe(0);
    const written = readFileSync(join(folder, 'pipeline.yaml'), 'utf8');
    expect(written).toMatch(/^version: 2\n/);
    expect(written).toContain('kind: http-sink\n');
    expect(readFileSync(join(folder, 'src/pipeline.ts'), 'utf8')).toContain('kind: "http-sink"');
  });

  it("regenerates into its own folder, removing files it no longer makes and keeping the user's", async () => {
    const folder = join(dir, 'regen');
    expect((await cli('generate', EXAMPLE, '-o', folder)).code).toBe(0);
    writeFileSync(join(folder, 'NOTES.md'), 'mine');
    const manifest = join(folder, '.pipewright-files');
    writeFileSync(manifest, readFileSync(manifest, 'utf8') + 'src/old-file.ts\n');
    writeFileSync(join(folder, 'src/old-file.ts'), 'stale');
    const r = await cli('generate', EXAMPLE, '-o', folder);
    expect(r.code).toBe(0);
    expect(existsSync(join(folder, 'src/old-file.ts'))).toBe(false);
    expect(readFileSync(join(folder, 'NOTES.md'), 'utf8')).toBe('mine');
  });

  it('refuses to write into a folder it did not create', async () => {
    const folder = mkdtempSync(join(dir, 'theirs-'));
    writeFileSync(join(folder, 'important.txt'), 'keep');
    const r = await cli('generate', EXAMPLE, '-o', folder);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not empty and was not written by Pipewright/);
    expect(existsSync(join(folder, 'package.json'))).toBe(false);
  });

  it('writes nothing when the pipeline has errors', async () => {
    const bad = join(dir, 'bad2.yaml');
    writeFileSync(bad, 'pipeline: x\nnodes: []\n');
    const folder = join(dir, 'never');
    const r = await cli('generate', bad, '-o', folder, '--zip', join(dir, 'never.zip'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/PW027.*no source/);
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(join(dir, 'never.zip'))).toBe(false);
  });
});

describe('pipewright test', () => {
  it("runs the pipeline's tests: each passes, exit code 0", async () => {
    const r = await cli('test', EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok {3}orders of 100 or more pass with their total$/m);
    expect(r.out).toMatch(/large-orders\/pipeline\.yaml: 2 passed, 0 failed\.$/);
  });

  it('a filter that lets a small order through fails the test with what differs, key by key, exit code 1', async () => {
    const broken = join(dir, 'broken-filter.yaml');
    writeFileSync(broken, readFileSync(EXAMPLE, 'utf8').replace('value.amount >= 100', 'value.amount >= 30'));
    const r = await cli('test', broken);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL orders of 100 or more pass with their total$/m);
    expect(r.out).toContain('sink "large-orders" got, for key "c-2", 1 event where the test expects 0');
    expect(r.out).toMatch(/1 passed, 1 failed\.$/);
    const json = JSON.parse((await cli('test', broken, '--json')).out);
    expect(json.passed).toBe(false);
    expect(json.tests.map((t: { passed: boolean }) => t.passed)).toEqual([false, true]);
  });

  it('a pipeline with errors is reported, not run', async () => {
    const bad = join(dir, 'test-typo.yaml');
    writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replace('value.amount >= 100', 'value.amout >= 100'));
    const r = await cli('test', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error PW034/);
    expect(r.out).not.toMatch(/passed/);
  });
});

describe('pipewright init', () => {
  it('writes a starter pipeline.yaml that validates with no problem at all', async () => {
    const file = join(dir, 'init-1', 'pipeline.yaml');
    const r = await cli('init', 'shop-orders', '-o', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*pipeline\.yaml\. Next: pipewright validate/);
    expect(readFileSync(file, 'utf8')).toMatch(/^version: 2\npipeline: shop-orders$/m);
    const v = await cli('validate', file);
    expect(v.err).toBe('');
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/valid \(pipeline shop-orders, 3 nodes\)/);
  });

  it('without a name, the pipeline is my-pipeline', async () => {
    const file = join(dir, 'init-2.yaml');
    expect((await cli('init', '-o', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^pipeline: my-pipeline$/m);
  });

  it('--from copies an example under the new name, its model file included, and it validates', async () => {
    const file = join(dir, 'init-3', 'pipeline.yaml');
    const r = await cli('init', 'delays', '--from', 'flight-delays', '-o', file);
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^pipeline: delays$/m);
    // Comments and layout of the example are kept.
    expect(text.split('\n').length).toBe(readFileSync(join(REPO_ROOT, 'examples/flight-delays/pipeline.yaml'), 'utf8').split('\n').length);
    expect(r.out).toMatch(/models\//);
    const v = await cli('validate', file);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/valid \(pipeline delays,/);
  });

  it('refuses to overwrite, with a clear message, and changes nothing', async () => {
    const file = join(dir, 'init-4.yaml');
    writeFileSync(file, 'mine\n');
    const r = await cli('init', 'x', '-o', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/init-4\.yaml already exists; Pipewright does not overwrite it/);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it('rejects a bad name and an unknown example, naming the ones there are, and writes nothing', async () => {
    const file = join(dir, 'init-5.yaml');
    const bad = await cli('init', 'Bad_Name', '-o', file);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/"Bad_Name" is not a valid pipeline name: use 1 to 40 lowercase letters/);
    const hostile = await cli('init', '../../etc/x', '-o', file);
    expect(hostile.code).toBe(2);
    const missing = await cli('init', 'ok', '--from', 'nope', '-o', file);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/There is no example "nope"\. Examples: .*large-orders/);
    const escape = await cli('init', 'ok', '--from', '../codegen', '-o', file);
    expect(escape.code).toBe(2);
    expect(existsSync(file)).toBe(false);
    expect(bad.err + missing.err).not.toMatch(/\n\s+at /);
  });

  it('is in the usage, and --from belongs to init only', async () => {
    expect((await cli('--help')).out).toMatch(/pipewright init \[name\] \[--from <example>\]/);
    expect((await cli('validate', EXAMPLE, '--from', 'x')).code).toBe(2);
  });
});
