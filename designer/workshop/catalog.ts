/**
 * The workshop: every examples/<example>/exercises/<NN>-<slug>.yaml, bundled
 * as text with the pipelines it names, in the workshop's order. Exercise
 * links are `#exercise=<example>/<id>`; the workshop page is `#workshop`.
 * Which exercises the learner has passed is kept in the browser. The files
 * are validated by the catalog test (codegen/exercise-catalog.test.ts), so
 * the page only parses them, without the schema validator.
 */
import { parse } from 'yaml';
import type { Exercise } from '../../codegen/exercise.js';

const files = import.meta.glob<string>(['../../examples/*/exercises/*.yaml', '../../examples/*/exercises/pipelines/*.yaml', '../../examples/*/pipeline.yaml'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

export interface WorkshopExercise {
  /** `<example>/<id>`: the exercise's link and storage key. */
  ref: string;
  example: string;
  exercise: Exercise;
  startText: string;
  solutionText: string | null;
}

export const DONE_KEY = 'pipewright.workshop.done';
/** Work on an exercise autosaves here, never over the learner's own pipeline. */
export const EXERCISE_SAVE_PREFIX = 'pipewright.exercise.';
export const EXERCISE_HASH = '#exercise=';
export const WORKSHOP_HASH = '#workshop';

/** The text of a pipeline an exercise names, relative to its exercises folder. */
function pipelineText(example: string, path: string): string | undefined {
  return path === '../pipeline.yaml' ? files[`../../examples/${example}/pipeline.yaml`] : files[`../../examples/${example}/exercises/${path}`];
}

function parsed(text: string): Exercise | null {
  try {
    const e = parse(text) as Partial<Exercise> | null;
    const ok =
      e &&
      typeof e.id === 'string' &&
      typeof e.order === 'number' &&
      e.start?.pipeline &&
      Array.isArray(e.check) &&
      Array.isArray(e.hints) &&
      e.solution &&
      e.run;
    return ok ? (e as Exercise) : null;
  } catch {
    return null;
  }
}

function load(): WorkshopExercise[] {
  const out: WorkshopExercise[] = [];
  for (const [path, text] of Object.entries(files)) {
    const m = /^\.\.\/\.\.\/examples\/([^/]+)\/exercises\/([^/]+\.yaml)$/.exec(path);
    if (!m) continue;
    // The catalog test holds every file valid; one that is not stays out rather than break the page.
    const exercise = parsed(text);
    const startText = exercise && pipelineText(m[1], exercise.start.pipeline);
    if (!exercise || !startText) continue;
    const solutionText = exercise.solution.pipeline ? (pipelineText(m[1], exercise.solution.pipeline) ?? null) : null;
    out.push({ ref: `${m[1]}/${exercise.id}`, example: m[1], exercise, startText, solutionText });
  }
  return out.sort((a, b) => a.exercise.order - b.exercise.order || (a.ref < b.ref ? -1 : 1));
}

export const WORKSHOP: readonly WorkshopExercise[] = load();

export function findExercise(ref: string): WorkshopExercise | undefined {
  return WORKSHOP.find((e) => e.ref === ref);
}

/** The exercise a location hash names, if it names one (`#exercise=<example>/<id>`). */
export function exerciseRefOf(hash: string): string | null {
  if (!hash.startsWith(EXERCISE_HASH)) return null;
  try {
    return decodeURIComponent(hash.slice(EXERCISE_HASH.length));
  } catch {
    return null;
  }
}

export const exerciseLink = (ref: string) => `${EXERCISE_HASH}${ref.split('/').map(encodeURIComponent).join('/')}`;

export function doneExercises(storage: Pick<Storage, 'getItem'>): string[] {
  try {
    const list = JSON.parse(storage.getItem(DONE_KEY) ?? '[]') as unknown;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function markDone(storage: Storage, ref: string): string[] {
  const done = [...new Set([...doneExercises(storage), ref])];
  try {
    storage.setItem(DONE_KEY, JSON.stringify(done));
  } catch {
    // Storage full or disabled: the mark lasts for this visit only.
  }
  return done;
}
