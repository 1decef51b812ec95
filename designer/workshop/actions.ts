/**
 * Workshop actions: open an exercise from its link (its start pipeline and
 * simulator set-up, or the learner's saved work on it), check the answer on
 * the learner's own simulator session, reveal hints, apply the solution,
 * and leave back to the learner's own pipeline. Exercise work autosaves
 * under its own key (persistence.ts `autosaveKey`), so it never overwrites
 * the learner's saved pipeline.
 */
import { emptyPipeline, type Pipeline } from '../../codegen/pipeline.js';
import { serializePipeline } from '../../codegen/serialize.js';
import { loadPipeline } from '../actions.js';
import { AUTOSAVE_KEY, readYaml } from '../persistence.js';
import { DEFAULT_SETTINGS } from '../simulator/session.js';
import type { DesignerState, DesignerStore } from '../store/index.js';
import { doneExercises, EXERCISE_SAVE_PREFIX, exerciseRefOf, findExercise, markDone, WORKSHOP, WORKSHOP_HASH, type WorkshopExercise } from './catalog.js';

/** Where the designer autosaves: the exercise's own key while one is open. */
export const autosaveKey = (s: Pick<DesignerState, 'exercise'>) => (s.exercise ? `${EXERCISE_SAVE_PREFIX}${s.exercise.ref}` : AUTOSAVE_KEY);

/** Act on the location hash: an exercise link opens it, `#workshop` the workshop page (over the exercise, if one is open); anything else leaves an open exercise. */
export function routeHash(store: DesignerStore, hash: string, storage: Storage): void {
  store.getState().setExercisesDone(doneExercises(storage));
  const ref = exerciseRefOf(hash);
  if (ref !== null) return openExercise(store, ref, storage);
  if (hash === WORKSHOP_HASH) return store.getState().setDialog({ type: 'workshop' });
  if (store.getState().exercise) leaveExercise(store, storage);
}

function setUp(store: DesignerStore, ex: WorkshopExercise | null): void {
  const s = store.getState();
  s.closeSimulator();
  const { groups, cluster, ...settings } = ex?.exercise.start.simulator ?? {};
  s.setSimSettings({ ...DEFAULT_SETTINGS, ...settings, groups, cluster, speed: s.simSettings.speed });
  s.setSimScript(ex?.exercise.start.script ?? []);
}

function open(store: DesignerStore, p: Pipeline): void {
  loadPipeline(store, p, { history: false, files: {} });
}

export function openExercise(store: DesignerStore, ref: string, storage: Storage): void {
  const ex = findExercise(ref);
  const s = store.getState();
  if (!ex) {
    s.toast(`There is no exercise "${ref}". Pick one in the workshop.`, 'error');
    s.setDialog({ type: 'workshop' });
    return;
  }
  if (s.exercise?.ref === ref) return;
  s.setDialog(null);
  // The exercise first: from here on, edits autosave under its key.
  s.setExercise(ex);
  setUp(store, ex);
  const saved = storage.getItem(autosaveKey(store.getState()));
  const pipeline = (saved ? readYaml(saved).pipeline : null) ?? readYaml(ex.startText).pipeline;
  if (pipeline) open(store, pipeline);
}

/** Back to the learner's own pipeline, as they last saved it. */
export function leaveExercise(store: DesignerStore, storage: Storage): void {
  if (!store.getState().exercise) return;
  store.getState().setExercise(null);
  setUp(store, null);
  const saved = storage.getItem(AUTOSAVE_KEY);
  open(store, (saved ? readYaml(saved).pipeline : null) ?? emptyPipeline());
}

/** The exercise's start again: its pipeline and set-up, the learner's work on it dropped. */
export function startOver(store: DesignerStore): void {
  const ex = store.getState().exercise;
  if (!ex) return;
  store.getState().setExercise(ex);
  setUp(store, ex);
  const p = readYaml(ex.startText).pipeline;
  if (p) open(store, p);
}

/** The solution's pipeline (if it has one) on the canvas and its actions in the simulation, which starts again. */
export function applySolution(store: DesignerStore): void {
  const ex = store.getState().exercise;
  if (!ex) return;
  store.getState().setSolutionShown(true);
  store.getState().setExerciseCheck(null);
  setUp(store, ex);
  store.getState().setSimScript([...(ex.exercise.start.script ?? []), ...(ex.exercise.solution.actions ?? [])]);
  const p = ex.solutionText ? readYaml(ex.solutionText).pipeline : null;
  if (p) open(store, p);
  store.getState().simulate();
}

function until(store: DesignerStore, test: (s: DesignerState) => boolean): Promise<DesignerState> {
  return new Promise((resolve) => {
    if (test(store.getState())) return resolve(store.getState());
    const stop = store.subscribe((s) => {
      if (!test(s)) return;
      stop();
      resolve(s);
    });
  });
}

/** The pipeline as YAML without where its nodes sit on the canvas: moving nodes is not an edit. */
const shape = (p: Pipeline) => serializePipeline({ ...p, nodes: p.nodes.map(({ position: _, ...n }) => n) });

/** Why the answer is out of bounds, when the exercise is to be solved without editing the pipeline and it was edited. */
export function outOfBounds(ex: WorkshopExercise, pipeline: Pipeline): string | null {
  if (ex.exercise.allowed.includes('edit-pipeline')) return null;
  const start = readYaml(ex.startText).pipeline;
  if (!start || shape(start) === shape(pipeline)) return null;
  return "This exercise is solved with the simulator's controls, without editing the pipeline. Press Start over to get its pipeline back.";
}

/**
 * Check the answer on the learner's simulation: the one running, or a new one of the pipeline as it
 * is now. The worker runs it on to the exercise's length and evaluates the checks on the whole run.
 */
export async function checkAnswer(store: DesignerStore, storage: Storage): Promise<void> {
  const s = store.getState();
  const ex = s.exercise;
  if (!ex || s.exerciseCheck?.state === 'checking') return;
  const refused = outOfBounds(ex, s.pipeline);
  if (refused) return s.setExerciseCheck({ state: 'error', message: refused });
  s.setExerciseCheck({ state: 'checking' });
  if (!s.simOpen || s.simStructure !== s.structure) {
    if (!s.simulate()) return s.setExerciseCheck({ state: 'error', message: 'The pipeline has problems, so it cannot be simulated: see Problems.' });
  }
  const ready = await until(store, (x) => !x.simOpen || x.simView !== null);
  if (!ready.simOpen || store.getState().exercise !== ex) {
    if (store.getState().exercise === ex) s.setExerciseCheck({ state: 'error', message: 'The pipeline could not be simulated: see the message above.' });
    return;
  }
  store.getState().simCommand({ type: 'check', checks: ex.exercise.check, seconds: ex.exercise.run.seconds });
  const done = await until(store, (x) => x.exercise !== ex || x.exerciseCheck?.state !== 'checking');
  if (done.exercise === ex && done.exerciseCheck?.state === 'done' && done.exerciseCheck.pass) store.getState().setExercisesDone(markDone(storage, ex.ref));
}

/** The exercise after this one in the workshop's order, if any. */
export function nextExercise(ex: WorkshopExercise): WorkshopExercise | undefined {
  return WORKSHOP[WORKSHOP.indexOf(ex) + 1];
}
