/**
 * The TypeScript compiler loads only in the check worker: nothing the page
 * imports statically (from designer/main.tsx, not counting workers and
 * dynamic imports) reaches the `typescript` package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { REPO_ROOT } from '../../codegen/node-assets.js';

/** Static value imports and re-exports of a module; `import type` and `export type` erase at build time. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

function resolveModule(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec).replace(/\.js$/, '');
  for (const ext of ['.ts', '.tsx']) {
    try {
      readFileSync(base + ext);
      return base + ext;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The chain of modules from the entry to `typescript`, or null. */
function pathToTypeScript(entry: string): string[] | null {
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]): string[] | null => {
    if (seen.has(file)) return null;
    seen.add(file);
    for (const spec of imports(file)) {
      if (spec === 'typescript') return [...chain, file, spec];
      const next = resolveModule(file, spec);
      if (next) {
        const found = walk(next, [...chain, file]);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(entry, []);
}

test('the page does not import the TypeScript compiler; the check worker does', () => {
  const rel = (chain: string[] | null) => (chain ? chain.map((f) => f.replace(REPO_ROOT + '/', '')) : null);
  expect(rel(pathToTypeScript(join(REPO_ROOT, 'designer', 'main.tsx')))).toBeNull();
  expect(rel(pathToTypeScript(join(REPO_ROOT, 'designer', 'check', 'check.worker.ts')))).not.toBeNull();
});
