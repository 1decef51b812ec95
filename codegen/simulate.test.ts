import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Graph } from '../runtime/engine/graph.js';
import { drain, MemoryLog } from '../runtime/transports/memory.js';
import type { OutMessage } from '../runtime/types.js';
import { TEST_EPOCH } from '../runtime/testing.js';
import { loopEvent } from '../runtime/simulator/simulator.js';
import { getKind } from '../runtime/kinds/registry.js';
import { EventGenerator } from '../runtime/kinds/generator.js';
import { compileExpressions } from './compile.js';
import { parsePipeline } from './parse.js';
import { graphSpec } from './graph-spec.js';
import { topicDefs } from './topics.js';
import { simulate, simulationPlan } from './simulate.js';

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const examples = readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, 'pipeline.yaml')));
const load = (name: string) => parsePipeline(readFileSync(join(EXAMPLES, name, 'pipeline.yaml'), 'utf8')).pipeline!;
const filesOf = (name: string) => ({ readFile: async (path: string) => new Uint8Array(await readFile(join(EXAMPLES, name, path))) });

const TICK_MS = 100;
// word-count's samples carry no time and its windows last a minute: ticks of 30 s let its windows close within the run.
const tickOf = (name: string) => (name === 'word-count' ? 30_000 : TICK_MS);

/** Topic → key → decoded values in log order: what Kafka promises to keep (order per key). */
function byKey(log: MemoryLog, topic: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of log.messages(topic)) {
    let v: unknown = m.value;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        // a string value stays a string
      }
    }
    (out[m.key ?? '(no key)'] ??= []).push(v);
  }
  return out;
}

describe('simulate', () => {
  it.each(examples)('%s: a seeded run with rebalances gives the outputs of the in-memory test run fed the same events, key by key', async (name) => {
    const pipeline = load(name);
    const plan = simulationPlan(pipeline);
    const ticks = 3 * Math.max(...plan.feeds.map((f) => f.events.length));
    const sim = simulate(pipeline, { seed: 3, replicas: 2, rate: 1, batchSize: 2, tickMs: tickOf(name) }, filesOf(name));
    for (let t = 1; t <= ticks; t++) {
      await sim.step();
      // Replicas join and leave cleanly along the way: partitions move, nothing is lost or duplicated.
      if (t === 3) sim.addReplica();
      if (t === 6) sim.removeReplica('replica-001');
    }
    sim.rate = 0;
    for (let i = 0; i < 200 && sim.totalLag() > 0; i++) await sim.step();
    expect(sim.totalLag()).toBe(0);

    // The in-memory test run: one graph drains the same events, stamped with the same times, tick by
    // tick. Arrival order across partitions is Kafka's to choose; after a re-key, event-time windows
    // depend on it, so the reference takes the events in the order the simulator's ticks made them.
    const log = new MemoryLog();
    const graph = new Graph(graphSpec(pipeline), compileExpressions(pipeline), filesOf(name));
    for (const t of topicDefs(pipeline)) log.createTopic(t.name, t.partitions);
    log.createTopic(plan.spec.errors.topic, 1);
    for (let t = 1; t <= ticks; t++) {
      const messages: OutMessage[] = [];
      for (const f of plan.feeds) {
        const e = loopEvent(f.events, t - 1);
        const value = f.format === 'string' && typeof e.value === 'string' ? e.value : JSON.stringify(e.value);
        messages.push({ topic: f.topic, key: e.key, value, headers: {}, timestamp: TEST_EPOCH + t * tickOf(name) });
      }
      log.produce(messages);
      await drain(graph, log, plan.spec.pipeline);
    }

    // Kafka sinks and the dead-letter topic, key by key; sinks outside Kafka (postgres, http) by what they captured.
    const sinks = pipeline.nodes
      .filter((n) => getKind(n.kind)?.category === 'sink' && getKind(n.kind)?.topicParam)
      .map((n) => String(n.params[getKind(n.kind)!.topicParam!]));
    for (const topic of [...sinks, plan.spec.errors.topic]) expect(byKey(sim.log, topic), topic).toEqual(byKey(log, topic));
    const grouped = (list: { key: string | null; value: unknown }[] = []) => {
      const out: Record<string, unknown[]> = {};
      for (const o of list) (out[o.key ?? '(no key)'] ??= []).push(o.value);
      return out;
    };
    const captured = sim.captured();
    // Both ways: a sink only the simulator wrote to is a difference too.
    for (const id of new Set([...graph.captured.keys(), ...captured.keys()])) expect(grouped(captured.get(id)), id).toEqual(grouped(graph.captured.get(id)));
    // Two empty runs would agree too: the reference must have produced something on a sink.
    const produced = sinks.reduce((n, topic) => n + log.messages(topic).length, 0) + [...graph.captured.values()].reduce((n, list) => n + list.length, 0);
    expect(produced).toBeGreaterThan(0);
  });

  it('replays the sample events in a loop', async () => {
    const sim = simulate(load('large-orders'), { rate: 5 });
    await sim.step();
    await sim.step();
    expect(sim.snapshot().produced).toBe(10);
    expect(sim.snapshot().nodes.orders.in).toBeGreaterThan(0);
  });

  it('pulls the events of a generator source from the same generator the service runs', async () => {
    const { pipeline } = parsePipeline(`version: 1
pipeline: gen
nodes:
  - id: clicks
    kind: generator
    topic: clicks
    fields: { id: seq, user: "pick(ann,bob,cy)", score: "int(1,10)" }
    key: user
    count: 25
    seed: 4
    partitions: 3
  - id: out
    kind: kafka-sink
    input: clicks
    topic: clicks-out
    partitions: 3
`);
    expect(pipeline).toBeTruthy();
    const sim = simulate(pipeline!, { rate: 10, replicas: 2 });
    for (let i = 0; i < 6; i++) await sim.step();
    expect(sim.snapshot().produced).toBe(25);
    const g = new EventGenerator({ fields: { id: 'seq', user: 'pick(ann,bob,cy)', score: 'int(1,10)' }, key: 'user', count: 25, seed: 4 });
    const expected: Record<string, unknown[]> = {};
    while (!g.done) {
      const e = g.next(0);
      (expected[e.key!] ??= []).push(e.value);
    }
    expect(byKey(sim.log, 'clicks-out')).toEqual(expected);
  });

  it('repeats a run exactly for the same seed', async () => {
    const run = async () => {
      const sim = simulate(load('large-orders'), { seed: 9, replicas: 2, rate: 7, batchSize: 3 });
      for (let i = 0; i < 10; i++) await sim.step();
      sim.killReplica();
      for (let i = 0; i < 10; i++) await sim.step();
      return { out: sim.log.messages('large-orders'), snap: sim.snapshot(), notes: sim.notes };
    };
    expect(await run()).toEqual(await run());
  });
});

describe('simulated http-ingest', () => {
  it("keys the events with the http-ingest node's key expression, as the service does when a request arrives", async () => {
    const { pipeline } = parsePipeline(`version: 1
pipeline: front
nodes:
  - id: jobs
    kind: http-ingest
    topic: jobs
    path: /jobs
    key: value.customer
    partitions: 3
    samples:
      - { value: { customer: c-7, n: 1 } }
      - { value: { customer: c-8, n: 2 } }
  - id: out
    kind: kafka-sink
    input: jobs
    topic: jobs-out
    partitions: 3
`);
    const sim = simulate(pipeline!, { rate: 2 });
    await sim.step();
    expect(
      sim.log
        .messages('jobs')
        .map((m) => m.key)
        .sort(),
    ).toEqual(['c-7', 'c-8']);
  });
});
