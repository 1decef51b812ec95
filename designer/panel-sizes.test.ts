import { describe, expect, test } from 'vitest';
import { defaultPanels, PANELS_KEY, savedPanels, savePanels } from './panel-sizes.js';

function memory(): Storage {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) } as Storage;
}

describe('panel sizes', () => {
  test('what is saved comes back', () => {
    const storage = memory();
    savePanels(storage, { dock: 400, bottom: 180, tree: 300, dockCollapsed: true });
    expect(savedPanels(storage)).toEqual({ dock: 400, bottom: 180, tree: 300, dockCollapsed: true });
  });
  test('nothing saved, or something unreadable, gives the defaults; sizes out of range are clamped', () => {
    const storage = memory();
    expect(savedPanels(storage)).toEqual(defaultPanels());
    storage.setItem(PANELS_KEY, '{not json');
    expect(savedPanels(storage)).toEqual(defaultPanels());
    storage.setItem(PANELS_KEY, JSON.stringify({ dock: 5, bottom: 'tall', tree: 1e9, dockCollapsed: 'yes' }));
    expect(savedPanels(storage)).toEqual({ ...defaultPanels(), dock: 140, tree: 600 });
  });
});
