/**
 * The designer's store: one zustand store per designer, built from typed
 * slices by `createDesignerStore()`. Two designers on one page have two
 * stores and share nothing: the selectors' memos live in the store
 * (`memo`), not in the module. React components reach their designer's
 * store through `<DesignerProvider>` (context.tsx); code outside React
 * (autosave, keyboard, actions, live sync, workshop, presenter) is handed
 * the store it works on.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createHistorySlice } from './history-slice.js';
import { initialState } from './initial.js';
import { createPipelineSlice } from './pipeline-slice.js';
import { createSelectionSlice } from './selection-slice.js';
import { createSelectorMemo } from './selectors.js';
import { createSimulatorSlice } from '../simulator/slice.js';
import { createTestsSlice } from '../tests/slice.js';
import { createWorkshopSlice } from '../workshop/slice.js';
import type { DesignerState } from './types.js';
import { createUiSlice } from './ui-slice.js';

/** One designer's store. */
export type DesignerStore = StoreApi<DesignerState>;

/** A new store, as a first-time user's designer starts. */
export function createDesignerStore(): DesignerStore {
  return createStore<DesignerState>()((...a) => ({
    ...initialState(),
    memo: createSelectorMemo(),
    ...createPipelineSlice(...a),
    ...createSelectionSlice(...a),
    ...createHistorySlice(...a),
    ...createUiSlice(...a),
    ...createSimulatorSlice(...a),
    ...createTestsSlice(...a),
    ...createWorkshopSlice(...a),
    // The memo stays: it belongs to this store, and its entries check their inputs.
    reset: () => a[0](initialState()),
  }));
}

export type { DesignerState } from './types.js';
