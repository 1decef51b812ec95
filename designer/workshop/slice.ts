/**
 * The workshop's part of the store: the exercise open (if any), how many
 * hints are shown, the last check's outcome, whether the solution is shown,
 * and the exercises passed. The actions that load pipelines and talk to the
 * simulator are in actions.ts.
 */
import type { StateCreator } from 'zustand';
import type { CheckResult } from '../../codegen/exercise-checks.js';
import type { Actions, DesignerState } from '../store/types.js';
import type { WorkshopExercise } from './catalog.js';

export type ExerciseCheck = { state: 'checking' } | { state: 'done'; pass: boolean; results: CheckResult[] } | { state: 'error'; message: string };

export interface WorkshopData {
  exercise: WorkshopExercise | null;
  hintsShown: number;
  exerciseCheck: ExerciseCheck | null;
  solutionShown: boolean;
  /** Refs of the exercises passed, kept in the browser. */
  exercisesDone: string[];
}

export interface WorkshopSlice extends WorkshopData {
  setExercise(exercise: WorkshopExercise | null): void;
  showHint(): void;
  setSolutionShown(shown: boolean): void;
  setExerciseCheck(check: ExerciseCheck | null): void;
  setExercisesDone(done: string[]): void;
}

export function workshopInitial(): WorkshopData {
  return { exercise: null, hintsShown: 0, exerciseCheck: null, solutionShown: false, exercisesDone: [] };
}

export const createWorkshopSlice: StateCreator<DesignerState, [], [], Actions<WorkshopSlice>> = (set, get) => ({
  setExercise: (exercise) => set({ exercise, hintsShown: 0, exerciseCheck: null, solutionShown: false }),
  showHint: () => set({ hintsShown: Math.min(get().hintsShown + 1, get().exercise?.exercise.hints.length ?? 0) }),
  setSolutionShown: (solutionShown) => set({ solutionShown }),
  setExerciseCheck: (exerciseCheck) => set({ exerciseCheck }),
  setExercisesDone: (exercisesDone) => set({ exercisesDone }),
});
