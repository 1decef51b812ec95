/**
 * Node only: what `pipewright dev` builds. The designer: the Vite build in dist/, made again when
 * a source is newer. A pipeline's service: generated as `pipewright generate` does, built once per
 * content (a folder named by the hash of the generated files), with this checkout's node_modules
 * linked in when the generated package.json pins exactly what is installed here (as the
 * integration tests build generated repositories), else `npm ci`.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../generate.js';
import type { Pipeline } from '../pipeline.js';
import { nodeAssets, REPO_ROOT } from '../node-assets.js';
import { writeAtomically } from '../node-files.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';

export type Log = (line: string) => void;

/** Runs a command (never through a shell) to its end; rejects with the end of its output. */
export function runCommand(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (clearTimeout(timer), reject(new Error(`${cmd} could not start: ${e.message}`))));
    child.on('close', (code) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve(output);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code ?? 'killed'}):\n${output.slice(-3000)}`));
    });
  });
}

/** Not in the designer's bundle: tests, and this Node-only server. */
const notBundled = (name: string) => name === 'node_modules' || name === 'dev' || name.startsWith('.') || /\.test\.tsx?$/.test(name) || name.startsWith('__');

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) if (!notBundled(e)) t = Math.max(t, newest(join(path, e)));
  return t;
}

/** The designer's build folder, built first when missing or older than its sources. */
export async function ensureDesigner(log: Log): Promise<string> {
  const dist = join(REPO_ROOT, 'dist');
  const sources = ['designer', 'codegen', 'runtime', 'templates', 'index.html', 'vite.config.ts', 'package-lock.json']
    .map((p) => join(REPO_ROOT, p))
    .filter(existsSync);
  const built = existsSync(join(dist, 'index.html')) ? statSync(join(dist, 'index.html')).mtimeMs : 0;
  if (built > 0 && sources.every((s) => newest(s) <= built)) return dist;
  log(
    built
      ? 'Pipewright dev: the designer changed since its last build; building it again (vite build)...'
      : 'Pipewright dev: building the designer (vite build, once)...',
  );
  const started = Date.now();
  await runCommand(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', 'dist', '--emptyOutDir', '--logLevel', 'warn'],
    REPO_ROOT,
    600_000,
  );
  log(`Pipewright dev: designer built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return dist;
}

/** Whether this checkout's node_modules holds exactly the versions a generated package.json pins. */
function installedHere(pkg: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }): boolean {
  return Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).every(([name, version]) => {
    try {
      return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version === version;
    } catch {
      return false;
    }
  });
}

export interface Built {
  dir: string;
  hash: string;
  reused: boolean;
}

const building = new Map<string, Promise<Built>>();

/** Generates the pipeline and builds its service, once per content; concurrent runs share a build. */
export async function buildService(pipeline: Pipeline, files: PipelineFiles, cacheDir: string, log: Log): Promise<Built> {
  const result = generate(pipeline, nodeAssets(), files);
  if (!result.files) throw new Error(`the pipeline cannot be generated: ${result.problems.map((p) => p.message).join('; ')}`);
  const all: [string, string | Uint8Array][] = [...Object.entries(result.files), ...Object.entries(result.binary ?? {})].sort(([a], [b]) => a.localeCompare(b));
  const h = createHash('sha256').update(process.version);
  for (const [path, contents] of all) h.update(path).update('\0').update(contents).update('\0');
  const hash = h.digest('hex').slice(0, 20);
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const dir = join(cacheDir, hash);
  if (existsSync(join(dir, '.pipewright-built'))) return { dir, hash, reused: true };
  let pending = building.get(hash);
  if (!pending) {
    pending = build(all, dir, hash, log).finally(() => building.delete(hash));
    building.set(hash, pending);
  }
  return pending;
}

async function build(all: [string, string | Uint8Array][], dir: string, hash: string, log: Log): Promise<Built> {
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    for (const [path, contents] of all) writeAtomically(join(tmp, ...path.split('/')), contents);
    const pkg = JSON.parse(readFileSync(join(tmp, 'package.json'), 'utf8')) as Parameters<typeof installedHere>[0];
    const started = Date.now();
    if (installedHere(pkg)) {
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
    } else {
      log(`Pipewright dev: installing the service's packages (npm ci) for build ${hash}...`);
      await runCommand('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], tmp, 600_000);
    }
    log(`Pipewright dev: building the service (tsc) for build ${hash}...`);
    await runCommand(process.execPath, [join(tmp, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], tmp, 600_000);
    writeAtomically(join(tmp, '.pipewright-built'), new Date().toISOString() + '\n');
    try {
      renameSync(tmp, dir);
    } catch {
      if (!existsSync(join(dir, '.pipewright-built'))) throw new Error(`cannot move the build into ${dir}`);
    }
    log(`Pipewright dev: service built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return { dir, hash, reused: false };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
