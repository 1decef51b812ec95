/**
 * The simulator's Web Worker: runs a SimSession off the main thread and
 * posts a view at most VIEWS_PER_SECOND times a second while playing, and
 * after every command, so the canvas stays responsive at any speed.
 */
import { providePackage } from '../../runtime/kinds/host.js';
import { provideOnnxRuntime } from '../../runtime/model-backends/onnx.js';
import type { Command } from './protocol.js';
import { serveSimulator } from './worker-loop.js';

provideOnnxRuntime(() => import('onnxruntime-web'));
// The validate kind loads ajv by a name held in a variable; the bundle hands it over instead.
providePackage('ajv', () => import('ajv'));

serveSimulator(
  (report) => (self as unknown as Worker).postMessage(report),
  (handler) => self.addEventListener('message', (e: MessageEvent<Command>) => handler(e.data)),
);
