/**
 * The check worker: `pipewright validate`'s whole check, TypeScript type
 * check and model probes included, off the designer's main thread. The
 * protocol is in protocol.ts.
 */
import { providePackage } from '../../runtime/kinds/host.js';
import { provideOnnxRuntime } from '../../runtime/models/onnx.js';
import { browserCheckEnv } from './env.js';
import type { CheckRequest } from './protocol.js';
import { serveChecks } from './serve.js';

// Models load in the browser's runtimes, as in the simulator.
provideOnnxRuntime(() => import('onnxruntime-web'));
providePackage('ajv', () => import('ajv'));

serveChecks(
  (reply) => (self as unknown as Worker).postMessage(reply),
  (handler) => self.addEventListener('message', (e: MessageEvent<CheckRequest>) => handler(e.data)),
  browserCheckEnv,
);
