/**
 * A handle that resizes a panel: drag it, or focus it and use the arrow
 * keys (Home and End for the limits). The size goes into the store while
 * dragging and is saved for the next visit when the drag ends.
 */
import { memo, type KeyboardEvent, type PointerEvent } from 'react';
import { clampPanel, PANEL_LIMITS, savePanels } from '../panel-sizes.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { DesignerStore } from '../store/index.js';
import { canvasElement } from '../flow-api.js';

type Name = keyof typeof PANEL_LIMITS;

/** How much taller the panels under the canvas can grow before the canvas would drop below half the height. */
function roomAbove(store: DesignerStore): number {
  const box = canvasElement(store);
  const canvas = box?.getBoundingClientRect();
  const center = box?.closest('.pw-center')?.getBoundingClientRect();
  return canvas && center ? Math.max(0, canvas.height - center.height / 2) : Infinity;
}

/**
 * `edge`: where the handle sits on the panel. A handle on the top edge grows
 * the panel when dragged up; one on the right edge grows it when dragged right.
 */
export const Splitter = memo(function Splitter({ name, edge, label }: { name: Name; edge: 'top' | 'right'; label: string }) {
  const store = useDesignerStore();
  const state = store.getState;
  const save = () => savePanels(localStorage, state().panels);
  const size = useDesigner((s) => s.panels[name]);
  const vertical = edge === 'right';
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    const handle = e.currentTarget;
    handle.setPointerCapture(e.pointerId);
    const start = vertical ? e.clientX : e.clientY;
    const panel = handle.parentElement!.getBoundingClientRect();
    // Start from the size on screen (the canvas may have squeezed the panel), and stop where the canvas's half begins.
    const from = vertical ? state().panels[name] : panel.height;
    const most = vertical ? Infinity : from + roomAbove(store);
    const move = (m: globalThis.PointerEvent) => {
      const delta = (vertical ? m.clientX : m.clientY) - start;
      state().setPanels({ [name]: clampPanel(name, Math.min(most, vertical ? from + delta : from - delta)) });
    };
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
      save();
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const grow = vertical ? 'ArrowRight' : 'ArrowUp';
    const shrink = vertical ? 'ArrowLeft' : 'ArrowDown';
    const step = e.shiftKey ? 64 : 16;
    const now = state().panels[name];
    let next: number | undefined;
    if (e.key === grow) next = now + step;
    else if (e.key === shrink) next = now - step;
    else if (e.key === 'Home') next = PANEL_LIMITS[name].min;
    else if (e.key === 'End') next = PANEL_LIMITS[name].max;
    if (next === undefined) return;
    e.preventDefault();
    state().setPanels({ [name]: clampPanel(name, next) });
    save();
  };
  return (
    <div
      className={`pw-splitter pw-splitter-${edge}`}
      role="separator"
      aria-orientation={vertical ? 'vertical' : 'horizontal'}
      aria-label={label}
      aria-valuenow={size}
      aria-valuemin={PANEL_LIMITS[name].min}
      aria-valuemax={PANEL_LIMITS[name].max}
      tabIndex={0}
      title={`${label}: drag, or focus and use the arrow keys`}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
      data-testid={`splitter-${name}`}
    />
  );
});
