/**
 * What the check needs in a browser: the TypeScript lib files of the
 * generated repository's target (ES2022), inlined at build time, and the
 * runtime sources the expressions are checked against. Imported only by the
 * check worker (and the tests that run its code in Node): the TypeScript
 * compiler and these files never load on the designer's page itself.
 */
import type { CheckEnv } from '../../codegen/check.js';
import type { Pipeline } from '../../codegen/pipeline.js';
import { typecheckPipeline } from '../../codegen/typecheck.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import { codegenAssets } from '../codegen-assets.js';

// lib.es2022.d.ts and every lib file it references, nothing newer.
const LIB_PREFIX = '/node_modules/typescript/lib/';
const libs = import.meta.glob<string>(
  ['/node_modules/typescript/lib/lib.{es5,decorators,decorators.legacy}.d.ts', '/node_modules/typescript/lib/lib.es20{15,16,17,18,19,20,21,22}*.d.ts'],
  {
    query: '?raw',
    import: 'default',
    eager: true,
  },
);

export function readLib(name: string): string | undefined {
  return libs[LIB_PREFIX + name];
}

export function libNames(): string[] {
  return Object.keys(libs).map((k) => k.slice(LIB_PREFIX.length));
}

export function browserCheckEnv(files: PipelineFiles): CheckEnv {
  return {
    files: (_p: Pipeline) => files,
    typecheck: (p: Pipeline) => typecheckPipeline(p, codegenAssets, readLib),
  };
}
