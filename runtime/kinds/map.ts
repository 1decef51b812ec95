import { recordInfo } from '../types.js';
import { defineKind, eachRecord } from './spec.js';

type Projection = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

export const map = defineKind({
  kind: 'map',
  category: 'transform',
  title: 'Map',
  summary: 'Turn each event into a new one with an expression.',
  docs:
    'Evaluates `to` for every event and passes the result on in its place, with the same key and timestamp. ' +
    'The type of the result becomes the type of the events downstream. An expression that throws, or ' +
    "returns `undefined`, sends the event to the error port. A table's deletes (see table) pass by key, unevaluated.",
  params: [
    {
      name: 'to',
      type: 'expression',
      title: 'To',
      description: 'A TypeScript expression giving the new event, for example an object literal in parentheses.',
      required: true,
      returns: 'any',
      placeholder: '({ ...value, total: value.amount * 1.2 })',
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: { from: 'expression', param: 'to' },
  example: { params: { to: '({ total: value.amount * 2 })' }, input: { amount: 2 }, output: { total: 4 } },
  create({ fns }) {
    const to = fns.to as Projection;
    return {
      process(batch, _port, out) {
        eachRecord(batch, out, (rec) => {
          // A table's delete stays a delete of the same key.
          if (rec.deleted) return out.emit('out', rec);
          const value = to(rec.value, rec.key, recordInfo(rec));
          if (value === undefined) throw new Error('the map expression returned undefined');
          out.emit('out', { ...rec, value });
        });
      },
    };
  },
});
