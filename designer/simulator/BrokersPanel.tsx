/**
 * Brokers and replication: the brokers up or down (kill, restart), the
 * cluster's settings (broker count, replication factor, min.insync.replicas,
 * acks, unclean leader election), and per source partition its leader,
 * replicas and in-sync replicas, under-replicated and offline ones marked.
 */
import { memo } from 'react';
import type { ClusterPartitionView, ClusterSpec, ClusterView } from '../../runtime/simulator/cluster.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { DesignerState } from '../store/types.js';
import { partitionColor } from './GroupPanel.js';

const selectCluster = (s: DesignerState) => s.simView?.cluster;

/** What "Simulate brokers" starts with: the textbook safe setting. */
export const DEFAULT_CLUSTER: ClusterSpec = { brokers: 3, replicationFactor: 3, minInsyncReplicas: 2, acks: 'all', uncleanLeaderElection: false };

/** The spec with the replication factor and min.insync.replicas kept within what the broker count allows. */
export function fitCluster(spec: ClusterSpec): ClusterSpec {
  const replicationFactor = Math.min(spec.replicationFactor, spec.brokers);
  return { ...spec, replicationFactor, minInsyncReplicas: Math.min(spec.minInsyncReplicas, replicationFactor) };
}

/** Brokers on with this spec (fitted to the broker count), or off with null. */
function useSetCluster(): (cluster: ClusterSpec | null) => void {
  const store = useDesignerStore();
  return (cluster) => store.getState().simCommand({ type: 'set-cluster', cluster: cluster && fitCluster(cluster) });
}
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function Settings({ spec }: { spec: ClusterSpec }) {
  const setCluster = useSetCluster();
  const change = (c: Partial<ClusterSpec>) => setCluster({ ...spec, ...c });
  return (
    <div className="pw-sim-row pw-sim-cluster-settings" data-testid="sim-cluster-settings">
      <label className="pw-sim-field" title="A new broker count starts the run again">
        Brokers
        <select className="pw-input" value={spec.brokers} onChange={(e) => change({ brokers: Number(e.target.value) })} data-testid="sim-cluster-brokers">
          {upTo(5).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label className="pw-sim-field" title="Copies of each partition, on different brokers; a new one starts the run again">
        Replication
        <select
          className="pw-input"
          value={spec.replicationFactor}
          onChange={(e) => change({ replicationFactor: Number(e.target.value) })}
          data-testid="sim-cluster-rf"
        >
          {upTo(spec.brokers).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label className="pw-sim-field" title="With acks=all, the leader refuses writes while fewer replicas than this are in sync">
        min.insync.replicas
        <select
          className="pw-input"
          value={spec.minInsyncReplicas}
          onChange={(e) => change({ minInsyncReplicas: Number(e.target.value) })}
          data-testid="sim-cluster-min-isr"
        >
          {upTo(spec.replicationFactor).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label
        className="pw-sim-field"
        title="When the producer counts a write as done: all in-sync replicas have it, the leader has it, or as soon as it is sent"
      >
        acks
        <select className="pw-input" value={spec.acks} onChange={(e) => change({ acks: e.target.value as ClusterSpec['acks'] })} data-testid="sim-cluster-acks">
          <option value="all">all</option>
          <option value="1">1</option>
          <option value="0">0</option>
        </select>
      </label>
      <label
        className="pw-sim-field"
        title="Let an out-of-sync replica lead when no in-sync one is alive: the partition comes back, but acknowledged records can be lost"
      >
        <input
          type="checkbox"
          checked={spec.uncleanLeaderElection}
          onChange={(e) => change({ uncleanLeaderElection: e.target.checked })}
          data-testid="sim-cluster-unclean"
        />
        unclean leader election
      </label>
      <button
        type="button"
        className="pw-button is-quiet is-small"
        onClick={() => setCluster(null)}
        data-testid="sim-cluster-off"
        title="Back to one perfect broker (starts the run again)"
      >
        One perfect broker
      </button>
    </div>
  );
}

function Brokers({ cluster }: { cluster: ClusterView }) {
  const state = useDesignerStore().getState;
  return (
    <ul className="pw-sim-brokers" data-testid="sim-brokers">
      {cluster.brokers.map((b) => {
        const leads = cluster.partitions.filter((p) => p.leader === b.id).length;
        return (
          <li key={b.id} className={`pw-sim-broker${b.up ? '' : ' is-down'}`} data-testid={`sim-broker-${b.id}`} data-up={b.up}>
            <b>broker {b.id}</b>{' '}
            <span className={b.up ? 'pw-muted' : 'pw-sim-bad'}>{b.up ? `up${b.slow === 0 ? ', stalled' : ''} · leads ${leads}` : 'down'}</span>
            {b.up && (
              <button
                type="button"
                className="pw-button is-small"
                onClick={() => state().simCommand({ type: 'slow-broker', id: b.id, factor: b.slow === 0 ? 1 : 0 })}
                title={b.slow === 0 ? 'Let this broker fetch again' : 'Stall this broker: alive, but its followers stop fetching and drop out of the ISR'}
                data-testid={`sim-broker-stall-${b.id}`}
              >
                {b.slow === 0 ? 'Resume' : 'Stall'}
              </button>
            )}
            {b.up ? (
              <button
                type="button"
                className="pw-button is-danger is-small"
                onClick={() => state().simCommand({ type: 'kill-broker', id: b.id })}
                title="Kill this broker: its partitions fail over, or go offline"
                data-testid={`sim-broker-kill-${b.id}`}
              >
                Kill
              </button>
            ) : (
              <button
                type="button"
                className="pw-button is-small"
                onClick={() => state().simCommand({ type: 'restart-broker', id: b.id })}
                title="Start this broker again: its copies catch up and rejoin the ISR"
                data-testid={`sim-broker-restart-${b.id}`}
              >
                Restart
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function ReplicaChip({ p, broker, end, down }: { p: ClusterPartitionView; broker: number; end: number; down: boolean }) {
  const inSync = p.isr.includes(broker);
  const role = p.leader === broker ? 'leader' : inSync ? 'in sync' : 'out of sync';
  return (
    <span
      className={`pw-sim-replica${p.leader === broker ? ' is-leader' : ''}${inSync ? '' : ' is-out'}${down ? ' is-down' : ''}`}
      title={`broker ${broker}: ${role}${down ? ', down' : ''}, copy ends at offset ${end}`}
    >
      {broker}
    </span>
  );
}

function PartitionRow({ p, cluster }: { p: ClusterPartitionView; cluster: ClusterView }) {
  const down = (b: number) => !cluster.brokers.find((x) => x.id === b)?.up;
  const id = `${p.topic}-${p.partition}`;
  return (
    <tr data-testid={`sim-cluster-${id}`} className={p.offline ? 'is-offline' : undefined}>
      <td>
        <span className="pw-sim-dot" style={{ background: partitionColor(p.partition) }} />
        {id}
      </td>
      <td data-testid={`sim-leader-${id}`}>{p.leader ?? <span className="pw-sim-bad">none</span>}</td>
      <td>
        {p.replicas.map((b, i) => (
          <ReplicaChip key={b} p={p} broker={b} end={p.replicaEnds[i]} down={down(b)} />
        ))}
      </td>
      <td data-testid={`sim-isr-${id}`}>{p.isr.join(', ') || '—'}</td>
      <td title="high watermark (what consumers can read) / the leader's log end">
        {p.highWatermark} / {p.logEndOffset}
      </td>
      <td>
        {p.offline && <span className="pw-chip pw-sim-offline">offline</span>}
        {!p.offline && p.underReplicated && <span className="pw-chip pw-sim-under">under-replicated</span>}
        {p.backlog > 0 && <span className="pw-muted"> {p.backlog} waiting</span>}
      </td>
    </tr>
  );
}

export const BrokersPanel = memo(function BrokersPanel() {
  const setCluster = useSetCluster();
  const cluster = useDesigner(selectCluster);
  if (!cluster) {
    return (
      <div className="pw-pad" data-testid="sim-brokers-off">
        <p className="pw-muted">
          The simulation runs on one perfect broker: nothing fails, nothing is replicated. Simulate brokers to see leaders, followers, in-sync replicas, acks
          and what a dead broker does.
        </p>
        <button type="button" className="pw-button is-primary" onClick={() => setCluster(DEFAULT_CLUSTER)} data-testid="sim-cluster-on">
          Simulate 3 brokers
        </button>
      </div>
    );
  }
  return (
    <div className="pw-sim-cluster" data-testid="sim-cluster">
      <Settings spec={cluster.spec} />
      <Brokers cluster={cluster} />
      <div className="pw-sim-summary pw-small" data-testid="sim-cluster-totals">
        acknowledged <b>{cluster.acknowledged}</b> · refused (NotEnoughReplicas){' '}
        <b className={cluster.refusedWrites ? 'pw-sim-bad' : undefined}>{cluster.refusedWrites}</b> · waiting in the producer{' '}
        <b className={cluster.backlog ? 'pw-sim-bad' : undefined} data-testid="sim-cluster-backlog">
          {cluster.backlog}
        </b>{' '}
        · lost{' '}
        <b className={cluster.lostRecords ? 'pw-sim-bad' : undefined} data-testid="sim-cluster-lost">
          {cluster.lostRecords}
        </b>
      </div>
      <table className="pw-sim-table" data-testid="sim-cluster-partitions">
        <thead>
          <tr>
            <th>partition</th>
            <th>leader</th>
            <th title="Brokers holding a copy; bold: leader, faded: out of sync, red: down">replicas</th>
            <th>in sync</th>
            <th>readable / written</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {cluster.partitions.map((p) => (
            <PartitionRow key={`${p.topic}-${p.partition}`} p={p} cluster={cluster} />
          ))}
        </tbody>
      </table>
    </div>
  );
});
