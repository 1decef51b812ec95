/**
 * Where a pipeline lives between visits: autosaved to localStorage as YAML,
 * and shareable as a link that carries the YAML itself, deflated and
 * base64url-encoded in the fragment (`#p=…`), so no server is involved.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import type { Problem } from '../codegen/errors.js';
import type { Pipeline } from '../codegen/pipeline.js';
import { readPipelineText } from '../codegen/read.js';
import { serializePipeline } from '../codegen/serialize.js';
import type { DesignerState, DesignerStore } from './store/index.js';

export const AUTOSAVE_KEY = 'pipewright.autosave';
export const AUTOSAVE_DELAY_MS = 400;
export const SHARE_PREFIX = '#p=';

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function encodeShare(yaml: string): string {
  return toBase64Url(deflateSync(strToU8(yaml), { level: 9 }));
}

export function decodeShare(encoded: string): string {
  return strFromU8(inflateSync(fromBase64Url(encoded)));
}

export function shareUrl(pipeline: Pipeline, base: string): string {
  return `${base.replace(/#.*$/, '')}${SHARE_PREFIX}${encodeShare(serializePipeline(pipeline))}`;
}

/** Problems that mean the file was not read whole: opening it would lose what the Pipeline could not hold. */
export function isUnreadable(problems: Problem[]): boolean {
  return problems.some((p) => p.severity === 'error' && ['PW001', 'PW002', 'PW003', 'PW004', 'PW005', 'PW041'].includes(p.code));
}

export interface Opened {
  pipeline: Pipeline | null;
  problems: Problem[];
}

/**
 * Read pipeline YAML for the canvas: null pipeline when it must be refused, with the reasons.
 * Only the file's shape is checked here, on the page; older format versions are upgraded
 * (codegen/migrate.ts). The whole check runs in the check worker once the canvas shows it.
 */
export function readYaml(text: string): Opened {
  const { pipeline, problems } = readPipelineText(text);
  if (!pipeline || isUnreadable(problems)) return { pipeline: null, problems };
  return { pipeline, problems };
}

export type Origin = 'link' | 'autosave' | 'empty';

/** What the designer opens with: a shared link first, then the autosave, then an empty canvas. */
export function initialPipeline(
  hash: string,
  storage: Pick<Storage, 'getItem'> | undefined,
): { pipeline: Pipeline | null; origin: Origin; problems: Problem[] } {
  if (hash.startsWith(SHARE_PREFIX)) {
    try {
      const opened = readYaml(decodeShare(hash.slice(SHARE_PREFIX.length)));
      if (opened.pipeline) return { pipeline: opened.pipeline, origin: 'link', problems: [] };
      return { pipeline: null, origin: 'link', problems: opened.problems };
    } catch (e) {
      return { pipeline: null, origin: 'link', problems: [] };
    }
  }
  const saved = storage?.getItem(AUTOSAVE_KEY);
  if (saved) {
    const opened = readYaml(saved);
    if (opened.pipeline) return { pipeline: opened.pipeline, origin: 'autosave', problems: [] };
    // Written by a newer Pipewright: say so rather than start empty without a word.
    if (opened.problems.some((p) => p.code === 'PW006' || p.code === 'PW007')) return { pipeline: null, origin: 'autosave', problems: opened.problems };
  }
  return { pipeline: null, origin: 'empty', problems: [] };
}

/**
 * Save the pipeline a moment after each edit, and once more when the page goes away. With
 * `yamlOffThread` the YAML is written in a worker (the check worker: for a large pipeline it costs
 * the page tens of milliseconds); when the page goes away, or the worker fails, it is written here.
 * A save never overwrites a newer one. `keyFor` says where the state saves (an open exercise saves
 * under its own key); when it changes, what was pending is saved under the old key first.
 */
export function startAutosave(
  store: DesignerStore,
  storage: Storage,
  yamlOffThread?: (pipeline: Pipeline) => Promise<string>,
  keyFor: (s: DesignerState) => string = () => AUTOSAVE_KEY,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let key = keyFor(store.getState());
  let savedRevision = store.getState().revision;
  let writtenRevision = savedRevision;
  const write = (to: string, revision: number, text: string) => {
    if (to !== key || revision < writtenRevision) return;
    writtenRevision = revision;
    try {
      storage.setItem(to, text);
    } catch {
      // Storage full or disabled: the canvas still works; the user can export.
    }
  };
  const save = (here: boolean, s = store.getState()) => {
    clearTimeout(timer);
    // Going away, a save still on its way in the worker does not count: write it here.
    if (s.revision === (here ? writtenRevision : savedRevision)) return;
    savedRevision = s.revision;
    const { revision, pipeline } = s;
    const to = key;
    if (here || !yamlOffThread) return write(to, revision, serializePipeline(pipeline));
    yamlOffThread(pipeline).then(
      (text) => write(to, revision, text),
      () => write(to, revision, serializePipeline(pipeline)),
    );
  };
  const saveNow = () => save(true);
  const unsubscribe = store.subscribe((s, prev) => {
    const next = keyFor(s);
    if (next !== key) {
      // Edits not yet saved belong to the old key; the pipeline loaded for the new one is not an edit.
      save(true, prev);
      key = next;
      savedRevision = writtenRevision = s.revision;
      return;
    }
    if (s.revision !== prev.revision) {
      clearTimeout(timer);
      timer = setTimeout(() => save(false), AUTOSAVE_DELAY_MS);
    }
  });
  window.addEventListener('pagehide', saveNow);
  return () => {
    unsubscribe();
    clearTimeout(timer);
    window.removeEventListener('pagehide', saveNow);
  };
}
