import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './murmur2.js';

// Reference values from the Java client's own test of Utils.murmur2.
const REFERENCE: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

describe('murmur2', () => {
  it.each(REFERENCE)('hashes %s as the Java client does', (input, expected) => {
    expect(murmur2(new TextEncoder().encode(input))).toBe(expected);
  });

  it('maps a key to a partition in range and always the same one', () => {
    for (const key of ['a', 'customer-42', 'ünïcode', '']) {
      const p = partitionForKey(key, 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
      expect(partitionForKey(key, 6)).toBe(p);
    }
  });
});
