/**
 * Each designer's store reaches its components through React context, as
 * React Flow's does: `<DesignerProvider>` holds one store (made here, or
 * given), and `useDesigner(selector)` subscribes to the store of the
 * designer the component is in. Two providers on a page are two designers.
 */
import { createContext, useContext, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createDesignerStore, type DesignerStore } from './index.js';
import type { DesignerState } from './types.js';

const DesignerContext = createContext<DesignerStore | null>(null);

export function DesignerProvider({ store, children }: { store?: DesignerStore; children: ReactNode }) {
  // The store given, or one of this provider's own for its lifetime.
  const [own] = useState(() => store ?? createDesignerStore());
  return <DesignerContext.Provider value={store ?? own}>{children}</DesignerContext.Provider>;
}

/** The store of the designer this component is in, for event handlers (read with `getState()` when they run). */
export function useDesignerStore(): DesignerStore {
  const store = useContext(DesignerContext);
  if (!store) throw new Error('A designer component was rendered outside <DesignerProvider>: wrap the designer in one.');
  return store;
}

/** Subscribe to a slice of this designer's store; the component renders again when the selected value changes. */
export function useDesigner<T>(selector: (s: DesignerState) => T): T {
  return useStore(useDesignerStore(), selector);
}
