/**
 * Live mode's dock under the canvas: the cluster's topics and consumer groups, a run of the pipeline
 * on the cluster, and tails of its outputs. Rendered only when the page runs live.
 */
import { memo, useEffect, useState } from 'react';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { PartitionTable, type PartitionRow } from '../simulator/GroupPanel.js';
import type { PeekedMessage } from './api.js';
import {
  createTopic,
  openTopic,
  peek,
  refreshGroups,
  refreshTopics,
  resetOffsets,
  runTopic,
  startRun,
  stopRun,
  tail,
  untail,
  writtenTopics,
} from './actions.js';
import { dismissLiveError, LiveDialogs } from './LiveDialogs.js';
import { saveBeforeRun } from './start.js';
import { live, setLive, useLive, type LiveState, type LiveTab } from './store.js';
import './live.css';

const TABS: { tab: LiveTab; label: string }[] = [
  { tab: 'topics', label: 'Topics' },
  { tab: 'groups', label: 'Consumer groups' },
  { tab: 'run', label: 'Run on the cluster' },
  { tab: 'tail', label: 'Tail' },
];

const num = (v: string | number) => Number(v);
/** A committed offset; -1 (the group has none yet) shows as a dash. */
const committedOf = (v: string | number) => (Number(v) < 0 ? undefined : Number(v));

const valueText = (m: PeekedMessage): string => (typeof m.value === 'string' ? m.value : JSON.stringify(m.value));

/** Messages as a table, newest last: peeked ones and tailed ones look the same. */
export const MessageTable = memo(function MessageTable({ messages, testId }: { messages: readonly PeekedMessage[]; testId: string }) {
  if (messages.length === 0)
    return (
      <p className="pw-muted pw-small" data-testid={`${testId}-empty`}>
        No messages.
      </p>
    );
  return (
    <table className="pw-sim-table pw-live-messages" data-testid={testId}>
      <thead>
        <tr>
          <th>partition</th>
          <th>offset</th>
          <th>timestamp</th>
          <th>key</th>
          <th>headers</th>
          <th>value</th>
        </tr>
      </thead>
      <tbody>
        {messages.map((m) => (
          <tr key={`${m.partition}:${m.offset}`} data-testid={`${testId}-row`}>
            <td>{m.partition}</td>
            <td>{String(m.offset)}</td>
            <td>{new Date(num(m.timestamp)).toISOString()}</td>
            <td>{m.key ?? <span className="pw-muted">null</span>}</td>
            <td>
              {Object.keys(m.headers ?? {}).length
                ? Object.entries(m.headers)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', ')
                : ''}
            </td>
            <td className="pw-live-value">
              {valueText(m)}
              {m.decodeError && <span className="pw-sim-bad pw-small"> ({m.decodeError})</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

function NewTopic() {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState(3);
  return (
    <form
      className="pw-live-row"
      onSubmit={(e) => {
        e.preventDefault();
        createTopic(name.trim(), partitions);
      }}
    >
      <input
        className="pw-input"
        value={name}
        placeholder="new topic name"
        onChange={(e) => setName(e.target.value)}
        aria-label="New topic name"
        data-testid="live-new-topic-name"
      />
      <input
        className="pw-input pw-sim-number"
        type="number"
        min={1}
        max={1000}
        value={partitions}
        onChange={(e) => setPartitions(Number(e.target.value))}
        aria-label="Partitions"
      />
      <button type="submit" className="pw-button" disabled={!name.trim()} data-testid="live-new-topic">
        Create topic…
      </button>
    </form>
  );
}

const TopicList = memo(function TopicList() {
  const topics = useLive((s) => s.topics);
  const open = useLive((s) => s.topic?.name);
  const [filter, setFilter] = useState('');
  const [internal, setInternal] = useState(false);
  const shown = (topics ?? []).filter((t) => (internal || !t.internal) && t.name.includes(filter));
  return (
    <div className="pw-live-list">
      <div className="pw-live-row">
        <input
          className="pw-input"
          value={filter}
          placeholder="filter"
          onChange={(e) => setFilter(e.target.value)}
          aria-label="Filter topics"
          data-testid="live-topic-filter"
        />
        <button type="button" className="pw-button" onClick={() => void refreshTopics()} data-testid="live-topics-refresh">
          Refresh
        </button>
      </div>
      <label className="pw-small pw-muted">
        <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> internal topics
      </label>
      {topics === null && <p className="pw-muted">Loading…</p>}
      <ul data-testid="live-topics">
        {shown.map((t) => (
          <li key={t.name}>
            <button
              type="button"
              className={`pw-live-item${t.name === open ? ' is-open' : ''}`}
              onClick={() => void openTopic(t.name)}
              data-testid={`live-topic-${t.name}`}
            >
              <span>{t.name}</span>
              <span className="pw-muted pw-small">
                {t.partitions.length} p · {t.partitions.reduce((a, p) => a + num(p.high), 0)} msgs
              </span>
            </button>
          </li>
        ))}
      </ul>
      <NewTopic />
    </div>
  );
});

function PeekForm({ topic, partitions }: { topic: string; partitions: number }) {
  const current = useLive((s) => s.peek);
  const [partition, setPartition] = useState(current?.topic === topic ? current.partition : 0);
  const [limit, setLimit] = useState(current?.topic === topic ? current.limit : 20);
  return (
    <div className="pw-live-row">
      <label className="pw-sim-field">
        partition
        <select className="pw-input" value={partition} onChange={(e) => setPartition(Number(e.target.value))} data-testid="live-peek-partition">
          {Array.from({ length: partitions }, (_, p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label className="pw-sim-field">
        last
        <input
          className="pw-input pw-sim-number"
          type="number"
          min={1}
          max={500}
          value={limit}
          onChange={(e) => setLimit(Math.min(500, Math.max(1, Number(e.target.value) || 1)))}
          data-testid="live-peek-limit"
        />
      </label>
      <button type="button" className="pw-button is-primary" onClick={() => void peek(topic, partition, limit)} data-testid="live-peek">
        {current?.topic === topic ? 'Refresh' : 'Peek'}
      </button>
    </div>
  );
}

const TopicDetail = memo(function TopicDetail() {
  const topic = useLive((s) => s.topic);
  const peeked = useLive((s) => (s.peek?.topic === s.topic?.name ? s.peek : null));
  if (!topic) return <p className="pw-muted pw-pad">Choose a topic to see its partitions, configs and last messages.</p>;
  return (
    <div className="pw-live-detail" data-testid="live-topic-detail">
      <h3>{topic.name}</h3>
      <table className="pw-sim-table" data-testid="live-partitions">
        <thead>
          <tr>
            <th>partition</th>
            <th>leader</th>
            <th>replicas</th>
            <th>in sync</th>
            <th title="The earliest offset still on the log">low</th>
            <th title="The offset the next message will get">end offset</th>
          </tr>
        </thead>
        <tbody>
          {topic.partitions.map((p) => (
            <tr key={p.partition}>
              <td>{p.partition}</td>
              <td>{p.leader}</td>
              <td>{p.replicas.join(', ')}</td>
              <td>{p.isr.join(', ')}</td>
              <td>{String(p.low)}</td>
              <td data-testid={`live-end-${p.partition}`}>{String(p.high)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {topic.configs && (
        <details>
          <summary>Configs ({Object.keys(topic.configs).length})</summary>
          <table className="pw-sim-table" data-testid="live-configs">
            <tbody>
              {Object.entries(topic.configs).map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      <PeekForm key={topic.name} topic={topic.name} partitions={topic.partitions.length} />
      {peeked && <MessageTable messages={peeked.messages} testId="live-peek-messages" />}
    </div>
  );
});

const Groups = memo(function Groups() {
  const groups = useLive((s) => s.groups);
  useEffect(() => void refreshGroups(), []);
  return (
    <div className="pw-live-scroll" data-testid="live-groups">
      <div className="pw-live-row">
        <button type="button" className="pw-button" onClick={() => void refreshGroups()} data-testid="live-groups-refresh">
          Refresh
        </button>
      </div>
      {groups?.length === 0 && <p className="pw-muted">No consumer groups.</p>}
      {groups?.map((g) => (
        <section key={g.groupId} className="pw-live-group" data-testid={`live-group-${g.groupId}`}>
          <h3>
            {g.groupId} <span className="pw-chip">{g.state}</span>
          </h3>
          <ul className="pw-small">
            {g.members.map((m) => (
              <li key={m.memberId}>
                {m.clientId} ({m.host}): {m.assignment.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ') || 'nothing assigned'}
              </li>
            ))}
            {g.members.length === 0 && <li className="pw-muted">No members.</li>}
          </ul>
          <PartitionTable
            testId={`live-group-lag-${g.groupId}`}
            partitions={g.offsets.map((o) => ({
              topic: o.topic,
              partition: o.partition,
              committed: committedOf(o.committed),
              endOffset: num(o.end),
              lag: num(o.lag),
              owner: ownerOf(g, o.topic, o.partition),
            }))}
          />
          <div className="pw-live-row">
            {[...new Set(g.offsets.map((o) => o.topic))].map((t) => (
              <span key={t} className="pw-small">
                {t}:{' '}
                <button
                  type="button"
                  className="pw-button is-small"
                  onClick={() => resetOffsets(g.groupId, t, 'earliest')}
                  data-testid={`live-reset-earliest-${g.groupId}-${t}`}
                >
                  reset to earliest…
                </button>{' '}
                <button type="button" className="pw-button is-small" onClick={() => resetOffsets(g.groupId, t, 'latest')}>
                  reset to latest…
                </button>
              </span>
            ))}
          </div>
        </section>
      ))}
    </div>
  );
});

function ownerOf(
  g: { members: { clientId: string; assignment: { topic: string; partitions: number[] }[] }[] },
  topic: string,
  partition: number,
): string | null {
  return g.members.find((m) => m.assignment.some((a) => a.topic === topic && a.partitions.includes(partition)))?.clientId ?? null;
}

/** The run's lag per partition, with each partition's owner and committed offset from the run's group. */
function useRunLag(): PartitionRow[] {
  const status = useLive((s) => s.runStatus);
  const group = useLive((s) => s.runGroup);
  return (status?.lag ?? []).map((l) => {
    const o = group?.offsets.find((x) => x.topic === l.topic && x.partition === l.partition);
    return {
      topic: l.topic,
      partition: l.partition,
      lag: l.lag,
      owner: group ? ownerOf(group, l.topic, l.partition) : null,
      committed: o && committedOf(o.committed),
      endOffset: o && num(o.end),
    };
  });
}

/** A run's state: its status, group, topics, ready replicas and dead letters. */
function RunSummary({ run, status }: { run: NonNullable<LiveState['run']>; status: LiveState['runStatus'] }) {
  return (
    <p className="pw-sim-summary" data-testid="live-run-summary">
      <b data-testid="live-run-status">{status?.status ?? 'starting'}</b> · group <b>{run.group}</b> ·{' '}
      {run.prefix ? (
        <>
          topics under <b data-testid="live-run-prefix-shown">{run.prefix}</b>
        </>
      ) : (
        <b>real topics</b>
      )}{' '}
      · replicas ready <b data-testid="live-run-ready">{status?.replicas.filter((r) => r.ready).length ?? 0}</b>/{status?.replicas.length ?? '…'} · dead letters{' '}
      <b data-testid="live-run-dead-letters" className={status?.deadLetters ? 'pw-sim-bad' : undefined}>
        {status?.deadLetters ?? 0}
      </b>
    </p>
  );
}

const RunPanel = memo(function RunPanel() {
  const store = useDesignerStore();
  const run = useLive((s) => s.run);
  const status = useLive((s) => s.runStatus);
  const [replicas, setReplicas] = useState(1);
  const [prefix, setPrefix] = useState('');
  const [real, setReal] = useState(false);
  const lag = useRunLag();
  return (
    <div className="pw-live-scroll" data-testid="live-run">
      <div className="pw-live-row">
        <label className="pw-sim-field">
          replicas
          <input
            className="pw-input pw-sim-number"
            type="number"
            min={1}
            max={8}
            value={replicas}
            disabled={!!run}
            onChange={(e) => setReplicas(Math.min(8, Math.max(1, Math.round(Number(e.target.value)) || 1)))}
            data-testid="live-run-replicas"
          />
        </label>
        <label className="pw-sim-field" title="Output and internal topics are created under this prefix, so the run does not write to the real ones">
          prefix
          <input
            className="pw-input"
            value={run ? run.prefix : prefix}
            disabled={!!run || real}
            placeholder="pwdev-<run id>-"
            onChange={(e) => setPrefix(e.target.value)}
            data-testid="live-run-prefix"
          />
        </label>
        <label className="pw-sim-field">
          <input type="checkbox" checked={real} disabled={!!run} onChange={(e) => setReal(e.target.checked)} data-testid="live-run-real" /> write to the real
          topics
        </label>
        {run ? (
          <button type="button" className="pw-button is-danger" onClick={() => stopRun(store)} data-testid="live-run-stop">
            ■ Stop
          </button>
        ) : (
          <button
            type="button"
            className="pw-button is-primary"
            onClick={() => void startRun(store, { replicas, prefix: real ? undefined : prefix.trim() || undefined, real }, saveBeforeRun)}
            data-testid="live-run-start"
          >
            ▶ Run
          </button>
        )}
      </div>
      {!run && (
        <p className="pw-muted pw-small">
          Builds the service from the pipeline file and runs it on the cluster, reading the sources’ real topics with a consumer group of its own.
        </p>
      )}
      {run && <RunSummary run={run} status={status} />}
      {status?.error && <p className="pw-msg pw-error">{status.error}</p>}
      {run && lag.length > 0 && <PartitionTable partitions={lag} testId="live-run-lag" />}
      {status?.outputs.length ? (
        <p className="pw-small" data-testid="live-run-outputs">
          {status.outputs.map((o) => `${o.topic}: ${o.endOffsets.reduce((a, b) => a + b, 0)} messages`).join(' · ')}
        </p>
      ) : null}
    </div>
  );
});

const TailPanel = memo(function TailPanel() {
  const tails = useLive((s) => s.tails);
  const run = useLive((s) => s.run);
  const pipeline = useDesigner((s) => s.pipeline);
  const [other, setOther] = useState('');
  const candidates = writtenTopics(pipeline).map((t) => (run ? runTopic(t) : t));
  return (
    <div className="pw-live-scroll" data-testid="live-tail">
      <div className="pw-live-row">
        {candidates.map((t) => (
          <button key={t} type="button" className="pw-button" disabled={t in tails} onClick={() => void tail(t)} data-testid={`live-tail-${t}`}>
            Tail {t}
          </button>
        ))}
        <form
          className="pw-live-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (other.trim()) void tail(other.trim());
          }}
        >
          <input className="pw-input" value={other} placeholder="another topic" onChange={(e) => setOther(e.target.value)} aria-label="Topic to tail" />
          <button type="submit" className="pw-button">
            Tail
          </button>
        </form>
      </div>
      {Object.entries(tails).map(([topic, messages]) => (
        <section key={topic} className="pw-live-group">
          <h3>
            {topic} <span className="pw-muted pw-small">{messages.length} (newest last, the last 100 kept)</span>{' '}
            <button type="button" className="pw-button is-small" onClick={() => void untail(topic)} data-testid={`live-untail-${topic}`}>
              Stop tailing
            </button>
          </h3>
          <MessageTable messages={messages} testId={`live-tail-messages-${topic}`} />
        </section>
      ))}
    </div>
  );
});

const StatusLine = memo(function StatusLine() {
  const status = useLive((s) => s.status);
  const saved = useLive((s) => s.saved);
  const error = useLive((s) => s.error);
  const asideConflict = useLive((s) => s.conflictHidden && s.conflict !== null);
  return (
    <>
      {asideConflict && (
        <button
          type="button"
          className="pw-button is-danger is-small"
          onClick={() => setLive({ conflictHidden: false })}
          data-testid="live-conflict-reopen"
          title="Edits are not saved until you choose"
        >
          File changed on disk too: choose…
        </button>
      )}
      <span className="pw-sim-summary" data-testid="live-status">
        {status ? (
          <>
            {status.connected ? 'connected to' : <b className="pw-sim-bad">not connected to</b>} <b>{status.brokers.join(', ')}</b>
            {status.error && (
              <span className="pw-sim-bad">
                {' '}
                ({status.error}
                {status.hint ? ` ${status.hint}` : ''})
              </span>
            )}
            {' · '}
            {status.pipelinePath ? (
              <>
                file <b>{status.pipelinePath}</b>{' '}
                <span data-testid="live-saved" className={saved?.state === 'error' ? 'pw-sim-bad' : undefined}>
                  {saved?.state === 'saved'
                    ? 'saved'
                    : saved?.state === 'loaded'
                      ? 'reloaded from disk'
                      : saved?.state === 'error'
                        ? `not saved: ${saved.text}`
                        : ''}
                </span>
              </>
            ) : (
              'no pipeline file: edits are kept in this browser only'
            )}
          </>
        ) : (
          'connecting…'
        )}
      </span>
      {error && (
        <p className="pw-sim-error pw-live-error" role="alert" data-testid="live-error">
          {error}{' '}
          <button type="button" className="pw-button is-quiet is-small" onClick={dismissLiveError} aria-label="Dismiss">
            ✕
          </button>
        </p>
      )}
    </>
  );
});

export const LiveDock = memo(function LiveDock() {
  const on = useLive((s) => s.client !== null);
  const tab = useLive((s) => s.tab);
  const collapsed = useLive((s) => s.collapsed);
  if (!on) return null;
  return (
    <section className={`pw-sim-dock pw-live-dock${collapsed ? ' is-collapsed' : ''}`} data-testid="live-dock" aria-label="Live: the Kafka cluster">
      <div className="pw-sim-controls">
        <b>Live</b>
        <div className="pw-tabs" role="tablist">
          {TABS.map((t) => (
            <button
              key={t.tab}
              type="button"
              role="tab"
              className="pw-tab"
              aria-selected={tab === t.tab}
              onClick={() => setLive({ tab: t.tab, collapsed: false })}
              data-testid={`live-tab-${t.tab}`}
            >
              {t.label}
            </button>
          ))}
        </div>
        <StatusLine />
        <div className="pw-toolbar-spacer" />
        <button
          type="button"
          className="pw-button is-quiet"
          onClick={() => setLive({ collapsed: !live().collapsed })}
          aria-label={collapsed ? 'Show the live panel' : 'Hide the live panel'}
        >
          {collapsed ? '▴' : '▾'}
        </button>
      </div>
      {!collapsed && (
        <div className="pw-live-body">
          {tab === 'topics' && (
            <div className="pw-live-split">
              <TopicList />
              <TopicDetail />
            </div>
          )}
          {tab === 'groups' && <Groups />}
          {tab === 'run' && <RunPanel />}
          {tab === 'tail' && <TailPanel />}
        </div>
      )}
      <LiveDialogs />
    </section>
  );
});
