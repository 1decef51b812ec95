import { describe, expect, test } from 'vitest';
import { emptyPipeline, type Pipeline } from '../../codegen/pipeline.js';
import { validatePipeline } from '../../codegen/validate-pipeline.js';
import { KINDS } from '../../runtime/kinds/registry.js';
import * as ops from './ops.js';

function chain(): Pipeline {
  let p = emptyPipeline('demo');
  for (const kind of ['kafka-source', 'filter', 'map', 'kafka-sink']) p = ops.addNode(p, kind, { x: 0, y: 0 }).pipeline;
  p = ops.connect(p, { source: 'kafka-source-1', sourceHandle: 'out', target: 'filter-1', targetHandle: 'in' }).pipeline;
  p = ops.connect(p, { source: 'filter-1', sourceHandle: 'out', target: 'map-1', targetHandle: 'in' }).pipeline;
  p = ops.connect(p, { source: 'map-1', sourceHandle: 'out', target: 'kafka-sink-1', targetHandle: 'in' }).pipeline;
  return p;
}

describe('node ids and defaults', () => {
  test('new ids are valid, unique and numbered per kind', () => {
    const taken = new Set(['filter-1', 'filter-2']);
    expect(ops.newNodeId('filter', taken)).toBe('filter-3');
    expect(ops.newNodeId('kafka-source', new Set())).toBe('kafka-source-1');
    for (const k of KINDS)
      expect(
        validatePipeline({ ...emptyPipeline(), nodes: [{ id: ops.newNodeId(k.kind, new Set()), kind: k.kind, params: {}, inputs: [] }] }).some(
          (p) => p.code === 'PW011',
        ),
      ).toBe(false);
  });

  test('sources and sinks get distinct topics; nothing else gets a value', () => {
    const p = chain();
    const byId = Object.fromEntries(p.nodes.map((n) => [n.id, n]));
    expect(byId['kafka-source-1'].params).toEqual({ topic: 'input-events' });
    expect(byId['kafka-sink-1'].params).toEqual({ topic: 'output-events' });
    expect(byId['filter-1'].params).toEqual({});
    const again = ops.addNode(p, 'kafka-source', { x: 0, y: 0 }).pipeline;
    expect(again.nodes.at(-1)!.params.topic).toBe('input-events-2');
  });

  test('a completed chain validates clean', () => {
    let p = chain();
    p = ops.setParam(p, 'filter-1', 'where', 'value.amount > 1');
    p = ops.setParam(p, 'map-1', 'to', '({ total: value.amount })');
    expect(validatePipeline(p)).toEqual([]);
  });
});

describe('wiring rules', () => {
  const p = chain();
  const wire = (source: string, sourceHandle: string, target: string, targetHandle: string) => ops.checkWire(p, { source, sourceHandle, target, targetHandle });

  test('refuses a cycle, naming it', () => {
    const v = wire('map-1', 'out', 'filter-1', 'in');
    expect(v).toEqual({ ok: false, reason: 'That would make a cycle: map-1 → filter-1 → map-1.' });
  });
  test('refuses input into a source', () => {
    expect(wire('filter-1', 'out', 'kafka-source-1', 'in')).toMatchObject({ ok: false, reason: expect.stringContaining('source') });
  });
  test("refuses a sink's output but allows its error port", () => {
    expect(wire('kafka-sink-1', 'out', 'map-1', 'in')).toMatchObject({ ok: false, reason: expect.stringContaining('sink has no output') });
    const q = ops.addNode(p, 'kafka-sink', { x: 0, y: 0 }).pipeline;
    expect(ops.checkWire(q, { source: 'kafka-sink-1', sourceHandle: 'error', target: 'kafka-sink-2', targetHandle: 'in' })).toEqual({ ok: true });
  });
  test('refuses wrong ports, self wires and duplicates', () => {
    expect(wire('filter-1', 'out', 'map-1', 'other')).toMatchObject({ ok: false });
    expect(wire('filter-1', 'nope', 'map-1', 'in')).toMatchObject({ ok: false });
    expect(wire('map-1', 'out', 'map-1', 'in')).toMatchObject({ ok: false });
    expect(wire('filter-1', 'out', 'map-1', 'in')).toMatchObject({ ok: false, reason: expect.stringContaining('already') });
  });
  test('an error port feeds another node', () => {
    const q = ops.connect(p, { source: 'filter-1', sourceHandle: 'error', target: 'kafka-sink-1', targetHandle: 'in' });
    expect(q.verdict.ok).toBe(true);
    expect(q.pipeline.nodes.find((n) => n.id === 'kafka-sink-1')!.inputs).toContainEqual({ port: 'in', from: 'filter-1', fromPort: 'error' });
  });
});

describe('edits', () => {
  test('rename updates the inputs that read the node', () => {
    const p = ops.renameNode(chain(), 'filter-1', 'big-orders');
    expect(p.nodes.map((n) => n.id)).toContain('big-orders');
    expect(p.nodes.find((n) => n.id === 'map-1')!.inputs[0].from).toBe('big-orders');
    expect(ops.checkRename(p, 'map-1', 'big-orders')).toContain('taken');
    expect(ops.checkRename(p, 'map-1', 'Bad Id')).toBeDefined();
    expect(ops.renameNode(p, 'map-1', 'Bad Id')).toBe(p);
  });

  test('setting a parameter to its declared default removes it', () => {
    let p = ops.setParam(chain(), 'kafka-source-1', 'format', 'string');
    expect(p.nodes[0].params.format).toBe('string');
    p = ops.setParam(p, 'kafka-source-1', 'format', 'json');
    expect('format' in p.nodes[0].params).toBe(false);
  });

  test('moving one node keeps every other node object', () => {
    const p = chain();
    const q = ops.moveNodes(p, new Map([['map-1', { x: 5, y: 6 }]]));
    q.nodes.forEach((n, i) => (n.id === 'map-1' ? expect(n).not.toBe(p.nodes[i]) : expect(n).toBe(p.nodes[i])));
    expect(q.nodes.find((n) => n.id === 'map-1')!.inputs).toBe(p.nodes.find((n) => n.id === 'map-1')!.inputs);
  });

  test('removing a node removes the wires into it and out of it', () => {
    const p = ops.removeElements(chain(), new Set(['filter-1']));
    expect(p.nodes.map((n) => n.id)).toEqual(['kafka-source-1', 'map-1', 'kafka-sink-1']);
    expect(p.nodes.find((n) => n.id === 'map-1')!.inputs).toEqual([]);
  });

  test('removing a wire leaves the nodes', () => {
    const p = ops.removeElements(chain(), new Set(), [{ source: 'filter-1', sourceHandle: 'out', target: 'map-1', targetHandle: 'in' }]);
    expect(p.nodes).toHaveLength(4);
    expect(p.nodes.find((n) => n.id === 'map-1')!.inputs).toEqual([]);
    expect(p.nodes.find((n) => n.id === 'kafka-sink-1')!.inputs).toHaveLength(1);
  });

  test('copy and paste: new ids, wires kept inside the copy, own topics, offset positions', () => {
    const p = chain();
    const copied = ops.copyNodes(p, new Set(['kafka-source-1', 'filter-1']));
    const { pipeline, ids } = ops.pasteNodes(p, copied, { x: 40, y: 40 });
    expect(ids).toEqual(['kafka-source-2', 'filter-2']);
    const [src, filter] = pipeline.nodes.slice(-2);
    expect(filter.inputs).toEqual([{ port: 'in', from: 'kafka-source-2', fromPort: 'out' }]);
    expect(src.params.topic).not.toBe('input-events');
    expect(src.position).toEqual({ x: 40, y: 40 });
    // The original is untouched.
    expect(p.nodes).toHaveLength(4);
  });
});

/** source → sink, laid out in a row as a user would draw them, with one loose filter. */
function pair(gap = 60): Pipeline {
  let p = emptyPipeline('demo');
  p = ops.addNode(p, 'kafka-source', { x: 0, y: 0 }).pipeline;
  p = ops.addNode(p, 'kafka-sink', { x: 220 + gap, y: 0 }).pipeline;
  p = ops.connect(p, { source: 'kafka-source-1', sourceHandle: 'out', target: 'kafka-sink-1', targetHandle: 'in' }).pipeline;
  return ops.addNode(p, 'filter', { x: 0, y: 400 }).pipeline;
}
const W = { source: 'kafka-source-1', sourceHandle: 'out', target: 'kafka-sink-1', targetHandle: 'in' };
const rect = (p: Pipeline, id: string) => ({ ...p.nodes.find((n) => n.id === id)!.position!, width: 220, height: 84 });
const apart = (a: ReturnType<typeof rect>, b: ReturnType<typeof rect>) =>
  a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;

describe('split a wire', () => {
  test('a node dropped on a wire goes between its ends, and the pipeline validates', () => {
    const { pipeline, verdict } = ops.splitEdge(ops.setParam(pair(), 'filter-1', 'where', 'value.amount > 1'), W, 'filter-1');
    expect(verdict).toEqual({ ok: true });
    const byId = Object.fromEntries(pipeline.nodes.map((n) => [n.id, n]));
    expect(byId['filter-1'].inputs).toEqual([{ port: 'in', from: 'kafka-source-1', fromPort: 'out' }]);
    expect(byId['kafka-sink-1'].inputs).toEqual([{ port: 'in', from: 'filter-1', fromPort: 'out' }]);
    expect(
      validatePipeline({
        ...pipeline,
        nodes: pipeline.nodes.map((n) => (n.kind === 'kafka-source' ? { ...n, samples: [{ key: 'a', value: { amount: 2 } }] } : n)),
      }),
    ).toEqual([]);
  });

  test('when the ends are too close, the target and what lies right of it move right; nothing overlaps', () => {
    let p = pair(60);
    p = ops.addNode(p, 'log-sink', { x: 600, y: 0 }).pipeline;
    p = ops.connect(p, { source: 'kafka-sink-1', sourceHandle: 'error', target: 'log-sink-1', targetHandle: 'in' }).pipeline;
    const { pipeline } = ops.splitEdge(p, W, 'filter-1');
    const [src, filter, sink, log] = ['kafka-source-1', 'filter-1', 'kafka-sink-1', 'log-sink-1'].map((id) => rect(pipeline, id));
    expect(src.x).toBe(0);
    expect(filter.x).toBeGreaterThanOrEqual(src.x + src.width + ops.NODE_GAP);
    expect(sink.x).toBeGreaterThanOrEqual(filter.x + filter.width + ops.NODE_GAP);
    expect(filter.y).toBe(0);
    // The sink and the node right of it moved together, so their wire keeps its shape.
    expect(log.x - sink.x).toBe(600 - 280);
    for (const [a, b] of [
      [src, filter],
      [filter, sink],
      [sink, log],
    ])
      expect(apart(a, b)).toBe(true);
  });

  test('with room enough, nothing else moves and the node sits halfway', () => {
    const { pipeline } = ops.splitEdge(pair(600), W, 'filter-1');
    expect(rect(pipeline, 'kafka-sink-1').x).toBe(820);
    expect(rect(pipeline, 'filter-1')).toMatchObject({ x: 410, y: 0 });
  });

  test('a node in the way of the inserted one pushes it clear, below or above', () => {
    let p = pair(600);
    p = ops.addNode(p, 'map', { x: 410, y: 0 }).pipeline;
    const { pipeline } = ops.splitEdge(p, W, 'filter-1');
    expect(apart(rect(pipeline, 'filter-1'), rect(pipeline, 'map-1'))).toBe(true);
    expect(rect(pipeline, 'filter-1').x).toBe(410);
  });

  test('refuses sources, sinks, wired nodes and wires that are gone, saying why', () => {
    let p = pair();
    p = ops.addNode(p, 'kafka-sink', { x: 0, y: 800 }).pipeline;
    expect(ops.splitEdge(p, W, 'kafka-sink-2').verdict).toMatchObject({ ok: false, reason: expect.stringContaining('no output') });
    p = ops.addNode(p, 'kafka-source', { x: 0, y: 900 }).pipeline;
    expect(ops.splitEdge(p, W, 'kafka-source-2').verdict).toMatchObject({ ok: false, reason: expect.stringContaining('takes no input') });
    const wired = ops.connect(p, { source: 'kafka-source-2', sourceHandle: 'out', target: 'filter-1', targetHandle: 'in' }).pipeline;
    expect(ops.splitEdge(wired, W, 'filter-1').verdict).toMatchObject({ ok: false, reason: expect.stringContaining('already wired') });
    expect(ops.splitEdge(p, { ...W, source: 'filter-1' }, 'filter-1').verdict).toMatchObject({ ok: false, reason: expect.stringContaining('no longer') });
    expect(ops.splitEdge(p, W, 'kafka-sink-2').pipeline).toBe(p);
  });
});

describe('a second wire into one input', () => {
  test('is named before it merges, and replace takes the old wire away', () => {
    let p = pair();
    p = ops.splitEdge(p, W, 'filter-1').pipeline;
    p = ops.addNode(p, 'kafka-source', { x: 0, y: 800 }).pipeline;
    const second = { source: 'kafka-source-2', sourceHandle: 'out', target: 'filter-1', targetHandle: 'in' };
    expect(ops.secondInput(p, second)).toBe(
      '"filter-1" already reads from "kafka-source-1". A filter takes one input: a second wire merges both streams into it.',
    );
    expect(ops.secondInput(p, { ...second, target: 'kafka-sink-1' })).toContain('already reads from "filter-1"');
    const { pipeline, verdict } = ops.replaceWire(p, second);
    expect(verdict.ok).toBe(true);
    expect(pipeline.nodes.find((n) => n.id === 'filter-1')!.inputs).toEqual([{ port: 'in', from: 'kafka-source-2', fromPort: 'out' }]);
    expect(ops.secondInput(pipeline, second)).toContain('already reads from "kafka-source-2"');
  });

  test('a free port says nothing; a join names the port that is taken', () => {
    let p = emptyPipeline('demo');
    for (const k of ['kafka-source', 'kafka-source', 'join']) p = ops.addNode(p, k, { x: 0, y: 0 }).pipeline;
    const a = { source: 'kafka-source-1', sourceHandle: 'out', target: 'join-1', targetHandle: 'in' };
    expect(ops.secondInput(p, a)).toBeUndefined();
    p = ops.connect(p, a).pipeline;
    expect(ops.secondInput(p, { ...a, source: 'kafka-source-2', targetHandle: 'other' })).toBeUndefined();
    expect(ops.secondInput(p, { ...a, source: 'kafka-source-2' })).toContain('Its "in" port takes one input');
  });

  test('replacing with a wire that would make a cycle changes nothing', () => {
    const p = chain();
    const out = ops.replaceWire(p, { source: 'map-1', sourceHandle: 'out', target: 'filter-1', targetHandle: 'in' });
    expect(out.verdict.ok).toBe(false);
    expect(out.pipeline).toBe(p);
  });
});

describe('placement', () => {
  test('a spot taken by a node moves below it; a free spot stays', () => {
    const p = pair(60);
    expect(ops.clearSpot(p, {}, { x: 1000, y: 0 })).toEqual({ x: 1000, y: 0 });
    const spot = ops.clearSpot(p, {}, { x: 10, y: 10 });
    expect(spot).toEqual({ x: 10, y: 10 + 84 + ops.NODE_GAP });
    expect(apart({ ...spot, width: 220, height: 84 }, rect(p, 'kafka-source-1'))).toBe(true);
  });
  test('measured sizes count: a tall node pushes further', () => {
    const p = pair(60);
    const spot = ops.clearSpot(p, { 'kafka-source-1': { width: 220, height: 300 } }, { x: 10, y: 10 });
    expect(apart({ ...spot, width: 220, height: 84 }, { x: 0, y: 0, width: 220 + ops.NODE_GAP, height: 300 + ops.NODE_GAP })).toBe(true);
    expect(apart({ ...spot, width: 220, height: 84 }, rect(p, 'kafka-sink-1'))).toBe(true);
  });
  test('in a crowd, the spot found overlaps nothing', () => {
    let p = emptyPipeline('demo');
    for (let i = 0; i < 9; i++) p = ops.addNode(p, 'map', { x: (i % 3) * 250, y: Math.floor(i / 3) * 100 }).pipeline;
    const spot = ops.clearSpot(p, {}, { x: 250, y: 100 });
    for (const n of p.nodes) expect(apart({ ...spot, width: 220, height: 84 }, rect(p, n.id))).toBe(true);
  });
});
