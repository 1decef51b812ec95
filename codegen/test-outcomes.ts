/**
 * What a run of the pipeline's tests found, and how it reads as problems.
 * Apart from run.ts (which runs the tests, in the check worker) so that the
 * page can show outcomes without loading what runs them.
 */
import { problem, type Problem } from './errors.js';

/** One key of one sink where a test's run differs from what the test expects. */
export interface SinkDifference {
  /** The sink node's id, or null for the dead letters. */
  sink: string | null;
  /** The sink's topic, `sink <id>` for sinks outside Kafka, or `dead letters`. */
  where: string;
  key?: string;
  expected: unknown;
  actual: unknown;
}

export interface TestOutcome {
  name: string;
  /** The test's place in `pipeline.tests`. */
  index: number;
  passed: boolean;
  differences: SinkDifference[];
  /** Set when the test could not run at all (a model that does not load, say). */
  error?: string;
}

export const NO_KEY = '(no key)';

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function valuesOf(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}

/** One line about one difference, for the Problems panel. */
export function describeDifference(d: SinkDifference): string {
  if (d.sink === null) return `expected ${count(Number(d.expected), 'dead letter')}, got ${Number(d.actual)}`;
  const e = valuesOf(d.expected);
  const a = valuesOf(d.actual);
  const key = d.key === NO_KEY ? 'events without a key' : `key "${d.key}"`;
  const what = e === a ? `${count(a, 'value')} that differ from the expected` : `${count(a, 'event')} where the test expects ${e}`;
  return `sink "${d.sink}" got, for ${key}, ${what}`;
}

/** Failing tests as problems: one per test and sink, on the sink's node. */
export function testProblems(outcomes: readonly TestOutcome[]): Problem[] {
  const out: Problem[] = [];
  for (const o of outcomes) {
    if (o.error) {
      out.push(problem('PW044', { test: o.name, detail: o.error }, ['tests', o.index]));
      continue;
    }
    const bySink = new Map<string | null, SinkDifference[]>();
    for (const d of o.differences) bySink.set(d.sink, [...(bySink.get(d.sink) ?? []), d]);
    for (const [sink, diffs] of bySink) {
      const more = diffs.length > 1 ? ` (and ${count(diffs.length - 1, 'other key')})` : '';
      out.push(problem('PW043', { test: o.name, detail: `${describeDifference(diffs[0])}${more}` }, ['tests', o.index], sink ?? undefined));
    }
  }
  return out;
}
