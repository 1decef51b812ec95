/**
 * The pipeline's own tests, run the way the generated repository's
 * `npm test` runs them: the same cases (codegen/test-cases.ts), the same
 * in-memory run and the same verdict (runtime/testing.ts). The designer's
 * check worker calls this; the tests call it in Node.
 */
import { withSchemaFiles } from './schema-files.js';
import { expressionSources } from './compile.js';
import { functionsFromSources } from './expression-fns.js';
import type { Pipeline, PipelineTest, SampleEvent } from './pipeline.js';
import { parsePipeline } from './parse.js';
import { graphSpec } from './graph-spec.js';
import { topicDefs } from './topics.js';
import { serializePipeline } from './serialize.js';
import { testCases } from './test-cases.js';
import { getKind } from '../runtime/kinds/registry.js';
import type { PipelineFiles } from '../runtime/kinds/spec.js';
import { caseDifferences, DEAD_LETTERS, runCase, type CaseResult, type TestCase } from '../runtime/testing.js';

import { NO_KEY, type TestOutcome } from './test-outcomes.js';
import { errorText } from '../runtime/errors.js';

export { describeDifference, testProblems, type SinkDifference, type TestOutcome } from './test-outcomes.js';

/** What the generated repository's tests read: the pipeline as its exported YAML says. */
function asExported(pipeline: Pipeline): Pipeline {
  return parsePipeline(serializePipeline(pipeline)).pipeline ?? pipeline;
}

/** Sink node ids by the name a case result uses for them: their topic, or `sink <id>`. */
function sinksByPlace(p: Pipeline): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (kind?.category !== 'sink') continue;
    const place = kind.topicParam ? String(n.params[kind.topicParam]) : `sink ${n.id}`;
    out.set(place, [...(out.get(place) ?? []), n.id]);
  }
  return out;
}

interface Prepared {
  pipeline: Pipeline;
  run: (c: TestCase) => Promise<CaseResult>;
  cases: TestCase[];
  places: Map<string, string[]>;
}

function prepare(pipeline: Pipeline, files: PipelineFiles): Prepared {
  // Sources check their events against their schemas, also those in schema files.
  const p = asExported(withSchemaFiles(pipeline, files));
  const spec = graphSpec(p);
  const fns = functionsFromSources(expressionSources(p));
  const topics = topicDefs(p);
  const readFile = async (path: string) => {
    const bytes = files[path];
    if (!bytes) throw new Error(`the pipeline file ${path} is not attached`);
    return bytes;
  };
  return { pipeline: p, run: (c) => runCase(spec, fns, topics, c, { readFile }), cases: testCases(p, spec, topics).cases, places: sinksByPlace(p) };
}

/** Runs every test of a valid pipeline. */
export async function runPipelineTests(pipeline: Pipeline, files: PipelineFiles = {}): Promise<TestOutcome[]> {
  const { run, cases, places } = prepare(pipeline, files);
  const outcomes: TestOutcome[] = [];
  for (const [index, c] of cases.entries()) {
    try {
      const differences = caseDifferences(c, await run(c)).map((d) => ({ ...d, sink: d.where === DEAD_LETTERS ? null : (places.get(d.where)?.[0] ?? null) }));
      outcomes.push({ name: c.name, index, passed: differences.length === 0, differences });
    } catch (e) {
      outcomes.push({ name: c.name, index, passed: false, differences: [], error: errorText(e) });
    }
  }
  return outcomes;
}

/**
 * A test from input events: what the pipeline makes of them now becomes
 * what the test expects, on every sink and in the dead letters.
 */
export async function recordTest(pipeline: Pipeline, files: PipelineFiles, name: string, input: Record<string, SampleEvent[]>): Promise<PipelineTest> {
  const { run, places, pipeline: p } = prepare({ ...pipeline, tests: [{ name, input, expect: {} }] }, files);
  const [c] = testCases(p).cases;
  const result = await run(c);
  const expect: Record<string, SampleEvent[]> = {};
  for (const [place, byKey] of Object.entries(result.actual)) {
    const sink = places.get(place)?.[0];
    if (!sink) continue;
    const events = Object.entries(byKey).flatMap(([key, values]) => values.map((value) => (key === NO_KEY ? { value } : { key, value })));
    if (events.length) expect[sink] = events;
  }
  return { name, input, expect, ...(result.deadLetters ? { deadLetters: result.deadLetters } : {}) };
}
