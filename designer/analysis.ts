/**
 * Validation and the code preview follow the drawing, debounced, off the
 * path of every keystroke and drag frame: validation runs when something
 * other than a position changed; generation only while the code tab is
 * open (export generates on demand).
 */
import { validatePipeline } from '../codegen/validate.js';
import { useDesigner } from './store/index.js';

export const VALIDATE_DELAY_MS = 80;
export const PREVIEW_DELAY_MS = 300;

type Store = typeof useDesigner;

export function validateNow(store: Store = useDesigner): void {
  const s = store.getState();
  // Already known for this state (opening a file validates as it reads).
  if (s.problemsFor === s.structure) return;
  // An empty canvas is a start, not a problem: the empty state says what to do.
  s.setProblems(s.pipeline.nodes.length === 0 ? [] : validatePipeline(s.pipeline, s.files), s.structure);
}

/** The generator and its bundled assets load with the first preview, not with the page. */
export async function previewNow(store: Store = useDesigner): Promise<void> {
  const { generateRepository } = await import('./codegen-run.js');
  const s = store.getState();
  const out = generateRepository(s.pipeline, s.files);
  s.setPreview(out, s.revision);
}

export function startAnalysis(store: Store = useDesigner): () => void {
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
  validateNow(store);
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.structure !== prev.structure) {
      clearTimeout(validateTimer);
      validateTimer = setTimeout(() => validateNow(store), VALIDATE_DELAY_MS);
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
