import { describe, expect, it } from 'vitest';
import { Graph } from '../engine/graph.js';
import { histogramSeries, parseExposition } from '../../test/harness/exposition.js';
import { Metrics } from './metrics.js';
import { ProcessMetrics } from './process-metrics.js';

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

describe('Metrics: histograms in the text format', () => {
  const nodes = new Map([
    ['in', { in: 0, out: 0, errors: 0 }],
    ['big "one"\\', { in: 0, out: 0, errors: 0 }],
  ]);

  it('parses as Prometheus reads it; every node has its latency series before any record', () => {
    const families = parseExposition(new Metrics().render(nodes, 'p'));
    const node = families.get('pipewright_node_duration_seconds')!;
    expect(node.type).toBe('histogram');
    expect(histogramSeries(node).map((s) => [s.labels.node, s.count])).toEqual([
      ['in', 0],
      ['big "one"\\', 0],
    ]);
    // The names that dashboards and KEDA-era alerts already use are still there.
    for (const name of [
      'pipewright_consumed_total',
      'pipewright_dead_letters_total',
      'pipewright_partition_lag',
      'pipewright_node_in_total',
      'pipewright_batch_seconds_total',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
  });

  it('counts every observation once, in the first bucket whose bound holds it, cumulatively', () => {
    const m = new Metrics();
    const observed = [0.00005, 0.0001, 0.0003, 0.002, 0.002, 0.07, 3, 42];
    for (const s of observed) m.observeNode('in', s);
    const [series] = histogramSeries(parseExposition(m.render(new Map([['in', { in: 0, out: 0, errors: 0 }]]), 'p')).get('pipewright_node_duration_seconds')!);
    expect(series.count).toBe(observed.length);
    expect(series.sum).toBeCloseTo(
      observed.reduce((a, b) => a + b, 0),
      9,
    );
    // Each bucket counts the observations at or below its bound (le is "less or equal").
    for (const b of series.buckets) expect(b.count, `le=${b.le}`).toBe(observed.filter((s) => s <= b.le).length);
    for (let i = 1; i < series.buckets.length; i++) expect(series.buckets[i].count).toBeGreaterThanOrEqual(series.buckets[i - 1].count);
    expect(series.buckets.at(-1)).toEqual({ le: Infinity, count: observed.length });
  });

  it('a finished slice counts its records and their age since their Kafka timestamp, per input topic', () => {
    const m = new Metrics();
    const now = 1_000_000;
    const began = performance.now();
    m.sliceDone(
      'orders',
      [now - 2000, now - 2000, now - 30, now + 500],
      { messages: [{ topic: 'out', key: null, value: 'x', headers: {} }], deadLetters: 1, skipped: 0 },
      began,
      now,
    );
    m.sliceDone('orders.repartition', [now - 100], { messages: [], deadLetters: 0, skipped: 0 }, began, now);
    const families = parseExposition(m.render(new Map(), 'p'));
    const e2e = histogramSeries(families.get('pipewright_end_to_end_latency_seconds')!);
    expect(e2e.map((s) => [s.labels.topic, s.count])).toEqual([
      ['orders', 4],
      ['orders.repartition', 1],
    ]);
    const orders = e2e[0];
    const at = (le: number) => orders.buckets.find((b) => b.le === le)!.count;
    // A producer clock ahead of ours counts as no delay; 30 ms is under 0.05 s; 2 s is over 1 s and under 2.5 s.
    expect([at(0.005), at(0.05), at(1), at(2.5)]).toEqual([1, 2, 2, 4]);
    expect(orders.sum).toBeCloseTo(4.03, 9);
    const [batch] = histogramSeries(families.get('pipewright_batch_duration_seconds')!);
    expect(batch.count).toBe(2);
    expect(families.get('pipewright_consumed_total')!.samples[0].value).toBe(5);
    expect(families.get('pipewright_dead_letters_total')!.samples[0].value).toBe(1);
    expect(families.get('pipewright_batches_total')!.samples[0].value).toBe(2);
  });

  it('the engine times every node on every slice it runs, sources included', async () => {
    const timed: string[] = [];
    const g = new Graph(
      {
        pipeline: 'p',
        errors: { policy: 'dead-letter', topic: 'p.dead-letter' },
        nodes: [
          { id: 'src', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
          { id: 'f', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
          { id: 'out', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 'f', fromPort: 'out' }] },
        ],
      },
      { f: { where: (v: { n: number }) => v.n > 1 } },
      { onNodeTime: (node, seconds) => void (seconds >= 0 && timed.push(node)) },
    );
    const raw = (n: number) => ({
      key: 'k',
      value: JSON.stringify({ n }),
      timestamp: 0,
      headers: {},
      origin: { topic: 'in', partition: 0, offset: String(n) },
    });
    await g.process('in', [raw(1), raw(2)]);
    // The filter passes nothing from this slice: the sink gets no call, so no time.
    await g.process('in', [raw(0)]);
    expect(timed).toEqual(['src', 'f', 'out', 'src', 'f']);
  });
});

describe('ProcessMetrics: the standard process and Node.js metrics', () => {
  it('exports them under the names prom-client gives them, with values of this process', async () => {
    const pm = new ProcessMetrics('pipeline="p"');
    try {
      // Short-lived garbage until the young generation has been collected and the GC observer has
      // told the metrics (its entries arrive asynchronously, and one round may not fill the space).
      let families = parseExposition(await pm.render());
      const minorGcs = () => histogramSeries(families.get('nodejs_gc_duration_seconds')!).find((s) => s.labels.kind === 'minor')?.count ?? 0;
      for (let round = 0; round < 50 && minorGcs() === 0; round++) {
        let keep = 0;
        for (let i = 0; i < 200_000; i++) keep += [i, { i }].length;
        expect(keep).toBe(400_000);
        await new Promise((r) => setTimeout(r, 20));
        families = parseExposition(await pm.render());
      }
      const value = (name: string) => {
        expect(families.get(name), name).toBeDefined();
        return families.get(name)!.samples[0].value;
      };
      expect(value('process_cpu_seconds_total')).toBeCloseTo(value('process_cpu_user_seconds_total') + value('process_cpu_system_seconds_total'), 3);
      expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(value('process_resident_memory_bytes')).toBeGreaterThan(value('nodejs_heap_size_used_bytes'));
      expect(value('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(value('nodejs_heap_size_used_bytes'));
      expect(Math.abs(value('process_start_time_seconds') - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
      expect(value('process_open_fds')).toBeGreaterThan(2);
      expect(value('process_max_fds')).toBeGreaterThanOrEqual(value('process_open_fds'));
      expect(value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
      expect(value('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(value('nodejs_eventloop_lag_min_seconds'));
      expect(families.get('nodejs_heap_space_size_used_bytes')!.samples.map((s) => s.labels.space)).toContain('new');
      expect(families.get('nodejs_version_info')!.samples[0].labels.version).toBe(process.version);
      // Every series carries the pipeline, as the service's own do.
      for (const f of families.values()) for (const sample of f.samples) expect(sample.labels.pipeline, sample.name).toBe('p');
      expect(minorGcs()).toBeGreaterThan(0);
    } finally {
      pm.stop();
    }
  });
});
