/** The last few events on the selected edge: key, partition, offset and value. */
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useDesigner } from '../store/context.js';
import type { DesignerState } from '../store/types.js';
import { selectInspectedEdge } from './selectors.js';

const selectEdge = (s: DesignerState) => {
  const e = selectInspectedEdge(s);
  return { id: e?.id, label: e ? `${e.from}.${e.port} → ${e.to}` : undefined, stats: e ? s.simView?.edges[e.key] : undefined };
};

export const EdgePanel = memo(function EdgePanel() {
  const { id, label, stats } = useDesigner(useShallow(selectEdge));
  if (!id) return <p className="pw-muted pw-pad">Select an edge on the canvas to see the last events on it.</p>;
  return (
    <div className="pw-sim-edge" data-testid="sim-edge-events">
      <div className="pw-sim-row">
        <b>{label}</b>
        <span className="pw-muted">
          &nbsp;· {stats?.count ?? 0} events · {stats?.rate ?? 0}/s
        </span>
      </div>
      {stats && stats.last.length > 0 ? (
        <table className="pw-sim-table">
          <thead>
            <tr>
              <th>key</th>
              <th title="Where the event was read: its source topic's partition and offset">partition</th>
              <th>offset</th>
              <th>value</th>
            </tr>
          </thead>
          <tbody>
            {[...stats.last].reverse().map((e, i) => (
              <tr key={`${e.topic}-${e.partition}-${e.offset}-${i}`}>
                <td>{e.key ?? <span className="pw-muted">null</span>}</td>
                <td>
                  {e.topic}[{e.partition}]
                </td>
                <td>{e.offset}</td>
                <td className="pw-sim-value">
                  {e.deleted ? (
                    <span
                      className="pw-sim-delete"
                      title="A table's delete: the row of this key is gone; a Kafka sink writes it as a tombstone"
                      data-testid="sim-edge-delete"
                    >
                      delete
                    </span>
                  ) : null}
                  <code>{e.value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="pw-muted">No events on this edge yet.</p>
      )}
    </div>
  );
});
