/**
 * Problems and the code preview follow the drawing, debounced, off the path
 * of every keystroke and drag frame. The problems are `pipewright validate`'s
 * whole check (codegen/check.ts, the TypeScript type check of expressions and
 * the model probes included), run in the check worker (designer/check) when
 * something other than a position changed; each request carries the store's
 * `structure` number and an answer for an older one is dropped. Generation
 * runs only while the code tab is open (export generates on demand).
 */
import type { Problem } from '../codegen/errors.js';
import { problem } from '../codegen/errors.js';
import { requestCheck, requestGenerate } from './check/client.js';
import type { CheckReply, CheckRequest } from './check/protocol.js';
import type { DesignerStore } from './store/index.js';
import { errorText } from '../runtime/errors.js';

/** Quiet time after an edit before the check starts: typing a word is one check, not one per key. */
export const VALIDATE_DELAY_MS = 150;
export const PREVIEW_DELAY_MS = 300;

type Store = DesignerStore;
export type Checker = (request: CheckRequest, reply: (reply: CheckReply) => void) => boolean;

let checker: Checker = requestCheck;
/** Run checks elsewhere than in the worker (tests and benchmarks in Node run the worker's code in process). */
export function setChecker(next: Checker): void {
  checker = next;
}

/** The text of the file each canvas was opened from, while the canvas is still that file: its problems keep the file's lines. */
const openedText = new WeakMap<Store, { structure: number; text: string }>();
export function rememberOpenedText(store: Store, text: string): void {
  openedText.set(store, { structure: store.getState().structure, text });
}

/** Each designer's canvas number in the check protocol: its requests overtake only its own older ones. */
const canvases = new WeakMap<Store, number>();
let nextCanvas = 0;
const canvasOf = (store: Store): number => canvases.get(store) ?? (canvases.set(store, nextCanvas++), canvases.get(store)!);

/** The files the check worker holds for each canvas: the last that canvas sent. */
const sentFiles = new WeakMap<Store, unknown>();

/** Check the pipeline as it is now; resolves when its problems are in the store (or a newer check took over). */
export function validateNow(store: Store): Promise<void> {
  const s = store.getState();
  // Already known for this state.
  if (s.problemsFor === s.structure) return Promise.resolve();
  // An empty canvas is a start, not a problem: the empty state says what to do.
  if (s.pipeline.nodes.length === 0) {
    s.setProblems([], s.structure);
    return Promise.resolve();
  }
  const revision = s.structure;
  const opened = openedText.get(store);
  const source = opened?.structure === revision ? { text: opened.text } : { pipeline: s.pipeline };
  const files = s.files !== sentFiles.get(store) ? s.files : undefined;
  return new Promise((resolve) => {
    const started = checker({ type: 'check', revision, canvas: canvasOf(store), source, files }, (reply) => {
      const now = store.getState();
      if (reply.revision === now.structure)
        now.setProblems(
          reply.type === 'problems' ? reply.problems : [checkFailed(reply.type === 'failed' ? reply.message : 'unexpected answer from the check worker')],
          reply.revision,
        );
      resolve();
    });
    if (started) sentFiles.set(store, s.files);
    else resolve();
    // A newer request makes this one's answer never come: resolve when the store moves on.
    const unsubscribe = store.subscribe((next) => {
      if (next.structure !== revision || next.problemsFor === revision) {
        unsubscribe();
        resolve();
      }
    });
  });
}

function checkFailed(message: string): Problem {
  return problem('PW051', { detail: message }, []);
}

/** The problems of the pipeline as it is now, waiting for the check if it is still running. */
export async function currentProblems(store: Store): Promise<Problem[]> {
  for (;;) {
    const s = store.getState();
    if (s.problemsFor === s.structure) return s.problems;
    await validateNow(store);
    const after = store.getState();
    if (after.problemsFor !== after.structure && after.structure === s.structure) return after.problems;
  }
}

/** The code preview, generated in the check worker (the generator and its assets never load on the page). */
export async function previewNow(store: Store): Promise<void> {
  const s = store.getState();
  try {
    const { outcome } = await requestGenerate(s.pipeline, s.files, false);
    // Shown for the revision it was made from; the panel says when that is behind.
    if (store.getState().previewFor <= s.revision) store.getState().setPreview(outcome, s.revision);
  } catch (e) {
    store.getState().setPreview({ files: null, binary: {}, problems: [], crash: errorText(e), millis: 0 }, s.revision);
  }
}

export function startAnalysis(store: Store): () => void {
  let validateTimer: ReturnType<typeof setTimeout> | undefined;
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  const previewWanted = () => {
    const s = store.getState();
    return s.bottomOpen && s.bottomTab === 'code' && s.previewFor !== s.revision;
  };
  const schedulePreview = (delay: number) => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => void (previewWanted() && previewNow(store)), delay);
  };
  void validateNow(store);
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.structure !== prev.structure) {
      clearTimeout(validateTimer);
      validateTimer = setTimeout(() => void validateNow(store), VALIDATE_DELAY_MS);
    }
    if (s.revision !== prev.revision) schedulePreview(PREVIEW_DELAY_MS);
    // Opening the code tab shows fresh code at once.
    if ((s.bottomTab !== prev.bottomTab || s.bottomOpen !== prev.bottomOpen) && previewWanted()) schedulePreview(0);
  });
  return () => {
    unsubscribe();
    clearTimeout(validateTimer);
    clearTimeout(previewTimer);
  };
}
