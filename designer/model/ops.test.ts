import { describe, expect, test } from 'vitest';
import { emptyPipeline, type Pipeline } from '../../codegen/model.js';
import { validatePipeline } from '../../codegen/validate.js';
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
    for (const k of KINDS) expect(validatePipeline({ ...emptyPipeline(), nodes: [{ id: ops.newNodeId(k.kind, new Set()), kind: k.kind, params: {}, inputs: [] }] }).some((p) => p.code === 'PW011')).toBe(false);
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
