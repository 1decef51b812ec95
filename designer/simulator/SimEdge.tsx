/**
 * The canvas's default edge, with the simulator's count and rate on it while
 * simulating. It replaces React Flow's default edge type, so the edges the
 * canvas derives from the pipeline need no change.
 */
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { useDesigner } from '../store/context.js';
import { selectLiveEdge, useLive } from '../live/store.js';
import { selectSimEdge } from './selectors.js';
import { edgeKey } from './session.js';

function SimEdgeImpl(props: EdgeProps) {
  const [path, labelX, labelY] = getBezierPath(props);
  const port = props.sourceHandleId ?? 'out';
  const simulated = useDesigner(selectSimEdge(props.source, port));
  // A run on the cluster (live mode): events out of the port so far, and per second.
  const running = useLive(selectLiveEdge(edgeKey(props.source, port)));
  const stat = simulated ?? running;
  return (
    <>
      <BaseEdge
        id={props.id}
        path={path}
        markerStart={props.markerStart}
        markerEnd={props.markerEnd}
        style={props.style}
        interactionWidth={props.interactionWidth}
      />
      {stat && (
        <EdgeLabelRenderer>
          <div
            className={`pw-sim-edge-label${props.selected ? ' is-selected' : ''}`}
            style={{ transform: `translate(-50%, -100%) translate(${labelX}px, ${labelY - 6}px)` }}
            data-testid={`sim-edge-${props.id}`}
            title="Events on this edge so far, and per simulated second"
          >
            {stat.count} · {stat.rate}/s
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const SimEdge = memo(SimEdgeImpl);
