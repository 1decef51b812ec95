/**
 * Runs a pipeline on the in-memory log for a test case: sample events in,
 * outputs per topic out, grouped by key so that the comparison checks what
 * Kafka promises (order per key) and nothing more.
 */
import { getKind } from './kinds/registry.js';
import { Graph, type GraphFns, type GraphOptions, type GraphSpec } from './engine/graph.js';
import { MemoryLog, drain, punctuateAll } from './transports/memory.js';
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
  /** Expected number of dead letters: none when left out. */
  deadLetters?: number;
  /**
   * What the case does not check: topics, `sink <node id>`, or `dead letters`
   * (DEAD_LETTERS). Every other sink of the pipeline is checked, and one the
   * case does not expect must produce nothing.
   */
  ignore?: string[];
}

/** Where a difference in the dead letters is reported, and how a case ignores them. */
export const DEAD_LETTERS = 'dead letters';

/** Where the outputs of a sink node are compared: its topic, or `sink <id>` for a sink outside Kafka. */
export function sinkPlaces(spec: GraphSpec): Map<string, { topic: string } | { node: string }> {
  const out = new Map<string, { topic: string } | { node: string }>();
  for (const n of spec.nodes) {
    const kind = getKind(n.kind);
    if (kind?.category !== 'sink') continue;
    // Topic names have no spaces, so `sink <id>` never meets one.
    if (kind.topicParam) out.set(String(n.params[kind.topicParam]), { topic: String(n.params[kind.topicParam]) });
    else out.set(`sink ${n.id}`, { node: n.id });
  }
  return out;
}

export interface CaseResult {
  /** topic (or `sink <node id>`) → key → values in the order they were produced. */
  actual: Record<string, Record<string, unknown[]>>;
  expected: Record<string, Record<string, unknown[]>>;
  deadLetters: number;
}

/** The clock tests start from when an event gives no timestamp: 2024-01-01T00:00:00Z. */
export const TEST_EPOCH = 1704067200000;

function group(events: { key?: string | null; value: unknown }[], out: Record<string, unknown[]> = {}): Record<string, unknown[]> {
  for (const e of events) (out[e.key ?? '(no key)'] ??= []).push(e.value);
  return out;
}

/** An event value as it goes on a topic: null as a tombstone (a table's delete), a string source's strings as they are, everything else as JSON. */
export function encode(format: string, value: unknown): string | null {
  if (value === null) return null;
  return format === 'string' && typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Runs one case on a fresh in-memory log holding the pipeline's topics.
 * `options` reach the graph (the designer hands it the pipeline's files).
 */
export async function runCase(
  spec: GraphSpec,
  fns: GraphFns,
  topics: readonly TopicDef[],
  c: TestCase,
  options: Pick<GraphOptions, 'readFile'> = {},
): Promise<CaseResult> {
  const log = new MemoryLog();
  const graph = new Graph(spec, fns, options);
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
  // The run ends as a service shuts down: what aggregates hold back for their emit interval is emitted.
  while ((await punctuateAll(graph, log, log.now, true)) > 0) await drain(graph, log, spec.pipeline, 500, { timeOrder: true });
  await graph.close();
  const decode = (v: unknown) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  };
  // Every sink is checked, whether the case lists it or not, unless the case ignores it.
  const places = sinkPlaces(spec);
  for (const t of c.expect) places.set('node' in t ? `sink ${t.node}` : t.topic, 'node' in t ? { node: t.node } : { topic: t.topic });
  const ignored = new Set(c.ignore ?? []);
  const actual: CaseResult['actual'] = {};
  const expected: CaseResult['expected'] = {};
  for (const [place, at] of places) {
    if (ignored.has(place)) continue;
    actual[place] = group('node' in at ? (graph.captured.get(at.node) ?? []) : log.messages(at.topic).map((m) => ({ key: m.key, value: decode(m.value) })));
    expected[place] = {};
  }
  for (const t of c.expect) {
    const place = 'node' in t ? `sink ${t.node}` : t.topic;
    // Two sinks may write one topic: what the case expects of each adds up.
    if (!ignored.has(place)) expected[place] = group(t.events, expected[place]);
  }
  return { actual, expected, deadLetters: log.messages(spec.errors.topic).length };
}

/**
 * One way a case's run differs from what the case expects: on a topic (or
 * `sink <node id>`) for one key, the values expected and the values produced
 * in order; or, with `where: DEAD_LETTERS`, the two counts.
 */
export interface CaseDifference {
  where: string;
  key?: string;
  expected: unknown;
  actual: unknown;
}

/** Deep equality of decoded event values: JSON data, key order aside. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameValue(ra[k], rb[k]));
}

/**
 * Everything in which a case's run differs from the case, key by key: an
 * empty list means the case passes. The generated repository's tests and the
 * designer's Tests tab both judge a case with this function, so they agree.
 */
export function caseDifferences(c: Pick<TestCase, 'deadLetters' | 'ignore'>, r: CaseResult): CaseDifference[] {
  const out: CaseDifference[] = [];
  for (const where of [...new Set([...Object.keys(r.expected), ...Object.keys(r.actual)])]) {
    const expected = r.expected[where] ?? {};
    const actual = r.actual[where] ?? {};
    for (const key of [...new Set([...Object.keys(expected), ...Object.keys(actual)])]) {
      const e = expected[key] ?? [];
      const a = actual[key] ?? [];
      if (!sameValue(e, a)) out.push({ where, key, expected: e, actual: a });
    }
  }
  const deadLetters = c.deadLetters ?? 0;
  if (!c.ignore?.includes(DEAD_LETTERS) && deadLetters !== r.deadLetters) out.push({ where: DEAD_LETTERS, expected: deadLetters, actual: r.deadLetters });
  return out;
}
