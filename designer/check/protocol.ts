/**
 * Messages between the designer and its check worker (check.worker.ts),
 * which runs `pipewright validate`'s whole check (codegen/check.ts) off the
 * main thread. Each request carries a revision number and the worker
 * answers with the same number. Revisions ≥ 0 are the canvas's (the store's
 * `structure`), tagged with the canvas they come from (each designer on the
 * page has its own number): a newer one overtakes its own canvas's older
 * ones still queued, and the page drops answers for a state that canvas has
 * left; another designer's requests are never overtaken. Negative revisions
 * are one-off requests (a file that could not be opened, a plan, an export),
 * each answered.
 *
 * To add a message: add it to CheckRequest and CheckReply, handle it in
 * serve.ts, and send it through client.ts.
 */
import type { Problem } from '../../codegen/errors.js';
import type { SimPlan } from '../../codegen/sim-plan.js';
import type { GenerateOutcome } from '../codegen-run.js';
import type { Pipeline } from '../../codegen/pipeline.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';

export type CheckRequest =
  | CheckProblems
  /** The simulator's plan of a pipeline (its expressions compiled to JavaScript); a one-off request, negative revision. */
  | { type: 'plan'; revision: number; pipeline: Pipeline; files: PipelineFiles }
  /** The generated repository (code preview, export), and its zip when asked; a one-off request, negative revision. */
  | { type: 'generate'; revision: number; pipeline: Pipeline; files: PipelineFiles; zip: boolean }
  /** The YAML export would write (autosave, off the main thread); a one-off request, negative revision. */
  | { type: 'yaml'; revision: number; pipeline: Pipeline };

export type CheckProblems = {
  type: 'check';
  revision: number;
  /** The designer whose canvas this is (revision ≥ 0); a one-off check has none. */
  canvas?: number;
  /**
   * What to check: the text of a file as it was opened (so problems carry its lines and columns),
   * or the pipeline on the canvas, which the worker writes as the YAML that export would write.
   */
  source: { text: string } | { pipeline: Pipeline };
  /** The pipeline's files (models), when they changed since this canvas's last request; otherwise the worker keeps its last ones. */
  files?: PipelineFiles;
};

/** An answer carries its request's revision and canvas. */
export type CheckReply = { canvas?: number } & (
  | { type: 'problems'; revision: number; problems: Problem[]; /** Time the check took in the worker. */ millis: number }
  /** The check itself failed (a bug): the designer says so instead of showing "no problems". */
  | { type: 'failed'; revision: number; message: string }
  | { type: 'plan'; revision: number; plan: SimPlan }
  | { type: 'generated'; revision: number; outcome: GenerateOutcome; zip?: Uint8Array }
  | { type: 'yaml'; revision: number; text: string }
);

/** The canvas a request is from: a canvas check's; one-off requests have none. */
export const canvasOf = (request: CheckRequest): number | undefined => (request.type === 'check' ? request.canvas : undefined);

/** Where an answer goes: its request's canvas and revision (one-off revisions are unique on their own). */
const replyKey = (m: { canvas?: number; revision: number }): string => `${m.canvas ?? '-'}/${m.revision}`;

/**
 * The page's requests waiting for their answers. A canvas request makes the same canvas's older ones
 * lapse (their answers are for a state it has left), so their callbacks are never called.
 */
export class Waiting {
  private readonly waiting = new Map<string, { request: CheckRequest; reply: (reply: CheckReply) => void }>();

  add(request: CheckRequest, reply: (reply: CheckReply) => void): void {
    const canvas = canvasOf(request);
    if (request.revision >= 0) {
      for (const [key, w] of this.waiting) {
        if (w.request.revision >= 0 && w.request.revision < request.revision && canvasOf(w.request) === canvas) this.waiting.delete(key);
      }
    }
    this.waiting.set(replyKey({ canvas, revision: request.revision }), { request, reply });
  }

  /** Hands an answer to its request's callback, if that still waits. */
  answer(reply: CheckReply): void {
    const key = replyKey(reply);
    const waiter = this.waiting.get(key);
    this.waiting.delete(key);
    waiter?.reply(reply);
  }

  /** Answers every waiting request with a failure (the worker is gone). */
  failAll(message: string): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const { request, reply } of all) reply({ type: 'failed', revision: request.revision, canvas: canvasOf(request), message });
  }
}
