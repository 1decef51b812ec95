/**
 * Edits of the Pipeline (its graph of nodes and wires), as pure functions. The store calls these and
 * keeps the result; nothing here knows about React or React Flow, so every
 * rule (which connection is allowed, how ids are made) is tested on its own.
 *
 * Every function returns a new Pipeline and shares what it did not change, so
 * that the derived canvas nodes of untouched pipeline nodes keep their identity.
 */
import { emptyPipeline, type NodeInput, type Pipeline, type PipelineNode } from '../../codegen/pipeline.js';
import { isNodeId, NODE_ID_MAX } from '../../codegen/names.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { ERROR_PORT, outputPorts as kindOutputs, type KindSpec } from '../../runtime/kinds/spec.js';

export interface XY {
  x: number;
  y: number;
}

/** A wire as React Flow describes it: from a node's output port to a node's input port. */
export interface Wire {
  source: string;
  sourceHandle: string | null | undefined;
  target: string;
  targetHandle: string | null | undefined;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Output ports of a node (some kinds derive them from parameters), the error port last. */
export function outputPorts(kind: KindSpec, params: Record<string, unknown>): string[] {
  return [...kindOutputs(kind, params), ERROR_PORT];
}

/** A fresh id for a node of `kind`: "filter-1", "filter-2", … never one in `taken`. */
export function newNodeId(kindName: string, taken: ReadonlySet<string>): string {
  let base = kindName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(base)) base = `node-${base}`.replace(/-+$/, '');
  base = base.slice(0, NODE_ID_MAX - 5).replace(/-+$/, '');
  for (let i = 1; ; i++) {
    const id = `${base}-${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Every topic a pipeline names, read or written. */
function topicsOf(p: Pipeline): Set<string> {
  const out = new Set<string>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (kind?.topicParam && typeof n.params[kind.topicParam] === 'string') out.add(n.params[kind.topicParam] as string);
  }
  return out;
}

/**
 * Parameters of a new node. Defaults stay in the registry (the form shows
 * them); only a topic gets a value, so that a fresh source or sink is valid
 * at once and never reads what another node writes.
 */
export function initialParams(p: Pipeline, kind: KindSpec): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (kind.topicParam) {
    const taken = topicsOf(p);
    const base = kind.category === 'source' ? 'input-events' : 'output-events';
    let topic = base;
    for (let i = 2; taken.has(topic); i++) topic = `${base}-${i}`;
    params[kind.topicParam] = topic;
  }
  return params;
}

export function addNode(p: Pipeline, kindName: string, position: XY): { pipeline: Pipeline; id: string } {
  const kind = getKind(kindName);
  if (!kind) throw new Error(`unknown kind ${kindName}`);
  const id = newNodeId(kind.kind, new Set(p.nodes.map((n) => n.id)));
  const node: PipelineNode = { id, kind: kind.kind, params: initialParams(p, kind), inputs: [], position: round(position) };
  return { pipeline: { ...p, nodes: [...p.nodes, node] }, id };
}

const round = (xy: XY): XY => ({ x: Math.round(xy.x), y: Math.round(xy.y) });

/** Move nodes; only the moved nodes become new objects. */
export function moveNodes(p: Pipeline, moves: ReadonlyMap<string, XY>): Pipeline {
  if (moves.size === 0) return p;
  let changed = false;
  const nodes = p.nodes.map((n) => {
    const to = moves.get(n.id);
    if (!to) return n;
    if (n.position && n.position.x === to.x && n.position.y === to.y) return n;
    changed = true;
    return { ...n, position: { x: to.x, y: to.y } };
  });
  return changed ? { ...p, nodes } : p;
}

/** Remove nodes, the wires into and out of them, and single wires. */
export function removeElements(p: Pipeline, nodeIds: ReadonlySet<string>, wires: readonly Wire[] = []): Pipeline {
  if (nodeIds.size === 0 && wires.length === 0) return p;
  const gone = (n: PipelineNode, i: NodeInput) =>
    nodeIds.has(i.from) ||
    wires.some((w) => w.target === n.id && w.source === i.from && (w.sourceHandle ?? 'out') === i.fromPort && (w.targetHandle ?? 'in') === i.port);
  const nodes = p.nodes
    .filter((n) => !nodeIds.has(n.id))
    .map((n) => {
      const inputs = n.inputs.filter((i) => !gone(n, i));
      return inputs.length === n.inputs.length ? n : { ...n, inputs };
    });
  return { ...p, nodes };
}

/** Ids of every node downstream of `id` (following wires), `id` included. */
function downstream(p: Pipeline, id: string): Map<string, string> {
  const readers = new Map<string, string[]>();
  for (const n of p.nodes) for (const i of n.inputs) (readers.get(i.from) ?? readers.set(i.from, []).get(i.from)!).push(n.id);
  // node id → the node it was reached from, for showing the cycle.
  const seen = new Map<string, string>([[id, '']]);
  const queue = [id];
  while (queue.length) {
    const at = queue.shift()!;
    for (const next of readers.get(at) ?? []) {
      if (!seen.has(next)) {
        seen.set(next, at);
        queue.push(next);
      }
    }
  }
  return seen;
}

/** Whether the pipeline would accept this wire, and if not, a short reason why. */
export function checkWire(p: Pipeline, w: Wire): Verdict {
  const from = p.nodes.find((n) => n.id === w.source);
  const to = p.nodes.find((n) => n.id === w.target);
  if (!from || !to) return { ok: false, reason: 'Both ends must be nodes on the canvas.' };
  const fromKind = getKind(from.kind);
  const toKind = getKind(to.kind);
  if (!fromKind || !toKind) return { ok: false, reason: 'Unknown node kind.' };
  const fromPort = w.sourceHandle ?? kindOutputs(fromKind, from.params)[0] ?? ERROR_PORT;
  const toPort = w.targetHandle ?? toKind.inputs[0];
  if (from.id === to.id) return { ok: false, reason: 'A node cannot read its own output.' };
  if (toKind.category === 'source') return { ok: false, reason: `${toKind.title} is a source and takes no input.` };
  if (!outputPorts(fromKind, from.params).includes(fromPort)) {
    return fromKind.category === 'sink'
      ? { ok: false, reason: `A sink has no output; only its ${ERROR_PORT} port can be wired.` }
      : { ok: false, reason: `"${from.id}" has no output port "${fromPort}".` };
  }
  if (!toPort || !toKind.inputs.includes(toPort)) return { ok: false, reason: `"${to.id}" has no input port "${toPort}".` };
  if (to.inputs.some((i) => i.from === from.id && i.fromPort === fromPort && i.port === toPort)) {
    return { ok: false, reason: 'These ports are already connected.' };
  }
  const reach = downstream(p, to.id);
  if (reach.has(from.id)) {
    const path = [from.id];
    for (let at = reach.get(from.id)!; at; at = reach.get(at)!) path.unshift(at);
    return { ok: false, reason: `That would make a cycle: ${[from.id, ...path].join(' → ')}.` };
  }
  return { ok: true };
}

export function connect(p: Pipeline, w: Wire): { pipeline: Pipeline; verdict: Verdict } {
  const verdict = checkWire(p, w);
  if (!verdict.ok) return { pipeline: p, verdict };
  const from = p.nodes.find((n) => n.id === w.source)!;
  const input: NodeInput = {
    port: w.targetHandle ?? getKind(p.nodes.find((n) => n.id === w.target)!.kind)!.inputs[0],
    from: w.source,
    fromPort: w.sourceHandle ?? kindOutputs(getKind(from.kind)!, from.params)[0] ?? ERROR_PORT,
  };
  return { pipeline: updateNode(p, w.target, (n) => ({ ...n, inputs: [...n.inputs, input] })), verdict };
}

export function updateNode(p: Pipeline, id: string, fn: (n: PipelineNode) => PipelineNode): Pipeline {
  const i = p.nodes.findIndex((n) => n.id === id);
  if (i < 0) return p;
  const next = fn(p.nodes[i]);
  if (next === p.nodes[i]) return p;
  const nodes = p.nodes.slice();
  nodes[i] = next;
  return { ...p, nodes };
}

/**
 * Set one parameter. `undefined` removes it, and so does its declared
 * default: the YAML stays short and the registry stays the one place that
 * says what the default is.
 */
export function setParam(p: Pipeline, id: string, name: string, value: unknown): Pipeline {
  return updateNode(p, id, (n) => {
    const spec = getKind(n.kind)?.params.find((s) => s.name === name);
    const params = { ...n.params };
    if (value === undefined || (spec && spec.default !== undefined && value === spec.default)) delete params[name];
    else params[name] = value;
    return { ...n, params };
  });
}

export function setLabel(p: Pipeline, id: string, label: string): Pipeline {
  return updateNode(p, id, (n) => {
    const next = { ...n };
    if (label.trim() === '') delete next.label;
    else next.label = label;
    return next;
  });
}

export function setSamples(p: Pipeline, id: string, samples: PipelineNode['samples']): Pipeline {
  return updateNode(p, id, (n) => {
    const next = { ...n };
    if (samples === undefined) delete next.samples;
    else next.samples = samples;
    return next;
  });
}

/** Why `to` cannot be the new id of `from`, or undefined when it can. */
export function checkRename(p: Pipeline, from: string, to: string): string | undefined {
  if (to === from) return undefined;
  if (!isNodeId(to)) return 'Use lowercase letters, digits and single "-" between them, starting with a letter, at most 40 characters.';
  if (p.nodes.some((n) => n.id === to)) return `"${to}" is already taken.`;
  return undefined;
}

/** Rename a node and every input that refers to it, and the tests that name it. */
export function renameNode(p: Pipeline, from: string, to: string): Pipeline {
  if (from === to || checkRename(p, from, to)) return p;
  const nodes = p.nodes.map((n) => {
    const renamed = n.id === from ? { ...n, id: to } : n;
    if (!renamed.inputs.some((i) => i.from === from)) return renamed;
    return { ...renamed, inputs: renamed.inputs.map((i) => (i.from === from ? { ...i, from: to } : i)) };
  });
  const rekey = <T>(rec: Record<string, T>) => Object.fromEntries(Object.entries(rec).map(([k, v]) => [k === from ? to : k, v]));
  const tests = p.tests.map((t) => (from in t.input || from in t.expect ? { ...t, input: rekey(t.input), expect: rekey(t.expect) } : t));
  return { ...p, nodes, tests };
}

/**
 * Copy: the chosen nodes with the wires among them; wires from outside the
 * selection are dropped, since a pasted copy should not silently read from
 * the original's upstream.
 */
export function copyNodes(p: Pipeline, ids: ReadonlySet<string>): PipelineNode[] {
  return p.nodes.filter((n) => ids.has(n.id)).map((n) => structuredClone({ ...n, inputs: n.inputs.filter((i) => ids.has(i.from)) }));
}

/** Paste copies with fresh ids, shifted by `offset`; returns the new ids. */
export function pasteNodes(p: Pipeline, copied: readonly PipelineNode[], offset: XY): { pipeline: Pipeline; ids: string[] } {
  const taken = new Set(p.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of copied) {
    const base = n.id.replace(/-\d+$/, '') || n.kind;
    const id = newNodeId(isNodeId(`${base}-1`) ? base : n.kind, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  let next = p;
  const added: PipelineNode[] = [];
  for (const n of copied) {
    const kind = getKind(n.kind);
    const params = structuredClone(n.params);
    // A copied source or sink gets its own topic, so the copy does not read what the pipeline writes.
    if (kind?.topicParam) Object.assign(params, initialParams(next, kind));
    const node: PipelineNode = {
      ...structuredClone(n),
      id: rename.get(n.id)!,
      params,
      inputs: n.inputs.filter((i) => rename.has(i.from)).map((i) => ({ ...i, from: rename.get(i.from)! })),
      position: round({ x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y }),
    };
    added.push(node);
    next = { ...next, nodes: [...next.nodes, node] };
  }
  return { pipeline: next, ids: added.map((n) => n.id) };
}

/** A node's box on the canvas. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
/** Node sizes by id, as the canvas measured them; unmeasured nodes get `fallback`. */
export type Sizes = Readonly<Record<string, { width: number; height: number }>>;
/** Room kept between a node and its neighbours when Pipewright places it. */
export const NODE_GAP = 40;
const DEFAULT_SIZE = { width: 220, height: 84 };

function rectOf(n: PipelineNode, sizes: Sizes, fallback = DEFAULT_SIZE): Rect | undefined {
  return n.position ? { ...n.position, ...(sizes[n.id] ?? fallback) } : undefined;
}

const overlaps = (a: Rect, b: Rect, gap: number) =>
  a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;

/**
 * The nearest place to `at` where a box of `size` keeps NODE_GAP clear of every
 * other node: tried straight below and above first, then to the right, so a
 * new node lands next to where it was asked for, never on top of a node.
 */
export function clearSpot(p: Pipeline, sizes: Sizes, at: XY, size = DEFAULT_SIZE, ignore: ReadonlySet<string> = new Set()): XY {
  const others = p.nodes
    .filter((n) => !ignore.has(n.id))
    .map((n) => rectOf(n, sizes))
    .filter((r): r is Rect => !!r);
  const free = (xy: XY) => !others.some((r) => overlaps({ ...xy, ...size }, r, NODE_GAP));
  const dy = size.height + NODE_GAP;
  const dx = size.width + NODE_GAP;
  for (let ring = 0; ring <= others.length + 1; ring++) {
    for (let col = 0; col <= ring; col++) {
      for (const row of col === ring ? Array.from({ length: 2 * ring + 1 }, (_, k) => (k % 2 ? 1 : -1) * Math.ceil(k / 2)) : [ring, -ring]) {
        const xy = round({ x: at.x + col * dx, y: at.y + row * dy });
        if (free(xy)) return xy;
      }
    }
  }
  return round(at);
}

/** The wires into one input port of a node. */
export function wiresInto(p: Pipeline, target: string, port: string): NodeInput[] {
  return p.nodes.find((n) => n.id === target)?.inputs.filter((i) => i.port === port) ?? [];
}

/**
 * Wiring a port that already has a wire merges two streams into it, which is
 * rarely what was meant (every event arrives twice when both carry the same
 * events). Returns what to tell the user, or undefined when the port is free.
 */
export function secondInput(p: Pipeline, w: Wire): string | undefined {
  const to = p.nodes.find((n) => n.id === w.target);
  const kind = to && getKind(to.kind);
  if (!to || !kind) return undefined;
  const port = w.targetHandle ?? kind.inputs[0];
  const existing = wiresInto(p, to.id, port);
  if (existing.length === 0) return undefined;
  const from = existing.map((i) => `"${i.from}"`).join(', ');
  const what = kind.inputs.length === 1 ? `A ${kind.kind} takes one input` : `Its "${port}" port takes one input`;
  return `"${to.id}" already reads from ${from}. ${what}: a second wire merges both streams into it.`;
}

/** Wire `w`, taking the place of every wire already into its input port (one undo step). */
export function replaceWire(p: Pipeline, w: Wire): { pipeline: Pipeline; verdict: Verdict } {
  const to = p.nodes.find((n) => n.id === w.target);
  const kind = to && getKind(to.kind);
  if (!to || !kind) return { pipeline: p, verdict: { ok: false, reason: 'Both ends must be nodes on the canvas.' } };
  const port = w.targetHandle ?? kind.inputs[0];
  const cleared = updateNode(p, to.id, (n) => ({ ...n, inputs: n.inputs.filter((i) => i.port !== port) }));
  const out = connect(cleared, w);
  return out.verdict.ok ? out : { pipeline: p, verdict: out.verdict };
}

/** Why a node cannot go into the middle of a wire, or undefined when it can. */
export function checkSplit(p: Pipeline, nodeId: string): string | undefined {
  const node = p.nodes.find((n) => n.id === nodeId);
  const kind = node && getKind(node.kind);
  if (!node || !kind) return 'Only a node on the canvas can go into a wire.';
  if (kind.category === 'source') return `${kind.title} is a source: it takes no input, so it cannot go into a wire.`;
  if (kind.category === 'sink') return `${kind.title} is a sink: it has no output, so it cannot go into a wire.`;
  if (node.inputs.length > 0 || p.nodes.some((n) => n.inputs.some((i) => i.from === nodeId)))
    return `"${nodeId}" is already wired; only an unconnected node can go into a wire.`;
  return undefined;
}

/**
 * Insert the unconnected node `nodeId` into the wire `w` (source → target
 * becomes source → node → target) and lay out the span: the node goes
 * between the two ends, and when there is no room for it, the target and
 * everything drawn to its right move right to make room, so no wire runs
 * through a node.
 */
export function splitEdge(p: Pipeline, w: Wire, nodeId: string, sizes: Sizes = {}): { pipeline: Pipeline; verdict: Verdict } {
  const why = checkSplit(p, nodeId);
  if (why) return { pipeline: p, verdict: { ok: false, reason: why } };
  const target = p.nodes.find((n) => n.id === w.target);
  const sourceNode = p.nodes.find((n) => n.id === w.source);
  const wired = target?.inputs.find((i) => i.from === w.source && i.fromPort === (w.sourceHandle ?? 'out') && i.port === (w.targetHandle ?? 'in'));
  if (!target || !sourceNode || !wired) return { pipeline: p, verdict: { ok: false, reason: 'That wire is no longer on the canvas.' } };
  const node = p.nodes.find((n) => n.id === nodeId)!;
  const kind = getKind(node.kind)!;
  const fromPort = kindOutputs(kind, node.params)[0] ?? ERROR_PORT;
  let next = updateNode(p, target.id, (n) => ({ ...n, inputs: n.inputs.map((i) => (i === wired ? { ...i, from: nodeId, fromPort } : i)) }));
  next = updateNode(next, nodeId, (n) => ({ ...n, inputs: [{ port: kind.inputs[0], from: wired.from, fromPort: wired.fromPort }] }));
  return { pipeline: layoutSpan(next, sourceNode.id, nodeId, target.id, sizes), verdict: { ok: true } };
}

/** Place `mid` between `from` and `to`, moving `to` and what lies right of it when the gap is too narrow. */
function layoutSpan(p: Pipeline, from: string, mid: string, to: string, sizes: Sizes): Pipeline {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const a = rectOf(byId.get(from)!, sizes);
  const b = rectOf(byId.get(to)!, sizes);
  const size = sizes[mid] ?? DEFAULT_SIZE;
  if (!a || !b) return p;
  const y = (a.y + a.height / 2 + b.y + b.height / 2) / 2 - size.height / 2;
  if (b.x < a.x + a.width) {
    // A wire drawn right to left: put the node halfway, clear of others.
    const at = { x: (a.x + a.width / 2 + b.x + b.width / 2) / 2 - size.width / 2, y };
    return moveNodes(p, new Map([[mid, clearSpot(p, sizes, at, size, new Set([mid]))]]));
  }
  const need = a.x + a.width + NODE_GAP * 2 + size.width;
  const shift = Math.max(0, need - b.x);
  const moves = new Map<string, XY>();
  if (shift > 0) {
    for (const n of p.nodes) if (n.id !== mid && n.position && n.position.x >= b.x) moves.set(n.id, { x: n.position.x + shift, y: n.position.y });
  }
  const gapLeft = a.x + a.width;
  const gapRight = b.x + shift;
  const at = { x: (gapLeft + gapRight) / 2 - size.width / 2, y };
  const moved = moveNodes(p, moves);
  return moveNodes(moved, new Map([[mid, clearSpot(moved, sizes, at, size, new Set([mid]))]]));
}

/** True when the pipeline has nothing a user would miss. */
export function isBlank(p: Pipeline): boolean {
  return p.nodes.length === 0 && p.tests.length === 0;
}

export { emptyPipeline };
