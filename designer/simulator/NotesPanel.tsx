/** "What is happening": the simulator's latest notes in plain sentences; and the example's guided tour. */
import { memo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectPipelineName } from '../store/selectors.js';
import type { DesignerState } from '../store/types.js';
import { NoteLog } from './note-log.js';
import { selectTourStep } from './selectors.js';
import { tourFor } from './tours.js';

const KIND_LABEL: Record<string, string> = {
  rebalance: 'rebalance',
  idle: 'idle member',
  replay: 'replay',
  'dead-letter': 'dead letter',
  'lag-growing': 'lag growing',
  'lag-draining': 'lag draining',
  produced: 'produced',
  'window-closed': 'window closed',
  updated: 'results updated',
  late: 'late event',
  'group-added': 'group added',
  'group-member': 'group member',
  redelivered: 'redelivered',
  'order-break': 'order broken',
  'leader-elected': 'leader change',
  'under-replicated': 'in-sync replicas',
  'write-refused': 'writes refused',
  'data-lost': 'data lost',
  'broker-down': 'broker down',
  'broker-up': 'broker up',
};

const selectNotesAndTick = (s: DesignerState) => ({ notes: s.simView?.notes, tick: s.simView?.tick ?? 0 });

export const NotesPanel = memo(function NotesPanel() {
  const { notes, tick } = useDesigner(useShallow(selectNotesAndTick));
  const log = useRef<NoteLog>(null);
  log.current ??= new NoteLog();
  const [, redraw] = useState(0);
  if (notes) log.current.update(notes, tick);
  const pinned = log.current.pinnedNotes();
  const recent = log.current.recent();
  const dismiss = (key: string) => {
    log.current!.dismiss(key);
    redraw((n) => n + 1);
  };
  return (
    <aside className="pw-sim-notes" aria-label="What is happening" data-testid="sim-notes">
      <div className="pw-panel-title">What is happening</div>
      <ol className="pw-sim-note-list">
        {pinned.map((n) => (
          <li key={n.key} className={`pw-sim-note pw-sim-note-${n.kind} is-pinned`} data-testid="sim-note-pinned">
            <span className="pw-sim-note-head">
              tick {n.firstTick} · {KIND_LABEL[n.kind] ?? n.kind}
              <button type="button" className="pw-sim-note-dismiss" onClick={() => dismiss(n.key)} aria-label="Dismiss this note" title="Dismiss">
                ✕
              </button>
            </span>
            {n.text}
          </li>
        ))}
        {recent.slice(0, 12).map((n) => (
          <li key={n.key} className={`pw-sim-note pw-sim-note-${n.kind}`} data-testid={`sim-note-${n.kind}`}>
            <span className="pw-sim-note-head">
              {n.count > 1 ? `ticks ${n.firstTick}–${n.lastTick}` : `tick ${n.lastTick}`} · {KIND_LABEL[n.kind] ?? n.kind}
              {n.count > 1 && <b className="pw-sim-note-count"> ×{n.count}</b>}
            </span>
            {n.text}
          </li>
        ))}
        {pinned.length + recent.length === 0 && (
          <li className="pw-muted">
            Events flow from the sources through the graph. Rebalances, replays, dead letters and lag trends are explained here as they happen.
          </li>
        )}
      </ol>
    </aside>
  );
});

export const TourPanel = memo(function TourPanel() {
  const store = useDesignerStore();
  const name = useDesigner(selectPipelineName);
  const step = useDesigner(selectTourStep);
  const tour = tourFor(name);
  if (!tour || tour.steps.length === 0) {
    return <p className="pw-muted pw-pad">This pipeline has no guided tour. The examples carry one (examples/&lt;name&gt;/tour.md): open one from Examples.</p>;
  }
  const i = Math.min(step, tour.steps.length - 1);
  const s = tour.steps[i];
  const go = (n: number) => store.getState().setTourStep(Math.max(0, Math.min(tour.steps.length - 1, n)));
  return (
    <div className="pw-sim-tour" data-testid="sim-tour">
      <div className="pw-muted pw-small">
        {tour.title} · step {i + 1} of {tour.steps.length}
      </div>
      <h4>{s.title}</h4>
      {s.text.split(/\n\s*\n/).map((para, k) => (
        <p key={k}>{para}</p>
      ))}
      <div className="pw-sim-row">
        <button type="button" className="pw-button" onClick={() => go(i - 1)} disabled={i === 0}>
          Back
        </button>
        <button type="button" className="pw-button is-primary" onClick={() => go(i + 1)} disabled={i === tour.steps.length - 1} data-testid="sim-tour-next">
          Next
        </button>
      </div>
    </div>
  );
});
