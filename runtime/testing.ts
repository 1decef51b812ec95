/**
 * Runs a pipeline on the in-memory log for a test case: sample events in,
 * outputs per topic out, grouped by key so that the comparison checks what
 * Kafka promises (order per key) and nothing more.
 */
import { Graph, type GraphFns, type GraphSpec } from './engine/graph.js';
import { MemoryLog, drain } from './transports/memory.js';
import type { OutMessage, TopicDef } from './types.js';

export interface CaseEvent {
  key?: string | null;
  value: unknown;
  timestamp?: number;
  headers?: Record<string, string>;
}

export interface TestCase {
  name: string;
  input: { topic: string; partitions: number; format: string; events: CaseEvent[] }[];
  /**
   * Expected outputs: on a topic (Kafka sinks), or of a sink node outside
   * Kafka (postgres rows, http bodies, log lines), which the in-memory run
   * captures instead of writing.
   */
  expect: ({ topic: string; partitions: number; events: CaseEvent[] } | { node: string; events: CaseEvent[] })[];
  deadLetters?: number;
}

export interface CaseResult {
  /** topic (or `sink <node id>`) → key → values in the order they were produced. */
  actual: Record<string, Record<string, unknown[]>>;
  expected: Record<string, Record<string, unknown[]>>;
  deadLetters: number;
}

/** The clock tests start from when an event gives no timestamp: 2024-01-01T00:00:00Z. */
export const TEST_EPOCH = 1704067200000;

function group(events: { key?: string | null; value: unknown }[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const e of events) (out[e.key ?? '(no key)'] ??= []).push(e.value);
  return out;
}

function encode(format: string, value: unknown): string {
  return format === 'string' && typeof value === 'string' ? value : JSON.stringify(value);
}

/** Runs one case on a fresh in-memory log holding the pipeline's topics. */
export async function runCase(spec: GraphSpec, fns: GraphFns, topics: readonly TopicDef[], c: TestCase): Promise<CaseResult> {
  const log = new MemoryLog();
  const graph = new Graph(spec, fns);
  // Models load first, so a test with a model that cannot load says why instead of listing dead letters.
  await graph.start();
  for (const t of topics) log.createTopic(t.name, t.partitions);
  log.createTopic(spec.errors.topic, 1);
  const messages: OutMessage[] = [];
  let i = 0;
  for (const input of c.input) {
    for (const e of input.events) {
      messages.push({
        topic: input.topic,
        key: e.key ?? null,
        value: encode(input.format, e.value),
        headers: e.headers ?? {},
        timestamp: e.timestamp ?? TEST_EPOCH + 1000 * i++,
      });
    }
  }
  log.produce(messages);
  // In time order across partitions, as events happen: windows after a repartition see them as written.
  await drain(graph, log, spec.pipeline, 500, { timeOrder: true });
  await graph.close();
  const decode = (v: unknown) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  };
  const actual: CaseResult['actual'] = {};
  const expected: CaseResult['expected'] = {};
  for (const t of c.expect) {
    if ('node' in t) {
      // Topic names have no spaces, so this never meets one.
      actual[`sink ${t.node}`] = group(graph.captured.get(t.node) ?? []);
      expected[`sink ${t.node}`] = group(t.events);
      continue;
    }
    actual[t.topic] = group(log.messages(t.topic).map((m) => ({ key: m.key, value: decode(m.value) })));
    expected[t.topic] = group(t.events);
  }
  return { actual, expected, deadLetters: log.messages(spec.errors.topic).length };
}
