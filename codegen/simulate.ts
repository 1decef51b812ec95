/**
 * A pipeline made ready for the simulator: the graph spec, its expressions
 * compiled, its topics, and a feed per source (its sample events, replayed
 * in a loop). The designer runs this in a Web Worker.
 */
import { getKind } from '../runtime/kinds/registry.js';
import { loopFeed, Simulator, type SimFeed, type SimOptions } from '../runtime/simulator/simulator.js';
import { compileExpressions } from './compile.js';
import type { Pipeline } from './model.js';
import { graphSpec, topicDefs } from './pipeline-ts.js';

export type SimulationSettings = Pick<SimOptions, 'seed' | 'replicas' | 'rate' | 'batchSize' | 'tickMs'>;

export function simulationOptions(p: Pipeline, settings: SimulationSettings = {}): SimOptions {
  const spec = graphSpec(p);
  const feeds: SimFeed[] = [];
  for (const node of p.nodes) {
    const kind = getKind(node.kind);
    if (kind?.category !== 'source' || !kind.topicParam) continue;
    const format = (spec.nodes.find((n) => n.id === node.id)?.params.format ?? 'json') as SimFeed['format'];
    const samples = node.samples ?? [];
    const fromTests = p.tests.flatMap((t) => t.input[node.id] ?? []);
    const events = (samples.length ? samples : fromTests).map((s) => ({ key: s.key ?? null, value: s.value }));
    feeds.push(loopFeed(String(node.params[kind.topicParam]), format, events));
  }
  return { spec, fns: compileExpressions(p), topics: topicDefs(p), feeds, ...settings };
}

export function simulate(p: Pipeline, settings: SimulationSettings = {}): Simulator {
  return new Simulator(simulationOptions(p, settings));
}
