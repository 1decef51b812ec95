/** The runtime's portable surface: everything here runs in Node and in the browser. */
export * from './types.js';
export * from './murmur2.js';
export * from './kinds/spec.js';
export * from './kinds/registry.js';
export * from './engine/graph.js';
export * from './transports/memory.js';
export * from './testing.js';
export { provideOnnxRuntime } from './model-backends/onnx.js';
