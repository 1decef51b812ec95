/** Node only: the runtime's sources, the templates and the package lock, read from this checkout for the CLI and tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodegenAssets } from './generate.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Whether a runtime file is vendored into generated repositories: sources, not tests. */
export function isVendoredRuntimeFile(path: string): boolean {
  return path.endsWith('.ts') && !path.endsWith('.test.ts');
}

function readTree(dir: string, keep: (p: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of walk(dir).sort()) {
    const rel = relative(dir, file).split(sep).join('/');
    if (keep(rel)) out[rel] = readFileSync(file, 'utf8');
  }
  return out;
}

let cached: CodegenAssets | undefined;
export function nodeAssets(): CodegenAssets {
  cached ??= {
    runtime: readTree(join(REPO_ROOT, 'runtime'), isVendoredRuntimeFile),
    templates: readTree(join(REPO_ROOT, 'templates'), (p) => p.endsWith('.hbs')),
    lockfile: readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8'),
  };
  return cached;
}
