/**
 * Node only: the one pipeline file `pipewright dev` was started with. Read with a version (a
 * hash of its text), written only there and atomically, with a conflict when it changed on disk
 * since the version the writer saw; watched, so a change made in an editor reaches the designer.
 */
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { checkPipelineText } from '../check.js';
import { formatProblem } from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import { readPipelineFiles, writeAtomically } from '../node-files.js';
import { typecheckInNode } from '../node-typecheck.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import { HttpError } from './node-http.js';

export const versionOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

export interface Checked {
  pipeline: Pipeline | null;
  files: PipelineFiles;
  /** Problems as `pipewright validate` prints them. */
  problems: { severity: string; code: string; message: string; text: string }[];
  errors: number;
}

export class PipelineFile {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last: string | undefined;
  private changed: ((version: string) => void) | undefined;

  constructor(readonly path: string) {}

  read(): { text: string; version: string } {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { text: '', version: versionOf('') };
      throw new HttpError(500, `cannot read ${this.path}: ${code ?? (e as Error).message}`, 'check the file and its permissions');
    }
    return { text, version: versionOf(text) };
  }

  /** Writes `text` if the file is still at `baseVersion`; else a 409 with what is on disk. */
  write(text: unknown, baseVersion: unknown): { version: string } {
    if (typeof text !== 'string') throw new HttpError(400, 'text must be the pipeline file as a string');
    if (typeof baseVersion !== 'string')
      throw new HttpError(400, 'baseVersion must be the version GET /api/pipeline gave', 'read the file first, then send its version back with the new text');
    const current = this.read();
    if (current.version !== baseVersion) {
      throw new HttpError(
        409,
        `${basename(this.path)} changed on disk since version ${baseVersion.slice(0, 16)}`,
        'merge with the text on disk and save again',
        { text: current.text, version: current.version },
      );
    }
    try {
      writeAtomically(this.path, text);
    } catch (e) {
      throw new HttpError(
        500,
        `cannot write ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'check the folder and its permissions',
      );
    }
    // Announced at once (every open designer learns the new version), so the watcher compares the
    // next change on disk with this version, not with the one before it.
    this.announce(versionOf(text));
    return { version: versionOf(text) };
  }

  /** The file's check, as `pipewright validate` runs it. */
  async check(text = this.read().text): Promise<Checked> {
    const { pipeline, problems, files } = await checkPipelineText(text, { files: (p) => readPipelineFiles(this.path, p), typecheck: typecheckInNode });
    return {
      pipeline,
      files,
      problems: problems.map((p) => ({ severity: p.severity, code: p.code, message: p.message, text: formatProblem(p, basename(this.path)) })),
      errors: problems.filter((p) => p.severity === 'error').length,
    };
  }

  /**
   * Calls `changed` with the new version when the file's text changes on disk (an editor's save,
   * a rename over it), once per burst of events. The folder is watched: a rename replaces the file.
   */
  watch(changed: (version: string) => void): void {
    this.changed = changed;
    this.last = this.read().version;
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), (_event, file) => {
        if (file !== null && file !== name) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.announce(this.read().version);
        }, 150);
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // A folder that cannot be watched: the designer still sees changes on its next read.
    }
  }

  private announce(version: string): void {
    if (version === this.last) return;
    this.last = version;
    this.changed?.(version);
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }
}
