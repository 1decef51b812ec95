/**
 * pipeline.yaml → Pipeline, read (read.ts) and validated (validate-pipeline.ts), every
 * problem placed at its line and column. The CLI and the designer's check
 * worker read files through here; see check.ts for the whole check.
 */
import { readPipelineText, type ParseResult } from './read.js';
import { validatePipeline } from './validate-pipeline.js';

export { NODE_KEYS, type ParseResult } from './read.js';

/** Parse and validate a pipeline file. Never throws. */
export function parsePipeline(text: string): ParseResult {
  return readPipelineText(text, validatePipeline);
}
