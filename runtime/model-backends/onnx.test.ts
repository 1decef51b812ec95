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
    expect(got).toHaveLength(vectors.length);
    expect(vectors.length).toBeGreaterThan(0);
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
    expect(node?.length).toBe(vectors.length);
    expect(web?.length).toBe(vectors.length);
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

describe('ONNX models of other shapes', () => {
  // Small models written with the example's ONNX writer.
  const writer = import('../../examples/flight-delays/onnx-writer.js');

  it('a classifier with a label and a probabilities output (no ZipMap)', async () => {
    const { encodeModel } = await writer;
    // One stump on x <= 0.5 over three classes: left leaf P = [0.5, 0.25, 0.25], right leaf P = [0.125, 0.125, 0.75].
    const model = encodeModel({
      producer: 'test',
      opsets: [
        { domain: '', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
      inputs: [{ name: 'X', elemType: 1, dims: ['N', 1] }],
      outputs: [
        { name: 'label', elemType: 7, dims: ['N'] },
        { name: 'probabilities', elemType: 1, dims: ['N', 3] },
      ],
      nodes: [
        {
          opType: 'TreeEnsembleClassifier',
          domain: 'ai.onnx.ml',
          name: 'stump',
          inputs: ['X'],
          outputs: ['label', 'probabilities'],
          attributes: {
            nodes_treeids: { ints: [0, 0, 0] },
            nodes_nodeids: { ints: [0, 1, 2] },
            nodes_featureids: { ints: [0, 0, 0] },
            nodes_modes: { strings: ['BRANCH_LEQ', 'LEAF', 'LEAF'] },
            nodes_values: { floats: [0.5, 0, 0] },
            nodes_truenodeids: { ints: [1, 0, 0] },
            nodes_falsenodeids: { ints: [2, 0, 0] },
            class_treeids: { ints: [0, 0, 0, 0, 0, 0] },
            class_nodeids: { ints: [1, 1, 1, 2, 2, 2] },
            class_ids: { ints: [0, 1, 2, 0, 1, 2] },
            class_weights: { floats: [0.5, 0.25, 0.25, 0.125, 0.125, 0.75] },
            classlabels_int64s: { ints: [7, 8, 9] },
            post_transform: { s: 'NONE' },
          },
        },
      ],
      metadata: { feature_names: '["x"]' },
    });
    const scorer = await onnxScorer(model, { batchSize: 16, ort: await ort('onnxruntime-node') });
    expect(scorer.features).toEqual(['x']);
    const out = (await scorer.score([{ x: 0 }, { x: 1 }])) as Prediction[];
    expect(out).toEqual([
      { score: 0.5, label: 7, probabilities: [0.5, 0.25, 0.25] },
      { score: 0.75, label: 9, probabilities: [0.125, 0.125, 0.75] },
    ]);
  });

  it('one input per feature, named like it', async () => {
    const { encodeModel } = await writer;
    const model = encodeModel({
      producer: 'test',
      opsets: [{ domain: '', version: 17 }],
      inputs: [
        { name: 'a', elemType: 1, dims: ['N', 1] },
        { name: 'b', elemType: 1, dims: ['N', 1] },
      ],
      outputs: [{ name: 'sum', elemType: 1, dims: ['N', 1] }],
      nodes: [{ opType: 'Add', domain: '', name: 'add', inputs: ['a', 'b'], outputs: ['sum'], attributes: {} }],
      metadata: {},
    });
    const info = readOnnxInfo(model);
    expect(onnxLayout(info)).toMatchObject({ mode: 'named' });
    for (const name of ['onnxruntime-node', 'onnxruntime-web'] as const) {
      const scorer = await onnxScorer(model, { batchSize: 2, ort: await ort(name) });
      expect(scorer.features).toEqual(['a', 'b']);
      const out = await scorer.score([
        { a: 1, b: 2 },
        { a: 0.5, b: 0.25 },
        { a: -1, b: 1 },
      ]);
      expect(out).toEqual([{ score: 3 }, { score: 0.75 }, { score: 0 }]);
    }
  });

  it('refuses outputs that are not tensors, with the fix', async () => {
    const { encodeModel } = await writer;
    const model = encodeModel({
      producer: 'test',
      opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'X', elemType: 1, dims: ['N', 2] }],
      outputs: [{ name: 'Y', elemType: 1, dims: ['N', 2] }],
      nodes: [{ opType: 'Identity', domain: '', name: 'id', inputs: ['X'], outputs: ['Y'], attributes: {} }],
      metadata: {},
    });
    // As the reader reports a ZipMap output (a sequence of maps, TypeProto field 4):
    const info = readOnnxInfo(model);
    info.outputs[0].kind = 'sequence';
    expect(() => onnxLayout(info)).toThrow(/not a tensor; export classifiers without ZipMap/);
  });
});
