/**
 * The consumer group: the service's replicas as members, the partitions each
 * owns, committed offsets and lag per partition, and lag over time.
 */
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectSimLag, selectSimMembers, selectSimPartitions, selectSimSummary } from './selectors.js';
import type { SimView } from './session.js';

/** Partition colours, cycled; the lag chart and the member chips use the same ones. */
export const PARTITION_COLORS = ['#4f46e5', '#0e7490', '#b45309', '#15803d', '#be185d', '#7c3aed', '#0369a1', '#a16207', '#dc2626', '#4d7c0f'];
export const partitionColor = (p: number) => PARTITION_COLORS[p % PARTITION_COLORS.length];
const partitionOf = (tp: string) => Number(/\[(\d+)\]$/.exec(tp)?.[1] ?? 0);

type SimMember = NonNullable<ReturnType<typeof selectSimMembers>>[number];

/** One member of the group: what it processed and restored, the partitions it owns, and a way to kill it. */
function Member({ m }: { m: SimMember }) {
  const state = useDesignerStore().getState;
  return (
    <li className={`pw-sim-member${m.idle ? ' is-idle' : ''}`} data-testid={`sim-member-${m.id}`} data-assigned={m.assigned.join(',')}>
      <div className="pw-sim-member-head">
        <b>{m.id}</b>
        {m.idle ? <span className="pw-chip pw-sim-idle">idle</span> : <span className="pw-muted">{m.processed} processed</span>}
        {m.restored > 0 && (
          <span
            className="pw-muted"
            title="Changelog records this replica applied to bring the state of its partitions up to date; a partition it kept across a rebalance needs none"
            data-testid={`sim-restored-${m.id}`}
          >
            {m.restored} restored
          </span>
        )}
        <div className="pw-toolbar-spacer" />
        <button
          type="button"
          className="pw-button is-danger is-small"
          onClick={() => state().simCommand({ type: 'kill-replica', id: m.id })}
          title="Crash this replica: what it processed but did not commit is processed again"
          data-testid={`sim-kill-${m.id}`}
        >
          Kill
        </button>
      </div>
      <div className="pw-sim-chips">
        {m.assigned.map((tp) => (
          <span key={tp} className="pw-sim-tp" style={{ borderColor: partitionColor(partitionOf(tp)) }}>
            {tp}
          </span>
        ))}
        {m.idle && <span className="pw-muted pw-small">no partition: more members than partitions</span>}
      </div>
    </li>
  );
}

const Members = memo(function Members() {
  const state = useDesignerStore().getState;
  const members = useDesigner(selectSimMembers);
  const summary = useDesigner(useShallow(selectSimSummary));
  const exactlyOnce = useDesigner((s) => s.pipeline.delivery === 'exactly-once');
  if (!members || !summary) return <p className="pw-muted pw-pad">Starting…</p>;
  return (
    <div className="pw-sim-members">
      <div className="pw-sim-row">
        <span className="pw-chip" data-testid="sim-delivery">
          {exactlyOnce ? 'exactly-once' : 'at-least-once'}
        </span>
        &nbsp;·&nbsp;
        <b>{members.length}</b>&nbsp;{members.length === 1 ? 'replica' : 'replicas'} · generation <b data-testid="sim-generation">{summary.generation}</b> ·
        replayed{' '}
        <b data-testid="sim-replayed" className={summary.replayed && !exactlyOnce ? 'pw-sim-bad' : undefined}>
          {summary.replayed}
        </b>
        {exactlyOnce && (
          <>
            &nbsp;· aborted&nbsp;
            <b data-testid="sim-aborted" title="Outputs of transactions a crash aborted: consumers reading committed never see them">
              {summary.aborted}
            </b>
          </>
        )}
        <div className="pw-toolbar-spacer" />
        <button
          type="button"
          className="pw-button"
          onClick={() => state().simCommand({ type: 'remove-replica' })}
          disabled={members.length === 0}
          title="A replica leaves cleanly: it commits, then the group rebalances"
          data-testid="sim-remove-replica"
        >
          − replica
        </button>
        <button
          type="button"
          className="pw-button"
          onClick={() => state().simCommand({ type: 'add-replica' })}
          title="A replica joins the group, which rebalances"
          data-testid="sim-add-replica"
        >
          + replica
        </button>
      </div>
      <p className="pw-muted pw-small" data-testid="sim-delivery-note">
        {exactlyOnce
          ? 'Each batch’s outputs, state changes and offsets are one transaction, committed a tick later; only then do its outputs appear on the topics. Kill a replica: its open transactions are aborted, and the replay writes their outputs once.'
          : 'Offsets are committed a tick after the outputs are written. Kill a replica: what it processed but did not commit is processed again, and those outputs are written twice (consumers downstream must be idempotent).'}
      </p>
      <ul className="pw-sim-member-list">
        {members.map((m) => (
          <Member key={m.id} m={m} />
        ))}
        {members.length === 0 && <li className="pw-muted">No replicas: nothing is consumed, and lag grows.</li>}
      </ul>
    </div>
  );
});

/** A row of the partition table; a live run may not know committed offsets or owners yet. */
export type PartitionRow = Omit<SimView['partitions'][number], 'committed' | 'endOffset'> & { committed?: number; endOffset?: number };

const Partitions = memo(function Partitions() {
  const partitions = useDesigner(selectSimPartitions);
  if (!partitions) return null;
  return <PartitionTable partitions={partitions} />;
});

/** Committed offset, log end and lag per partition: the simulator's group and a live run's. */
export const PartitionTable = memo(function PartitionTable({
  partitions,
  testId = 'sim-partitions',
}: {
  partitions: readonly PartitionRow[];
  testId?: string;
}) {
  const maxLag = Math.max(1, ...partitions.map((p) => p.lag));
  return (
    <table className="pw-sim-table" data-testid={testId}>
      <thead>
        <tr>
          <th>partition</th>
          <th>owner</th>
          <th title="The next offset the group will read">committed</th>
          <th title="The offset the next message will get">log end</th>
          <th>lag</th>
        </tr>
      </thead>
      <tbody>
        {partitions.map((p) => (
          <tr key={`${p.topic}[${p.partition}]`}>
            <td>
              <span className="pw-sim-dot" style={{ background: partitionColor(p.partition) }} />
              {p.topic}[{p.partition}]
            </td>
            <td>{p.owner ?? <span className="pw-muted">none</span>}</td>
            <td>{p.committed ?? '–'}</td>
            <td>{p.endOffset ?? '–'}</td>
            <td className="pw-sim-lag-cell">
              <span className="pw-sim-lag-bar" style={{ width: `${(p.lag / maxLag) * 60}px` }} />
              {p.lag}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

const W = 300;
const H = 120;

const LagChart = memo(function LagChart() {
  const lag = useDesigner(selectSimLag);
  if (!lag || lag.ticks.length < 2) return <div className="pw-sim-chart pw-muted">Lag over time appears after a few ticks.</div>;
  const entries = Object.entries(lag.series);
  const max = Math.max(1, ...entries.flatMap(([, s]) => s));
  const n = lag.ticks.length;
  const x = (i: number) => 28 + (i * (W - 32)) / (n - 1);
  const y = (v: number) => H - 16 - (v / max) * (H - 24);
  return (
    <figure className="pw-sim-chart" data-testid="sim-lag-chart">
      <svg width={W} height={H} role="img" aria-label="Lag per partition over the last ticks">
        <line x1={28} y1={y(0)} x2={W - 4} y2={y(0)} className="pw-sim-axis" />
        <line x1={28} y1={y(max)} x2={28} y2={y(0)} className="pw-sim-axis" />
        <text x={24} y={y(max) + 4} textAnchor="end" className="pw-sim-axis-text">
          {max}
        </text>
        <text x={24} y={y(0)} textAnchor="end" className="pw-sim-axis-text">
          0
        </text>
        <text x={28} y={H - 2} className="pw-sim-axis-text">
          tick {lag.ticks[0]}
        </text>
        <text x={W - 4} y={H - 2} textAnchor="end" className="pw-sim-axis-text">
          tick {lag.ticks[n - 1]}
        </text>
        {entries.map(([tp, s]) => (
          <polyline
            key={tp}
            fill="none"
            stroke={partitionColor(partitionOf(tp))}
            strokeWidth="1.5"
            points={s.map((v, i) => `${x(i + n - s.length).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
          >
            <title>{tp}</title>
          </polyline>
        ))}
      </svg>
      <figcaption className="pw-muted pw-small">lag per partition (events not yet committed)</figcaption>
    </figure>
  );
});

export const GroupPanel = memo(function GroupPanel() {
  return (
    <div className="pw-sim-group" data-testid="sim-group">
      <Members />
      <Partitions />
      <LagChart />
    </div>
  );
});
