/**
 * Node only: the files a pipeline names (models), read from beside its
 * pipeline.yaml. Only paths that resolve inside the pipeline's folder are
 * read, symbolic links included; anything else is left out, and validation
 * reports it as missing or unusable.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { getKind } from '../runtime/kinds/registry.js';
import type { PipelineFiles } from '../runtime/kinds/spec.js';
import { problem, type Problem } from './errors.js';
import { nodePath, type Pipeline } from './model.js';

export function readPipelineFiles(pipelineFile: string, p: Pipeline): PipelineFiles {
  const files: PipelineFiles = {};
  let folder: string;
  try {
    folder = realpathSync(dirname(resolve(pipelineFile)));
  } catch {
    return files;
  }
  for (const node of p.nodes) {
    for (const path of getKind(node.kind)?.files?.(node.params) ?? []) {
      if (path in files || path.startsWith('/') || path.includes('\\') || path.split('/').includes('..')) continue;
      try {
        const real = realpathSync(resolve(folder, path));
        if (!real.startsWith(folder + sep)) continue;
        files[path] = new Uint8Array(readFileSync(real));
      } catch {
        // Missing or unreadable: validation says so.
      }
    }
  }
  return files;
}

/** The kinds' asynchronous checks (models loaded in their runtime), as problems on their nodes. */
export async function probePipeline(p: Pipeline, files: PipelineFiles): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [i, node] of p.nodes.entries()) {
    const kind = getKind(node.kind);
    if (!kind?.probe) continue;
    const params: Record<string, unknown> = {};
    for (const spec of kind.params) params[spec.name] = node.params[spec.name] ?? spec.default;
    for (const kp of await kind.probe(params, { files })) {
      problems.push(problem('PW018', { message: kp.message, hint: kp.hint }, [...nodePath(node, i), kp.param], node.id));
    }
  }
  return problems;
}
