import { recordInfo } from '../types.js';
import { defineKind, eachRecord } from './spec.js';

type Expand = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

export const flatMap = defineKind({
  kind: 'flat-map',
  category: 'transform',
  title: 'Flat map',
  summary: 'Turn each event into zero, one or many events with an expression that returns an array.',
  docs:
    'Evaluates `to` for every event; it must return an array, and each element becomes an event of its own, ' +
    'in order, with the key, timestamp and headers of the event it came from. An empty array drops the event. ' +
    'Splitting a sentence into words is the classic use: `value.text.split(" ")`. The element type of the array ' +
    'becomes the type of the events downstream. An expression that throws or returns something other than an ' +
    'array, or an array with `undefined` in it, sends the event to the error port.',
  params: [
    {
      name: 'to',
      type: 'expression',
      title: 'To',
      description: 'A TypeScript expression giving an array; one event per element.',
      required: true,
      returns: 'array',
      placeholder: 'value.items.map((item) => ({ orderId: value.id, ...item }))',
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: { from: 'expression', param: 'to', element: true },
  example: {
    params: { to: 'value.words.map((word) => ({ word }))' },
    input: { words: ['hello'] },
    output: { word: 'hello' },
  },
  create({ fns }) {
    const to = fns.to as Expand;
    return {
      process(batch, _port, out) {
        eachRecord(batch, out, (rec) => {
          const items = to(rec.value, rec.key, recordInfo(rec));
          if (!Array.isArray(items)) throw new Error(`the flat-map expression returned ${items === null ? 'null' : typeof items}, not an array`);
          const i = items.indexOf(undefined);
          if (i >= 0) throw new Error(`element ${i} of the array the flat-map expression returned is undefined`);
          for (const value of items) out.emit('out', { ...rec, value });
        });
      },
    };
  },
});
