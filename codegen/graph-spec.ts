/**
 * The graph spec: the pipeline as the runtime builds it (runtime/engine/graph.ts), expressions
 * left out (they travel as compiled functions). src/pipeline.ts writes it out; the simulator,
 * the Tests tab and the pipeline's tests build their `Graph` from it.
 */
import { getKind } from '../runtime/kinds/registry.js';
import { withDefaults } from '../runtime/kinds/spec.js';
import type { GraphSpec } from '../runtime/engine/graph.js';
import { deadLetterTopic, type Pipeline, type PipelineNode } from './pipeline.js';

/** Input and output ports as the graph spec has them. */
export function graphSpec(p: Pipeline): GraphSpec {
  return {
    pipeline: p.name,
    errors: { policy: p.errors.policy, topic: deadLetterTopic(p) },
    ...(p.delivery === 'exactly-once' ? { delivery: p.delivery } : {}),
    ...(p.deploy.standbyReplicas ? { standbyReplicas: p.deploy.standbyReplicas } : {}),
    nodes: p.nodes.map((n) => {
      const kind = getKind(n.kind)!;
      // Expressions travel as functions; of a mapping of them only the names (their order) stay.
      const params = withDefaults(kind, n.params, { expressions: false });
      for (const spec of kind.params) if (spec.type === 'expressions') params[spec.name] = Object.keys(n.params[spec.name] ?? {});
      return { id: n.id, kind: n.kind, params, inputs: n.inputs.map((i) => ({ ...i })) };
    }),
  };
}

/** Node ids in topological order: every node after the nodes it reads, otherwise in the pipeline's order. */
export function topo(nodes: PipelineNode[]): string[] {
  const done = new Set<string>();
  const out: string[] = [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const visit = (id: string) => {
    if (done.has(id) || !byId.has(id)) return;
    done.add(id);
    for (const i of byId.get(id)!.inputs) visit(i.from);
    out.push(id);
  };
  for (const n of nodes) visit(n.id);
  return out;
}
