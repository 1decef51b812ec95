/**
 * Walks the registry: every kind's spec is complete and consistent, and its
 * example parameters make a valid pipeline whose example input gives the
 * example output on the in-memory runtime. What it checks is what
 * docs/ARCHITECTURE.md ("How to add a kind") says it checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Graph } from '../runtime/engine/graph.js';
import { KINDS } from '../runtime/kinds/registry.js';
import { ERROR_PORT, outputPorts } from '../runtime/kinds/spec.js';
import { compileExpressions } from './compile.js';
import { emptyPipeline, type Pipeline, type PipelineNode } from './pipeline.js';
import { graphSpec } from './graph-spec.js';
import { topicDefs } from './topics.js';
import { MemoryLog, drain } from '../runtime/transports/memory.js';
import { validatePipeline } from './validate-pipeline.js';
import { REPO_ROOT } from './node-assets.js';

const KINDS_DIR = join(REPO_ROOT, 'runtime', 'kinds');
/** The kind each file under runtime/kinds/ declares with defineKind, by file name. */
const declared = new Map(
  readdirSync(KINDS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .flatMap((f) => {
      const m = /= defineKind\(\{\s*kind: '([^']+)'/.exec(readFileSync(join(KINDS_DIR, f), 'utf8'));
      return m ? [[f, m[1]] as const] : [];
    }),
);

/** A pipeline around one node of `kind`: a source feeding it and a sink after it, as needed. */
function around(kind: (typeof KINDS)[number]): Pipeline {
  const p = emptyPipeline('catalog-check');
  const node: PipelineNode = { id: 'subject', kind: kind.kind, params: { ...kind.example.params }, inputs: [] };
  if (kind.category !== 'source') {
    p.nodes.push({ id: 'src', kind: 'kafka-source', params: { topic: 'catalog-in' }, inputs: [] });
    node.inputs = kind.inputs.map((port) => ({ port, from: 'src', fromPort: 'out' }));
    // A kind with several inputs whose example says which port each event arrives on gets a source per port.
    if (kind.example.events?.some((e) => e.port !== undefined && e.port !== kind.inputs[0])) {
      for (const port of kind.inputs.slice(1)) {
        p.nodes.push({ id: `src-${port}`, kind: 'kafka-source', params: { topic: `catalog-in-${port}` }, inputs: [] });
        node.inputs = node.inputs.map((i) => (i.port === port ? { ...i, from: `src-${port}` } : i));
      }
    }
  }
  p.nodes.push(node);
  for (const port of outputPorts(kind, kind.example.params)) {
    p.nodes.push({
      id: `sink-${port}`,
      kind: 'kafka-sink',
      params: { topic: `catalog-out-${port}` },
      inputs: [{ port: 'in', from: 'subject', fromPort: port }],
    });
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
    expect(kind.inputs).not.toContain(ERROR_PORT);
    if (kind.outputType.from === 'expression') {
      const param = kind.outputType.param;
      expect(kind.params.find((p) => p.name === param)?.type).toBe('expression');
    }
    if (kind.category === 'sink') expect(kind.kind).toMatch(/-sink$/);
  });

  it('is declared in the file named after it', () => {
    expect(declared.get(`${kind.kind}.ts`), `runtime/kinds/${kind.kind}.ts`).toBe(kind.kind);
  });

  it('is portable: its file imports only runtime files, no Node module and no package (those load with loadPackage)', () => {
    const imports = [...readFileSync(join(KINDS_DIR, `${kind.kind}.ts`), 'utf8').matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm)].map(
      (m) => m[1],
    );
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !i.startsWith('.'))).toEqual([]);
  });

  it('has an example run when it is a transform, and each example input or events with what they give', () => {
    const { input, output, events, outputs } = kind.example;
    expect(input === undefined, 'input and output go together').toBe(output === undefined);
    expect(events === undefined, 'events and outputs go together').toBe(outputs === undefined);
    if (kind.category === 'transform') expect(input !== undefined || events !== undefined).toBe(true);
  });

  it('makes a valid pipeline from its example', () => {
    const problems = validatePipeline(around(kind)).filter((p) => p.severity === 'error');
    expect(problems).toEqual([]);
  });
});

describe('the registry', () => {
  it('every kind declared under runtime/kinds/ is in KINDS, once', () => {
    const names = KINDS.map((k) => k.kind);
    expect(new Set(names).size).toBe(names.length);
    expect([...declared.values()].sort()).toEqual([...names].sort());
  });

  it('the README lists every kind, and no other', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf('prints the reference of every kind:');
    expect(at).toBeGreaterThan(0);
    const list = readme.slice(at, readme.indexOf('\n\n', at));
    const named = [...list.matchAll(/`([a-z][a-z0-9-]*)`/g)].map((m) => m[1]);
    expect([...named].sort()).toEqual(KINDS.map((k) => k.kind).sort());
  });
});

/**
 * Runs events through the pipeline around a kind on the in-memory log, as a
 * service would (repartition and changelog topics included), and returns
 * what reached the sinks' topics, in order.
 */
async function runOnLog(kind: (typeof KINDS)[number], events: NonNullable<(typeof kind)['example']['events']>) {
  const p = around(kind);
  const spec = graphSpec(p);
  const graph = new Graph(spec, compileExpressions(p));
  const log = new MemoryLog();
  for (const t of topicDefs(p)) log.createTopic(t.name, t.partitions);
  for (const e of events) {
    const port = e.port ?? kind.inputs[0];
    // A source kind (a table) reads its own topic; a null value is a tombstone.
    const topic =
      kind.category === 'source' && kind.topicParam
        ? String(kind.example.params[kind.topicParam])
        : port === kind.inputs[0] || !p.nodes.some((n) => n.id === `src-${port}`)
          ? 'catalog-in'
          : `catalog-in-${port}`;
    log.produce([{ topic, key: e.key ?? 'k', value: e.value === null ? null : JSON.stringify(e.value), headers: {}, timestamp: e.timestamp ?? 0 }]);
  }
  await drain(graph, log, 'catalog-check');
  const outputs: ({ deadLetter: string } | { key: string | null; value: unknown })[] = log
    .messages(spec.errors.topic)
    .map((m) => ({ deadLetter: String(m.value) }));
  for (const port of outputPorts(kind, kind.example.params)) {
    outputs.push(...log.messages(`catalog-out-${port}`).map((m) => ({ key: m.key, value: m.value === null ? null : JSON.parse(String(m.value)) })));
  }
  return outputs;
}

describe.each(KINDS.filter((k) => k.example.events !== undefined).map((k) => [k.kind, k] as const))('kind %s', (_name, kind) => {
  it('turns its example events into its example outputs', async () => {
    expect(await runOnLog(kind, kind.example.events!)).toEqual(kind.example.outputs);
  });
});

describe.each(KINDS.filter((k) => k.example.input !== undefined && k.repartitions).map((k) => [k.kind, k] as const))('kind %s', (_name, kind) => {
  it('turns its example input into its example output, through its repartition topic', async () => {
    const outputs = await runOnLog(kind, [{ value: kind.example.input }]);
    expect(outputs.map((o) => ('value' in o ? o.value : o))).toEqual([kind.example.output]);
  });
});

describe.each(KINDS.filter((k) => k.example.input !== undefined && !k.repartitions).map((k) => [k.kind, k] as const))('kind %s', (_name, kind) => {
  it('turns its example input into its example output', async () => {
    const p = around(kind);
    const graph = new Graph(graphSpec(p), compileExpressions(p));
    const result = await graph.process('catalog-in', [
      { key: 'k', value: JSON.stringify(kind.example.input), timestamp: 0, headers: {}, origin: { topic: 'catalog-in', partition: 0, offset: '0' } },
    ]);
    expect(result.deadLetters).toBe(0);
    // Sinks outside Kafka (postgres, http, log) write nothing to a topic here; the graph captures what they would write.
    const outputs =
      kind.category === 'sink' ? (graph.captured.get('subject') ?? []).map((o) => o.value) : result.messages.map((m) => JSON.parse(String(m.value)));
    expect(outputs).toEqual([kind.example.output]);
  });
});
