/**
 * Unit-test harness for one node kind: a Kafka source on topic `in` feeds
 * the node, and each of its output ports feeds a Kafka sink on `out.<port>`.
 * Events go in as JSON; what comes out is read back per port, with dead
 * letters and what sinks outside Kafka captured.
 */
import { Graph, type AnyFn, type GraphOptions } from '../../runtime/engine/graph.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { outputPorts } from '../../runtime/kinds/spec.js';
import type { OutMessage } from '../../runtime/types.js';

export interface Run {
  /** Values per output port, in order. */
  out: Record<string, unknown[]>;
  /** Keys per output port, in order. */
  keys: Record<string, (string | Uint8Array | null)[]>;
  dead: OutMessage[];
  captured: unknown[];
  graph: Graph;
}

export function oneNode(kind: string, params: Record<string, unknown>, fns: Record<string, AnyFn> = {}, options: GraphOptions = {}) {
  const spec = getKind(kind)!;
  const ports = outputPorts(spec, params);
  const graph = new Graph(
    {
      pipeline: 'unit',
      errors: { policy: 'dead-letter', topic: 'unit.dead-letter' },
      nodes: [
        { id: 'src', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
        { id: 'subject', kind, params, inputs: spec.inputs.map((port) => ({ port, from: 'src', fromPort: 'out' })) },
        ...ports.map((port) => ({
          id: `sink-${port}`,
          kind: 'kafka-sink',
          params: { topic: `out.${port}`, format: 'json' },
          inputs: [{ port: 'in', from: 'subject', fromPort: port }],
        })),
      ],
    },
    { subject: fns },
    options,
  );
  let offset = 0;
  return {
    graph,
    async run(events: unknown[] /* a value, or { key, value } */, opts: { keyed?: boolean } = {}): Promise<Run> {
      const messages = events.map((e) => {
        const { key, value } = opts.keyed ? (e as { key: string; value: unknown }) : { key: 'k', value: e };
        const o = offset++;
        return { key, value: JSON.stringify(value), timestamp: 1704067200000 + o, headers: {}, origin: { topic: 'in', partition: 0, offset: String(o) } };
      });
      const before = (graph.captured.get('subject') ?? []).length;
      const result = await graph.process('in', messages);
      const out: Record<string, unknown[]> = {};
      const keys: Record<string, (string | Uint8Array | null)[]> = {};
      for (const port of ports) {
        const mine = result.messages.filter((m) => m.topic === `out.${port}`);
        out[port] = mine.map((m) => JSON.parse(String(m.value)));
        keys[port] = mine.map((m) => m.key);
      }
      return {
        out,
        keys,
        dead: result.messages.filter((m) => m.topic === 'unit.dead-letter'),
        captured: (graph.captured.get('subject') ?? []).slice(before).map((c) => c.value),
        graph,
      };
    },
  };
}
