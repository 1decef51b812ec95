/**
 * Sizes of the resizable panels (simulator dock, bottom panel, the code
 * preview's file list) and whether the dock is collapsed, kept per browser
 * in localStorage so the designer opens as the user left it.
 */
export const PANELS_KEY = 'pipewright.panels';

export interface PanelSizes {
  /** Height of the simulator dock, px. */
  dock: number;
  /** Height of the bottom panel (problems, code) when open, px. */
  bottom: number;
  /** Width of the code preview's file list, px. */
  tree: number;
  /** The dock shows only its controls. */
  dockCollapsed: boolean;
}

export const PANEL_LIMITS: Record<'dock' | 'bottom' | 'tree', { min: number; max: number; initial: number }> = {
  dock: { min: 140, max: 900, initial: 330 },
  bottom: { min: 120, max: 900, initial: 250 },
  tree: { min: 120, max: 600, initial: 210 },
};

export function defaultPanels(): PanelSizes {
  return { dock: PANEL_LIMITS.dock.initial, bottom: PANEL_LIMITS.bottom.initial, tree: PANEL_LIMITS.tree.initial, dockCollapsed: false };
}

export const clampPanel = (name: keyof typeof PANEL_LIMITS, px: number) => Math.round(Math.min(PANEL_LIMITS[name].max, Math.max(PANEL_LIMITS[name].min, px)));

/** Saved sizes, each checked; anything missing or odd falls back to the default. */
export function savedPanels(storage: Pick<Storage, 'getItem'>): PanelSizes {
  const out = defaultPanels();
  let saved: unknown;
  try {
    saved = JSON.parse(storage.getItem(PANELS_KEY) ?? 'null');
  } catch {
    return out;
  }
  if (!saved || typeof saved !== 'object') return out;
  const s = saved as Record<string, unknown>;
  for (const name of ['dock', 'bottom', 'tree'] as const) if (typeof s[name] === 'number' && Number.isFinite(s[name])) out[name] = clampPanel(name, s[name]);
  if (typeof s.dockCollapsed === 'boolean') out.dockCollapsed = s.dockCollapsed;
  return out;
}

export function savePanels(storage: Pick<Storage, 'setItem'>, sizes: PanelSizes): void {
  try {
    storage.setItem(PANELS_KEY, JSON.stringify(sizes));
  } catch {
    // Private mode or full storage: the sizes last this visit.
  }
}
