/** What the simulator says about one node, drawn inside the node while simulating. */
import { memo } from 'react';
import { useDesigner } from '../store/context.js';
import { selectLiveNode, useLive } from '../live/store.js';
import { selectSimNode } from './selectors.js';
import { Sparkline } from './Sparkline.js';

export const NodeSimBadge = memo(function NodeSimBadge({ id }: { id: string }) {
  const simulated = useDesigner(selectSimNode(id));
  // A run on the cluster (live mode) shows its counts the same way.
  const running = useLive(selectLiveNode(id));
  const stats = simulated ?? running;
  if (!stats) return null;
  const what = simulated ? 'in this simulation; the line shows events in per tick' : 'in the run on the cluster; the line shows events in per report';
  return (
    <div className="pw-sim-node" data-testid={`sim-node-${id}`} title={`Events in, events out and errors ${what}`}>
      <span className="pw-sim-count" data-testid={`sim-node-${id}-in`}>
        in {stats.in}
      </span>
      <span className="pw-sim-count">out {stats.out}</span>
      {stats.errors > 0 && <span className="pw-sim-count is-error">err {stats.errors}</span>}
      <Sparkline values={stats.spark} width={56} height={16} className="pw-sim-spark" />
    </div>
  );
});
