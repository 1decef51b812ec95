/**
 * Other groups reading a topic beside the pipeline's own: add a consumer
 * group, a share group (Kafka queues) or a classic queue, kill or slow its
 * members, and see what each received: lag, deliveries, redeliveries, keys
 * out of order. The simulator does the work (runtime/simulator/readers.ts).
 */
import { memo, useState } from 'react';
import {
  DEFAULT_GROUP_BATCH,
  DEFAULT_LOCK_MS,
  groupSpecProblem,
  GUARANTEES,
  type ExtraGroupSpec,
  type GroupType,
  type GroupView,
} from '../../runtime/simulator/readers.js';
import { selectPipelineName } from '../store/selectors.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { partitionColor } from './GroupPanel.js';
import type { Command } from './protocol.js';
import { selectSimGroups, selectSimTopics } from './selectors.js';

/** Each group's colour, by its place in the list; the topic lanes mark committed offsets with it. */
export const GROUP_COLORS = ['#db2777', '#0891b2', '#ca8a04', '#7c3aed', '#16a34a', '#ea580c'];
export const groupColor = (i: number) => GROUP_COLORS[i % GROUP_COLORS.length];

const TYPES: { type: GroupType; label: string }[] = [
  { type: 'consumer', label: 'consumer group' },
  { type: 'share', label: 'share group (queue, KIP-932)' },
  { type: 'queue', label: 'classic queue (JMS)' },
];

const SPEEDS = [
  { value: 1, label: 'full speed' },
  { value: 0.5, label: '½ speed' },
  { value: 0.2, label: '⅕ speed' },
  { value: 0, label: 'stalled' },
];

/** One group of each type on the same topic, two members each, for a side-by-side comparison; a type whose group name is taken is left out. */
function addOneOfEach(command: (c: Command) => void, topic: string, scope: { topics: string[]; taken: string[] }) {
  for (const t of TYPES) {
    const spec: ExtraGroupSpec = { name: `${t.type}-readers`, type: t.type, topic, members: 2, batchSize: DEFAULT_GROUP_BATCH };
    if (!groupSpecProblem(spec, scope)) command({ type: 'add-group', spec });
  }
}

/** The new group's member count, and for a share group or queue its lock. */
function SizeFields(props: { type: GroupType; members: number; setMembers: (n: number) => void; lockMs: number; setLockMs: (n: number) => void }) {
  const { type, members, setMembers, lockMs, setLockMs } = props;
  return (
    <>
      <label className="pw-sim-field">
        members
        <input
          className="pw-input pw-sim-number"
          type="number"
          min={0}
          max={20}
          value={members}
          onChange={(e) => setMembers(Number(e.target.value))}
          data-testid="sim-group-members"
        />
      </label>
      {type !== 'consumer' && (
        <label
          className="pw-sim-field"
          title={type === 'share' ? 'How long a delivered record stays locked to its member' : 'How long the broker takes to notice a dropped consumer'}
        >
          lock
          <input
            className="pw-input pw-sim-number"
            type="number"
            min={1}
            value={lockMs}
            onChange={(e) => setLockMs(Number(e.target.value))}
            data-testid="sim-group-lock"
          />
          ms
        </label>
      )}
    </>
  );
}

const AddGroup = memo(function AddGroup({ taken }: { taken: string[] }) {
  const state = useDesignerStore().getState;
  const topics = useDesigner(selectSimTopics);
  const own = useDesigner(selectPipelineName);
  const readable = (topics ?? []).filter((t) => t.role !== 'dead-letter').sort((a, b) => Number(b.role === 'source') - Number(a.role === 'source'));
  const [name, setName] = useState('analytics');
  const [type, setType] = useState<GroupType>('consumer');
  const [topic, setTopic] = useState('');
  const [members, setMembers] = useState(2);
  const [lockMs, setLockMs] = useState(DEFAULT_LOCK_MS);
  const [problem, setProblem] = useState<string>();
  const chosen = topic || readable[0]?.name || '';
  const scope = { topics: readable.map((t) => t.name), taken: [own, ...taken] };
  const add = () => {
    const spec: ExtraGroupSpec = {
      name: name.trim(),
      type,
      topic: chosen,
      members,
      batchSize: DEFAULT_GROUP_BATCH,
      ...(type === 'consumer' ? {} : { lockMs }),
    };
    const wrong = groupSpecProblem(spec, scope);
    setProblem(wrong);
    if (!wrong) state().simCommand({ type: 'add-group', spec });
  };
  const addAll = () => addOneOfEach((c) => state().simCommand(c), chosen, scope);
  return (
    <form
      className="pw-sim-row pw-sim-group-form"
      onSubmit={(e) => {
        e.preventDefault();
        add();
      }}
      aria-label="Add a group"
    >
      <input className="pw-input" value={name} onChange={(e) => setName(e.target.value)} aria-label="Group name" size={10} data-testid="sim-group-name" />
      <select className="pw-input" value={type} onChange={(e) => setType(e.target.value as GroupType)} aria-label="Group type" data-testid="sim-group-type">
        {TYPES.map((t) => (
          <option key={t.type} value={t.type}>
            {t.label}
          </option>
        ))}
      </select>
      reads
      <select className="pw-input" value={chosen} onChange={(e) => setTopic(e.target.value)} aria-label="Topic" data-testid="sim-group-topic">
        {readable.map((t) => (
          <option key={t.name} value={t.name}>
            {t.name}
          </option>
        ))}
      </select>
      <SizeFields type={type} members={members} setMembers={setMembers} lockMs={lockMs} setLockMs={setLockMs} />
      <button type="submit" className="pw-button is-primary" data-testid="sim-group-add">
        + group
      </button>
      <button
        type="button"
        className="pw-button"
        onClick={addAll}
        title="Add a consumer group, a share group and a queue, two members each, on this topic"
        data-testid="sim-group-add-all"
      >
        + one of each
      </button>
      {problem && (
        <span className="pw-sim-bad pw-small" role="alert" data-testid="sim-group-error">
          {problem}
        </span>
      )}
    </form>
  );
});

const Stat = ({ label, value, id, bad, title }: { label: string; value: number; id: string; bad?: boolean; title: string }) => (
  <span title={title}>
    {label}&nbsp;
    <b data-testid={id} className={bad && value > 0 ? 'pw-sim-bad' : undefined}>
      {value}
    </b>
  </span>
);

/** A group's lag, deliveries, redeliveries, order breaks and acknowledgements; for share groups and queues, what is in flight. */
function GroupStats({ g, t }: { g: GroupView; t: string }) {
  return (
    <div className="pw-sim-row pw-small">
      <Stat label="lag" value={g.lag} id={`${t}-lag`} title="Records on the topic not yet committed (consumer group) or acknowledged (share group, queue)" />·{' '}
      <Stat label="delivered" value={g.delivered} id={`${t}-delivered`} title="Deliveries to members, redeliveries included" />·{' '}
      <Stat label="redelivered" value={g.redelivered} id={`${t}-redelivered`} bad title="Records delivered again: after a crash, or a lock that ran out" />·{' '}
      <Stat label="order breaks" value={g.orderBreaks} id={`${t}-order-breaks`} bad title="Records of a key finished after a later record of the same key" />·{' '}
      <Stat
        label={g.type === 'consumer' ? 'committed' : 'acked'}
        value={g.acked}
        id={`${t}-acked`}
        title="Records committed (consumer group) or acknowledged"
      />
      {g.type !== 'consumer' && (
        <>
          {' '}
          · <Stat label="in flight" value={g.inFlight} id={`${t}-in-flight`} title="Delivered and not yet acknowledged, dead members' included" />
        </>
      )}
      {g.archived > 0 && (
        <>
          {' '}
          · <Stat label="archived" value={g.archived} id={`${t}-archived`} bad title="Given up after 5 deliveries" />
        </>
      )}
    </div>
  );
}

const GroupCard = memo(function GroupCard({ g, color }: { g: GroupView; color: string }) {
  const state = useDesignerStore().getState;
  const cmd = (c: Parameters<ReturnType<typeof state>['simCommand']>[0]) => state().simCommand(c);
  const t = `sim-xgroup-${g.name}`;
  return (
    <li className="pw-sim-member pw-sim-xgroup" style={{ borderLeftColor: color }} data-testid={t}>
      <div className="pw-sim-member-head">
        <b>{g.name}</b>
        <span className="pw-chip">{TYPES.find((x) => x.type === g.type)?.label}</span>
        <span className="pw-muted">reads {g.topic}</span>
        <div className="pw-toolbar-spacer" />
        <button type="button" className="pw-button is-small" onClick={() => cmd({ type: 'add-group-member', name: g.name })} data-testid={`${t}-add-member`}>
          + member
        </button>
        <button
          type="button"
          className="pw-button is-small"
          onClick={() => cmd({ type: 'remove-group', name: g.name })}
          aria-label={`Remove group ${g.name}`}
          data-testid={`${t}-remove`}
        >
          ✕
        </button>
      </div>
      <GroupStats g={g} t={t} />
      <p className="pw-muted pw-small pw-sim-guarantee">{GUARANTEES[g.type]}</p>
      <div className="pw-sim-chips">
        {g.partitions.map((p) => (
          <span
            key={p.partition}
            className="pw-sim-tp"
            style={{ borderColor: partitionColor(p.partition) }}
            data-testid={`${t}-p${p.partition}`}
            data-committed={p.committed}
            title={g.type === 'consumer' ? 'committed offset / log end' : 'share-partition start offset (first not acknowledged) / log end'}
          >
            p{p.partition} {p.committed}/{p.endOffset}
          </span>
        ))}
      </div>
      <ul className="pw-sim-member-list pw-sim-xmembers">
        {g.members.map((m) => (
          <li key={m.id} className={`pw-sim-member-head${m.idle ? ' is-idle' : ''}`} data-testid={`${t}-member-${m.id}`}>
            <b>{m.id}</b>
            <span className="pw-muted pw-small">{m.idle ? 'idle: no partition' : g.type === 'consumer' ? m.assigned.join(', ') : 'any record'}</span>
            <span className="pw-small">
              {m.received} received · holds {m.holding}
            </span>
            <div className="pw-toolbar-spacer" />
            <select
              className="pw-input is-small"
              value={m.slow ?? 1}
              onChange={(e) => cmd({ type: 'slow-group-member', name: g.name, id: m.id, factor: Number(e.target.value) })}
              aria-label={`Speed of member ${m.id}`}
              data-testid={`${t}-slow-${m.id}`}
            >
              {SPEEDS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="pw-button is-danger is-small"
              onClick={() => cmd({ type: 'kill-group-member', name: g.name, id: m.id })}
              data-testid={`${t}-kill-${m.id}`}
            >
              Kill
            </button>
          </li>
        ))}
        {g.members.length === 0 && <li className="pw-muted pw-small">No members: nothing is read, and lag grows.</li>}
      </ul>
    </li>
  );
});

export const GroupsPanel = memo(function GroupsPanel() {
  const groups = useDesigner(selectSimGroups);
  if (!groups) return <p className="pw-muted pw-pad">Starting…</p>;
  return (
    <div className="pw-sim-groups" data-testid="sim-groups">
      <AddGroup taken={groups.map((g) => g.name)} />
      {groups.length === 0 && (
        <p className="pw-muted pw-small">
          Add a second group reading the same topic: it gets every event, with its own offsets and lag. Put a consumer group, a share group and a queue side by
          side, then kill or slow a member and watch what each guarantees.
        </p>
      )}
      <ul className="pw-sim-member-list">
        {groups.map((g, i) => (
          <GroupCard key={g.name} g={g} color={groupColor(i)} />
        ))}
      </ul>
    </div>
  );
});
