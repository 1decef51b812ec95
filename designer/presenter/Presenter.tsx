/**
 * Presenter mode: beside the canvas (below it on a tall screen), a bar with
 * the simulation's state and controls, one of the simulator's panels at a
 * time, and a discreet list of the keys. Everything else of the designer is
 * hidden by presenter.css while `:root[data-present]` is set.
 */
import { memo, useCallback, useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { EdgePanel } from '../simulator/EdgePanel.js';
import { GroupPanel } from '../simulator/GroupPanel.js';
import { NotesPanel, TourPanel } from '../simulator/NotesPanel.js';
import { selectHasWindows, selectSimControls, selectSimOpen, selectSimSummary } from '../simulator/selectors.js';
import { TimePanel } from '../simulator/TimePanel.js';
import { TopicsPanel } from '../simulator/TopicsPanel.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { NODE_SIZE } from '../flow-api.js';
import type { DesignerState } from '../store/types.js';
import {
  PANELS,
  PRESENTER_KEYS,
  presentRequested,
  SPEED_FACTORS,
  speedFor,
  stageSide,
  visiblePanels,
  type PresenterAction,
  type PresenterPanel,
} from './keys.js';
import { dispatchPresenter, onFullscreenChange, onPresenterKey, usePresenter } from './store.js';
import './presenter.css';

/** Presenter actions on this designer. */
function usePresenterDispatch(): (action: PresenterAction) => void {
  const store = useDesignerStore();
  return useCallback((action: PresenterAction) => dispatchPresenter(store, action), [store]);
}

const BODY: Record<PresenterPanel, () => React.JSX.Element> = {
  tour: () => <TourPanel />,
  notes: () => <NotesPanel />,
  group: () => <GroupPanel />,
  topics: () => <TopicsPanel />,
  time: () => <TimePanel />,
  edge: () => <EdgePanel />,
};

const Bar = memo(function Bar() {
  const dispatch = usePresenterDispatch();
  const open = useDesigner(selectSimOpen);
  const { running } = useDesigner(useShallow(selectSimControls));
  const tick = useDesigner((s) => selectSimSummary(s)?.tick);
  const { speed, base, hints } = usePresenter(useShallow((p) => ({ speed: p.speed, base: p.base, hints: p.hints })));
  const ticks = speedFor(base, SPEED_FACTORS[speed]);
  return (
    <div className="pw-present-bar" role="toolbar" aria-label="Presentation controls">
      <button
        type="button"
        className="pw-button is-primary"
        onClick={() => dispatch({ type: 'play-pause' })}
        data-testid="present-play"
        aria-label={running ? 'Pause the simulation (Space)' : 'Run the simulation (Space)'}
      >
        {running ? '❚❚' : '▶'}
      </button>
      <button type="button" className="pw-button" onClick={() => dispatch({ type: 'step' })} aria-label="One tick (.)" title="One tick (.)">
        Step
      </button>
      <button type="button" className="pw-button" onClick={() => dispatch({ type: 'slower' })} disabled={speed === 0} aria-label="Slower (−)">
        −
      </button>
      <span className="pw-present-speed" title={ticks === 0 ? 'full speed' : `${ticks} ticks/s`} data-testid="present-speed">
        {SPEED_FACTORS[speed]}×
      </span>
      <button
        type="button"
        className="pw-button"
        onClick={() => dispatch({ type: 'faster' })}
        disabled={speed === SPEED_FACTORS.length - 1}
        aria-label="Faster (+)"
      >
        +
      </button>
      <span className="pw-present-tick" aria-live="off">
        {open ? (
          <>
            {running ? 'running' : 'paused'} · tick <b data-testid="present-tick">{tick ?? 0}</b>
          </>
        ) : (
          'not simulating: Space starts'
        )}
      </span>
      <span className="pw-toolbar-spacer" />
      <button
        type="button"
        className="pw-button is-quiet"
        onClick={() => dispatch({ type: 'hints' })}
        aria-pressed={hints}
        aria-label="Show the keys (?)"
        data-testid="present-keys-toggle"
      >
        ?
      </button>
      <button
        type="button"
        className="pw-button is-quiet"
        onClick={() => dispatch({ type: 'leave' })}
        aria-label="Leave presenter mode (Esc)"
        data-testid="present-exit"
      >
        ✕
      </button>
    </div>
  );
});

const Keys = memo(function Keys() {
  const hints = usePresenter((p) => p.hints);
  if (!hints) {
    return (
      <div className="pw-present-keys is-folded" aria-hidden>
        ? keys
      </div>
    );
  }
  return (
    <div className="pw-present-keys" role="note" aria-label="Presenter keys" data-testid="present-keys">
      <table>
        <tbody>
          {PRESENTER_KEYS.map((k) => (
            <tr key={k.keys}>
              <th scope="row">
                <kbd>{k.keys}</kbd>
              </th>
              <td>{k.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
});

/** Beside or below the canvas, from the pipeline's bounding box and the window's shape. */
function selectSide(s: DesignerState): 'beside' | 'below' {
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of s.pipeline.nodes) {
    const { x, y } = n.position ?? { x: 0, y: 0 };
    const size = s.measured[n.id] ?? NODE_SIZE;
    [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x + size.width), Math.max(bottom, y + size.height)];
  }
  if (left === Infinity) return 'beside';
  return stageSide({ width: right - left, height: bottom - top }, { width: window.innerWidth, height: window.innerHeight });
}

function Stage() {
  const dispatch = usePresenterDispatch();
  const panel = usePresenter((p) => p.panel);
  const side = useDesigner(selectSide);
  useEffect(() => {
    document.documentElement.dataset.present = side;
    dispatch({ type: 'fit' });
  }, [side, dispatch]);
  const hasWindows = useDesigner(selectHasWindows);
  const panels = visiblePanels(hasWindows);
  const Body = BODY[panel];
  return (
    <aside className="pw-present" aria-label="Presenter" data-testid="present">
      <Bar />
      <div className="pw-tabs pw-present-tabs" role="tablist" aria-label="Panel">
        {PANELS.filter((p) => panels.includes(p.panel)).map((p, i) => (
          <button
            key={p.panel}
            type="button"
            role="tab"
            aria-selected={panel === p.panel}
            className="pw-tab"
            onClick={() => dispatch({ type: 'panel', index: i })}
            title={`${p.label} (${i + 1})`}
            data-testid={`present-tab-${p.panel}`}
          >
            {p.label}
          </button>
        ))}
      </div>
      <div className="pw-present-body" role="tabpanel" aria-label={PANELS.find((p) => p.panel === panel)?.label} data-testid={`present-panel-${panel}`}>
        <Body />
      </div>
      <Keys />
    </aside>
  );
}

/** Mounted once in the designer's layout: the keys, `?present` in the URL, and the stage while presenting. */
export const Presenter = memo(function Presenter() {
  const on = usePresenter((p) => p.on);
  const store = useDesignerStore();
  useEffect(() => {
    // Full screen, or a window moved to the projector: the canvas has a new size to fit.
    const onResize = () => usePresenter.getState().on && dispatchPresenter(store, { type: 'fit' });
    const onKey = (e: KeyboardEvent) => onPresenterKey(store, e);
    const onFullscreen = () => onFullscreenChange(store);
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('resize', onResize);
    document.addEventListener('fullscreenchange', onFullscreen);
    if (presentRequested(window.location.search)) dispatchPresenter(store, { type: 'enter' });
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('resize', onResize);
      document.removeEventListener('fullscreenchange', onFullscreen);
    };
  }, [store]);
  return on ? <Stage /> : null;
});

/** The toolbar's way in. */
export function PresentButton() {
  const dispatch = usePresenterDispatch();
  return (
    <button
      type="button"
      className="pw-button"
      onClick={() => dispatch({ type: 'enter' })}
      title="Presenter mode: large type, full screen, driven by keys (P)"
      data-testid="present-enter"
    >
      Present
    </button>
  );
}
