/**
 * The simulator's dock under the canvas: the controls, then the consumer
 * group, the topics, the selected edge's events and the tour on tabs, with
 * "what is happening" always in view on the right.
 */
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { Command } from './protocol.js';
import { BrokersPanel } from './BrokersPanel.js';
import { EdgePanel } from './EdgePanel.js';
import { GroupPanel } from './GroupPanel.js';
import { GroupsPanel } from './GroupsPanel.js';
import { NotesPanel, TourPanel } from './NotesPanel.js';
import { selectHasWindows, selectSimControls, selectSimError, selectSimOpen, selectSimSummary, selectSimTab } from './selectors.js';
import { TimePanel } from './TimePanel.js';
import './simulator.css';
import { TopicsPanel } from './TopicsPanel.js';
import type { SimTab } from './types.js';
import { savePanels } from '../panel-sizes.js';
import { Splitter } from '../panels/Splitter.js';
import type { DesignerState } from '../store/types.js';

const SPEEDS: { value: number; label: string }[] = [
  { value: 1, label: '1 tick/s' },
  { value: 2, label: '2 ticks/s' },
  { value: 5, label: '5 ticks/s' },
  { value: 10, label: '10 ticks/s' },
  { value: 30, label: '30 ticks/s' },
  { value: 0, label: 'full speed' },
];

const TABS: { tab: SimTab; label: string }[] = [
  { tab: 'group', label: 'Consumer group' },
  { tab: 'groups', label: 'Other groups' },
  { tab: 'topics', label: 'Topics' },
  { tab: 'brokers', label: 'Brokers' },
  { tab: 'time', label: 'Time' },
  { tab: 'edge', label: 'Edge events' },
  { tab: 'tour', label: 'Tour' },
];

const selectCollapsed = (s: DesignerState) => s.panels.dockCollapsed;

/** The run's speed, rate and seed. */
function RunFields({
  speed,
  rate,
  seed,
  command,
  setSeed,
}: {
  speed: number;
  rate: number;
  seed: number;
  command: (c: Command) => void;
  setSeed: (seed: number) => void;
}) {
  return (
    <>
      <label className="pw-sim-field">
        Speed
        <select className="pw-input" value={speed} onChange={(e) => command({ type: 'speed', speed: Number(e.target.value) })} data-testid="sim-speed">
          {SPEEDS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label className="pw-sim-field" title="Events each source produces per tick">
        Rate
        <input
          className="pw-input pw-sim-number"
          type="number"
          min={0}
          max={100000}
          value={rate}
          onChange={(e) => command({ type: 'rate', rate: Math.max(0, Number(e.target.value) || 0) })}
          data-testid="sim-rate"
        />
        /tick
      </label>
      <label className="pw-sim-field" title="The same seed repeats a run exactly">
        Seed
        <input className="pw-input pw-sim-number" type="number" value={seed} onChange={(e) => setSeed(Number(e.target.value) || 0)} data-testid="sim-seed" />
      </label>
    </>
  );
}

/** The buttons that run the simulation: play or pause, one tick, one event. */
function StepButtons({ running, command }: { running: boolean; command: (c: Command) => void }) {
  return (
    <>
      {running ? (
        <button type="button" className="pw-button" onClick={() => command({ type: 'pause' })} data-testid="sim-pause">
          ❚❚ Pause
        </button>
      ) : (
        <button
          type="button"
          className="pw-button is-primary pw-sim-play"
          onClick={() => command({ type: 'play' })}
          data-testid="sim-play"
          title="Run the simulation at the chosen speed"
        >
          ▶ Play
        </button>
      )}
      <button
        type="button"
        className="pw-button"
        onClick={() => command({ type: 'step' })}
        title="One tick: sources produce, replicas commit and process one batch"
        data-testid="sim-step"
      >
        Step
      </button>
      <button
        type="button"
        className="pw-button"
        onClick={() => command({ type: 'step-one' })}
        title="Produce one event and take it through the graph"
        data-testid="sim-step-one"
      >
        Step one event
      </button>
    </>
  );
}

const Controls = memo(function Controls() {
  const state = useDesignerStore().getState;
  const command = (c: Command) => state().simCommand(c);
  const toggleDock = () => {
    state().setPanels({ dockCollapsed: !state().panels.dockCollapsed });
    savePanels(localStorage, state().panels);
  };
  const c = { ...useDesigner(useShallow(selectSimControls)), collapsed: useDesigner(selectCollapsed) };
  const summary = useDesigner(useShallow(selectSimSummary));
  return (
    <div className="pw-sim-controls" role="toolbar" aria-label="Simulation controls">
      <StepButtons running={c.running} command={command} />
      <RunFields speed={c.speed} rate={c.rate} seed={c.seed} command={command} setSeed={(seed) => state().setSimSettings({ seed })} />
      <button
        type="button"
        className="pw-button"
        onClick={() => command({ type: 'reset', seed: state().simSettings.seed })}
        title="Start again from tick 0 with this seed"
        data-testid="sim-reset"
      >
        Reset
      </button>
      {c.outdated && (
        <button
          type="button"
          className="pw-button is-primary"
          onClick={() => state().simulate()}
          title="The pipeline changed: simulate it as it is now"
          data-testid="sim-reload"
        >
          Simulate changes
        </button>
      )}
      {!c.running && summary && summary.tick <= 1 && (
        <span className="pw-sim-hint" data-testid="sim-paused-hint">
          Paused on the first tick: press Play to run, or Step to go one tick at a time.
        </span>
      )}
      <div className="pw-toolbar-spacer" />
      {summary && (
        <span className="pw-sim-summary" data-testid="sim-summary">
          tick <b data-testid="sim-tick">{summary.tick}</b> · {summary.seconds.toFixed(1)} s · produced <b data-testid="sim-produced">{summary.produced}</b> ·
          dead letters <b className={summary.deadLetters ? 'pw-sim-bad' : undefined}>{summary.deadLetters}</b>
          {c.running && c.speed === 0 && <> · {c.eventsPerSecond.toLocaleString()} events/s</>}
        </span>
      )}
      <button
        type="button"
        className="pw-button is-quiet"
        onClick={toggleDock}
        aria-expanded={!c.collapsed}
        data-testid="sim-collapse"
        title={c.collapsed ? 'Show the simulator panels' : 'Show only the controls, for more canvas'}
      >
        {c.collapsed ? '▴ Expand' : '▾ Collapse'}
      </button>
      <button type="button" className="pw-button is-quiet" onClick={() => state().closeSimulator()} aria-label="Close the simulator" data-testid="sim-close">
        ✕
      </button>
    </div>
  );
});

const selectDockSize = (s: DesignerState) => ({ height: s.panels.dock, collapsed: s.panels.dockCollapsed });

export const SimulatorDock = memo(function SimulatorDock() {
  const state = useDesignerStore().getState;
  const open = useDesigner(selectSimOpen);
  const tab = useDesigner(selectSimTab);
  const error = useDesigner(selectSimError);
  const hasWindows = useDesigner(selectHasWindows);
  const { height, collapsed } = useDesigner(useShallow(selectDockSize));
  if (!open) return null;
  return (
    <section
      className={`pw-sim-dock${collapsed ? ' is-collapsed' : ''}`}
      aria-label="Simulator"
      data-testid="sim-dock"
      style={collapsed ? undefined : { height }}
    >
      {!collapsed && <Splitter name="dock" edge="top" label="Resize the simulator" />}
      <Controls />
      {collapsed ? null : (
        <>
          {error && (
            <div className="pw-sim-error" role="alert" data-testid="sim-error">
              The simulation stopped: {error}
            </div>
          )}
          <div className="pw-sim-body">
            <div className="pw-sim-main">
              <div className="pw-tabs" role="tablist">
                {TABS.filter((t) => t.tab !== 'time' || hasWindows).map((t) => (
                  <button
                    key={t.tab}
                    type="button"
                    role="tab"
                    aria-selected={tab === t.tab}
                    className="pw-tab"
                    onClick={() => state().setSimTab(t.tab)}
                    data-testid={`sim-tab-${t.tab}`}
                  >
                    {t.label}
                  </button>
                ))}
              </div>
              <div className="pw-sim-tab-body">
                {tab === 'group' && <GroupPanel />}
                {tab === 'groups' && <GroupsPanel />}
                {tab === 'topics' && <TopicsPanel />}
                {tab === 'brokers' && <BrokersPanel />}
                {tab === 'time' && <TimePanel />}
                {tab === 'edge' && <EdgePanel />}
                {tab === 'tour' && <TourPanel />}
              </div>
            </div>
            <NotesPanel />
          </div>
        </>
      )}
    </section>
  );
});
