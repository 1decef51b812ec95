import type { StateCreator } from 'zustand';
import type { Pipeline, PipelineNode } from '../../codegen/pipeline.js';
import * as ops from '../graph/ops.js';
import { COALESCE_MS, HISTORY_LIMIT } from './initial.js';
import type { Actions, DesignerState, PipelineSlice } from './types.js';

type Slice<T> = StateCreator<DesignerState, [], [], T>;

/** Wire ids as the canvas names edges; parsed back when an edge is deleted. */
export function edgeId(w: { source: string; sourceHandle: string; target: string; targetHandle: string }): string {
  return `${w.source}.${w.sourceHandle}->${w.target}.${w.targetHandle}`;
}

/** Node ids have no "." and no ">" (names.ts), so the first "." of each side ends the id. */
export function wireOfEdgeId(id: string): ops.Wire | undefined {
  const sides = id.split('->');
  if (sides.length !== 2) return undefined;
  const [from, to] = sides.map((side) => [side.slice(0, side.indexOf('.')), side.slice(side.indexOf('.') + 1)]);
  if (!from[0] || !to[0]) return undefined;
  return { source: from[0], sourceHandle: from[1], target: to[0], targetHandle: to[1] };
}

/** Whether copies shifted by `offset` would each sit clear of every node. */
function clearOf(p: Pipeline, sizes: ops.Sizes, copied: readonly PipelineNode[], offset: ops.XY): boolean {
  return copied.every((n) => {
    const at = { x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y };
    const spot = ops.clearSpot(p, sizes, at, sizes[n.id]);
    return spot.x === Math.round(at.x) && spot.y === Math.round(at.y);
  });
}

// eslint-disable-next-line max-lines-per-function -- a store slice is one object literal of its actions, each a few lines long
export const createPipelineSlice: Slice<Actions<PipelineSlice>> = (set, get) => ({
  commit(next, options = {}) {
    const s = get();
    if (next === s.pipeline) return;
    const { key, structural = true, history = true } = options;
    const now = Date.now();
    const fold = history && key !== undefined && key === s.lastKey && now - s.lastAt < COALESCE_MS;
    set({
      pipeline: next,
      structure: structural ? s.structure + 1 : s.structure,
      revision: s.revision + 1,
      ...(history
        ? {
            past: fold ? s.past : [...s.past, s.pipeline].slice(-HISTORY_LIMIT),
            future: [],
            lastKey: key ?? null,
            lastAt: now,
          }
        : {}),
    });
  },

  load(next, { history = true, files } = {}) {
    if (files) set({ files });
    get().commit(next, { history });
    get().select([], []);
  },

  setFile(path, bytes) {
    const files = { ...get().files };
    if (bytes) files[path] = bytes;
    else delete files[path];
    // Files change what validation and generation say, as an edit does.
    set({ files, structure: get().structure + 1, revision: get().revision + 1 });
  },

  addNode(kind, position) {
    const { pipeline, id } = ops.addNode(get().pipeline, kind, position);
    get().commit(pipeline);
    get().select([id], []);
    return id;
  },

  connect(wire) {
    const { pipeline, verdict } = ops.connect(get().pipeline, wire);
    if (verdict.ok) get().commit(pipeline);
    return verdict;
  },

  replaceWire(wire) {
    const { pipeline, verdict } = ops.replaceWire(get().pipeline, wire);
    if (verdict.ok) get().commit(pipeline);
    return verdict;
  },

  insertIntoEdge(edge, node, { history = true } = {}) {
    const s = get();
    const wire = wireOfEdgeId(edge);
    if (!wire) return { ok: false, reason: 'That wire is no longer on the canvas.' };
    let p = s.pipeline;
    let id: string;
    if ('kind' in node) {
      const added = ops.addNode(p, node.kind, node.at);
      p = added.pipeline;
      id = added.id;
    } else id = node.id;
    const { pipeline, verdict } = ops.splitEdge(p, wire, id, s.measured);
    if (!verdict.ok) return verdict;
    s.commit(pipeline, { history });
    s.select([id], []);
    return { ok: true, id };
  },

  moveNodes(moves) {
    get().commit(ops.moveNodes(get().pipeline, moves), { structural: false, history: false });
  },

  removeElements(nodeIds, wires = []) {
    const ids = new Set(nodeIds);
    get().commit(ops.removeElements(get().pipeline, ids, wires));
    const s = get();
    s.select(
      s.selectedNodes.filter((id) => !ids.has(id)),
      [],
    );
  },

  deleteSelection() {
    const s = get();
    const wires = s.selectedEdges.map(wireOfEdgeId).filter((w): w is ops.Wire => !!w);
    s.removeElements(s.selectedNodes, wires);
  },

  setParam(nodeId, name, value) {
    get().commit(ops.setParam(get().pipeline, nodeId, name, value), { key: `param:${nodeId}:${name}` });
  },

  setLabel(nodeId, label) {
    get().commit(ops.setLabel(get().pipeline, nodeId, label), { key: `label:${nodeId}` });
  },

  renameNode(from, to) {
    const s = get();
    const why = ops.checkRename(s.pipeline, from, to);
    if (why) return why;
    s.commit(ops.renameNode(s.pipeline, from, to));
    s.select(
      s.selectedNodes.map((id) => (id === from ? to : id)),
      [],
    );
    return undefined;
  },

  setSamples(nodeId, samples) {
    get().commit(ops.setSamples(get().pipeline, nodeId, samples), { key: `samples:${nodeId}` });
  },

  setPipelineName(name) {
    const p = get().pipeline;
    // Keep what was typed even when it is not valid yet; validation says what is wrong.
    if (name !== p.name) get().commit({ ...p, name }, { key: 'pipeline-name' });
  },

  copySelection() {
    const s = get();
    const copied = ops.copyNodes(s.pipeline, new Set(s.selectedNodes));
    if (copied.length) set({ clipboard: copied });
    return copied.length;
  },

  paste() {
    const s = get();
    if (s.clipboard.length === 0) return [];
    // The copies land 40px down and right of the originals, and further on until they cover no node.
    let offset = { x: 40, y: 40 };
    for (let i = 0; i < 50 && !clearOf(s.pipeline, s.measured, s.clipboard, offset); i++) offset = { x: offset.x + 40, y: offset.y + 40 };
    const { pipeline, ids } = ops.pasteNodes(s.pipeline, s.clipboard, offset);
    s.commit(pipeline);
    // The next paste lands 40px further on, not on top of this one.
    set({ clipboard: s.clipboard.map((n) => ({ ...n, position: { x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y } })) });
    s.select(ids, []);
    return ids;
  },

  applyPositions(positions, { history = true } = {}) {
    get().commit(ops.moveNodes(get().pipeline, positions), { structural: false, history });
  },
});
