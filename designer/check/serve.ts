/**
 * The check worker's loop, apart from the Worker global so that tests run it
 * in Node: take the newest request, run the CLI's check on it, answer.
 * A canvas's requests (revision ≥ 0) that arrive while a check runs
 * replace that canvas's older ones, so only its newest state is checked
 * next; each designer's canvas keeps its own files and its own newest
 * request. One-off requests (negative revisions) are all answered.
 */
import { checkPipelineText, type CheckEnv } from '../../codegen/check.js';
import { serializePipeline } from '../../codegen/serialize.js';
import { withSchemaFiles } from '../../codegen/schema-files.js';
import { simulationPlan } from '../../codegen/simulate.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import { generateRepository, zipRepository } from '../codegen-run.js';
import { canvasOf, type CheckReply, type CheckRequest } from './protocol.js';
import { errorText } from '../../runtime/errors.js';

/** One request's answer: the problems `pipewright validate` reports for the same YAML. */
export async function answer(request: CheckRequest, env: CheckEnv): Promise<CheckReply> {
  const t0 = performance.now();
  try {
    if (request.type === 'plan') return { type: 'plan', revision: request.revision, plan: simulationPlan(withSchemaFiles(request.pipeline, request.files)) };
    if (request.type === 'yaml') return { type: 'yaml', revision: request.revision, text: serializePipeline(request.pipeline) };
    if (request.type === 'generate') {
      const outcome = generateRepository(request.pipeline, request.files);
      return { type: 'generated', revision: request.revision, outcome, zip: request.zip && outcome.files ? zipRepository(outcome) : undefined };
    }
    const text = 'text' in request.source ? request.source.text : serializePipeline(request.source.pipeline);
    const { problems } = await checkPipelineText(text, env);
    return { type: 'problems', revision: request.revision, problems, millis: performance.now() - t0 };
  } catch (e) {
    return { type: 'failed', revision: request.revision, message: errorText(e) };
  }
}

export function serveChecks(
  post: (reply: CheckReply) => void,
  listen: (handler: (request: CheckRequest) => void) => void,
  envFor: (files: PipelineFiles) => CheckEnv,
): void {
  /** The files each canvas sent last (a one-off check's under `undefined`). */
  const files = new Map<number | undefined, PipelineFiles>();
  let queue: CheckRequest[] = [];
  let busy = false;
  const drain = async () => {
    busy = true;
    for (let request = queue.shift(); request; request = queue.shift()) {
      const canvas = canvasOf(request);
      post({ ...(await answer(request, envFor(files.get(canvas) ?? {}))), canvas });
    }
    busy = false;
  };
  listen((request) => {
    const canvas = canvasOf(request);
    if (request.type === 'check' && request.files) files.set(canvas, request.files);
    // A canvas's requests (revision ≥ 0) overtake its own older ones: only its newest state is worth checking.
    if (request.revision >= 0) queue = queue.filter((q) => q.revision < 0 || canvasOf(q) !== canvas);
    queue.push(request);
    if (!busy) void drain();
  });
}
