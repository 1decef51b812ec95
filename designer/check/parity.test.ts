/**
 * The designer reports exactly what the CLI reports. For every example and
 * every broken pipeline in codegen/__broken__/, the problems the check
 * worker's code produces (serve.ts `answer`, with the browser's lib files
 * and assets from env.ts) equal `pipewright validate --json` run as a real
 * process on the same file: code, severity, node id, path, line, column,
 * message and hint. A file the canvas can open is checked a second time as
 * the canvas holds it after an edit (the pipeline written back as YAML):
 * the same problems on the same nodes and fields.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import type { Problem } from '../../codegen/errors.js';
import { REPO_ROOT } from '../../codegen/node-assets.js';
import { readPipelineFiles } from '../../codegen/node-files.js';
import { readYaml } from '../persistence.js';
import { browserCheckEnv } from './env.js';
import { answer } from './serve.js';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'bin', 'pipewright.mjs');
const BROKEN = join(REPO_ROOT, 'codegen', '__broken__');

const examples = readdirSync(join(REPO_ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join('examples', d.name, 'pipeline.yaml'));
const broken = readdirSync(BROKEN)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join('codegen', '__broken__', f));

// The files the canvas opens; the others are refused, and their dialog lists the problems checked "as opened".
const openable = [...examples, ...broken].filter((f) => readYaml(readFileSync(join(REPO_ROOT, f), 'utf8')).pipeline);

interface CliReport {
  file: string;
  valid: boolean;
  problems: (Problem & { file: string })[];
}

/** `pipewright validate --json` on every file of the corpus, in one process (the type checker starts once). */
async function cliReports(files: string[]): Promise<Map<string, CliReport>> {
  const out = await run(process.execPath, [CLI, 'validate', ...files, '--json'], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }).catch(
    (e: { code: number; stdout: string; stderr: string }) => {
      if (e.code !== 1) throw new Error(`pipewright validate exited ${e.code}: ${e.stderr}`);
      return e;
    },
  );
  const reports = JSON.parse(out.stdout) as CliReport[];
  return new Map(reports.map((r) => [r.file, r]));
}

/** What the designer shows of a problem: everything the CLI prints. */
const shown = (p: Problem) => ({
  code: p.code,
  severity: p.severity,
  nodeId: p.nodeId,
  path: p.path,
  line: p.line,
  column: p.column,
  message: p.message,
  hint: p.hint,
});
const placed = (p: Problem) => ({ code: p.code, severity: p.severity, nodeId: p.nodeId, path: p.path, message: p.message });

async function designer(file: string, source: { text: string } | { pipeline: NonNullable<ReturnType<typeof readYaml>['pipeline']> }): Promise<Problem[]> {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  // The files the designer would have attached: those beside the pipeline that its nodes name.
  const pipeline = readYaml(text).pipeline;
  const files = pipeline ? readPipelineFiles(join(REPO_ROOT, file), pipeline) : {};
  const reply = await answer({ type: 'check', revision: 0, source }, browserCheckEnv(files));
  if (reply.type !== 'problems') throw new Error(`the check worker failed on ${file}: ${reply.type === 'failed' ? reply.message : reply.type}`);
  return reply.problems;
}

// One CLI process for the whole corpus, started by the first test that needs it.
let corpus: Promise<Map<string, CliReport>> | undefined;
async function report(file: string): Promise<CliReport> {
  corpus ??= cliReports([...examples, ...broken]);
  const found = (await corpus).get(file);
  if (!found) throw new Error(`pipewright validate printed no report for ${file}`);
  return found;
}

// The CLI checks the whole corpus, a type check for each: minutes on a busy machine.
const SLOW = 600_000;

describe('the designer reports what pipewright validate --json reports', () => {
  test('the corpus has every example and at least 40 broken pipelines, most of which the canvas opens', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(broken.length).toBeGreaterThanOrEqual(40);
    expect(openable.length - examples.length).toBeGreaterThanOrEqual(30);
  });

  test.each([...examples, ...broken])(
    '%s, as opened',
    async (file) => {
      const cliSays = await report(file);
      // Examples are valid; every broken pipeline has a problem.
      if (file.startsWith('examples/')) expect(cliSays.valid).toBe(true);
      else expect(cliSays.problems.length).toBeGreaterThan(0);
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      const mine = await designer(file, { text });
      expect(mine.map(shown)).toEqual(cliSays.problems.map(shown));
    },
    SLOW,
  );

  test.each(openable)(
    '%s, as the canvas holds it after an edit',
    async (file) => {
      const opened = readYaml(readFileSync(join(REPO_ROOT, file), 'utf8'));
      const mine = await designer(file, { pipeline: opened.pipeline! });
      expect(mine.map(placed)).toEqual((await report(file)).problems.map(placed));
    },
    SLOW,
  );
});
