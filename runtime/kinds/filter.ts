import { recordInfo } from '../types.js';
import { defineKind, eachRecord } from './spec.js';

type Predicate = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

export const filter = defineKind({
  kind: 'filter',
  category: 'transform',
  title: 'Filter',
  summary: 'Keep the events for which an expression is true.',
  docs:
    'Evaluates `where` for every event. Events for which it is truthy go on; the rest are dropped. ' +
    'The expression sees `value` (the event), `key` and `record` (timestamp, headers, topic, partition, offset). ' +
    "An expression that throws sends the event to the error port. A table's deletes (see table) pass by key, unevaluated, and a table's row that is not kept becomes a delete of its key.",
  params: [
    {
      name: 'where',
      type: 'expression',
      title: 'Where',
      description: 'A TypeScript expression; events for which it is true are kept.',
      required: true,
      returns: 'boolean',
      placeholder: 'value.amount > 100',
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: { from: 'input' },
  example: { params: { where: 'value.amount > 100' }, input: { amount: 250 }, output: { amount: 250 } },
  create({ fns }) {
    const where = fns.where as Predicate;
    return {
      process(batch, _port, out) {
        eachRecord(batch, out, (rec) => {
          // A table's delete goes on by key: whether the row passed cannot be told from nothing.
          if (rec.deleted) return out.emit('out', rec);
          if (where(rec.value, rec.key, recordInfo(rec))) out.emit('out', rec);
          // A table's row that does not pass leaves the filtered table: a delete of its key.
          else if (rec.table) out.emit('out', { ...rec, value: null, deleted: true });
        });
      },
    };
  },
});
