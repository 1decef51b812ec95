/**
 * Builds the flight-delays example's model from code, and the test vectors
 * that check every backend against it:
 *
 *   node bin/run-ts.mjs examples/flight-delays/build-model.ts
 *
 * writes models/flight-delay.onnx, models/flight-delay.json (the same trees as
 * a LightGBM dump) and test-vectors.json (flights with the scores this file's
 * own evaluator gives them, independent of Pipewright's runtime). The same
 * seed gives the same bytes, and a test checks the committed files against a
 * fresh build.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delayed, features, makeFlights, rng, type Flight } from './flights.js';
import { lightgbmDump, margin, onnxModel, probability, train, type TreeNode } from './gbm.js';

export const TRAINING_SEED = 20240101;
export const VECTOR_SEED = 7;

export interface TestVector {
  flight: Flight;
  /** The model inputs, in order; null where a value is missing. */
  features: (number | null)[];
  margin: number;
  probability: number;
}

export interface Built {
  trees: TreeNode[];
  json: string;
  onnx: Uint8Array;
  vectors: TestVector[];
}

export function build(): Built {
  const flights = makeFlights(20_000, TRAINING_SEED);
  const r = rng(TRAINING_SEED + 1);
  const X = flights.map(features);
  const y = flights.map((f) => delayed(f, r));
  const trees = train(X, y, { trees: 12, depth: 3, learningRate: 0.4, minLeaf: 80, lambda: 1 });
  const vectors = makeFlights(200, VECTOR_SEED).map((flight) => {
    const x = features(flight);
    return { flight, features: x.map((v) => (Number.isNaN(v) ? null : v)), margin: margin(trees, x), probability: probability(trees, x) };
  });
  return {
    trees,
    json: JSON.stringify(lightgbmDump(trees), null, 1) + '\n',
    onnx: onnxModel(trees),
    vectors,
  };
}

const here = dirname(fileURLToPath(import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = build();
  writeFileSync(join(here, 'models/flight-delay.json'), built.json);
  writeFileSync(join(here, 'models/flight-delay.onnx'), built.onnx);
  writeFileSync(join(here, 'test-vectors.json'), JSON.stringify(built.vectors, null, 1) + '\n');
  const ps = built.vectors.map((v) => v.probability);
  process.stdout.write(
    `wrote models/flight-delay.onnx (${built.onnx.length} bytes), models/flight-delay.json, test-vectors.json (${ps.length} vectors, ` +
      `probability ${Math.min(...ps).toFixed(3)}–${Math.max(...ps).toFixed(3)}, ${ps.filter((p) => p >= 0.5).length} at or above 0.5)\n`,
  );
}
