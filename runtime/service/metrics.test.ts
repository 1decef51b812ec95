import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

const lagRows = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('pipewright_partition_lag{'))
    .map((l) => /topic="([^"]*)",partition="(\d+)"\} (\d+)/.exec(l)!.slice(1).join(':'));

describe('Metrics: the lag gauge', () => {
  it('drops partitions that moved to another replica at a rebalance, and everything when the replica leaves', () => {
    const m = new Metrics();
    for (const p of [0, 1, 2, 3]) m.lag.set(`orders\u0000${p}`, 10 + p);
    m.lag.set('words.repartition\u00001', 7);
    m.keepLag({ orders: [1, 3], 'words.repartition': [1] });
    expect(lagRows(m.render(new Map(), 'p'))).toEqual(['orders:1:11', 'orders:3:13', 'words.repartition:1:7']);
    m.keepLag({});
    expect(lagRows(m.render(new Map(), 'p'))).toEqual([]);
  });

  it('two replicas report disjoint partitions, so a sum over pods counts each partition once', () => {
    const a = new Metrics();
    const b = new Metrics();
    for (const p of [0, 1, 2, 3]) a.lag.set(`orders\u0000${p}`, 5);
    a.keepLag({ orders: [0, 2] });
    b.lag.set('orders\u00001', 5);
    b.lag.set('orders\u00003', 5);
    b.keepLag({ orders: [1, 3] });
    const rows = [...lagRows(a.render(new Map(), 'p')), ...lagRows(b.render(new Map(), 'p'))].map((r) => r.split(':').slice(0, 2).join(':'));
    expect(new Set(rows).size).toBe(rows.length);
    expect(rows.sort()).toEqual(['orders:0', 'orders:1', 'orders:2', 'orders:3']);
  });
});
