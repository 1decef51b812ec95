/**
 * Selectors, defined once at module level so components subscribe narrowly
 * and React sees stable functions. Selectors that build objects memoize on
 * the identity of their inputs: the pipeline shares every node an edit did
 * not touch, so one moved node means one new canvas node. Their memos are
 * the store's own (`s.memo`, made by `createSelectorMemo` for each store),
 * so two designers on one page never hand each other their results.
 */
import type { Edge, Node } from '@xyflow/react';
import type { Problem } from '../../codegen/errors.js';
import type { PipelineNode } from '../../codegen/pipeline.js';
import { ERROR_PORT } from '../../runtime/kinds/spec.js';
import { edgeId } from './pipeline-slice.js';
import type { DesignerState } from './types.js';

export type Issue = 'error' | 'warning';
/**
 * What a canvas node carries: the pipeline node only. Its problems are not
 * in it (the node reads them with `selectNodeIssue`), so a check's answer
 * leaves React Flow's nodes array as it is.
 */
export interface PipelineNodeData extends Record<string, unknown> {
  node: PipelineNode;
}
export type FlowNode = Node<PipelineNodeData, 'pipeline'>;
export type FlowEdge = Edge;

export const selectFiles = (s: DesignerState) => s.files;
export const selectSelectedCount = (s: DesignerState) => s.selectedNodes.length;
export const selectPipelineName = (s: DesignerState) => s.pipeline.name;
export const selectPipeline = (s: DesignerState) => s.pipeline;
/** Validation's problems and the failing tests', one list; the same array while neither changes. */
export const selectProblems = (s: DesignerState): Problem[] => {
  const m = s.memo.problems;
  if (m.in && m.in[0] === s.problems && m.in[1] === s.testProblems) return m.out;
  m.in = [s.problems, s.testProblems];
  m.out = s.testProblems.length ? [...s.problems, ...s.testProblems] : s.problems;
  return m.out;
};
/** Whether the problems shown are for an earlier state while the check of the current one runs. */
export const selectChecking = (s: DesignerState) => s.problemsFor !== s.structure;
export const selectIsEmpty = (s: DesignerState) => s.pipeline.nodes.length === 0;
export const selectCanUndo = (s: DesignerState) => s.past.length > 0;
export const selectCanRedo = (s: DesignerState) => s.future.length > 0;
export const selectTheme = (s: DesignerState) => s.theme;
export const selectToasts = (s: DesignerState) => s.toasts;
export const selectDialog = (s: DesignerState) => s.dialog;
export const selectPaletteQuery = (s: DesignerState) => s.paletteQuery;
export const selectPreview = (s: DesignerState) => s.preview;
export const selectPreviewFile = (s: DesignerState) => s.previewFile;
export const selectBottom = (s: DesignerState) => ({ tab: s.bottomTab, open: s.bottomOpen });
/** Whether the panels show results for the pipeline as it is now, or for an earlier state. */
export const selectPreviewStale = (s: DesignerState) => s.previewFor !== s.revision;

/** The node the inspector shows: the one selected node, if exactly one is. */
export const selectInspected = (s: DesignerState): PipelineNode | undefined =>
  s.selectedNodes.length === 1 ? s.pipeline.nodes.find((n) => n.id === s.selectedNodes[0]) : undefined;

export const selectCounts = (s: DesignerState) => {
  let errors = 0;
  let warnings = 0;
  for (const p of selectProblems(s))
    if (p.severity === 'error') errors++;
    else warnings++;
  return { errors, warnings };
};

/** The worst problem of each node that has one. */
export function nodeIssues(problems: Problem[]): Map<string, Issue> {
  const issues = new Map<string, Issue>();
  for (const p of problems) {
    if (!p.nodeId) continue;
    if (p.severity === 'error' || !issues.has(p.nodeId)) issues.set(p.nodeId, p.severity);
  }
  return issues;
}

/** `nodeIssues` of the store's problems, memoized per problems array. */
export function selectNodeIssues(s: DesignerState): Map<string, Issue> {
  const problems = selectProblems(s);
  const m = s.memo.issues;
  if (m.for !== problems) {
    m.for = problems;
    m.issues = nodeIssues(problems);
  }
  return m.issues;
}

/**
 * Per-node selectors hold no data: each reads the store it is given, so
 * one function per node id serves every store on the page.
 */
const issueSelectors = new Map<string, (s: DesignerState) => Issue | undefined>();
/**
 * The badge of one node: a per-node selector, built once per node id. Its
 * value is a string, so when a check's answer arrives only the nodes whose
 * badge changed render again.
 */
export function selectNodeIssue(id: string): (s: DesignerState) => Issue | undefined {
  let sel = issueSelectors.get(id);
  if (!sel) issueSelectors.set(id, (sel = (s: DesignerState) => selectNodeIssues(s).get(id)));
  return sel;
}

/** Where a node without a position is drawn until layout gives it one. */
export function fallbackPosition(index: number): { x: number; y: number } {
  return { x: (index % 6) * 240, y: Math.floor(index / 6) * 140 };
}

interface NodeEntry {
  node: PipelineNode;
  selected: boolean;
  size: { width: number; height: number } | undefined;
  index: number;
  flow: FlowNode;
}

/**
 * React Flow nodes, derived from the pipeline; unchanged pipeline nodes keep
 * their canvas node. Problems are not an input: a check's answer changes no
 * canvas node (see `selectNodeIssue`).
 */
export function selectFlowNodes(s: DesignerState): FlowNode[] {
  const m = s.memo.nodes;
  const { cache: nodeCache, last: lastNodes } = m;
  const inputs = [s.pipeline.nodes, s.selectedNodes, s.measured];
  if (inputs.every((x, i) => x === m.in[i])) return lastNodes;
  m.in = inputs;
  const selected = new Set(s.selectedNodes);
  let changed = s.pipeline.nodes.length !== lastNodes.length;
  const out = s.pipeline.nodes.map((node, index) => {
    const e = nodeCache.get(node);
    const sel = selected.has(node.id);
    const size = s.measured[node.id];
    let entry: NodeEntry;
    if (e && e.selected === sel && e.size === size && (node.position || e.index === index)) {
      entry = e;
    } else {
      const flow: FlowNode = {
        id: node.id,
        type: 'pipeline',
        position: node.position ?? fallbackPosition(index),
        data: { node },
        selected: sel,
        ...(size ? { measured: size } : {}),
      };
      entry = { node, selected: sel, size, index, flow };
      nodeCache.set(node, entry);
    }
    if (lastNodes[index] !== entry.flow) changed = true;
    return entry.flow;
  });
  if (changed) m.last = out;
  return m.last;
}

function edgeClass(error: boolean, drop: boolean): { className?: string; animated?: boolean } {
  const names = [error && 'pw-edge-error', drop && 'pw-edge-drop'].filter(Boolean).join(' ');
  return { ...(names ? { className: names } : {}), ...(error ? { animated: false } : {}) };
}

interface EdgeEntry {
  inputs: PipelineNode['inputs'];
  selectedKey: string;
  edges: FlowEdge[];
}
/** React Flow edges, one per node input; memoized per node's inputs array. */
export function selectFlowEdges(s: DesignerState): FlowEdge[] {
  const m = s.memo.edges;
  const { cache: edgeCache, last: lastEdges } = m;
  const inputs = [s.pipeline.nodes, s.selectedEdges, s.dropEdge];
  if (inputs.every((x, i) => x === m.in[i])) return lastEdges;
  const sameSelection = s.selectedEdges === m.in[1] && s.dropEdge === m.in[2];
  m.in = inputs;
  const selected = new Set(s.selectedEdges);
  const next = new Map<string, EdgeEntry>();
  let changed = false;
  const out: FlowEdge[] = [];
  let count = 0;
  for (const node of s.pipeline.nodes) {
    if (node.inputs.length === 0) continue;
    const e = edgeCache.get(node.id);
    let entry: EdgeEntry;
    // The common case while dragging: same inputs, same selection, nothing to rebuild.
    const ids =
      e && e.inputs === node.inputs && sameSelection
        ? null
        : node.inputs.map((i) => edgeId({ source: i.from, sourceHandle: i.fromPort, target: node.id, targetHandle: i.port }));
    // Per edge: 1 selected, 2 the drop target of a dragged node, 3 both.
    const selectedKey = ids ? ids.map((id) => String((selected.has(id) ? 1 : 0) + (id === s.dropEdge ? 2 : 0))).join('') : e!.selectedKey;
    if (e && e.inputs === node.inputs && e.selectedKey === selectedKey) entry = e;
    else {
      changed = true;
      entry = {
        inputs: node.inputs,
        selectedKey,
        edges: node.inputs.map((i, k) => ({
          id: ids![k],
          source: i.from,
          sourceHandle: i.fromPort,
          target: node.id,
          targetHandle: i.port,
          selected: selectedKey[k] === '1' || selectedKey[k] === '3',
          ...edgeClass(i.fromPort === ERROR_PORT, selectedKey[k] >= '2'),
        })),
      };
    }
    next.set(node.id, entry);
    for (const edge of entry.edges) {
      if (lastEdges[count] !== edge) changed = true;
      out.push(edge);
      count++;
    }
  }
  if (count !== lastEdges.length) changed = true;
  m.cache = next;
  if (changed) m.last = out;
  return m.last;
}

/**
 * One store's memos. The canvas node made for each pipeline node object is
 * kept (`nodes.cache`): an edit replaces the nodes it changes and keeps the
 * others, so the others keep their canvas node, without a lookup table
 * rebuilt on every frame of a drag.
 */
export interface SelectorMemo {
  problems: { in: [Problem[], Problem[]] | null; out: Problem[] };
  issues: { for: Problem[] | null; issues: Map<string, Issue> };
  nodes: { cache: WeakMap<PipelineNode, NodeEntry>; in: unknown[]; last: FlowNode[] };
  edges: { cache: Map<string, EdgeEntry>; in: unknown[]; last: FlowEdge[] };
}

export function createSelectorMemo(): SelectorMemo {
  return {
    problems: { in: null, out: [] },
    issues: { for: null, issues: new Map() },
    nodes: { cache: new WeakMap(), in: [], last: [] },
    edges: { cache: new Map(), in: [], last: [] },
  };
}
