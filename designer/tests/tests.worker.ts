/**
 * The test worker: runs the pipeline's tests on the in-memory log off the
 * main thread, with the code the generated repository's `npm test` runs.
 */
import { providePackage } from '../../runtime/kinds/host.js';
import { provideOnnxRuntime } from '../../runtime/models/onnx.js';
import { serveTests } from './serve.js';

provideOnnxRuntime(() => import('onnxruntime-web'));
// The validate kind loads ajv by a name held in a variable; the bundle hands it over instead.
providePackage('ajv', () => import('ajv'));

serveTests(
  (reply) => (self as unknown as Worker).postMessage(reply),
  (handler) => self.addEventListener('message', (e: MessageEvent) => handler(e.data)),
);
