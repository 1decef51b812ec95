import { beforeEach, describe, expect, test } from 'vitest';
import { serializePipeline } from '../../codegen/serialize.js';
import { setChecker, validateNow } from '../analysis.js';
import { inProcessChecker } from '../check/in-process.js';
import { createDesignerStore } from './index.js';
import { initialState } from './initial.js';
import { edgeId, wireOfEdgeId } from './pipeline-slice.js';
import { problem } from '../../codegen/errors.js';
import { selectFlowEdges, selectFlowNodes, selectNodeIssue } from './selectors.js';

const designer = createDesignerStore();

const s = () => designer.getState();

function draw() {
  s().addNode('kafka-source', { x: 0, y: 0 });
  s().addNode('filter', { x: 300, y: 0 });
  s().addNode('kafka-sink', { x: 600, y: 0 });
  expect(s().connect({ source: 'kafka-source-1', sourceHandle: 'out', target: 'filter-1', targetHandle: 'in' }).ok).toBe(true);
  expect(s().connect({ source: 'filter-1', sourceHandle: 'out', target: 'kafka-sink-1', targetHandle: 'in' }).ok).toBe(true);
}

beforeEach(() => s().reset());

describe('store', () => {
  test('reset returns to the initial state', () => {
    draw();
    s().reset();
    const { pipeline, ...rest } = initialState();
    expect(s().pipeline).toEqual(pipeline);
    for (const [k, v] of Object.entries(rest)) expect(s()[k as keyof typeof rest]).toEqual(v);
  });

  test('every edit is one undo step, and redo brings it back', () => {
    draw();
    expect(s().past).toHaveLength(5);
    const drawn = serializePipeline(s().pipeline);
    s().removeElements(['filter-1']);
    expect(s().pipeline.nodes).toHaveLength(2);
    s().undo();
    expect(serializePipeline(s().pipeline)).toBe(drawn);
    s().redo();
    expect(s().pipeline.nodes).toHaveLength(2);
    while (s().past.length) s().undo();
    expect(s().pipeline.nodes).toHaveLength(0);
  });

  test('typing into one field is one undo step', () => {
    draw();
    const before = s().pipeline;
    for (const prefix of ['v', 'va', 'val', 'value', 'value.a > 1']) s().setParam('filter-1', 'where', prefix);
    s().undo();
    expect(s().pipeline).toBe(before);
  });

  test('a drag is one undo step; a drag that moved nothing is none', () => {
    draw();
    const depth = s().past.length;
    s().beginGesture();
    for (let i = 1; i <= 10; i++) s().moveNodes(new Map([['filter-1', { x: 300 + i, y: i }]]));
    s().endGesture();
    expect(s().past.length).toBe(depth + 1);
    s().beginGesture();
    s().endGesture();
    expect(s().past.length).toBe(depth + 1);
    s().undo();
    expect(s().pipeline.nodes[1].position).toEqual({ x: 300, y: 0 });
  });

  test('moves do not count as structural changes, so validation is not redone', () => {
    draw();
    const structure = s().structure;
    s().moveNodes(new Map([['filter-1', { x: 1, y: 1 }]]));
    expect(s().structure).toBe(structure);
    expect(s().revision).toBeGreaterThan(structure);
  });

  test('refused connections change nothing and say why', () => {
    draw();
    const p = s().pipeline;
    const v = s().connect({ source: 'kafka-sink-1', sourceHandle: 'error', target: 'kafka-source-1', targetHandle: 'in' });
    expect(v.ok).toBe(false);
    expect(s().pipeline).toBe(p);
  });

  test('renaming keeps the selection on the node', () => {
    draw();
    s().select(['filter-1']);
    expect(s().renameNode('filter-1', 'big-orders')).toBeUndefined();
    expect(s().selectedNodes).toEqual(['big-orders']);
    expect(s().renameNode('big-orders', 'kafka-sink-1')).toContain('taken');
  });

  test('copy and paste selects the pasted nodes', () => {
    draw();
    s().select(['filter-1', 'kafka-sink-1']);
    expect(s().copySelection()).toBe(2);
    const ids = s().paste();
    expect(ids).toEqual(['filter-2', 'kafka-sink-2']);
    expect(s().selectedNodes).toEqual(ids);
    expect(s().pipeline.nodes.find((n) => n.id === 'kafka-sink-2')!.inputs).toEqual([{ port: 'in', from: 'filter-2', fromPort: 'out' }]);
    expect(s().paste()).toEqual(['filter-3', 'kafka-sink-3']);
  });

  test('delete selection removes nodes and selected edges', () => {
    draw();
    s().select([], [edgeId({ source: 'filter-1', sourceHandle: 'out', target: 'kafka-sink-1', targetHandle: 'in' })]);
    s().deleteSelection();
    expect(s().pipeline.nodes.find((n) => n.id === 'kafka-sink-1')!.inputs).toEqual([]);
    expect(s().pipeline.nodes).toHaveLength(3);
  });

  test('validation reports per node, like the CLI, type check included', async () => {
    setChecker(inProcessChecker());
    draw();
    await validateNow(designer);
    expect(s().problems.map((p) => [p.code, p.nodeId])).toEqual([['PW016', 'filter-1']]);
    s().setSamples('kafka-source-1', [{ key: 'c-1', value: { amount: 5 } }]);
    s().setParam('filter-1', 'where', 'value.amount > 1');
    await validateNow(designer);
    expect(s().problems.filter((p) => p.severity === 'error')).toEqual([]);
    s().setParam('filter-1', 'where', 'value.amont > 1');
    await validateNow(designer);
    expect(s().problems.map((p) => [p.code, p.nodeId, p.path])).toEqual([['PW034', 'filter-1', ['nodes', 1, 'where']]]);
    expect(s().problems[0].message).toContain("Did you mean 'amount'?");
    // A cold TypeScript compiler on a busy machine.
  }, 120_000);
});

describe('derived canvas', () => {
  test('moving one node makes one new canvas node; edges stay', () => {
    draw();
    const nodes = selectFlowNodes(s());
    const edges = selectFlowEdges(s());
    expect(nodes.map((n) => n.id)).toEqual(['kafka-source-1', 'filter-1', 'kafka-sink-1']);
    expect(edges.map((e) => e.id)).toEqual(['kafka-source-1.out->filter-1.in', 'filter-1.out->kafka-sink-1.in']);
    s().moveNodes(new Map([['filter-1', { x: 9, y: 9 }]]));
    const after = selectFlowNodes(s());
    expect(after).not.toBe(nodes);
    expect(after[0]).toBe(nodes[0]);
    expect(after[1]).not.toBe(nodes[1]);
    expect(after[1].position).toEqual({ x: 9, y: 9 });
    expect(after[2]).toBe(nodes[2]);
    expect(selectFlowEdges(s())).toBe(edges);
  });

  test('the same state gives the same arrays', () => {
    draw();
    expect(selectFlowNodes(s())).toBe(selectFlowNodes(s()));
    expect(selectFlowEdges(s())).toBe(selectFlowEdges(s()));
  });

  test("a check's answer changes the badges of the nodes it is about, and no canvas node", () => {
    draw();
    const nodes = selectFlowNodes(s());
    const typo = problem('PW034', { detail: "Property 'amont' does not exist.", fix: "Did you mean 'amount'?" }, ['nodes', 1, 'where'], 'filter-1');
    const idle = problem('PW028', { id: 'filter-1' }, ['nodes', 1], 'filter-1');
    s().setProblems([idle], s().structure);
    expect(selectNodeIssue('filter-1')(s())).toBe('warning');
    // The worst problem of a node is its badge, whatever the order.
    s().setProblems([idle, typo], s().structure);
    expect(selectNodeIssue('filter-1')(s())).toBe('error');
    expect(selectNodeIssue('kafka-source-1')(s())).toBeUndefined();
    // React Flow gets the same nodes array: nothing on the canvas is rebuilt or measured again.
    expect(selectFlowNodes(s())).toBe(nodes);
    s().setProblems([], s().structure);
    expect(selectNodeIssue('filter-1')(s())).toBeUndefined();
    expect(selectFlowNodes(s())).toBe(nodes);
  });

  test('selection shows on nodes and edges', () => {
    draw();
    const id = 'kafka-source-1.out->filter-1.in';
    s().select(['filter-1'], [id]);
    expect(selectFlowNodes(s()).find((n) => n.id === 'filter-1')!.selected).toBe(true);
    expect(selectFlowEdges(s()).find((e) => e.id === id)!.selected).toBe(true);
  });

  test('edge ids parse back into wires', () => {
    const w = { source: 'a-1', sourceHandle: 'error', target: 'b-2', targetHandle: 'in' };
    expect(wireOfEdgeId(edgeId(w))).toEqual(w);
  });
});
