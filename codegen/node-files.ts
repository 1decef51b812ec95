/**
 * Node only: the files a pipeline names (models), read from beside its
 * pipeline.yaml. Only paths that resolve inside the pipeline's folder are
 * read, symbolic links included; anything else is left out, and validation
 * reports it as missing or unusable. Also the atomic write the CLI and
 * `pipewright dev` save files with.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { getKind } from '../runtime/kinds/registry.js';
import { withDefaults, type PipelineFiles } from '../runtime/kinds/spec.js';
import type { Pipeline } from './pipeline.js';

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

/** Write to a temporary file beside the target, then rename: a reader never sees half a file. */
export function writeAtomically(target: string, data: string | Uint8Array, mode?: number): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data);
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
