/** Node only: type-check with the lib files of the installed TypeScript. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Problem } from './errors.js';
import type { Pipeline } from './pipeline.js';
import { nodeAssets } from './node-assets.js';
import { typecheckPipeline } from './typecheck.js';

const libDir = dirname(createRequire(import.meta.url).resolve('typescript'));

export function readTypeScriptLib(name: string): string | undefined {
  if (!/^lib\.[a-z0-9.]+\.d\.ts$/.test(name)) return undefined;
  try {
    return readFileSync(join(libDir, name), 'utf8');
  } catch {
    return undefined;
  }
}

export function typecheckInNode(p: Pipeline): Problem[] {
  return typecheckPipeline(p, nodeAssets(), readTypeScriptLib);
}
