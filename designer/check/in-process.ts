/**
 * The check worker's loop (serve.ts) run in this thread instead of a Worker:
 * for tests and benchmarks in Node, which have no Web Workers but run the
 * very code the worker runs. Install it with analysis.ts's setChecker.
 */
import type { Checker } from '../analysis.js';
import { browserCheckEnv } from './env.js';
import { lapseOlder } from './client.js';
import { replyKey, type CheckReply, type CheckRequest } from './protocol.js';
import { serveChecks } from './serve.js';

export function inProcessChecker(): Checker {
  const callbacks = new Map<string, { request: CheckRequest; reply: (reply: CheckReply) => void }>();
  let handler: ((request: CheckRequest) => void) | undefined;
  serveChecks(
    (reply) => {
      const key = replyKey(reply);
      const waiter = callbacks.get(key);
      callbacks.delete(key);
      waiter?.reply(reply);
    },
    (h) => (handler = h),
    browserCheckEnv,
  );
  return (request, reply) => {
    lapseOlder(callbacks, request);
    callbacks.set(replyKey({ canvas: request.type === 'check' ? request.canvas : undefined, revision: request.revision }), { request, reply });
    // As postMessage would: the worker gets a copy, never the store's own objects.
    handler!(structuredClone(request));
    return true;
  };
}
