/**
 * Two designers on one page: each has its own store, reached through its own
 * provider, and an edit in one never reaches the other, nor do the
 * selectors' memos of one hand their results to the other.
 */
import { renderToString } from 'react-dom/server';
import { describe, expect, test, vi } from 'vitest';
import { setChecker, validateNow } from '../analysis.js';
import { inProcessChecker } from '../check/in-process.js';
import { startAutosave } from '../persistence.js';
import { useDesigner } from './context.js';
import { createDesignerStore } from './index.js';
import { selectFlowEdges, selectFlowNodes, selectProblems } from './selectors.js';
import { problem } from '../../codegen/errors.js';

function draw(store: ReturnType<typeof createDesignerStore>) {
  const s = store.getState();
  s.addNode('kafka-source', { x: 0, y: 0 });
  s.addNode('kafka-sink', { x: 300, y: 0 });
  expect(store.getState().connect({ source: 'kafka-source-1', sourceHandle: 'out', target: 'kafka-sink-1', targetHandle: 'in' }).ok).toBe(true);
}

function Name() {
  return <span>{useDesigner((s) => `${s.pipeline.name}:${s.pipeline.nodes.length}`)}</span>;
}

describe('two designers on one page', () => {
  test('an edit in one store does not reach the other, and undo stays with its own store', () => {
    const a = createDesignerStore();
    const b = createDesignerStore();
    draw(a);
    a.getState().setPipelineName('left');
    expect(a.getState().pipeline.nodes).toHaveLength(2);
    expect(b.getState().pipeline.nodes).toHaveLength(0);
    expect(b.getState().pipeline.name).not.toBe('left');
    expect(b.getState().past).toHaveLength(0);
    b.getState().addNode('filter', { x: 0, y: 0 });
    b.getState().undo();
    expect(a.getState().pipeline.nodes).toHaveLength(2);
    expect(b.getState().pipeline.nodes).toHaveLength(0);
  });

  test("each store's selectors keep their own memo: asking the other store does not make new canvas nodes", () => {
    const a = createDesignerStore();
    const b = createDesignerStore();
    draw(a);
    draw(b);
    b.getState().moveNodes(new Map([['kafka-sink-1', { x: 500, y: 40 }]]));
    const nodesA = selectFlowNodes(a.getState());
    const edgesA = selectFlowEdges(a.getState());
    expect(selectFlowNodes(b.getState()).find((n) => n.id === 'kafka-sink-1')?.position).toEqual({ x: 500, y: 40 });
    selectFlowEdges(b.getState());
    // React Flow sees the same arrays for a store that did not change.
    expect(selectFlowNodes(a.getState())).toBe(nodesA);
    expect(selectFlowEdges(a.getState())).toBe(edgesA);
    expect(nodesA.find((n) => n.id === 'kafka-sink-1')?.position).toEqual({ x: 300, y: 0 });

    const p = problem('PW051', { detail: 'x' }, []);
    a.getState().setProblems([p], a.getState().structure);
    const problemsA = selectProblems(a.getState());
    expect(selectProblems(b.getState())).toEqual([]);
    expect(selectProblems(a.getState())).toBe(problemsA);
  });

  test("each store autosaves under its own key, and an edit in one leaves the other's save alone", () => {
    const a = createDesignerStore();
    const b = createDesignerStore();
    const saved = new Map<string, string>();
    const storage = { setItem: (k: string, v: string) => void saved.set(k, v) } as unknown as Storage;
    const page = new EventTarget();
    vi.stubGlobal('window', page);
    const stops = [startAutosave(a, storage, undefined, () => 'left'), startAutosave(b, storage, undefined, () => 'right')];
    try {
      a.getState().setPipelineName('only-left');
      page.dispatchEvent(new Event('pagehide'));
      expect(saved.get('left')).toContain('only-left');
      expect(saved.has('right')).toBe(false);
      b.getState().setPipelineName('only-right');
      page.dispatchEvent(new Event('pagehide'));
      expect(saved.get('right')).toContain('only-right');
      expect(saved.get('left')).not.toContain('only-right');
    } finally {
      for (const stop of stops) stop();
      vi.unstubAllGlobals();
    }
  });

  test('each canvas gets its own problems from the shared check worker, even at the same revision and checked at once', async () => {
    setChecker(inProcessChecker());
    const a = createDesignerStore();
    const b = createDesignerStore();
    draw(a);
    draw(b);
    // The same edits, so the same revision numbers; one canvas has an error the other does not.
    a.getState().setParam('kafka-source-1', 'topic', 'orders');
    b.getState().setParam('kafka-source-1', 'topic', 'Bad Topic!');
    expect(a.getState().structure).toBe(b.getState().structure);
    await Promise.all([validateNow(a), validateNow(b)]);
    expect(a.getState().problemsFor).toBe(a.getState().structure);
    expect(b.getState().problemsFor).toBe(b.getState().structure);
    const codes = (s: typeof a) =>
      s
        .getState()
        .problems.filter((p) => p.severity === 'error' && p.nodeId === 'kafka-source-1')
        .map((p) => p.code);
    expect(codes(a)).toEqual([]);
    expect(codes(b).length).toBeGreaterThan(0);
  }, 60_000);

  test('a component outside any provider says what is missing', () => {
    expect(() => renderToString(<Name />)).toThrow(/outside <DesignerProvider>/);
  });
});
