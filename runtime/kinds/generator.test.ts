import { describe, expect, it } from 'vitest';
import { EventGenerator, generator, mulberry32 } from './generator.js';
import { withDefaults } from './spec.js';

const fields = {
  id: 'seq',
  user: 'pick(alice,bob,carol)',
  amount: 'uniform(1,500)',
  qty: 'int(1,3)',
  at: 'now',
  flag: 'bool(0.5)',
  id2: 'uuid',
  fixed: 7,
  nested: { tag: 'const(x)' },
};

describe('generator', () => {
  it('is deterministic for a seed and different for another', () => {
    const a = new EventGenerator({ fields, seed: 42 });
    const b = new EventGenerator({ fields, seed: 42 });
    const c = new EventGenerator({ fields, seed: 43 });
    const take = (g: EventGenerator) => Array.from({ length: 50 }, (_, i) => g.next(1000 + i).value);
    const first = take(a);
    expect(take(b)).toEqual(first);
    expect(take(c)).not.toEqual(first);
  });

  it("makes values within each generator's range", () => {
    const g = new EventGenerator({ fields, seed: 1, key: 'user' });
    for (let i = 0; i < 500; i++) {
      const e = g.next(5000);
      const v = e.value as Record<string, unknown>;
      expect(v.id).toBe(i);
      expect(['alice', 'bob', 'carol']).toContain(v.user);
      expect(e.key).toBe(v.user);
      expect(v.amount as number).toBeGreaterThanOrEqual(1);
      expect(v.amount as number).toBeLessThanOrEqual(500);
      expect(Number((v.amount as number).toFixed(2))).toBe(v.amount);
      expect([1, 2, 3]).toContain(v.qty);
      expect(v.at).toBe(5000);
      expect(typeof v.flag).toBe('boolean');
      expect(v.id2).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(v.fixed).toBe(7);
      expect(v.nested).toEqual({ tag: 'x' });
    }
  });

  it('stops after count and gives messages for the in-memory log', () => {
    const g = new EventGenerator({ fields: { id: 'seq(10)' }, count: 3, key: 'id' });
    const m = g.messages('orders', 5, 1000, 100);
    expect(m.map((x) => [x.key, x.value, x.timestamp])).toEqual([
      ['10', '{"id":10}', 1000],
      ['11', '{"id":11}', 1100],
      ['12', '{"id":12}', 1200],
    ]);
    expect(g.done).toBe(true);
  });

  it('explains a template it cannot use', () => {
    expect(generator.validate(withDefaults(generator, { fields: { a: 'pick()' } }))[0].message).toMatch(/field "a": pick needs at least one value/);
    expect(generator.validate(withDefaults(generator, { fields: { a: 'random' } }))[0].message).toMatch(/"random" is not a field generator/);
    expect(generator.validate(withDefaults(generator, { fields: { a: 'int(5,1)' } }))[0].message).toMatch(/min ≤ max/);
    expect(generator.validate(withDefaults(generator, { fields: { a: 'seq' }, key: 'b' }))[0].message).toMatch(/key field "b"/);
    expect(generator.validate(withDefaults(generator, { fields }))).toEqual([]);
  });

  it('gives sample values for the event type', () => {
    expect(generator.samples(withDefaults(generator, { fields: { id: 'seq', user: 'pick(a,b)' }, seed: 1 }))).toHaveLength(5);
    const r = mulberry32(7);
    expect(r()).toBeGreaterThanOrEqual(0);
  });
});
