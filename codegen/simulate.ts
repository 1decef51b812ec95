/**
 * A pipeline made ready for the simulator: the graph spec, its expressions
 * transpiled, its topics, and a feed per source (its sample events, or the
 * events of its tests, replayed in a loop). The designer posts the plan to a
 * Web Worker, which builds the simulator with sim-plan.ts.
 */
import type { GraphOptions } from '../runtime/engine/graph.js';
import { sourceFormat } from '../runtime/kinds/kafka-source.js';
import { getKind } from '../runtime/kinds/registry.js';
import type { Simulator } from '../runtime/simulator/simulator.js';
import { expressionSources } from './compile.js';
import type { Pipeline } from './pipeline.js';
import { graphSpec } from './graph-spec.js';
import { topicDefs } from './topics.js';
import { simulatorFromPlan, type SimPlan, type SimulationSettings } from './sim-plan.js';

export type { SimPlan, SimulationSettings } from './sim-plan.js';

export function simulationPlan(p: Pipeline): SimPlan {
  const spec = graphSpec(p);
  const feeds: SimPlan['feeds'] = [];
  for (const node of p.nodes) {
    const kind = getKind(node.kind);
    if (kind?.category !== 'source' || !kind.topicParam) continue;
    const params = spec.nodes.find((n) => n.id === node.id)?.params ?? {};
    if (node.kind === 'generator') {
      feeds.push({ node: node.id, topic: String(node.params[kind.topicParam]), format: 'json', events: [], generator: params });
      continue;
    }
    const format = sourceFormat(params);
    const samples = node.samples ?? [];
    const fromTests = p.tests.flatMap((t) => t.input[node.id] ?? []);
    const events = (samples.length ? samples : fromTests).map((s) => ({ key: s.key ?? null, value: s.value }));
    feeds.push({ node: node.id, topic: String(node.params[kind.topicParam]), format, events });
  }
  const edges = p.nodes.flatMap((n) => n.inputs.map((i) => ({ from: i.from, fromPort: i.fromPort, to: n.id, toPort: i.port })));
  return { pipeline: p.name, spec, fns: expressionSources(p), topics: topicDefs(p), feeds, edges };
}

export function simulate(p: Pipeline, settings: SimulationSettings = {}, graph?: GraphOptions): Simulator {
  return simulatorFromPlan(simulationPlan(p), settings, graph);
}
