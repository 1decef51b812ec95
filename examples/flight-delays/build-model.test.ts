/**
 * The committed model files and test vectors are what build-model.ts makes:
 * anyone can rebuild them from code, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { build } from './build-model.js';

const here = (path: string) => new URL(path, import.meta.url);

describe('flight-delays model', () => {
  const built = build();

  it('is rebuilt byte for byte from code', () => {
    expect(Buffer.from(built.onnx).equals(readFileSync(here('models/flight-delay.onnx')))).toBe(true);
    expect(built.json).toBe(readFileSync(here('models/flight-delay.json'), 'utf8'));
    expect(JSON.stringify(built.vectors, null, 1) + '\n').toBe(readFileSync(here('test-vectors.json'), 'utf8'));
  });

  it('has sums that are exact in float32, so ONNX and JSON agree', () => {
    const leaves: number[] = [];
    const walk = (n: (typeof built.trees)[number]): void => {
      if ('leaf' in n) leaves.push(n.leaf);
      else {
        expect(Math.fround(n.threshold)).toBe(n.threshold);
        walk(n.left);
        walk(n.right);
      }
    };
    built.trees.forEach(walk);
    for (const l of leaves) expect(Number.isInteger(l * 4096)).toBe(true);
  });

  it('separates likely from unlikely delays on its test vectors', () => {
    const ps = built.vectors.map((v) => v.probability);
    expect(Math.min(...ps)).toBeLessThan(0.2);
    expect(Math.max(...ps)).toBeGreaterThan(0.7);
  });
});
