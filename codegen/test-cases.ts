/**
 * A pipeline's tests as runtime/testing.ts runs them. Kept apart from the
 * generator so the designer's test worker can use it without the templates.
 */
import { sourceFormat } from '../runtime/kinds/kafka-source.js';
import { getKind } from '../runtime/kinds/registry.js';
import { DEAD_LETTERS, type TestCase } from '../runtime/testing.js';
import { IGNORE_DEAD_LETTERS, type Pipeline } from './pipeline.js';
import type { GraphSpec } from '../runtime/engine/graph.js';
import type { TopicDef } from '../runtime/types.js';
import { graphSpec } from './graph-spec.js';
import { topicDefs } from './topics.js';

/**
 * The pipeline's tests as the runtime runs them (runtime/testing.ts), in the
 * generated repository's test/pipeline.test.ts and in the designer's Tests
 * tab alike. A test checks every sink: one it does not list must receive
 * nothing; and it checks the dead letters: none, unless it says how many.
 * What the test lists under `ignore` (sink ids, dead-letters) is not checked.
 * Call it on a valid pipeline only; `spec` and `topics` are its graph spec and topics, when the
 * caller has them (the generator's plan does).
 */
export function testCases(
  p: Pipeline,
  spec: GraphSpec = graphSpec(p),
  topics: readonly TopicDef[] = topicDefs(p),
): { cases: TestCase[]; samples: TestCase['input'] } {
  const topicOf = (id: string) => {
    const node = p.nodes.find((n) => n.id === id)!;
    const kind = getKind(node.kind)!;
    return String(node.params[kind.topicParam!]);
  };
  const defs = new Map(topics.map((t) => [t.name, t.partitions]));
  const formatOf = (id: string) => sourceFormat(spec.nodes.find((n) => n.id === id)?.params ?? {});
  const sinks = p.nodes.filter((n) => getKind(n.kind)?.category === 'sink');
  const placeOf = (id: string) => (getKind(p.nodes.find((n) => n.id === id)!.kind)!.topicParam ? topicOf(id) : `sink ${id}`);
  const cases = p.tests.map((t): TestCase => {
    const ignore = (t.ignore ?? []).map((id) => (id === IGNORE_DEAD_LETTERS ? DEAD_LETTERS : placeOf(id)));
    return {
      name: t.name,
      input: Object.entries(t.input).map(([id, events]) => ({ topic: topicOf(id), partitions: defs.get(topicOf(id)) ?? 1, format: formatOf(id), events })),
      // Sinks outside Kafka (postgres, http, log) are expected by node: the in-memory run captures what they write.
      expect: sinks
        .filter(({ id }) => !t.ignore?.includes(id))
        .map(({ id, kind }) => {
          const events = t.expect[id] ?? [];
          return getKind(kind)!.topicParam ? { topic: topicOf(id), partitions: defs.get(topicOf(id)) ?? 1, events } : { node: id, events };
        }),
      ...(ignore.includes(DEAD_LETTERS) ? {} : { deadLetters: t.deadLetters ?? 0 }),
      ...(ignore.length ? { ignore } : {}),
    };
  });
  // Without written tests, the samples still run through the pipeline as a smoke test.
  const samples = p.nodes
    .filter((n) => getKind(n.kind)?.category === 'source' && n.samples?.length)
    .map((n) => ({ topic: topicOf(n.id), partitions: defs.get(topicOf(n.id)) ?? 1, format: formatOf(n.id), events: n.samples! }));
  return { cases, samples };
}
