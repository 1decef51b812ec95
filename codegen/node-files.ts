/**
 * Node only: the files a pipeline names (models), read from beside its
 * pipeline.yaml. Only paths that resolve inside the pipeline's folder are
 * read, symbolic links included; anything else is left out, and validation
 * reports it as missing or unusable.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { getKind } from '../runtime/kinds/registry.js';
import { withDefaults, type PipelineFiles } from '../runtime/kinds/spec.js';
import type { Pipeline } from './model.js';

export function readPipelineFiles(pipelineFile: string, p: Pipeline): PipelineFiles {
  const files: PipelineFiles = {};
  let folder: string;
  try {
    folder = realpathSync(dirname(resolve(pipelineFile)));
  } catch {
    return files;
  }
  for (const node of p.nodes) {
    const kind = getKind(node.kind);
    for (const path of kind?.files ? kind.files(withDefaults(kind, node.params)) : []) {
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
