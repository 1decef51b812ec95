/**
 * The check worker: `pipewright validate`'s whole check, TypeScript type
 * check and model probes included, off the designer's main thread (the
 * protocol is in protocol.ts). It also runs the pipeline's tests (the
 * protocol is in ../tests/protocol.ts), which need the same compiler: the
 * page loads TypeScript once, here.
 */
import { providePackage } from '../../runtime/kinds/host.js';
import { provideOnnxRuntime } from '../../runtime/model-backends/onnx.js';
import { browserCheckEnv } from './env.js';
import type { TestReply, TestRequest } from '../tests/protocol.js';
import { serveTests } from '../tests/serve.js';
import type { CheckReply, CheckRequest } from './protocol.js';
import { serveChecks } from './serve.js';

// Models load in the browser's runtimes, as in the simulator.
provideOnnxRuntime(() => import('onnxruntime-web'));
providePackage('ajv', () => import('ajv'));

const worker = self as unknown as Worker;
const post = (reply: CheckReply | TestReply) => worker.postMessage(reply);
const isTest = (m: CheckRequest | TestRequest): m is TestRequest => m.type === 'run' || m.type === 'record';
type Incoming = MessageEvent<CheckRequest | TestRequest>;

serveChecks(post, (handler) => worker.addEventListener('message', (e: Incoming) => !isTest(e.data) && handler(e.data)), browserCheckEnv);
serveTests(post, (handler) => worker.addEventListener('message', (e: Incoming) => isTest(e.data) && handler(e.data)));
