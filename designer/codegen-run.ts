/**
 * Preview and export, through the generator the CLI uses. Kept apart from
 * the components so the store tests and the benchmark can call it too.
 */
import type { Problem } from '../codegen/errors.js';
import { generate, zipFiles } from '../codegen/generate.js';
import type { Pipeline } from '../codegen/model.js';
import { codegenAssets } from './codegen-assets.js';

export interface GenerateOutcome {
  files: Record<string, string> | null;
  problems: Problem[];
  crash?: string;
  millis: number;
}

export function generateRepository(pipeline: Pipeline): GenerateOutcome {
  const t0 = performance.now();
  try {
    const { files, problems } = generate(pipeline, codegenAssets);
    return { files, problems, millis: performance.now() - t0 };
  } catch (e) {
    // generate is documented not to throw; if it does, say so instead of showing nothing.
    return { files: null, problems: [], crash: e instanceof Error ? e.message : String(e), millis: performance.now() - t0 };
  }
}

export function zipRepository(files: Record<string, string>): Uint8Array {
  return zipFiles(files);
}
