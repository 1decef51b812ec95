import { describe, expect, it } from 'vitest';
import { oneNode } from '../../test/harness/one-node.js';
import { DEAD_LETTER_HEADERS } from '../types.js';

describe('flat-map', () => {
  it('emits one event per element, in order, with the key of the event it came from', async () => {
    const node = oneNode('flat-map', {}, { to: (v: { text: string }) => v.text.split(' ').map((word) => ({ word })) });
    const r = await node.run(
      [
        { key: 'a', value: { text: 'to be or' } },
        { key: 'b', value: { text: 'not' } },
      ],
      { keyed: true },
    );
    expect(r.out.out).toEqual([{ word: 'to' }, { word: 'be' }, { word: 'or' }, { word: 'not' }]);
    expect(r.keys.out).toEqual(['a', 'a', 'a', 'b']);
  });

  it('drops an event whose array is empty', async () => {
    const r = await oneNode('flat-map', {}, { to: () => [] }).run([{ n: 1 }]);
    expect(r.out.out).toEqual([]);
    expect(r.dead).toEqual([]);
  });

  it('sends an event to the dead-letter topic when the expression does not return an array, or throws', async () => {
    const to = (v: { items: unknown }) => (Array.isArray(v.items) ? v.items.map((i: { n?: number }) => i.n) : v.items);
    const r = await oneNode('flat-map', {}, { to }).run([{ items: 3 }, { items: [{ n: 1 }, {}] }, { items: [{ n: 2 }] }]);
    expect(r.out.out).toEqual([2]);
    expect(r.dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual([
      'the flat-map expression returned number, not an array',
      'element 1 of the array the flat-map expression returned is undefined',
    ]);
  });
});
