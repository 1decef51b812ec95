/**
 * The ONNX backend on the flight-delays example's model, in onnxruntime-node
 * and onnxruntime-web (wasm, in Node here), against the scores of the
 * example's own evaluator; and the ONNX reader that validation relies on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Prediction } from './common.js';
import { onnxScorer, type OrtModule } from './onnx.js';
import { onnxLayout, readOnnxInfo } from './onnx-info.js';

const EXAMPLE = new URL('../../examples/flight-delays/', import.meta.url);
const FEATURES = ['dep_hour', 'day_of_week', 'distance', 'inbound_delay', 'precipitation'];
const vectors = JSON.parse(readFileSync(new URL('test-vectors.json', EXAMPLE), 'utf8')) as { features: (number | null)[]; probability: number }[];
const rows = vectors.map((v) => Object.fromEntries(FEATURES.map((f, i) => [f, v.features[i]])));
const bytes = new Uint8Array(readFileSync(new URL('models/flight-delay.onnx', EXAMPLE)));

async function ort(name: 'onnxruntime-node' | 'onnxruntime-web'): Promise<OrtModule> {
  const m = (await import(name)) as OrtModule & { default?: OrtModule; env?: { wasm: { numThreads: number } } };
  const mod = (m.InferenceSession ? m : m.default) as OrtModule & { env?: { wasm: { numThreads: number } } };
  if (name === 'onnxruntime-web' && mod.env) mod.env.wasm.numThreads = 1;
  return mod;
}

const scores = new Map<string, number[]>();

describe.each(['onnxruntime-node', 'onnxruntime-web'] as const)('%s', (name) => {
  it('scores the test vectors within 1e-6 of the expected probabilities, in batches', async () => {
    const scorer = await onnxScorer(bytes, { batchSize: 64, ort: await ort(name) });
    expect(scorer.features).toEqual(FEATURES);
    const out = await scorer.score(rows);
    expect(out.filter((p) => p instanceof Error)).toEqual([]);
    const got = (out as Prediction[]).map((p) => p.score);
    got.forEach((s, i) => expect(Math.abs(s - vectors[i].probability), `vector ${i}`).toBeLessThan(1e-6));
    scores.set(name, got);
    await scorer.close?.();
  }, 60_000);

  it('fails only the rows it cannot convert', async () => {
    const scorer = await onnxScorer(bytes, { batchSize: 64, ort: await ort(name) });
    const out = await scorer.score([rows[0], { ...rows[1], distance: 'far' }, rows[2]]);
    expect((out[0] as Prediction).score).toBeCloseTo(vectors[0].probability, 6);
    expect((out[1] as Error).message).toMatch(/"distance" must be a number/);
    expect((out[2] as Prediction).score).toBeCloseTo(vectors[2].probability, 6);
  }, 60_000);
});

describe('onnxruntime-node and onnxruntime-web', () => {
  it('give the same scores', () => {
    const node = scores.get('onnxruntime-node');
    const web = scores.get('onnxruntime-web');
    expect(node && web).toBeTruthy();
    node!.forEach((s, i) => expect(Math.abs(s - web![i])).toBeLessThan(1e-6));
  });
});

describe('the ONNX reader', () => {
  it('reads inputs, outputs, opsets and feature names', () => {
    const info = readOnnxInfo(bytes);
    expect(info.inputs).toEqual([{ name: 'features', elemType: 1, dims: ['N', 5], kind: 'tensor' }]);
    expect(info.outputs.map((o) => o.name)).toEqual(['probability']);
    expect(info.opsets).toContainEqual({ domain: 'ai.onnx.ml', version: 3 });
    expect(onnxLayout(info)).toMatchObject({ mode: 'columns', features: FEATURES, width: 5 });
  });

  it('rejects bytes that are not a model with a clear message', () => {
    expect(() => readOnnxInfo(new TextEncoder().encode('{"type":"linear"}'))).toThrow(/not an ONNX model/);
    expect(() => readOnnxInfo(bytes.subarray(0, 100))).toThrow(/not an ONNX model/);
  });

  it('fails loading with the reason when onnxruntime cannot load the model', async () => {
    // A valid header around a graph whose node onnxruntime does not know.
    const broken = bytes.slice();
    const at = Buffer.from(broken).indexOf('Sigmoid');
    broken.set(new TextEncoder().encode('Sigmaid'), at);
    await expect(onnxScorer(broken, { batchSize: 8, ort: await ort('onnxruntime-node') })).rejects.toThrow(/onnxruntime cannot load the model/);
  });
});
