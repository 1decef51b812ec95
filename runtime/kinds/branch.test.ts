import { describe, expect, it } from 'vitest';
import { oneNode } from '../../test/harness/one-node.js';
import { DEAD_LETTER_HEADERS } from '../types.js';
import { branch } from './branch.js';
import { outputPorts, withDefaults } from './spec.js';

type V = { amount: number; status?: string };
const routes = { large: 'value.amount > 100', shipped: 'value.status === "shipped"' };
const fns = { 'routes.large': (v: V) => v.amount > 100, 'routes.shipped': (v: V) => v.status === 'shipped' };

describe('branch', () => {
  it('derives its output ports from the routes, in order, plus default', () => {
    expect(outputPorts(branch, { routes })).toEqual(['large', 'shipped', 'default']);
    expect(outputPorts(branch, { routes: ['a', 'b'] })).toEqual(['a', 'b', 'default']);
    expect(branch.validate(withDefaults(branch, { routes: { default: 'true' } }))[0].message).toMatch(/default/);
  });

  it('sends each event to the first matching route, or to default', async () => {
    const r = await oneNode('branch', { routes: Object.keys(routes), match: 'first' }, fns).run([
      { amount: 500, status: 'shipped' },
      { amount: 5, status: 'shipped' },
      { amount: 5 },
    ]);
    expect(r.out).toEqual({ large: [{ amount: 500, status: 'shipped' }], shipped: [{ amount: 5, status: 'shipped' }], default: [{ amount: 5 }] });
  });

  it('with match: all, sends an event to every matching route', async () => {
    const r = await oneNode('branch', { routes: Object.keys(routes), match: 'all' }, fns).run([{ amount: 500, status: 'shipped' }]);
    expect(r.out.large).toHaveLength(1);
    expect(r.out.shipped).toHaveLength(1);
    expect(r.out.default).toHaveLength(0);
  });

  it('sends an event whose predicate throws to the error port, not to a route', async () => {
    const r = await oneNode('branch', { routes: ['large'] }, { 'routes.large': (v: { a: { b: number } }) => v.a.b > 1 }).run([{ a: { b: 2 } }, {}]);
    expect(r.out).toEqual({ large: [{ a: { b: 2 } }], default: [] });
    expect(r.dead).toHaveLength(1);
    expect(r.dead[0].headers[DEAD_LETTER_HEADERS.node]).toBe('subject');
  });
});
