/**
 * Shortcuts for the whole designer. Inside text fields and the expression
 * editor the field's own undo and copy win; Delete is React Flow's, so it
 * only acts on the canvas.
 */
import { useDesigner } from './store/index.js';

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function onKeyDown(e: KeyboardEvent): void {
  if (isTyping(e.target) || !(e.ctrlKey || e.metaKey) || e.altKey) return;
  const s = useDesigner.getState();
  const key = e.key.toLowerCase();
  if (key === 'z' && !e.shiftKey) s.undo();
  else if ((key === 'z' && e.shiftKey) || key === 'y') s.redo();
  else if (key === 'c' && !e.shiftKey) {
    const n = s.copySelection();
    if (n === 0) return;
    s.toast(`Copied ${n} node${n > 1 ? 's' : ''}.`);
  } else if (key === 'v' && !e.shiftKey) {
    if (s.paste().length === 0) return;
  } else if (key === 'a' && !e.shiftKey) s.select(s.pipeline.nodes.map((n) => n.id), []);
  else return;
  e.preventDefault();
}
