import type { StateCreator } from 'zustand';
import type { Actions, DesignerState, UiSlice } from './types.js';

/** How long a toast stays, in ms. */
export const TOAST_MS = 4000;

export const createUiSlice: StateCreator<DesignerState, [], [], Actions<UiSlice>> = (set, get) => {
  let toastSeq = 0;
  return {
    setTheme: (theme) => set({ theme }),
    toast(text, tone = 'info') {
      const id = ++toastSeq;
      // The same message twice in a row replaces the first rather than stacking.
      set({ toasts: [...get().toasts.filter((t) => t.text !== text), { id, tone, text }].slice(-4) });
      if (typeof window !== 'undefined') setTimeout(() => get().dismissToast(id), TOAST_MS);
    },
    dismissToast: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
    setBottomTab: (bottomTab) => set({ bottomTab, bottomOpen: true }),
    toggleBottom: () => set({ bottomOpen: !get().bottomOpen }),
    setProblems: (problems, problemsFor) => set({ problems, problemsFor }),
    setPreview: (preview, previewFor) => set({ preview, previewFor }),
    setPreviewFile: (previewFile) => set({ previewFile }),
    setMeasured: (sizes) => set({ measured: { ...get().measured, ...sizes } }),
    setDialog: (dialog) => set({ dialog }),
    setPaletteQuery: (paletteQuery) => set({ paletteQuery }),
    setPanels: (sizes) => set({ panels: { ...get().panels, ...sizes } }),
    setDropEdge: (dropEdge) => {
      if (get().dropEdge !== dropEdge) set({ dropEdge });
    },
  };
};
