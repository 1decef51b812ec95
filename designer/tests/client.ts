/**
 * The page's test runner: requests go to the check worker, which holds the
 * TypeScript compiler the tests need too, and are answered by id. Without
 * Worker (Node, tests) the same loop runs in-process.
 */
import { testWorker } from '../check/client.js';
import type { TestReply, TestRequest } from './protocol.js';

type Request = TestRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

let worker: { postMessage(r: TestRequest): void } | undefined;
let seq = 0;
const waiting = new Map<number, (r: TestReply) => void>();

function receive(reply: TestReply): void {
  const done = waiting.get(reply.id);
  waiting.delete(reply.id);
  done?.(reply);
}

async function start(): Promise<{ postMessage(r: TestRequest): void }> {
  const send = testWorker({
    reply: receive,
    failed: (message) => {
      for (const id of [...waiting.keys()]) receive({ type: 'error', id, message });
    },
  });
  if (send) return { postMessage: send };
  const { serveTests } = await import('./serve.js');
  let handler: ((r: TestRequest) => void) | undefined;
  serveTests(receive, (h) => (handler = h));
  return { postMessage: (r) => handler?.(r) };
}

let starting: Promise<{ postMessage(r: TestRequest): void }> | undefined;

export async function askTests(request: Request): Promise<TestReply> {
  worker ??= await (starting ??= start());
  const id = ++seq;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker!.postMessage({ ...request, id });
  });
}
