import { describe, expect, test } from 'vitest';
import {
  INITIAL_PRESENTER,
  keyAction,
  presentRequested,
  reducePresenter,
  speedFor,
  stageSide,
  withPresent,
  type PresenterAction,
  type PresenterContext,
  type PresenterState,
} from './keys.js';

const ctx = (over: Partial<PresenterContext> = {}): PresenterContext => ({
  simOpen: true,
  running: false,
  simSpeed: 10,
  hasNodes: true,
  hasWindows: false,
  tourStep: 0,
  tourSteps: 6,
  ...over,
});

/** Enter presenter mode, then apply the actions; the state and the effects of the last one. */
function after(actions: PresenterAction[], c: PresenterContext = ctx()) {
  let { state, effects }: { state: PresenterState; effects: unknown[] } = reducePresenter(INITIAL_PRESENTER, { type: 'enter' }, c);
  for (const a of actions) ({ state, effects } = reducePresenter(state, a, c));
  return { state, effects };
}

describe('presenter keys', () => {
  test('outside presenter mode only P is taken, and never with a modifier', () => {
    expect(keyAction({ key: 'p' }, false)).toEqual({ type: 'enter' });
    expect(keyAction({ key: 'P' }, false)).toEqual({ type: 'enter' });
    for (const key of [' ', 'ArrowRight', '.', 'Escape', '?', 'f', '1']) expect(keyAction({ key }, false)).toBeNull();
    expect(keyAction({ key: 'p', ctrlKey: true }, false)).toBeNull();
    expect(keyAction({ key: 'p', metaKey: true }, false)).toBeNull();
    expect(keyAction({ key: 'ArrowRight', altKey: true }, true)).toBeNull();
  });

  test('in presenter mode: steps, clicker keys, play, tick, speed, panels, hints, leave', () => {
    const type = (key: string) => keyAction({ key }, true)?.type;
    expect([type('ArrowRight'), type('PageDown'), type('ArrowLeft'), type('PageUp')]).toEqual(['next', 'next', 'previous', 'previous']);
    expect([type(' '), type('.')]).toEqual(['play-pause', 'step']);
    expect([type('-'), type('+'), type('=')]).toEqual(['slower', 'faster', 'faster']);
    expect([type(']'), type('['), type('?')]).toEqual(['next-panel', 'previous-panel', 'hints']);
    expect([type('Escape'), type('p')]).toEqual(['leave', 'leave']);
    expect(keyAction({ key: '3' }, true)).toEqual({ type: 'panel', index: 2 });
    // F fits the pipeline with the presenter's zoom; Ctrl+Z, Delete and the rest stay the designer's.
    expect(type('f')).toBe('fit');
    expect([type('7'), type('Delete'), type('z')]).toEqual([undefined, undefined, undefined]);
  });
});

describe('presenter reducer', () => {
  test('entering goes full screen, opens the simulator when closed, shows the tour first', () => {
    const open = reducePresenter(INITIAL_PRESENTER, { type: 'enter' }, ctx());
    expect(open.state).toMatchObject({ on: true, panel: 'tour', speed: 2, base: 10 });
    expect(open.effects).toEqual([{ type: 'fullscreen', on: true }, { type: 'fit' }]);
    const closed = reducePresenter(INITIAL_PRESENTER, { type: 'enter' }, ctx({ simOpen: false, tourSteps: 0 }));
    expect(closed.state.panel).toBe('notes');
    expect(closed.effects).toEqual([{ type: 'fullscreen', on: true }, { type: 'fit' }, { type: 'simulate' }]);
    // Nothing on the canvas: nothing to simulate.
    expect(reducePresenter(INITIAL_PRESENTER, { type: 'enter' }, ctx({ simOpen: false, hasNodes: false })).effects).toEqual([
      { type: 'fullscreen', on: true },
      { type: 'fit' },
    ]);
    // Entering twice changes nothing.
    expect(reducePresenter(open.state, { type: 'enter' }, ctx())).toEqual({ state: open.state, effects: [] });
  });

  test('actions do nothing outside presenter mode', () => {
    for (const a of [{ type: 'next' }, { type: 'play-pause' }, { type: 'faster' }, { type: 'leave' }] as PresenterAction[]) {
      expect(reducePresenter(INITIAL_PRESENTER, a, ctx())).toEqual({ state: INITIAL_PRESENTER, effects: [] });
    }
  });

  test('→ and ← move through the tour, within its steps, and bring the tour into view', () => {
    expect(after([{ type: 'next' }]).effects).toEqual([{ type: 'tour-step', step: 1 }]);
    expect(after([{ type: 'next' }], ctx({ tourStep: 5 })).effects).toEqual([]);
    expect(after([{ type: 'previous' }], ctx({ tourStep: 3 })).effects).toEqual([{ type: 'tour-step', step: 2 }]);
    expect(after([{ type: 'previous' }]).effects).toEqual([]);
    const fromGroup = after([{ type: 'panel', index: 2 }, { type: 'next' }]);
    expect(fromGroup.state.panel).toBe('tour');
    expect(after([{ type: 'next' }], ctx({ tourSteps: 0 })).effects).toEqual([]);
  });

  test('Space runs or pauses, . steps one tick, and both open the simulator when it is closed', () => {
    expect(after([{ type: 'play-pause' }]).effects).toEqual([{ type: 'sim', command: { type: 'play' } }]);
    expect(after([{ type: 'play-pause' }], ctx({ running: true })).effects).toEqual([{ type: 'sim', command: { type: 'pause' } }]);
    expect(after([{ type: 'step' }]).effects).toEqual([{ type: 'sim', command: { type: 'step' } }]);
    expect(after([{ type: 'play-pause' }], ctx({ simOpen: false })).effects).toEqual([{ type: 'simulate' }]);
    expect(after([{ type: 'step' }], ctx({ simOpen: false })).effects).toEqual([{ type: 'simulate' }]);
  });

  test('− and + go through 0.25×, 0.5×, 1×, 2× of the speed before, and leaving gives that speed back', () => {
    const slow = after([{ type: 'slower' }, { type: 'slower' }]);
    expect(slow.state.speed).toBe(0);
    expect(slow.effects).toEqual([{ type: 'sim', command: { type: 'speed', speed: 2.5 } }]);
    expect(after([{ type: 'slower' }, { type: 'slower' }, { type: 'slower' }]).effects).toEqual([]);
    expect(after([{ type: 'faster' }]).effects).toEqual([{ type: 'sim', command: { type: 'speed', speed: 20 } }]);
    expect(after([{ type: 'faster' }, { type: 'faster' }]).effects).toEqual([]);
    const left = after([{ type: 'slower' }, { type: 'leave' }]);
    expect(left.state).toMatchObject({ on: false, speed: 2 });
    expect(left.effects).toEqual([
      { type: 'fullscreen', on: false },
      { type: 'sim', command: { type: 'speed', speed: 10 } },
    ]);
    expect(after([{ type: 'leave' }]).effects).toEqual([{ type: 'fullscreen', on: false }]);
    // Without a simulation, the speed is kept for the next one.
    expect(after([{ type: 'slower' }], ctx({ simOpen: false })).effects).toEqual([{ type: 'sim-speed-setting', speed: 5 }]);
  });

  test('full speed has no rate to slow: 1× keeps it, the others pace from 30 ticks/s', () => {
    expect([speedFor(0, 1), speedFor(0, 0.5), speedFor(0, 2), speedFor(4, 0.25)]).toEqual([0, 15, 60, 1]);
  });

  test('panels cycle both ways, skip Time without windows, and 1–6 pick one', () => {
    expect(after([{ type: 'next-panel' }]).state.panel).toBe('notes');
    expect(after([{ type: 'previous-panel' }]).state.panel).toBe('edge');
    expect(after([{ type: 'panel', index: 3 }, { type: 'next-panel' }]).state.panel).toBe('edge');
    expect(after([{ type: 'panel', index: 3 }, { type: 'next-panel' }], ctx({ hasWindows: true })).state.panel).toBe('time');
    expect(after([{ type: 'panel', index: 5 }]).state.panel).toBe('tour');
    expect(after([{ type: 'panel', index: 5 }], ctx({ hasWindows: true })).state.panel).toBe('edge');
  });

  test('? shows and hides the keys', () => {
    expect(after([{ type: 'hints' }]).state.hints).toBe(true);
    expect(after([{ type: 'hints' }, { type: 'hints' }]).state.hints).toBe(false);
  });
});

describe('where the stage goes', () => {
  test('below a long pipeline on a wide screen, beside a tall one', () => {
    const screen = { width: 1440, height: 900 };
    expect(stageSide({ width: 1100, height: 150 }, screen)).toBe('below');
    expect(stageSide({ width: 500, height: 700 }, screen)).toBe('beside');
    // A projector turned on its side: a long pipeline still wants the width.
    expect(stageSide({ width: 1100, height: 150 }, { width: 900, height: 1440 })).toBe('below');
  });
});

describe('?present in the URL', () => {
  test('is added and removed, the rest of the query kept', () => {
    expect(withPresent('', true)).toBe('?present');
    expect(withPresent('?lang=en', true)).toBe('?lang=en&present');
    expect(withPresent('?lang=en&present', false)).toBe('?lang=en');
    expect(withPresent('?present=1', false)).toBe('');
    expect(withPresent('?present', true)).toBe('?present');
  });

  test('opens presenter mode unless it says 0 or false', () => {
    expect([
      presentRequested('?present'),
      presentRequested('?a=1&present=1'),
      presentRequested('?present=0'),
      presentRequested('?presenter'),
      presentRequested(''),
    ]).toEqual([true, true, false, false, false]);
  });
});
