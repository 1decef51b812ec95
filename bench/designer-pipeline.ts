/**
 * Big pipelines for the designer benchmark: groups of one Kafka source that
 * fans out into three branches of alternating filter and map nodes, each
 * branch ending in its own Kafka sink. 25 nodes per group, laid out on a
 * grid, every topic distinct, so the pipeline validates clean.
 */
import { emptyPipeline, type Pipeline, type PipelineNode } from '../codegen/pipeline.js';

const BRANCHES = 3;
const CHAIN = 7;
export const GROUP_SIZE = 1 + BRANCHES * (CHAIN + 1);

export function bigPipeline(nodes: number): Pipeline {
  if (nodes % GROUP_SIZE !== 0) throw new Error(`node count must be a multiple of ${GROUP_SIZE}`);
  const p = emptyPipeline(`bench-${nodes}`);
  const out: PipelineNode[] = [];
  const colW = 280;
  const rowH = 120;
  for (let g = 0; g < nodes / GROUP_SIZE; g++) {
    const top = g * BRANCHES * rowH;
    const src = `source-${g}`;
    out.push({
      id: src,
      kind: 'kafka-source',
      params: { topic: `in-${g}` },
      inputs: [],
      position: { x: 0, y: top + rowH },
      samples: [{ key: 'k1', value: { amount: 120, customer: 'c1', region: 'eu' } }],
    });
    for (let b = 0; b < BRANCHES; b++) {
      let prev = src;
      for (let i = 0; i < CHAIN; i++) {
        const id = `n-${g}-${b}-${i}`;
        const isFilter = i % 2 === 0;
        out.push({
          id,
          kind: isFilter ? 'filter' : 'map',
          params: isFilter ? { where: `value.amount > ${i * 10}` } : { to: `({ ...value, amount: value.amount + ${i} })` },
          inputs: [{ port: 'in', from: prev, fromPort: 'out' }],
          position: { x: (i + 1) * colW, y: top + b * rowH },
        });
        prev = id;
      }
      out.push({
        id: `sink-${g}-${b}`,
        kind: 'kafka-sink',
        params: { topic: `out-${g}-${b}` },
        inputs: [{ port: 'in', from: prev, fromPort: 'out' }],
        position: { x: (CHAIN + 1) * colW, y: top + b * rowH },
      });
    }
  }
  p.nodes = out;
  return p;
}
