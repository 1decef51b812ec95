/**
 * Preview and export, through the generator the CLI uses. The designer runs
 * it in its check worker (designer/check), never on the page: the generator
 * checks expressions with the TypeScript compiler. Kept apart from the
 * components so tests and the benchmark can call it too.
 */
import type { Problem } from '../codegen/errors.js';
import { generate, zipFiles } from '../codegen/generate.js';
import type { Pipeline } from '../codegen/pipeline.js';
import { parsePipeline } from '../codegen/parse.js';
import { serializePipeline } from '../codegen/serialize.js';
import type { PipelineFiles } from '../runtime/kinds/spec.js';
import { codegenAssets } from './codegen-assets.js';
import { errorText } from '../runtime/errors.js';

export interface GenerateOutcome {
  files: Record<string, string> | null;
  binary: Record<string, Uint8Array>;
  problems: Problem[];
  crash?: string;
  millis: number;
}

/**
 * The pipeline as the CLI would read it back from the exported YAML. The
 * canvas may hold the same pipeline in another form (a sample's fields in
 * another order, say); generating from what the YAML says makes preview and
 * export byte-identical to `pipewright generate` on that YAML.
 */
export function asExported(pipeline: Pipeline): Pipeline {
  return parsePipeline(serializePipeline(pipeline)).pipeline ?? pipeline;
}

export function generateRepository(pipeline: Pipeline, pipelineFiles: PipelineFiles = {}): GenerateOutcome {
  const t0 = performance.now();
  try {
    const { files, binary = {}, problems } = generate(asExported(pipeline), codegenAssets, pipelineFiles);
    return { files, binary, problems, millis: performance.now() - t0 };
  } catch (e) {
    // generate is documented not to throw; if it does, say so instead of showing nothing.
    return { files: null, binary: {}, problems: [], crash: errorText(e), millis: performance.now() - t0 };
  }
}

export function zipRepository(out: Pick<GenerateOutcome, 'files' | 'binary'>): Uint8Array {
  return zipFiles(out.files ?? {}, out.binary);
}
