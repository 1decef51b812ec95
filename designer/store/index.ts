/**
 * The designer's store: one zustand store from typed slices. Components
 * select narrowly with the module-level selectors in selectors.ts; event
 * handlers read `useDesigner.getState()` instead of subscribing.
 */
import { create } from 'zustand';
import { createHistorySlice } from './history-slice.js';
import { initialState } from './initial.js';
import { createPipelineSlice } from './pipeline-slice.js';
import { createSelectionSlice } from './selection-slice.js';
import { createSimulatorSlice } from '../simulator/slice.js';
import { createTestsSlice } from '../tests/slice.js';
import { createWorkshopSlice } from '../workshop/slice.js';
import type { DesignerState } from './types.js';
import { createUiSlice } from './ui-slice.js';

export const useDesigner = create<DesignerState>()((...a) => ({
  ...initialState(),
  ...createPipelineSlice(...a),
  ...createSelectionSlice(...a),
  ...createHistorySlice(...a),
  ...createUiSlice(...a),
  ...createSimulatorSlice(...a),
  ...createTestsSlice(...a),
  ...createWorkshopSlice(...a),
  reset: () => a[0](initialState()),
}));

export type { DesignerState } from './types.js';
