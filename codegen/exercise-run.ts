/**
 * Exercises in Node: find and read every exercise file of the examples, and
 * run one headless on the simulator (a start or a solution), for the catalog
 * test and for authors. The designer runs the same checks in its simulator
 * worker on the learner's own session.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from './pipeline.js';
import { parsePipeline } from './parse.js';
import { simulate } from './simulate.js';
import { graphSpec } from './graph-spec.js';
import { runFor, runOf, Script, type ExerciseAction } from './exercise-actions.js';
import { evaluateChecks, type CheckResult, type RunSnapshot } from './exercise-checks.js';
import { EXERCISE_FILE, formatExerciseProblem, readExercise, type Exercise, type ExerciseProblem } from './exercise.js';

export interface ExerciseEntry {
  /** The example folder's name. */
  example: string;
  /** Repository path of the exercise file. */
  file: string;
  exercise: Exercise | null;
  problems: ExerciseProblem[];
}

/** Every `examples/<example>/exercises/<NN>-<slug>.yaml`, read and validated. */
export function loadExercises(root: string): ExerciseEntry[] {
  const out: ExerciseEntry[] = [];
  const examples = join(root, 'examples');
  for (const example of readdirSync(examples).sort()) {
    const dir = join(examples, example, 'exercises');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.yaml')) continue;
      const file = `examples/${example}/exercises/${name}`;
      if (!EXERCISE_FILE.test(name)) {
        out.push({
          example,
          file,
          exercise: null,
          problems: [
            {
              file,
              line: 1,
              column: 1,
              message: `${name} is not named <NN>-<slug>.yaml.`,
              hint: 'Rename it, e.g. 01-keys-and-partitions.yaml; pipelines go in pipelines/.',
            },
          ],
        });
        continue;
      }
      out.push({ example, file, ...readExercise(readFileSync(join(root, file), 'utf8'), file) });
    }
  }
  return out;
}

/** The pipeline an exercise names (`../pipeline.yaml` or `pipelines/<name>.yaml`), parsed. */
export function exercisePipeline(root: string, example: string, path: string): Pipeline {
  const file = join(root, 'examples', example, 'exercises', path);
  const { pipeline, problems } = parsePipeline(readFileSync(file, 'utf8'));
  const errors = problems.filter((p) => p.severity === 'error');
  if (!pipeline || errors.length)
    throw new Error(`examples/${example}/exercises/${path}: ${errors.map((p) => `${p.line}:${p.column} ${p.message}`).join('; ')}`);
  return pipeline;
}

export interface HeadlessRun {
  results: CheckResult[];
  pass: boolean;
}

/** Run a pipeline with an exercise's set-up and script plus `actions` for `run.seconds`, and evaluate its checks. */
export async function runExercise(ex: Exercise, pipeline: Pipeline, actions: readonly ExerciseAction[] = []): Promise<HeadlessRun> {
  const { groups, cluster, ...settings } = ex.start.simulator ?? {};
  const options = { ...settings, ...(groups ? { groups } : {}), ...(cluster ? { cluster } : {}) };
  const sim = simulate(pipeline, options);
  const first = sim.snapshot();
  const snapshots: RunSnapshot[] = [first];
  const start = first.time - first.tick * sim.tickMs;
  await runFor(sim, new Script([...(ex.start.script ?? []), ...actions], start), ex.run.seconds, snapshots, start);
  const results = evaluateChecks(ex.check, runOf(sim, snapshots, graphSpec(pipeline).errors.topic));
  return { results, pass: results.every((r) => r.pass) };
}

export { formatExerciseProblem };
