/**
 * The test runner's message loop in the check worker, apart from the worker globals so a test
 * can drive it: one request at a time, each answered with its id.
 */
import type { TestReply, TestRequest } from './protocol.js';
import { recordTest, runPipelineTests } from '../../codegen/pipeline-tests.js';
import { errorText } from '../../runtime/errors.js';

export function serveTests(post: (r: TestReply) => void, listen: (handler: (r: TestRequest) => void) => void): void {
  let chain: Promise<unknown> = Promise.resolve();
  listen((req) => {
    chain = chain.then(async () => {
      try {
        if (req.type === 'run') post({ type: 'outcomes', id: req.id, outcomes: await runPipelineTests(req.pipeline, req.files) });
        else post({ type: 'recorded', id: req.id, test: await recordTest(req.pipeline, req.files, req.name, req.input) });
      } catch (e) {
        post({ type: 'error', id: req.id, message: errorText(e) });
      }
    });
  });
}
