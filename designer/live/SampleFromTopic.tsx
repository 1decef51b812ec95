/**
 * In the inspector of a source that reads a topic, in live mode: fill its samples from the topic's
 * real messages, and say how their shape differs from the samples it had. Completion in expressions
 * and the type check read the samples, so both follow the real data from then on.
 */
import { memo, useState } from 'react';
import type { PipelineNode } from '../../codegen/pipeline.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { sampleFromTopic } from './actions.js';
import { useLive } from './store.js';
import { useDesignerStore } from '../store/context.js';

export const SampleFromTopic = memo(function SampleFromTopic({ node }: { node: PipelineNode }) {
  const store = useDesignerStore();
  const on = useLive((s) => s.client !== null);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<{ count: number; mismatch: string[] } | null>(null);
  const kind = getKind(node.kind);
  if (!on || !kind?.topicParam || kind.category !== 'source') return null;
  const topic = node.params[kind.topicParam];
  return (
    <div className="pw-field pw-live-sample" data-testid="live-sample">
      <button
        type="button"
        className="pw-button"
        disabled={busy || typeof topic !== 'string' || !topic}
        onClick={() => {
          setBusy(true);
          void sampleFromTopic(store, node.id).then((r) => {
            setReport(r ?? null);
            setBusy(false);
          });
        }}
        data-testid="live-sample-button"
      >
        {busy ? 'Sampling…' : `Sample from topic${typeof topic === 'string' && topic ? ` “${topic}”` : ''}`}
      </button>
      <p className="pw-help">Replaces the sample events with the last messages on the topic (undo brings the old ones back).</p>
      {report && (
        <div className={`pw-msg ${report.mismatch.length ? 'pw-warning' : ''}`} role="status" data-testid="live-sample-report">
          {report.count} event{report.count === 1 ? '' : 's'} sampled.
          {report.mismatch.length > 0 && (
            <>
              {' '}
              The topic’s messages differ from the samples you had:
              <ul data-testid="live-sample-mismatch">
                {report.mismatch.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
});
