import { recordInfo, valueText } from '../types.js';
import type { KeyValueStore } from '../engine/state.js';
import { defineKind } from './spec.js';
import { DueIndex, durationProblems, eventTime, parseDuration, type TimeFn } from './time.js';

type KeyFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

const WATERMARK = 'wm';

export const dedupe = defineKind({
  kind: 'dedupe',
  category: 'transform',
  title: 'Dedupe',
  summary: 'Drop events seen before within a time window, by key or by an expression.',
  docs:
    'Passes on the first event of each identity and drops the ones that repeat it within `within` of event time. The ' +
    'identity is the record key, or `by` when it is set (an order id, say). Event time comes from `time` or else the ' +
    'record timestamp. Identities are remembered per partition, in a store backed by the compacted topic ' +
    "`<pipeline>.<node>.changelog`, and forgotten once the partition's watermark (its largest event time) is `within` " +
    'past their first sighting; so a producer retry or an at-least-once replay upstream is passed on once. Duplicates ' +
    'are only found within a partition: when `by` is not the key, re-key with select-key first so that copies meet.',
  params: [
    {
      name: 'by',
      type: 'expression',
      title: 'By',
      description: 'The identity of an event; left out, its key.',
      returns: 'key',
      placeholder: 'value.orderId',
    },
    {
      name: 'within',
      type: 'string',
      title: 'Within',
      description: 'How long an identity is remembered, in event time, e.g. 1h.',
      default: '1h',
      placeholder: '10m',
    },
    {
      name: 'time',
      type: 'expression',
      title: 'Event time',
      description: 'Event time of an event (milliseconds, ISO date or Date); left out, the record timestamp.',
      returns: 'time',
      placeholder: 'value.sentAt',
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: { from: 'input' },
  stateful: () => true,
  validate: (params) => durationProblems(params, ['within']),
  example: {
    params: { by: 'value.orderId', within: '10m' },
    events: [
      { value: { orderId: 7, amount: 5 }, timestamp: 0 },
      { value: { orderId: 7, amount: 5 }, timestamp: 60_000 },
      { value: { orderId: 8, amount: 2 }, timestamp: 120_000 },
      { value: { orderId: 7, amount: 5 }, timestamp: 660_000 },
    ],
    outputs: [
      { key: 'k', value: { orderId: 7, amount: 5 } },
      { key: 'k', value: { orderId: 8, amount: 2 } },
      { key: 'k', value: { orderId: 7, amount: 5 } },
    ],
  },
  create({ params, fns, store }) {
    if (!store) throw new Error('dedupe runs only inside the engine, which gives it its store');
    const within = parseDuration(params.within) ?? 3_600_000;
    const by = fns.by as KeyFn | undefined;
    const timeFn = fns.time as TimeFn | undefined;
    const indexes = new Map<number, DueIndex>();
    const index = (p: number, st: KeyValueStore) => {
      let ix = indexes.get(p);
      if (ix) return ix;
      ix = new DueIndex();
      for (const [k, v] of st.entries()) if (k.startsWith('d\u0000')) ix.add((v as number) + within, k);
      indexes.set(p, ix);
      return ix;
    };
    return {
      reset(partition) {
        indexes.delete(partition);
      },
      process(batch, _port, out) {
        for (const rec of batch) {
          let id: string;
          let t: number;
          try {
            const v = by ? by(rec.value, rec.key, recordInfo(rec)) : rec.key;
            if (v === null || v === undefined) throw new Error(by ? `the by expression returned ${String(v)}` : 'the event has no key to dedupe by; set `by`');
            id = `d\u0000${valueText(v)}`;
            t = eventTime(rec, timeFn);
          } catch (error) {
            out.fail(rec, error);
            continue;
          }
          const st = store.partition(rec.origin.partition);
          const ix = index(rec.origin.partition, st);
          const before = st.get(WATERMARK) as number | undefined;
          const wm = before === undefined ? t : Math.max(before, t);
          if (wm !== before) st.put(WATERMARK, wm);
          const first = st.get(id) as number | undefined;
          if (first === undefined || Math.abs(t - first) >= within) {
            if (first !== undefined) ix.remove(first + within, id);
            st.put(id, t);
            ix.add(t + within, id);
            out.emit('out', rec);
          }
          for (const k of ix.due(wm)) {
            const seen = st.get(k) as number | undefined;
            if (seen !== undefined && seen + within <= wm) st.delete(k);
          }
        }
      },
    };
  },
});
