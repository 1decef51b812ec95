/**
 * The workshop's catalog: every exercise file of every example is valid, its
 * pipelines are valid, its start state fails its check (with a reason) and
 * its solution passes it, on a headless simulator run in Node.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exercisePipeline, formatExerciseProblem, loadExercises, runExercise } from './exercise-run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const entries = loadExercises(ROOT);

describe('exercise catalog', () => {
  it('has at least eight exercises, every file valid, in one order without gaps', () => {
    expect(entries.flatMap((e) => e.problems.map(formatExerciseProblem))).toEqual([]);
    const orders = entries.map((e) => e.exercise!.order).sort((a, b) => a - b);
    expect(orders.length).toBeGreaterThanOrEqual(8);
    expect(orders).toEqual(orders.map((_, i) => i + 1));
  });

  it.each(entries.map((e) => [e.file, e] as const))('%s: the start fails its check with a reason, the solution passes', async (_file, entry) => {
    const ex = entry.exercise!;
    const start = exercisePipeline(ROOT, entry.example, ex.start.pipeline);
    const solution = ex.solution.pipeline ? exercisePipeline(ROOT, entry.example, ex.solution.pipeline) : start;
    // The start as the learner finds it, with the solution's actions done to it: the actions alone do not solve a
    // pipeline exercise (and with no solution pipeline, the start without the actions fails).
    const before = await runExercise(ex, start, ex.solution.pipeline ? (ex.solution.actions ?? []) : []);
    expect(before.pass, JSON.stringify(before.results)).toBe(false);
    for (const r of before.results.filter((x) => !x.pass)) expect(r.reason.length).toBeGreaterThan(20);
    const after = await runExercise(ex, solution, ex.solution.actions ?? []);
    expect(after.results.filter((r) => !r.pass)).toEqual([]);
  });
});
