/**
 * Auto-layout with ELK's layered algorithm, left to right, as data flows.
 * Sizes come from what the canvas measured, so wide nodes get room.
 */
import type ELKType from 'elkjs/lib/elk.bundled.js';
import type { Pipeline } from '../codegen/pipeline.js';
import type { XY } from './graph/ops.js';

const DEFAULT_SIZE = { width: 200, height: 72 };

let elk: InstanceType<typeof ELKType> | undefined;

export async function layoutPipeline(p: Pipeline, sizes: Record<string, { width: number; height: number }>): Promise<Map<string, XY>> {
  // ELK is a large bundle; load it on the first layout, not with the page.
  if (!elk) {
    const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
    elk = new ELK();
  }
  const ids = new Set(p.nodes.map((n) => n.id));
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.separateConnectedComponents': 'true',
    },
    children: p.nodes.map((n) => ({ id: n.id, ...(sizes[n.id] ?? DEFAULT_SIZE) })),
    edges: p.nodes.flatMap((n) =>
      n.inputs.filter((i) => ids.has(i.from) && i.from !== n.id).map((i, k) => ({ id: `${n.id}#${k}`, sources: [i.from], targets: [n.id] })),
    ),
  };
  const out = await elk.layout(graph);
  return new Map((out.children ?? []).map((c) => [c.id, { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) }]));
}
