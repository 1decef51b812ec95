/**
 * State in the simulator: windows whose partitions move between replicas,
 * on a clean leave and on a crash, give the results of the in-memory test
 * run, because a new owner restores the state from the changelog before its
 * first batch (and a replayed event already in the state is not counted
 * twice).
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../runtime/engine/graph.js';
import { drain, MemoryLog } from '../runtime/transports/memory.js';
import type { OutMessage } from '../runtime/types.js';
import { TEST_EPOCH } from '../runtime/testing.js';
import { loopEvent } from '../runtime/simulator/simulator.js';
import { compileExpressions } from './compile.js';
import { parsePipeline } from './parse.js';
import { graphSpec } from './graph-spec.js';
import { topicDefs } from './topics.js';
import { simulate, simulationPlan } from './simulate.js';

const YAML = `version: 1
pipeline: hourly
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    partitions: 4
    samples:
      - { key: p-10, value: { product: p-10, units: 2 } }
      - { key: p-11, value: { product: p-11, units: 1 } }
      - { key: p-10, value: { product: p-10, units: 3 } }
      - { key: p-12, value: { product: p-12, units: 5 } }
      - { key: p-13, value: { product: p-13, units: 4 } }
  - id: per-second
    kind: window
    input: orders
    size: 1s
    sum: value.units
  - id: out
    kind: kafka-sink
    input: per-second
    topic: per-second
    partitions: 4
`;

const byKey = (log: MemoryLog, topic: string) => {
  const out: Record<string, unknown[]> = {};
  for (const m of log.messages(topic)) (out[m.key ?? '(no key)'] ??= []).push(JSON.parse(String(m.value)));
  return out;
};

describe('simulated windows', () => {
  it('keep their state across rebalances and a crash: the results equal the in-memory test run', async () => {
    const { pipeline, problems } = parsePipeline(YAML);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const plan = simulationPlan(pipeline!);
    const ticks = 120;
    // 100 ms ticks, 3 events a tick: each 1 s window of a key gets events from several ticks and batches.
    const sim = simulate(pipeline!, { seed: 2, replicas: 2, rate: 3, batchSize: 2, tickMs: 100 });
    for (let t = 1; t <= ticks; t++) {
      await sim.step();
      if (t === 20) sim.addReplica();
      // Crash the owner of a busy partition: it has processed a batch it has not committed.
      if (t === 45) sim.killReplica(sim.snapshot().partitions.find((p) => p.endOffset > 0 && p.owner)!.owner!);
      if (t === 70) sim.removeReplica();
      if (t === 90) sim.addReplica();
    }
    sim.rate = 0;
    for (let i = 0; i < 500 && sim.totalLag() > 0; i++) await sim.step();
    expect(sim.totalLag()).toBe(0);
    expect(sim.snapshot().replayed).toBeGreaterThan(0);

    const log = new MemoryLog();
    for (const t of topicDefs(pipeline!)) log.createTopic(t.name, t.partitions);
    const graph = new Graph(graphSpec(pipeline!), compileExpressions(pipeline!));
    const messages: OutMessage[] = [];
    const f = plan.feeds[0];
    let i = 0;
    for (let t = 1; t <= ticks; t++) {
      for (let n = 0; n < 3; n++, i++) {
        const e = loopEvent(f.events, i);
        messages.push({ topic: f.topic, key: e.key, value: JSON.stringify(e.value), headers: {}, timestamp: TEST_EPOCH + t * 100 });
      }
    }
    log.produce(messages);
    await drain(graph, log, plan.spec.pipeline);

    const expected = byKey(log, 'per-second');
    expect(Object.keys(expected).length).toBeGreaterThan(20);
    expect(byKey(sim.log, 'per-second')).toEqual(expected);
  });
});
