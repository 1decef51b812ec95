import { describe, expect, it } from 'vitest';
import { shapeDifferences } from './infer.js';

describe('shapeDifferences', () => {
  it('names missing, extra and retyped fields, nested ones by their path', () => {
    const samples = [{ orderId: 1, amount: 250, customer: { id: 'c-1' } }];
    const messages = [{ orderId: '1', customer: { id: 'c-1', tier: 'gold' }, currency: 'EUR' }];
    expect(shapeDifferences(samples, messages)).toEqual([
      'orderId is number in the samples but string in the messages',
      'field amount is in the samples but in none of the messages',
      'field customer.tier is in the messages but not in the samples',
      'field currency is in the messages but not in the samples',
    ]);
  });

  it('the same shape: nothing to say', () => {
    expect(
      shapeDifferences(
        [{ a: 1, b: ['x'] }],
        [
          { a: 2, b: ['y', 'z'] },
          { a: 3, b: [] },
        ],
      ),
    ).toEqual([]);
    expect(shapeDifferences(['plain'], [{ a: 1 }])).toEqual(['the value is string in the samples but { a: number; } in the messages']);
  });
});
