/**
 * Presenter mode's own small store and the one place its effects run: the
 * reducer in keys.ts decides, this applies it to the designer whose store
 * it is given (simulator commands, tour step), the page (full screen,
 * `?present`) and that designer's view. Presenter mode takes the whole
 * page, so its own store is the page's.
 */
import { create } from 'zustand';
import { fitView } from '../actions.js';
import { getFlow } from '../flow-api.js';
import { isTyping } from '../keyboard.js';
import type { DesignerStore } from '../store/index.js';
import { tourFor } from '../simulator/tours.js';
import {
  INITIAL_PRESENTER,
  keyAction,
  PRESENT_SCALE,
  reducePresenter,
  withPresent,
  type PresenterAction,
  type PresenterContext,
  type PresenterEffect,
  type PresenterState,
} from './keys.js';

export const usePresenter = create<PresenterState>()(() => ({ ...INITIAL_PRESENTER }));

function context(store: DesignerStore): PresenterContext {
  const s = store.getState();
  return {
    simOpen: s.simOpen,
    running: s.simStatus?.running ?? false,
    simSpeed: s.simSettings.speed,
    hasNodes: s.pipeline.nodes.length > 0,
    hasWindows: (s.simView?.windows.length ?? 0) > 0,
    tourStep: s.tourStep,
    tourSteps: tourFor(s.pipeline.name)?.steps.length ?? 0,
  };
}

/** Full screen was asked for by presenter mode, so leaving it (Esc in the browser) leaves presenter mode. */
let ownFullscreen = false;
/** Presenter mode wants full screen: asked again at the next key or click when the browser refused it without one. */
let wantFullscreen = false;
/** The canvas's viewport before presenting, restored after. */
let savedViewport: { x: number; y: number; zoom: number } | undefined;

function fullscreen(on: boolean): void {
  if (typeof document === 'undefined') return;
  wantFullscreen = on;
  // Only a key or a click may ask (a page opened with ?present asks at the first one); refused, the page is the stage.
  const gesture = typeof navigator === 'undefined' || !navigator.userActivation || navigator.userActivation.isActive;
  if (on && gesture && document.fullscreenEnabled && !document.fullscreenElement) {
    document.documentElement
      .requestFullscreen?.()
      .then(() => (ownFullscreen = true))
      .catch(() => undefined);
  } else if (!on && ownFullscreen) {
    ownFullscreen = false;
    if (document.fullscreenElement) void document.exitFullscreen?.().catch(() => undefined);
  }
}

function run(store: DesignerStore, effect: PresenterEffect): void {
  const s = store.getState();
  if (effect.type === 'sim') s.simCommand(effect.command);
  else if (effect.type === 'simulate') s.simulate();
  else if (effect.type === 'sim-speed-setting') s.setSimSettings({ speed: effect.speed });
  else if (effect.type === 'tour-step') s.setTourStep(effect.step);
  else if (effect.type === 'fit') afterLayout(() => fitLarge(store));
  else fullscreen(effect.on);
}

/** After the layout changed (two frames: React renders, then the browser lays out). */
const afterLayout = (fn: () => void) => requestAnimationFrame(() => requestAnimationFrame(fn));

/** The canvas's share of the scale: the pipeline fitted, zoomed in up to the scale more than the designer's fit allows. */
function fitLarge(store: DesignerStore): void {
  void getFlow(store)?.fitView({ padding: 0.08, duration: 0, maxZoom: 1.2 * PRESENT_SCALE });
}

function showPresenting(store: DesignerStore, on: boolean): void {
  if (typeof document === 'undefined') return;
  if (on) {
    document.documentElement.dataset.present = '';
    document.documentElement.style.setProperty('--pw-present-scale', String(PRESENT_SCALE));
    savedViewport = getFlow(store)?.getViewport();
  } else {
    delete document.documentElement.dataset.present;
    document.documentElement.style.removeProperty('--pw-present-scale');
    const back = savedViewport;
    savedViewport = undefined;
    afterLayout(() => (back ? void getFlow(store)?.setViewport(back) : fitView(store)));
  }
  const search = withPresent(window.location.search, on);
  if (search !== window.location.search) history.replaceState(history.state, '', window.location.pathname + search + window.location.hash);
}

export function dispatchPresenter(store: DesignerStore, action: PresenterAction): void {
  const before = usePresenter.getState();
  const { state, effects } = reducePresenter(before, action, context(store));
  if (state !== before) usePresenter.setState(state, true);
  if (state.on !== before.on) showPresenting(store, state.on);
  else if (state.on && wantFullscreen && !ownFullscreen) fullscreen(true);
  for (const e of effects) run(store, e);
}

/** Space and Enter on a focused button press that button, as everywhere else. */
const activates = (t: EventTarget | null) => t instanceof HTMLElement && (t.tagName === 'BUTTON' || t.tagName === 'A' || t.getAttribute('role') === 'tab');

/**
 * The page's key handler for presenter mode, in the capture phase so that the
 * keys it takes (arrows, Space) do not also move a focused node on the canvas.
 * Keys it leaves alone reach the designer's shortcuts (keyboard.ts) as before.
 */
export function onPresenterKey(store: DesignerStore, e: KeyboardEvent): void {
  if (isTyping(e.target) || store.getState().dialog) return;
  const on = usePresenter.getState().on;
  const action = keyAction(e, on);
  if (!action) return;
  if (action.type === 'play-pause' && activates(e.target)) return;
  e.preventDefault();
  e.stopPropagation();
  if (!e.repeat || action.type === 'next' || action.type === 'previous') dispatchPresenter(store, action);
}

/** The browser left full screen (its own Esc): presenter mode ends with it. */
export function onFullscreenChange(store: DesignerStore): void {
  if (!document.fullscreenElement && ownFullscreen) {
    ownFullscreen = false;
    if (usePresenter.getState().on) dispatchPresenter(store, { type: 'leave' });
  }
}
