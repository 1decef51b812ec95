/**
 * Presenter mode as data: which key does what, and a pure reducer from the
 * presenter's state, an action and what the designer shows now, to the next
 * state and the effects to run (simulator commands, tour steps, full screen).
 * The store (store.ts) runs the effects; nothing here touches the page.
 */
import type { Command } from '../simulator/protocol.js';

export type PresenterPanel = 'tour' | 'notes' | 'group' | 'topics' | 'time' | 'edge';

/** The panels, in the order `]` and `[` cycle through them and 1…6 pick them. */
export const PANELS: readonly { panel: PresenterPanel; label: string }[] = [
  { panel: 'tour', label: 'Tour' },
  { panel: 'notes', label: 'What is happening' },
  { panel: 'group', label: 'Consumer group' },
  { panel: 'topics', label: 'Topics' },
  { panel: 'time', label: 'Time' },
  { panel: 'edge', label: 'Edge events' },
];

/** Slow motion and fast forward, as factors of the speed the simulator ran at before. */
export const SPEED_FACTORS = [0.25, 0.5, 1, 2] as const;
const NORMAL = SPEED_FACTORS.indexOf(1);
/** The pace "1×" means when the simulator ran at full speed (which has no rate to slow down). */
export const FULL_SPEED_PACE = 30;

export interface PresenterState {
  on: boolean;
  panel: PresenterPanel;
  /** Index into SPEED_FACTORS. */
  speed: number;
  /** The table of keys is shown (else only a discreet "? keys"). */
  hints: boolean;
  /** The simulator's speed (ticks per second, 0 = full speed) when presenter mode began. */
  base: number;
}

export const INITIAL_PRESENTER: PresenterState = { on: false, panel: 'tour', speed: NORMAL, hints: false, base: 10 };

export type PresenterAction =
  | { type: 'enter' }
  | { type: 'leave' }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'play-pause' }
  | { type: 'step' }
  | { type: 'slower' }
  | { type: 'faster' }
  | { type: 'next-panel' }
  | { type: 'previous-panel' }
  | { type: 'panel'; index: number }
  | { type: 'hints' }
  | { type: 'fit' };

/** What the reducer needs to know of the rest of the designer. */
export interface PresenterContext {
  simOpen: boolean;
  running: boolean;
  /** Speed the simulator runs at now (ticks per second, 0 = full speed). */
  simSpeed: number;
  hasNodes: boolean;
  hasWindows: boolean;
  tourStep: number;
  /** Steps of the open example's tour; 0 when it has none. */
  tourSteps: number;
}

export type PresenterEffect =
  | { type: 'sim'; command: Command }
  /** Open the simulator (it starts paused on its first tick). */
  | { type: 'simulate' }
  /** The speed the next simulation starts with, when none runs. */
  | { type: 'sim-speed-setting'; speed: number }
  | { type: 'tour-step'; step: number }
  | { type: 'fullscreen'; on: boolean }
  /** Fit the pipeline in the canvas, zoomed up to the presenter's scale. */
  | { type: 'fit' };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** Every presenter key, as the on-screen hint and the README list them. */
export const PRESENTER_KEYS: readonly { keys: string; does: string }[] = [
  { keys: '→ / PageDown', does: 'Next tour step' },
  { keys: '← / PageUp', does: 'Previous tour step' },
  { keys: 'Space', does: 'Run or pause the simulation' },
  { keys: '.', does: 'One tick (pauses first)' },
  { keys: '− / +', does: 'Slower / faster: 0.25×, 0.5×, 1×, 2×' },
  { keys: '] / [', does: 'Next / previous panel (1–6 pick one)' },
  { keys: 'F', does: 'Fit the pipeline in view, large' },
  { keys: '?', does: 'Show or hide these keys' },
  { keys: 'Esc / P', does: 'Leave presenter mode' },
];

/** The action a key stands for, or null when presenter mode leaves the key alone. */
export function keyAction(e: KeyLike, on: boolean): PresenterAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const key = e.key;
  if (!on) return key === 'p' || key === 'P' ? { type: 'enter' } : null;
  if (/^[1-6]$/.test(key)) return { type: 'panel', index: Number(key) - 1 };
  const byKey: Record<string, PresenterAction['type']> = {
    Escape: 'leave',
    p: 'leave',
    P: 'leave',
    ArrowRight: 'next',
    PageDown: 'next',
    ArrowLeft: 'previous',
    PageUp: 'previous',
    ' ': 'play-pause',
    '.': 'step',
    '-': 'slower',
    _: 'slower',
    '+': 'faster',
    '=': 'faster',
    ']': 'next-panel',
    '[': 'previous-panel',
    '?': 'hints',
    f: 'fit',
    F: 'fit',
  };
  const type = byKey[key];
  return type ? ({ type } as PresenterAction) : null;
}

/** Ticks per second for a speed factor of the speed the simulator ran at before (0 = full speed). */
export function speedFor(base: number, factor: number): number {
  if (factor === 1) return base;
  return (base > 0 ? base : FULL_SPEED_PACE) * factor;
}

export function visiblePanels(hasWindows: boolean): PresenterPanel[] {
  return PANELS.map((p) => p.panel).filter((p) => p !== 'time' || hasWindows);
}

export interface Reduced {
  state: PresenterState;
  effects: PresenterEffect[];
}

function setSpeed(state: PresenterState, index: number, ctx: PresenterContext): Reduced {
  const speed = Math.max(0, Math.min(SPEED_FACTORS.length - 1, index));
  if (speed === state.speed) return { state, effects: [] };
  const ticks = speedFor(state.base, SPEED_FACTORS[speed]);
  const effect: PresenterEffect = ctx.simOpen ? { type: 'sim', command: { type: 'speed', speed: ticks } } : { type: 'sim-speed-setting', speed: ticks };
  return { state: { ...state, speed }, effects: [effect] };
}

function moveTour(state: PresenterState, by: number, ctx: PresenterContext): Reduced {
  if (ctx.tourSteps === 0) return { state, effects: [] };
  const at = Math.min(ctx.tourStep, ctx.tourSteps - 1);
  const step = Math.max(0, Math.min(ctx.tourSteps - 1, at + by));
  // The step shows in the tour panel, so the tour comes into view if another panel was shown.
  return { state: { ...state, panel: 'tour' }, effects: step === ctx.tourStep ? [] : [{ type: 'tour-step', step }] };
}

function cyclePanel(state: PresenterState, by: number, ctx: PresenterContext): Reduced {
  const panels = visiblePanels(ctx.hasWindows);
  const at = Math.max(0, panels.indexOf(state.panel));
  return { state: { ...state, panel: panels[(at + by + panels.length) % panels.length] }, effects: [] };
}

export function reducePresenter(state: PresenterState, action: PresenterAction, ctx: PresenterContext): Reduced {
  const same: Reduced = { state, effects: [] };
  if (action.type === 'enter') {
    if (state.on) return same;
    const effects: PresenterEffect[] = [{ type: 'fullscreen', on: true }, { type: 'fit' }];
    if (!ctx.simOpen && ctx.hasNodes) effects.push({ type: 'simulate' });
    const panel = ctx.tourSteps > 0 ? 'tour' : 'notes';
    return { state: { ...state, on: true, panel, speed: NORMAL, base: ctx.simSpeed }, effects };
  }
  if (!state.on) return same;
  switch (action.type) {
    case 'leave': {
      const effects: PresenterEffect[] = [{ type: 'fullscreen', on: false }];
      // Slow motion belongs to the presentation: the designer gets its speed back.
      if (state.speed !== NORMAL)
        effects.push(ctx.simOpen ? { type: 'sim', command: { type: 'speed', speed: state.base } } : { type: 'sim-speed-setting', speed: state.base });
      return { state: { ...state, on: false, speed: NORMAL }, effects };
    }
    case 'next':
      return moveTour(state, 1, ctx);
    case 'previous':
      return moveTour(state, -1, ctx);
    case 'play-pause':
      if (!ctx.simOpen) return ctx.hasNodes ? { state, effects: [{ type: 'simulate' }] } : same;
      return { state, effects: [{ type: 'sim', command: { type: ctx.running ? 'pause' : 'play' } }] };
    case 'step':
      if (!ctx.simOpen) return ctx.hasNodes ? { state, effects: [{ type: 'simulate' }] } : same;
      return { state, effects: [{ type: 'sim', command: { type: 'step' } }] };
    case 'slower':
      return setSpeed(state, state.speed - 1, ctx);
    case 'faster':
      return setSpeed(state, state.speed + 1, ctx);
    case 'next-panel':
      return cyclePanel(state, 1, ctx);
    case 'previous-panel':
      return cyclePanel(state, -1, ctx);
    case 'panel': {
      const panel = visiblePanels(ctx.hasWindows)[action.index];
      return panel ? { state: { ...state, panel }, effects: [] } : same;
    }
    case 'hints':
      return { state: { ...state, hints: !state.hints }, effects: [] };
    case 'fit':
      return { state, effects: [{ type: 'fit' }] };
  }
}

/** How much larger presenter mode draws the type: the stage's zoom, and how far the canvas may zoom in. */
export const PRESENT_SCALE = 1.5;
/** The stage's share of the screen: its width beside the canvas, its height below it. */
export const STAGE_SHARE = { beside: 0.34, below: 0.38 };

/**
 * Where the stage goes: beside the canvas or below it, whichever leaves the
 * pipeline (its bounding box, in canvas units) drawn larger when fitted.
 */
export function stageSide(pipeline: { width: number; height: number }, screen: { width: number; height: number }): 'beside' | 'below' {
  const fit = (w: number, h: number) => Math.min(w / Math.max(1, pipeline.width), h / Math.max(1, pipeline.height));
  const beside = fit(screen.width * (1 - STAGE_SHARE.beside), screen.height);
  const below = fit(screen.width, screen.height * (1 - STAGE_SHARE.below));
  return below > beside ? 'below' : 'beside';
}

/** The page's query string with `present` added or removed, the rest kept as it was. */
export function withPresent(search: string, on: boolean): string {
  const parts = search
    .replace(/^\?/, '')
    .split('&')
    .filter((p) => p !== '' && p.split('=')[0] !== 'present');
  if (on) parts.push('present');
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Whether the page was opened in presenter mode (`?present`, `?present=1`; not `?present=0`). */
export function presentRequested(search: string): boolean {
  const v = new URLSearchParams(search).get('present');
  return v !== null && v !== '0' && v !== 'false';
}
