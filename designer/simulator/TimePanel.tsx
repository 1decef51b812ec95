/**
 * Time, for window nodes: the watermark of each partition, the open windows
 * per key, the windows that closed and their results, and late events.
 * Everything comes from the node's changelog topic and its output edge, as
 * the runtime keeps them.
 */
import { memo } from 'react';
import { useDesigner } from '../store/context.js';
import { partitionColor } from './GroupPanel.js';
import { selectSimWindows } from './selectors.js';

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const hm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

type SimWindow = NonNullable<ReturnType<typeof selectSimWindows>>[number];

/** A window node's open windows, a row per key, window and partition. */
function OpenWindows({ win }: { win: SimWindow }) {
  return (
    <table className="pw-sim-table">
      <thead>
        <tr>
          <th>key</th>
          <th>open window</th>
          <th>count</th>
          <th>partition</th>
        </tr>
      </thead>
      <tbody>
        {win.open.map((o) => (
          <tr key={`${o.key}-${o.start}-${o.partition}`}>
            <td>{o.key}</td>
            <td>
              {time(o.start)} – {hm(o.end)}
            </td>
            <td>{o.count}</td>
            <td>p{o.partition}</td>
          </tr>
        ))}
        {win.openCount > win.open.length && (
          <tr>
            <td colSpan={4} className="pw-muted">
              and {win.openCount - win.open.length} more
            </td>
          </tr>
        )}
        {win.openCount === 0 && (
          <tr>
            <td colSpan={4} className="pw-muted">
              no open window
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

export const TimePanel = memo(function TimePanel() {
  const windows = useDesigner(selectSimWindows);
  if (!windows || windows.length === 0) return <p className="pw-muted pw-pad">This pipeline has no window node.</p>;
  return (
    <div className="pw-sim-time" data-testid="sim-time">
      {windows.map((w) => (
        <section key={w.node} className="pw-sim-window" data-testid={`sim-window-${w.node}`}>
          <h4>
            {w.node} <span className="pw-muted">· {w.describe}</span>
          </h4>
          <div className="pw-sim-row pw-sim-wrap">
            <span className="pw-muted">watermark:</span>
            {w.watermarks.map((p) => (
              <span
                key={p.partition}
                className="pw-sim-tp"
                style={{ borderColor: partitionColor(p.partition) }}
                title="The largest event time seen in this partition"
              >
                p{p.partition} {p.watermark === null ? '—' : time(p.watermark)}
              </span>
            ))}
          </div>
          <div className="pw-sim-row">
            <b data-testid={`sim-window-${w.node}-open`}>{w.openCount}</b>&nbsp;open · <b data-testid={`sim-window-${w.node}-closed`}>{w.closed}</b>&nbsp;closed
            · <b className={w.late ? 'pw-sim-bad' : undefined}>{w.late}</b>&nbsp;late or failed
          </div>
          <div className="pw-sim-window-cols">
            <OpenWindows win={w} />
            <div>
              <div className="pw-muted pw-small">last results (windows closed)</div>
              <ul className="pw-plain-list pw-sim-results">
                {[...w.lastClosed].reverse().map((e, i) => (
                  <li key={i}>
                    <code>{e.key}</code> <code className="pw-muted">{e.value}</code>
                  </li>
                ))}
                {w.lastClosed.length === 0 && <li className="pw-muted">none yet: a window closes when the watermark passes its end plus the grace</li>}
              </ul>
            </div>
          </div>
        </section>
      ))}
    </div>
  );
});
