/** Every topic's partitions as lanes with their log-end offsets, and which key went to which partition. */
import { memo } from 'react';
import { useDesigner } from '../store/index.js';
import { partitionColor } from './GroupPanel.js';
import { selectSimTopics } from './selectors.js';

const ROLE = { source: 'input', sink: 'output', 'dead-letter': 'dead letters', internal: 'internal' } as const;

export const TopicsPanel = memo(function TopicsPanel() {
  const topics = useDesigner(selectSimTopics);
  if (!topics) return <p className="pw-muted pw-pad">Starting…</p>;
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
