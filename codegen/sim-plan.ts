/**
 * A simulation plan: everything the simulator needs to run a pipeline, as
 * plain data that can be posted to a Web Worker (structured clone): the
 * graph spec, the expressions as JavaScript text, the topics and each
 * source's events. The designer makes the plan on the main thread
 * (codegen/simulate.ts, which needs the TypeScript compiler) and the worker
 * builds the simulator from it with this file alone, which imports only the
 * runtime. The tests build it the same way, so they test what the worker runs.
 */
import type { GraphOptions, GraphSpec } from '../runtime/engine/graph.js';
import { EventGenerator } from '../runtime/kinds/generator.js';
import { loopFeed, Simulator, type SimEvent, type SimFeed, type SimOptions } from '../runtime/simulator/simulator.js';
import { keyText, type TopicDef } from '../runtime/types.js';
import { functionsFromSources, type FnSources } from './expression-fns.js';

export interface SimPlan {
  pipeline: string;
  spec: GraphSpec;
  fns: FnSources;
  topics: TopicDef[];
  /**
   * One per source node that reads a topic: the events it replays in a loop,
   * or, for a generator source, its parameters (the simulator pulls events
   * from the same generator the service runs).
   */
  feeds: { node: string; topic: string; format: SimFeed['format']; events: SimEvent[]; generator?: Record<string, unknown> }[];
  /** Edges as the canvas draws them: from node and port to node and port. */
  edges: { from: string; fromPort: string; to: string; toPort: string }[];
}

export type SimulationSettings = Pick<SimOptions, 'seed' | 'replicas' | 'rate' | 'batchSize' | 'tickMs' | 'groups' | 'cluster'>;

export function planOptions(plan: SimPlan, settings: SimulationSettings = {}, graph?: GraphOptions): SimOptions {
  const fns = functionsFromSources(plan.fns);
  const feed = (f: SimPlan['feeds'][number]): SimFeed => {
    if (f.generator) return generatorFeed(f.topic, f.generator);
    const loop = loopFeed(f.topic, f.format, f.events);
    // An http-ingest node keys each request's events with its key expression, before Kafka sees them.
    const keyFn = plan.spec.nodes.find((n) => n.id === f.node)?.kind === 'http-ingest' ? fns[f.node]?.key : undefined;
    if (!keyFn) return loop;
    return {
      ...loop,
      next(random, index, now) {
        const e = loop.next(random, index, now);
        if (!e) return e;
        const key = keyFn(e.value, null, { timestamp: now, headers: {}, topic: f.topic, partition: -1, offset: '' });
        return { key: keyText(key), value: e.value };
      },
    };
  };
  return {
    spec: plan.spec,
    fns,
    topics: plan.topics,
    feeds: plan.feeds.map(feed),
    ...settings,
    ...(graph ? { graph } : {}),
  };
}

export function simulatorFromPlan(plan: SimPlan, settings: SimulationSettings = {}, graph?: GraphOptions): Simulator {
  return new Simulator(planOptions(plan, settings, graph));
}

/** Events from a generator source's own template and seed; a finite count runs out. */
export function generatorFeed(topic: string, params: Record<string, unknown>): SimFeed {
  const g = new EventGenerator(params);
  return {
    topic,
    format: 'json',
    next: (_random, _index, now) => {
      if (g.done) return undefined;
      const e = g.next(now);
      return { key: e.key, value: e.value };
    },
  };
}
