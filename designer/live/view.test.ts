import { describe, expect, test } from 'vitest';
import { edgeKey } from '../simulator/session.js';
import type { RunStatus } from './api.js';
import { nextLiveView } from './view.js';

const status = (nodes: RunStatus['nodes']): RunStatus => ({ runId: 'r1', status: 'running', replicas: [], nodes, lag: [], deadLetters: 0, outputs: [] });

describe('nextLiveView', () => {
  test('counts on nodes and edges as the simulator keys them, rates from two reports a second apart', () => {
    const first = nextLiveView(null, status({ orders: { in: 10, out: 10, errors: 0 }, large: { in: 10, out: 4, errors: 1 } }), 1000);
    expect(first.nodes.large).toEqual({ in: 10, out: 4, errors: 1, spark: [0] });
    expect(first.edges[edgeKey('large', 'out')]).toEqual({ count: 4, rate: 0 });
    const second = nextLiveView(first, status({ orders: { in: 30, out: 30, errors: 0 }, large: { in: 30, out: 9, errors: 3 } }), 3000);
    expect(second.nodes.orders.spark).toEqual([0, 20]);
    expect(second.edges[edgeKey('orders', 'out')]).toEqual({ count: 30, rate: 10 });
    expect(second.edges[edgeKey('large', 'error')]).toEqual({ count: 3, rate: 1 });
  });

  test('the server’s rate wins over the one counted between reports', () => {
    const a = nextLiveView(null, status({ n: { in: 0, out: 0, errors: 0 } }), 0);
    const b = nextLiveView(a, { ...status({ n: { in: 10, out: 10, errors: 0 } }), rates: { n: { in: 3.33, out: 3.33 } } }, 1000);
    expect(b.edges[edgeKey('n', 'out')].rate).toBe(3.3);
  });

  test('counts that go back (a replica restarted) give a rate of zero, never negative', () => {
    const a = nextLiveView(null, status({ n: { in: 50, out: 50, errors: 0 } }), 0);
    const b = nextLiveView(a, status({ n: { in: 5, out: 5, errors: 0 } }), 1000);
    expect(b.edges[edgeKey('n', 'out')].rate).toBe(0);
    expect(b.nodes.n.spark).toEqual([0, 0]);
  });
});
