/**
 * The page's side of the check worker: one worker, created on first use.
 * Answers go to the callback of their request; a canvas request (revision
 * ≥ 0) makes the callbacks of the same canvas's older requests lapse, so an
 * answer for a state the canvas has left is dropped (another designer's
 * canvas on the page keeps its own).
 */
import type { Problem } from '../../codegen/errors.js';
import type { Pipeline } from '../../codegen/pipeline.js';
import type { SimPlan } from '../../codegen/sim-plan.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import type { GenerateOutcome } from '../codegen-run.js';
import type { TestReply, TestRequest } from '../tests/protocol.js';
import { Waiting, type CheckReply, type CheckRequest } from './protocol.js';

let worker: Worker | undefined;
const waiting = new Waiting();
let tests: { reply(reply: TestReply): void; failed(message: string): void } | undefined;

/**
 * The page's one worker that holds the TypeScript compiler: it answers
 * checks (revision numbers) and runs the pipeline's tests (ids; see
 * ../tests/client.ts), so the compiler loads once. Undefined without Worker.
 */
function compilerWorker(): Worker | undefined {
  if (worker || typeof Worker === 'undefined') return worker;
  worker = new Worker(new URL('./check.worker.ts', import.meta.url), { type: 'module', name: 'pipewright-check' });
  worker.onmessage = (e: MessageEvent<CheckReply | TestReply>) => {
    if ('id' in e.data) return tests?.reply(e.data);
    waiting.answer(e.data);
  };
  worker.onerror = (e) => {
    const message = e.message || 'the check worker failed to start';
    waiting.failAll(message);
    tests?.failed(message);
  };
  return worker;
}

/** The test runner's side of the same worker: where its answers go, and a way to send. Undefined without Worker. */
export function testWorker(handlers: { reply(reply: TestReply): void; failed(message: string): void }): ((request: TestRequest) => void) | undefined {
  const w = compilerWorker();
  if (!w) return undefined;
  tests = handlers;
  return (request) => w.postMessage(request);
}

/** Ask for a check; `reply` is called with the answer, unless a newer canvas request was made meanwhile. False when there is no Worker. */
export function requestCheck(request: CheckRequest, reply: (reply: CheckReply) => void): boolean {
  const worker = compilerWorker();
  if (!worker) return false;
  waiting.add(request, reply);
  worker.postMessage(request);
  return true;
}

let oneOff = 0;

/** The simulator's plan of a pipeline, made in the worker (compiling expressions needs the TypeScript compiler). */
export function requestPlan(pipeline: Pipeline, files: PipelineFiles): Promise<SimPlan> {
  return new Promise((resolve, reject) => {
    const started = requestCheck({ type: 'plan', revision: -1 - oneOff++, pipeline, files }, (r) => {
      if (r.type === 'plan') resolve(r.plan);
      else reject(new Error(r.type === 'failed' ? r.message : 'unexpected answer from the check worker'));
    });
    if (!started) reject(new Error('this browser cannot run Web Workers'));
  });
}

/** Generate the repository in the worker (the generator checks expressions with the TypeScript compiler); with its zip when asked. */
export function requestGenerate(pipeline: Pipeline, files: PipelineFiles, zip: boolean): Promise<{ outcome: GenerateOutcome; zip?: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const started = requestCheck({ type: 'generate', revision: -1 - oneOff++, pipeline, files, zip }, (r) => {
      if (r.type === 'generated') resolve({ outcome: r.outcome, zip: r.zip });
      else reject(new Error(r.type === 'failed' ? r.message : 'unexpected answer from the check worker'));
    });
    if (!started) reject(new Error('this browser cannot run Web Workers'));
  });
}

/** The YAML of a pipeline, written in the worker: a large pipeline's YAML costs the page tens of milliseconds. */
export function requestYaml(pipeline: Pipeline): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = requestCheck({ type: 'yaml', revision: -1 - oneOff++, pipeline }, (r) => {
      if (r.type === 'yaml') resolve(r.text);
      else reject(new Error(r.type === 'failed' ? r.message : 'unexpected answer from the check worker'));
    });
    if (!started) reject(new Error('this browser cannot run Web Workers'));
  });
}

/** Check YAML text that is not on the canvas (a file that could not be opened); answers only with problems. */
export function checkText(text: string, reply: (problems: Problem[]) => void): void {
  requestCheck({ type: 'check', revision: -1 - oneOff++, source: { text } }, (r) => {
    if (r.type === 'problems') reply(r.problems);
  });
}
