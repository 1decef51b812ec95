import { describe, expect, test } from 'vitest';
import { sampleMismatch } from './shape.js';

describe('sampleMismatch', () => {
  test('names fields only one side has, and fields whose types differ, with their paths', () => {
    const samples = [{ orderId: 1, amount: 250, customer: { id: 'c1', tier: 'gold' } }];
    const real = [{ orderId: 'o-1', amount: 99.5, customer: { id: 'c2' }, currency: 'EUR' }];
    expect(sampleMismatch(samples, real)).toEqual([
      'value.orderId: the samples have number, the topic has string',
      'value.customer.tier: in the samples, not on the topic',
      'value.currency: on the topic, not in the samples (string)',
    ]);
  });

  test('says nothing when the shapes agree, or when there were no samples to compare with', () => {
    expect(sampleMismatch([{ a: 1, b: { c: 'x' } }], [{ a: 2, b: { c: 'y' } }, { a: 3, b: { c: 'z' } }])).toEqual([]);
    expect(sampleMismatch(undefined, [{ a: 1 }])).toEqual([]);
  });

  test('a whole value of another type is one line', () => {
    expect(sampleMismatch([{ a: 1 }], ['plain text'])).toEqual(['the value: the samples have object, the topic has string']);
  });
});
