/**
 * The check worker's loop (serve.ts) run in this thread instead of a Worker:
 * for tests and benchmarks in Node, which have no Web Workers but run the
 * very code the worker runs. Install it with analysis.ts's setChecker.
 */
import type { Checker } from '../analysis.js';
import { browserCheckEnv } from './env.js';
import { Waiting, type CheckRequest } from './protocol.js';
import { serveChecks } from './serve.js';

export function inProcessChecker(): Checker {
  const waiting = new Waiting();
  let handler: ((request: CheckRequest) => void) | undefined;
  serveChecks(
    (reply) => waiting.answer(reply),
    (h) => (handler = h),
    browserCheckEnv,
  );
  return (request, reply) => {
    waiting.add(request, reply);
    // As postMessage would: the worker gets a copy, never the store's own objects.
    handler!(structuredClone(request));
    return true;
  };
}
