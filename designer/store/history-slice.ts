import type { StateCreator } from 'zustand';
import type { Pipeline } from '../../codegen/pipeline.js';
import { HISTORY_LIMIT } from './initial.js';
import type { Actions, DesignerState, HistorySlice } from './types.js';

export const createHistorySlice: StateCreator<DesignerState, [], [], Actions<HistorySlice>> = (set, get) => {
  /** Swap the current pipeline for one from history; selection keeps only nodes that still exist. */
  const restore = (pipeline: Pipeline, past: Pipeline[], future: Pipeline[]) => {
    const s = get();
    const ids = new Set(pipeline.nodes.map((n) => n.id));
    set({
      pipeline,
      past,
      future,
      lastKey: null,
      structure: s.structure + 1,
      revision: s.revision + 1,
      selectedNodes: s.selectedNodes.filter((id) => ids.has(id)),
      selectedEdges: [],
    });
  };
  return {
    beginGesture() {
      const s = get();
      set({ past: [...s.past, s.pipeline].slice(-HISTORY_LIMIT), future: [], lastKey: null, lastAt: Date.now() });
    },
    endGesture() {
      const s = get();
      if (s.past.length && s.past[s.past.length - 1] === s.pipeline) set({ past: s.past.slice(0, -1) });
    },
    undo() {
      const s = get();
      if (s.past.length === 0) return;
      restore(s.past[s.past.length - 1], s.past.slice(0, -1), [s.pipeline, ...s.future]);
    },
    redo() {
      const s = get();
      if (s.future.length === 0) return;
      restore(s.future[0], [...s.past, s.pipeline], s.future.slice(1));
    },
  };
};
