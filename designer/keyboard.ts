/**
 * Shortcuts for the whole designer. Inside text fields and the expression
 * editor the field's own undo and copy win; Delete is React Flow's, so it
 * only acts on the canvas.
 */
import { fitView, revealNodes } from './actions.js';
import type { DesignerStore } from './store/index.js';

/** Ctrl on Linux and Windows, ⌘ on a Mac; both work everywhere. */
export const MOD = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl';

/** Every shortcut, as the help (`?`) lists them. "Mod" is Ctrl or ⌘. */
export const SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: 'Mod Z', does: 'Undo' },
  { keys: 'Shift Mod Z', does: 'Redo (also Mod Y)' },
  { keys: 'Delete', does: 'Delete the selected nodes and wires (also Backspace)' },
  { keys: 'Mod C', does: 'Copy the selected nodes' },
  { keys: 'Mod V', does: 'Paste them, clear of the nodes already there' },
  { keys: 'Mod A', does: 'Select every node' },
  { keys: 'F', does: 'Fit the pipeline in view' },
  { keys: 'P', does: 'Presenter mode: large type, one panel, driven by keys (Esc leaves)' },
  { keys: '?', does: 'Show these shortcuts' },
  { keys: 'Esc', does: 'Close a dialog' },
];

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** The shortcuts of one designer: `keyHandler(store)` is the page's keydown listener while that designer is mounted. */
export function keyHandler(store: DesignerStore): (e: KeyboardEvent) => void {
  return (e) => onKeyDown(store, e);
}

export function onKeyDown(store: DesignerStore, e: KeyboardEvent): void {
  if (isTyping(e.target) || e.altKey) return;
  const s = store.getState();
  const key = e.key.toLowerCase();
  if (!(e.ctrlKey || e.metaKey)) {
    if (s.dialog) return;
    if (e.key === '?') s.setDialog({ type: 'shortcuts' });
    else if (key === 'f' && !e.shiftKey) fitView(store);
    else return;
    e.preventDefault();
    return;
  }
  if (key === 'z' && !e.shiftKey) s.undo();
  else if ((key === 'z' && e.shiftKey) || key === 'y') s.redo();
  else if (key === 'c' && !e.shiftKey) {
    const n = s.copySelection();
    if (n === 0) return;
    s.toast(`Copied ${n} node${n > 1 ? 's' : ''}.`);
  } else if (key === 'v' && !e.shiftKey) {
    const ids = s.paste();
    if (ids.length === 0) return;
    revealNodes(store, ids);
  } else if (key === 'a' && !e.shiftKey)
    s.select(
      s.pipeline.nodes.map((n) => n.id),
      [],
    );
  else return;
  e.preventDefault();
}
