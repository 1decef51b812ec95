/**
 * Messages between the designer and its check worker (check.worker.ts),
 * which runs `pipewright validate`'s whole check (codegen/check.ts) off the
 * main thread. Each request carries a revision number and the worker
 * answers with the same number. Revisions ≥ 0 are the canvas's (the store's
 * `structure`): a newer one overtakes older ones still queued, and the page
 * drops answers for a state it has left. Negative revisions are one-off
 * checks (a file that could not be opened), each answered.
 *
 * To add a message: add it to CheckRequest and CheckReply, handle it in
 * serve.ts, and send it through client.ts.
 */
import type { Problem } from '../../codegen/errors.js';
import type { SimPlan } from '../../codegen/sim-plan.js';
import type { GenerateOutcome } from '../codegen-run.js';
import type { Pipeline } from '../../codegen/model.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';

export type CheckRequest =
  | CheckProblems
  /** The simulator's plan of a pipeline (its expressions compiled to JavaScript); a one-off request, negative revision. */
  | { type: 'plan'; revision: number; pipeline: Pipeline }
  /** The generated repository (code preview, export), and its zip when asked; a one-off request, negative revision. */
  | { type: 'generate'; revision: number; pipeline: Pipeline; files: PipelineFiles; zip: boolean }
  /** The YAML export would write (autosave, off the main thread); a one-off request, negative revision. */
  | { type: 'yaml'; revision: number; pipeline: Pipeline };

export type CheckProblems = {
  type: 'check';
  revision: number;
  /**
   * What to check: the text of a file as it was opened (so problems carry its lines and columns),
   * or the pipeline on the canvas, which the worker writes as the YAML that export would write.
   */
  source: { text: string } | { pipeline: Pipeline };
  /** The pipeline's files (models), when they changed since the last request; otherwise the worker keeps the last ones. */
  files?: PipelineFiles;
};

export type CheckReply =
  | { type: 'problems'; revision: number; problems: Problem[]; /** Time the check took in the worker. */ millis: number }
  /** The check itself failed (a bug): the designer says so instead of showing "no problems". */
  | { type: 'failed'; revision: number; message: string }
  | { type: 'plan'; revision: number; plan: SimPlan }
  | { type: 'generated'; revision: number; outcome: GenerateOutcome; zip?: Uint8Array }
  | { type: 'yaml'; revision: number; text: string };
