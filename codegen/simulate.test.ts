import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCase } from '../runtime/testing.js';
import { compileExpressions } from './compile.js';
import { parsePipeline } from './parse.js';
import { graphSpec, topicDefs } from './pipeline-ts.js';
import { simulate } from './simulate.js';

const pipeline = parsePipeline(readFileSync(new URL('../examples/large-orders/pipeline.yaml', import.meta.url), 'utf8')).pipeline!;

describe('simulate', () => {
  it('gives the same outputs per key as the in-memory test run, with several replicas and a crash', async () => {
    const samples = pipeline.nodes.find((n) => n.id === 'orders')!.samples!;
    const rounds = 20;
    const sim = simulate(pipeline, { seed: 3, replicas: 3, rate: samples.length, batchSize: 4 });
    for (let i = 0; i < rounds; i++) await sim.step();
    sim.rate = 0;
    for (let i = 0; i < 50; i++) await sim.step();
    expect(sim.totalLag()).toBe(0);

    const events = Array.from({ length: rounds }, () => samples).flat();
    const reference = await runCase(graphSpec(pipeline), compileExpressions(pipeline), topicDefs(pipeline), {
      name: 'reference',
      input: [{ topic: 'orders', partitions: 6, format: 'json', events }],
      expect: [{ topic: 'large-orders', partitions: 6, events: [] }],
    });
    const simulated: Record<string, unknown[]> = {};
    for (const m of sim.log.messages('large-orders')) (simulated[m.key ?? '(no key)'] ??= []).push(JSON.parse(String(m.value)));
    expect(simulated).toEqual(reference.actual['large-orders']);
  });

  it('replays the sample events in a loop', async () => {
    const sim = simulate(pipeline, { rate: 5 });
    await sim.step();
    await sim.step();
    expect(sim.snapshot().produced).toBe(10);
    expect(sim.snapshot().nodes.orders.in).toBeGreaterThan(0);
  });
});
