/**
 * Walks the registry: every kind's spec is complete and consistent, and its
 * example parameters make a valid pipeline whose example input gives the
 * example output on the in-memory runtime.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../runtime/engine/graph.js';
import { KINDS } from '../runtime/kinds/registry.js';
import { ERROR_PORT, outputPorts } from '../runtime/kinds/spec.js';
import { compileExpressions } from './compile.js';
import { emptyPipeline, type Pipeline, type PipelineNode } from './model.js';
import { graphSpec } from './pipeline-ts.js';
import { validatePipeline } from './validate.js';

/** A pipeline around one node of `kind`: a source feeding it and a sink after it, as needed. */
function around(kind: (typeof KINDS)[number]): Pipeline {
  const p = emptyPipeline('catalog-check');
  const node: PipelineNode = { id: 'subject', kind: kind.kind, params: { ...kind.example.params }, inputs: [] };
  if (kind.category !== 'source') {
    p.nodes.push({ id: 'src', kind: 'kafka-source', params: { topic: 'catalog-in' }, inputs: [] });
    node.inputs = kind.inputs.map((port) => ({ port, from: 'src', fromPort: 'out' }));
  }
  p.nodes.push(node);
  for (const port of outputPorts(kind, kind.example.params)) {
    p.nodes.push({ id: `sink-${port}`, kind: 'kafka-sink', params: { topic: `catalog-out-${port}` }, inputs: [{ port: 'in', from: 'subject', fromPort: port }] });
  }
  return p;
}

describe.each(KINDS.map((k) => [k.kind, k] as const))('kind %s', (_name, kind) => {
  it('has a complete spec', () => {
    expect(kind.kind).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(kind.title.length).toBeGreaterThan(0);
    expect(kind.summary).toMatch(/\.$/);
    expect(kind.docs.length).toBeGreaterThan(40);
    expect(kind.outputs).not.toContain(ERROR_PORT);
    if (kind.category === 'source') expect(kind.inputs).toEqual([]);
    if (kind.category === 'sink') expect(kind.outputs).toEqual([]);
    for (const p of kind.params) {
      expect(p.description.length, p.name).toBeGreaterThan(5);
      if (p.type === 'enum') expect(p.enum?.includes(p.default as string), p.name).toBe(true);
      if (p.type === 'integer' && p.default !== undefined) expect(Number.isInteger(p.default), p.name).toBe(true);
      expect(Boolean(p.required) && p.default !== undefined, `${p.name} is required and has a default`).toBe(false);
    }
    if (kind.outputType.from === 'expression') {
      const param = kind.outputType.param;
      expect(kind.params.find((p) => p.name === param)?.type).toBe('expression');
    }
  });

  it('makes a valid pipeline from its example', () => {
    const problems = validatePipeline(around(kind)).filter((p) => p.severity === 'error');
    expect(problems).toEqual([]);
  });

});

describe.each(KINDS.filter((k) => k.example.input !== undefined).map((k) => [k.kind, k] as const))('kind %s', (_name, kind) => {
  it('turns its example input into its example output', async () => {
    const p = around(kind);
    const graph = new Graph(graphSpec(p), compileExpressions(p));
    const result = await graph.process('catalog-in', [
      { key: 'k', value: JSON.stringify(kind.example.input), timestamp: 0, headers: {}, origin: { topic: 'catalog-in', partition: 0, offset: '0' } },
    ]);
    expect(result.deadLetters).toBe(0);
    // Sinks outside Kafka (postgres, http, log) write nothing to a topic here; the graph captures what they would write.
    const outputs = kind.category === 'sink' ? (graph.captured.get('subject') ?? []).map((o) => o.value) : result.messages.map((m) => JSON.parse(String(m.value)));
    expect(outputs).toEqual([kind.example.output]);
  });
});
