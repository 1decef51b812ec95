/** The simulator's part of the designer store. */
import type { ExerciseAction } from '../../codegen/exercise-actions.js';
import type { Command, Report, Status } from './protocol.js';
import type { SimSettings, SimView } from './session.js';

export type SimTab = 'group' | 'groups' | 'topics' | 'brokers' | 'time' | 'edge' | 'tour';

export interface SimulatorData {
  /** The simulator dock is shown. */
  simOpen: boolean;
  simView: SimView | null;
  simStatus: Status | null;
  simError: string | null;
  /** What the next load starts with; the view carries what runs now. */
  simSettings: SimSettings & { speed: number };
  /** The pipeline's `structure` the running simulation was built from. */
  simStructure: number;
  simTab: SimTab;
  /** The step of the example's guided tour being shown. */
  tourStep: number;
  /** Actions the next load applies as simulated time reaches them (an exercise's script, a solution's actions). */
  simScript: ExerciseAction[];
}

export interface SimulatorSlice extends SimulatorData {
  /**
   * Open the dock and simulate the pipeline as it is now. False when it is refused at once (known
   * errors); the dock also closes again, with a toast, when the check still running or the plan
   * refuses it.
   */
  simulate(): boolean;
  closeSimulator(): void;
  simCommand(command: Command): void;
  setSimReport(report: Report): void;
  setSimSettings(settings: Partial<SimulatorData['simSettings']>): void;
  setSimScript(script: ExerciseAction[]): void;
  setSimTab(tab: SimTab): void;
  setTourStep(step: number): void;
}
