import type { StateCreator } from 'zustand';
import type { Actions, DesignerState, SelectionSlice } from './types.js';

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export const createSelectionSlice: StateCreator<DesignerState, [], [], Actions<SelectionSlice>> = (set, get) => ({
  select(nodes, edges = []) {
    const s = get();
    // Keep the arrays' identity when nothing changed, so derived canvas nodes stay as they are.
    if (same(nodes, s.selectedNodes) && same(edges, s.selectedEdges)) return;
    set({ selectedNodes: nodes, selectedEdges: edges });
  },
});
