/** Every topic's partitions as lanes with their log-end offsets, and which key went to which partition. */
import { memo } from 'react';
import { useDesigner } from '../store/context.js';
import { partitionColor } from './GroupPanel.js';
import { groupColor } from './GroupsPanel.js';
import { selectSimGroups, selectSimPartitions, selectSimTopics } from './selectors.js';
import { selectPipelineName } from '../store/selectors.js';

const ROLE = { source: 'input', sink: 'output', 'dead-letter': 'dead letters', internal: 'internal' } as const;

export const TopicsPanel = memo(function TopicsPanel() {
  const topics = useDesigner(selectSimTopics);
  const own = useDesigner(selectPipelineName);
  const ownPartitions = useDesigner(selectSimPartitions);
  const groups = useDesigner(selectSimGroups);
  if (!topics) return <p className="pw-muted pw-pad">Starting…</p>;
  // Every group's committed offset (for share groups and queues, the first record not acknowledged) per lane.
  const markers = (topic: string, partition: number) => [
    ...(ownPartitions ?? [])
      .filter((p) => p.topic === topic && p.partition === partition)
      .map((p) => ({ group: own, committed: p.committed, color: 'var(--pw-fg)' })),
    ...(groups ?? []).flatMap((g, i) =>
      g.topic === topic
        ? g.partitions.filter((p) => p.partition === partition).map((p) => ({ group: g.name, committed: p.committed, color: groupColor(i) }))
        : [],
    ),
  ];
  return (
    <div className="pw-sim-topics" data-testid="sim-topics">
      {topics.map((t) => {
        const max = Math.max(1, ...t.partitions.map((p) => p.endOffset));
        return (
          <section key={t.name} className="pw-sim-topic" data-testid={`sim-topic-${t.name}`}>
            <h4>
              {t.name} <span className={`pw-chip pw-sim-role-${t.role}`}>{ROLE[t.role]}</span>
            </h4>
            <div className="pw-sim-lanes">
              {t.partitions.map((p) => (
                <div key={p.partition} className="pw-sim-lane" data-testid={`sim-lane-${t.name}-${p.partition}`}>
                  <span className="pw-sim-lane-name">
                    <span className="pw-sim-dot" style={{ background: partitionColor(p.partition) }} />p{p.partition}
                  </span>
                  <span className="pw-sim-lane-track">
                    <span className="pw-sim-lane-fill" style={{ width: `${(p.endOffset / max) * 100}%`, background: partitionColor(p.partition) }} />
                    {markers(t.name, p.partition).map((m, i) => (
                      <span
                        key={m.group}
                        className={`pw-sim-lane-marker${m.committed / max > 0.6 ? ' is-end' : ''}`}
                        // Past the middle the label sits left of its line, so it stays in the lane.
                        // Labels alternate between the lane's upper and lower half, so two groups at one offset stay readable.
                        style={{
                          ...(m.committed / max > 0.6 ? { right: `${100 - (m.committed / max) * 100}%` } : { left: `${(m.committed / max) * 100}%` }),
                          paddingTop: i % 2 ? 8 : 0,
                          borderColor: m.color,
                          color: m.color,
                        }}
                        title={`${m.group}: committed offset ${m.committed}`}
                        data-testid={`sim-marker-${m.group}-${t.name}-${p.partition}`}
                        data-offset={m.committed}
                      >
                        {m.group}
                      </span>
                    ))}
                    <span className="pw-sim-lane-keys">
                      {p.recentKeys.map((k, i) => (
                        <span key={i} className="pw-sim-key">
                          {k ?? '∅'}
                        </span>
                      ))}
                    </span>
                  </span>
                  <span className="pw-sim-lane-end" title="log-end offset">
                    {p.endOffset}
                  </span>
                </div>
              ))}
            </div>
            {t.role === 'source' && t.keys.length > 0 && (
              <div className="pw-sim-keymap" data-testid={`sim-keys-${t.name}`}>
                <span className="pw-muted pw-small">key → partition (murmur2):</span>
                {t.keys.map((k) => (
                  <span key={k.key} className="pw-sim-tp" style={{ borderColor: partitionColor(k.partition) }}>
                    {k.key} → p{k.partition}
                  </span>
                ))}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
});
