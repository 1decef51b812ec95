/**
 * The whole check of a pipeline file, in the order `pipewright validate`
 * runs it: read and validate the YAML, validate again with the pipeline's
 * files (models), type-check the expressions as the generated repository's
 * compiler will (when nothing else is wrong), then the kinds' probes (models
 * loaded in their runtime). The CLI and the designer's check worker both
 * call checkPipelineText, so the designer reports exactly what the CLI does.
 *
 * Pure: what differs between Node and a browser arrives in `env` (how to
 * type-check, where the lib files come from, how to read the files).
 */
import { getKind } from '../runtime/kinds/registry.js';
import { withDefaults, type PipelineFiles } from '../runtime/kinds/spec.js';
import { problem, type Problem } from './errors.js';
import { nodePath, type Pipeline } from './pipeline.js';
import { parsePipeline } from './parse.js';
import { withSchemaFiles } from './schema-files.js';
import { validatePipeline } from './validate-pipeline.js';

export interface CheckEnv {
  /** The pipeline's files by path relative to its folder: read from disk by the CLI, attached in the designer. */
  files(p: Pipeline): PipelineFiles;
  /** Type-check the expressions (codegen/typecheck.ts with this host's lib files). */
  typecheck(p: Pipeline): Problem[];
}

export interface CheckResult {
  pipeline: Pipeline | null;
  problems: Problem[];
  files: PipelineFiles;
}

const hasErrors = (problems: Problem[]) => problems.some((p) => p.severity === 'error');

export async function checkPipelineText(text: string, env: CheckEnv): Promise<CheckResult> {
  const { pipeline, problems, locate } = parsePipeline(text);
  if (!pipeline) return { pipeline, problems, files: {} };
  const files = env.files(pipeline);
  // Validating again with the files adds what only they show (a missing model); the rest is already listed.
  const seen = new Set(problems.map((p) => `${p.code}\u0000${p.path.join('/')}\u0000${p.message}`));
  for (const p of validatePipeline(pipeline, files)) if (!seen.has(`${p.code}\u0000${p.path.join('/')}\u0000${p.message}`)) problems.push(locate(p));
  // Types come from schema files too: the check sees their contents where the generated code will.
  if (!hasErrors(problems)) problems.push(...env.typecheck(withSchemaFiles(pipeline, files)).map(locate));
  if (!hasErrors(problems)) problems.push(...(await probePipeline(pipeline, files)).map(locate));
  return { pipeline, problems, files };
}

/** The kinds' asynchronous checks (models loaded in their runtime), as problems on their nodes. */
export async function probePipeline(p: Pipeline, files: PipelineFiles): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [i, node] of p.nodes.entries()) {
    const kind = getKind(node.kind);
    if (!kind?.probe) continue;
    for (const kp of await kind.probe(withDefaults(kind, node.params), { files })) {
      problems.push(problem(kp.code, { message: kp.message, hint: kp.hint }, [...nodePath(node, i), kp.param], node.id));
    }
  }
  return problems;
}
