/** Module-level selectors of the simulator slice. */
import type { DesignerState } from '../store/types.js';
import { wireOfEdgeId } from '../store/pipeline-slice.js';
import { edgeKey, type SimView } from './session.js';

export const selectSimOpen = (s: DesignerState) => s.simOpen;
export const selectSimTab = (s: DesignerState) => s.simTab;
export const selectSimError = (s: DesignerState) => s.simError;
export const selectSimControls = (s: DesignerState) => ({
  running: s.simStatus?.running ?? false,
  speed: s.simSettings.speed,
  rate: s.simSettings.rate,
  seed: s.simSettings.seed,
  ticksPerSecond: s.simStatus?.ticksPerSecond ?? 0,
  eventsPerSecond: s.simStatus?.eventsPerSecond ?? 0,
  /** The pipeline changed since the simulation was built from it. */
  outdated: s.simOpen && s.simStructure !== s.structure,
});
export const selectSimSummary = (s: DesignerState) => {
  const v = s.simView;
  return v
    ? {
        tick: v.tick,
        seconds: (v.tick * v.tickMs) / 1000,
        produced: v.produced,
        deadLetters: v.deadLetters,
        replayed: v.replayed,
        aborted: v.aborted,
        generation: v.generation,
      }
    : null;
};
export const selectSimMembers = (s: DesignerState) => s.simView?.members;
export const selectSimPartitions = (s: DesignerState) => s.simView?.partitions;
export const selectSimLag = (s: DesignerState) => s.simView?.lag;
export const selectSimTopics = (s: DesignerState) => s.simView?.topics;
export const selectSimGroups = (s: DesignerState) => s.simView?.groups;
export const selectSimNotes = (s: DesignerState) => s.simView?.notes;
export const selectTourStep = (s: DesignerState) => s.tourStep;

/** The edge the edge panel shows: the first selected edge, as the simulator keys edges. */
export const selectInspectedEdge = (s: DesignerState): { id: string; key: string; from: string; port: string; to: string } | undefined => {
  const id = s.selectedEdges[0];
  const w = id ? wireOfEdgeId(id) : undefined;
  if (!w || !id) return undefined;
  const port = w.sourceHandle ?? 'out';
  return { id, key: edgeKey(w.source, port), from: w.source, port, to: w.target };
};

/** Stats of one node while simulating, or undefined: a per-node selector, built once per node id. */
const nodeSelectors = new Map<string, (s: DesignerState) => SimView['nodes'][string] | undefined>();
export function selectSimNode(id: string) {
  let sel = nodeSelectors.get(id);
  if (!sel) nodeSelectors.set(id, (sel = (s: DesignerState) => (s.simOpen ? s.simView?.nodes[id] : undefined)));
  return sel;
}

const edgeSelectors = new Map<string, (s: DesignerState) => { count: number; rate: number } | undefined>();
/** Count and rate on the edges leaving one output port, or undefined when not simulating. */
export function selectSimEdge(from: string, port: string) {
  const k = edgeKey(from, port);
  let sel = edgeSelectors.get(k);
  if (!sel) {
    sel = (s: DesignerState) => {
      if (!s.simOpen || !s.simView) return undefined;
      return s.simView.edges[k] ?? ZERO;
    };
    edgeSelectors.set(k, sel);
  }
  return sel;
}
const ZERO = { count: 0, rate: 0, last: [] };
export const selectSimWindows = (s: DesignerState) => s.simView?.windows;
export const selectHasWindows = (s: DesignerState) => (s.simView?.windows.length ?? 0) > 0;
