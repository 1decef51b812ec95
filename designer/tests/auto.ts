/**
 * The pipeline's tests follow the drawing: once validation has spoken for
 * the pipeline as it is now, the tests run in their worker (when it found
 * no errors), so the Problems panel lists failing tests as it lists the rest.
 */
import type { DesignerStore } from '../store/index.js';

export const TESTS_DELAY_MS = 250;

export function startTestRuns(store: DesignerStore): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void store.getState().runTests(), TESTS_DELAY_MS);
  };
  if (store.getState().problemsFor === store.getState().structure) schedule();
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.problems !== prev.problems || s.problemsFor !== prev.problemsFor) schedule();
  });
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}
