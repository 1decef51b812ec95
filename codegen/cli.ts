/**
 * pipewright init | validate | test | generate | dev | kinds | docs (dev: codegen/dev/). Reads files, writes folders and
 * zips, sets exit codes; everything else is the pure codegen. Exit codes:
 * 0 fine, 1 the pipeline has errors, 2 the command line or a file is wrong.
 * Never a stack trace for anything a user can cause.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KINDS } from '../runtime/kinds/registry.js';
import { checkPipelineText } from './check.js';
import { kindsMarkdown } from './docs.js';
import { formatProblem, type Problem } from './errors.js';
import { generate, zipFiles, type FileMap } from './generate.js';
import { initPipeline } from './init.js';
import { nodeAssets } from './node-assets.js';
import { pipelineSchemaJson } from './pipeline-schema.js';
import { typecheckInNode } from './node-typecheck.js';
import { readPipelineFiles, writeAtomically } from './node-files.js';
import { describeDifference, runPipelineTests } from './pipeline-tests.js';
import type { PipelineFiles } from '../runtime/kinds/spec.js';
import type { Pipeline } from './pipeline.js';

const USAGE = `Usage:
  pipewright init [name] [--from <example>] [-o <file>]   (a starter pipeline.yaml)
  pipewright validate <pipeline.yaml>... [--json]   (several files: one report each; --json prints an array)
  pipewright test <pipeline.yaml> [--json]   (the pipeline's tests:, as the designer's Tests tab runs them)
  pipewright generate <pipeline.yaml> (-o <folder> | --zip <file.zip>) [--json]
  pipewright dev [pipeline.yaml] --brokers host:port [--port N] [--host H]   (live mode: the designer on a real cluster)
  pipewright kinds
  pipewright docs            (the node-kind reference as Markdown)
  pipewright schema [-o <file>]   (pipeline.schema.json: the format as JSON Schema, for editors)
Exit codes: 0 valid / written / tests pass, 1 the pipeline has errors or a test fails, 2 usage or file errors.`;

/** The manifest of files a generation wrote, so the next one can remove what it no longer makes. */
const MANIFEST = '.pipewright-files';

/** Where a command writes: standard output and standard error, or a test's buffers. */
export interface Out {
  log: (s: string) => void;
  err: (s: string) => void;
}
const stdio: Out = { log: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

export async function main(argv: string[], out: Out = stdio): Promise<number> {
  try {
    return await run(argv, out);
  } catch (e) {
    out.err(
      `pipewright: internal error: ${(e as Error).message ?? String(e)}\nThis is a bug in Pipewright; please report it with the pipeline that caused it.`,
    );
    return 70;
  }
}

async function load(
  file: string | undefined,
  out: Out,
): Promise<{ pipeline: Pipeline | null; problems: Problem[]; file: string; files: PipelineFiles } | number> {
  if (!file) {
    out.err(`pipewright: no pipeline file given.\n${USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    out.err(`pipewright: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : String(code)}.`);
    return 2;
  }
  const { pipeline, problems, files } = await checkPipelineText(text, { files: (p) => readPipelineFiles(file, p), typecheck: typecheckInNode });
  return { pipeline, problems, file, files };
}

/** What `validate --json` prints for one file. */
const jsonReport = (problems: Problem[], file: string) => ({
  file,
  valid: !problems.some((p) => p.severity === 'error'),
  problems: problems.map((p) => ({ file, ...p })),
});

function report(problems: Problem[], file: string, json: boolean, out: Out): boolean {
  const errors = problems.filter((p) => p.severity === 'error').length;
  if (json) {
    out.log(JSON.stringify(jsonReport(problems, file), null, 2));
  } else {
    for (const p of problems) out.err(formatProblem(p, file));
    const warnings = problems.length - errors;
    if (errors) out.err(`${file}: ${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}.`);
  }
  return errors === 0;
}

/**
 * `validate`: each file is read and checked in turn (one process, so the type checker starts once); a
 * file that cannot be read is said and skipped. `--json` prints the file's report, or with several
 * files an array of them in the order given. Exit code: 2 if a file could not be read, else 1 if any
 * has errors, else 0.
 */
async function validateFiles(files: (string | undefined)[], json: boolean, out: Out): Promise<number> {
  const reports: ReturnType<typeof jsonReport>[] = [];
  let unreadable = false;
  let invalid = false;
  for (const file of files) {
    const loaded = await load(file, out);
    if (typeof loaded === 'number') {
      unreadable = true;
      continue;
    }
    if (json) reports.push(jsonReport(loaded.problems, loaded.file));
    else if (report(loaded.problems, loaded.file, false, out))
      out.log(`${loaded.file}: valid (pipeline ${loaded.pipeline!.name}, ${loaded.pipeline!.nodes.length} nodes).`);
    invalid ||= loaded.problems.some((p) => p.severity === 'error');
  }
  if (json && reports.length) out.log(JSON.stringify(files.length === 1 ? reports[0] : reports, null, 2));
  return unreadable ? 2 : invalid ? 1 : 0;
}

async function run(argv: string[], out: Out): Promise<number> {
  // Live mode loads kafkajs and the server only when asked for.
  if (argv[0] === 'dev') return (await import('./dev/node-command.js')).devCommand(argv.slice(1), out);
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        zip: { type: 'string' },
        json: { type: 'boolean' },
        from: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    out.err(`pipewright: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, file, ...extra] = args.positionals;
  if (args.values.help || !command) {
    out.log(USAGE);
    return command || args.values.help ? 0 : 2;
  }
  const json = args.values.json === true;
  if (extra.length && command === 'validate') return validateFiles([file, ...extra], json, out);
  if (extra.length) {
    out.err(`pipewright: unexpected argument "${extra[0]}".\n${USAGE}`);
    return 2;
  }
  if (args.values.from !== undefined && command !== 'init') {
    out.err(`pipewright: --from belongs to init.\n${USAGE}`);
    return 2;
  }
  switch (command) {
    case 'init': {
      if (args.values.zip || json) {
        out.err(`pipewright: init takes a name, --from <example> and -o <file>.\n${USAGE}`);
        return 2;
      }
      const made = initPipeline({ name: file, from: args.values.from, file: args.values.out });
      if ('error' in made) {
        out.err(`pipewright: ${made.error}`);
        return 2;
      }
      out.log(`wrote ${made.written.join(', ')}. Next: pipewright validate ${made.written[0]}, or open it in the designer.`);
      return 0;
    }
    case 'validate':
      return validateFiles([file], json, out);
    case 'test':
      return testCommand(file, json, out);
    case 'generate':
      return generateCommand(file, args.values, json, out);
    case 'kinds': {
      for (const k of KINDS) {
        out.log(`${k.kind} (${k.category}): ${k.summary}`);
        for (const p of k.params)
          out.log(`    ${p.name}${p.required ? ' (required)' : p.default !== undefined ? ` = ${String(p.default)}` : ''}: ${p.description}`);
      }
      return 0;
    }
    case 'docs':
      out.log(kindsMarkdown(KINDS).trimEnd());
      return 0;
    case 'schema':
      return schemaCommand(file, args.values, json, out);
    default:
      out.err(`pipewright: unknown command "${command}".\n${USAGE}`);
      return 2;
  }
}

/** pipewright test: the pipeline's problems, then its tests' outcomes. */
async function testCommand(file: string | undefined, json: boolean, out: Out): Promise<number> {
  const loaded = await load(file, out);
  if (typeof loaded === 'number') return loaded;
  // A pipeline with errors cannot run: its problems are the answer. Otherwise one report, warnings and tests.
  const runnable = loaded.pipeline !== null && !loaded.problems.some((p) => p.severity === 'error');
  if (!runnable || !json) report(loaded.problems, loaded.file, json, out);
  if (!runnable) return 1;
  const outcomes = await runPipelineTests(loaded.pipeline!, loaded.files);
  const failed = outcomes.filter((o) => !o.passed);
  if (json) {
    const problems = loaded.problems.map((p) => ({ file: loaded.file, ...p }));
    out.log(JSON.stringify({ file: loaded.file, valid: true, problems, passed: failed.length === 0, tests: outcomes }, null, 2));
  } else {
    for (const o of outcomes) {
      out.log(`${o.passed ? 'ok  ' : 'FAIL'} ${o.name}`);
      if (o.error) out.log(`     ${o.error}`);
      for (const d of o.differences) out.log(`     ${describeDifference(d)}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`);
    }
    out.log(`${loaded.file}: ${outcomes.length - failed.length} passed, ${failed.length} failed.`);
  }
  return failed.length ? 1 : 0;
}

/** pipewright generate: the service's repository, into a folder (-o) or a zip (--zip). */
async function generateCommand(file: string | undefined, values: { out?: string; zip?: string }, json: boolean, out: Out): Promise<number> {
  if (!values.out && !values.zip) {
    out.err(`pipewright: say where to write: -o <folder> or --zip <file.zip>.\n${USAGE}`);
    return 2;
  }
  const loaded = await load(file, out);
  if (typeof loaded === 'number') return loaded;
  if (!report(loaded.problems, loaded.file, json, out) || !loaded.pipeline) return 1;
  const result = generate(loaded.pipeline, nodeAssets(), loaded.files);
  if (!result.files) {
    report(result.problems, loaded.file, json, out);
    return 1;
  }
  if (values.zip) {
    const target = resolve(values.zip);
    writeAtomically(target, zipFiles(result.files, result.binary));
    if (!json) out.log(`wrote ${values.zip} (${Object.keys(result.files).length} files).`);
  }
  if (values.out) {
    const written = writeFolder(resolve(values.out), result.files, result.binary);
    if (typeof written === 'string') {
      out.err(`pipewright: ${written}`);
      return 2;
    }
    if (!json) out.log(`wrote ${Object.keys(result.files).length} files to ${values.out}${written.removed ? `, removed ${written.removed} stale` : ''}.`);
  }
  return 0;
}

/** pipewright schema: the format's JSON Schema, to stdout or a file (-o). */
function schemaCommand(file: string | undefined, values: { out?: string; zip?: string }, json: boolean, out: Out): number {
  if (file !== undefined || values.zip || json) {
    out.err(`pipewright: schema takes only -o <file>.\n${USAGE}`);
    return 2;
  }
  const schema = pipelineSchemaJson();
  if (values.out === undefined) {
    out.log(schema.trimEnd());
    return 0;
  }
  writeAtomically(resolve(values.out), schema);
  out.log(`wrote ${values.out}. Point an editor at it with a first line "# yaml-language-server: $schema=<path or URL of it>" in pipeline.yaml.`);
  return 0;
}

/**
 * Writes the generated files into `folder`. Every file is written atomically,
 * and files that an earlier generation wrote but this one no longer makes are
 * removed; files the user added are never touched.
 */
function writeFolder(folder: string, files: FileMap, binary: Record<string, Uint8Array> = {}): { removed: number } | string {
  if (existsSync(folder) && !existsSync(join(folder, MANIFEST))) {
    const entries = readdirSync(folder).filter((e) => e !== 'pipeline.yaml' && !e.startsWith('.'));
    if (entries.length > 0) return `${folder} is not empty and was not written by Pipewright; choose an empty or new folder.`;
  }
  const previous = existsSync(join(folder, MANIFEST)) ? readFileSync(join(folder, MANIFEST), 'utf8').split('\n').filter(Boolean) : [];
  for (const [path, contents] of [...Object.entries(files), ...Object.entries(binary)]) {
    writeAtomically(join(folder, ...path.split('/')), contents, path.endsWith('.sh') ? 0o755 : undefined);
  }
  let removed = 0;
  for (const path of previous) {
    if (path in files || path in binary || path.includes('..') || path.startsWith('/')) continue;
    rmSync(join(folder, ...path.split('/')), { force: true });
    removed++;
  }
  writeAtomically(join(folder, MANIFEST), [...Object.keys(files), ...Object.keys(binary)].join('\n') + '\n');
  return { removed };
}
