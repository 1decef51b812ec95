/** Messages between the designer and the simulator's Web Worker. */
import type { ExerciseAction } from '../../codegen/exercise-actions.js';
import type { CheckResult, CheckSpec } from '../../codegen/exercise-checks.js';
import type { SimPlan } from '../../codegen/sim-plan.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import type { ExtraGroupSpec } from '../../runtime/simulator/readers.js';
import type { SimSettings, SimView } from './session.js';
import type { ClusterSpec } from '../../runtime/simulator/cluster.js';

/** Ticks per second when playing; 0 runs as fast as the worker can. */
export type Speed = number;

export type Command =
  /** `script`: actions applied as simulated time reaches them (an exercise's, a solution's). */
  | { type: 'load'; plan: SimPlan; settings: SimSettings; files: PipelineFiles; speed: Speed; script?: ExerciseAction[] }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'step-one' }
  | { type: 'speed'; speed: Speed }
  | { type: 'rate'; rate: number }
  | { type: 'add-replica' }
  | { type: 'remove-replica' }
  | { type: 'kill-replica'; id?: string }
  /** The extra groups reading beside the pipeline's own (runtime/simulator/readers.ts). */
  | { type: 'add-group'; spec: ExtraGroupSpec }
  | { type: 'remove-group'; name: string }
  | { type: 'add-group-member'; name: string }
  | { type: 'kill-group-member'; name: string; id?: string }
  | { type: 'slow-group-member'; name: string; id: string; factor: number }
  | { type: 'kill-broker'; id: number }
  | { type: 'restart-broker'; id: number }
  /** factor: the share of ticks the broker's followers fetch on (0 stalled, 1 normal). */
  | { type: 'slow-broker'; id: number; factor: number }
  /** Brokers and replication for the run (null: one perfect broker); a new broker count or replication factor starts it again. */
  | { type: 'set-cluster'; cluster: ClusterSpec | null }
  /** Start again from tick 0, with this seed (or the same one). */
  | { type: 'reset'; seed?: number }
  | { type: 'stop' }
  /** The events the sources have fed so far, for a test recorded from this run. */
  | { type: 'record'; max: number }
  /** An exercise's checks: run on until `seconds` of simulated time, then evaluate them on the whole run. */
  | { type: 'check'; checks: CheckSpec[]; seconds: number };

export interface Status {
  running: boolean;
  speed: Speed;
  /** Ticks per wall-clock second and events produced per wall-clock second, measured in the worker. */
  ticksPerSecond: number;
  eventsPerSecond: number;
}

export type Report =
  | { type: 'view'; view: SimView; status: Status }
  | { type: 'error'; message: string }
  | { type: 'recording'; inputs: Record<string, { key?: string; value: unknown; timestamp: number }[]>; total: number }
  | { type: 'checked'; results: CheckResult[] };

/** The worker posts at most this many views per second while playing. */
export const VIEWS_PER_SECOND = 10;
