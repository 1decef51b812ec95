/**
 * A run on the cluster seen as the simulator's canvas shows a simulation: per node events in, out
 * and errors with a sparkline of events in, and on each edge its count and rate: the server's rate
 * when the report has one, else counted here from two reports in a row (events per second).
 */
import { edgeKey, HISTORY } from '../simulator/session.js';
import type { RunStatus } from './api.js';

export interface LiveNode {
  in: number;
  out: number;
  errors: number;
  spark: number[];
}

export interface LiveView {
  at: number;
  nodes: Record<string, LiveNode>;
  /** By edgeKey(from, port): the same keys as the simulator's edges. */
  edges: Record<string, { count: number; rate: number }>;
}

const rate = (now: number, before: number, seconds: number) => (seconds > 0 ? Math.max(0, Math.round(((now - before) / seconds) * 10) / 10) : 0);

/** The next view from the previous one and a new report, received at `at` (ms). */
export function nextLiveView(prev: LiveView | null, status: RunStatus, at: number): LiveView {
  const seconds = prev ? (at - prev.at) / 1000 : 0;
  const nodes: LiveView['nodes'] = {};
  const edges: LiveView['edges'] = {};
  for (const [id, c] of Object.entries(status.nodes ?? {})) {
    const before = prev?.nodes[id];
    const spark = [...(before?.spark ?? []), before ? Math.max(0, c.in - before.in) : 0].slice(-HISTORY);
    nodes[id] = { in: c.in, out: c.out, errors: c.errors, spark };
    const beforeOut = prev?.edges[edgeKey(id, 'out')];
    const beforeErr = prev?.edges[edgeKey(id, 'error')];
    // The server's rate when it gives one (measured between its polls), else ours between two reports.
    const served = status.rates?.[id]?.out;
    const outRate =
      typeof served === 'number' && Number.isFinite(served) ? Math.round(served * 10) / 10 : beforeOut ? rate(c.out, beforeOut.count, seconds) : 0;
    edges[edgeKey(id, 'out')] = { count: c.out, rate: outRate };
    edges[edgeKey(id, 'error')] = { count: c.errors, rate: beforeErr ? rate(c.errors, beforeErr.count, seconds) : 0 };
  }
  return { at, nodes, edges };
}
