/**
 * A running aggregation per key, without windows: Kafka Streams'
 * groupByKey().count() / aggregate() / reduce(), ksqlDB's GROUP BY ... EMIT
 * CHANGES. The result of every key is a table: each change of a key's
 * aggregate is emitted under that key, so the output topic (compacted) holds
 * the latest result per key.
 */
import { recordInfo, type Rec } from '../types.js';
import type { KeyValueStore } from '../engine/state.js';
import { defineKind, type Emitter, type KindProblem } from './spec.js';
import { parseDuration } from './time.js';

type ValueFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>, acc?: unknown) => unknown;

const AGGREGATES = ['sum', 'avg', 'min', 'max', 'collect', 'latest'] as const;

/** The bound of `collect` when `limit` is left out, and the most it can be. */
export const COLLECT_LIMIT = 100;
export const COLLECT_LIMIT_MAX = 1000;

/** One key's aggregate, as the store and the changelog hold it. */
interface Agg {
  /** Events counted. */
  n: number;
  sum?: number;
  /** Sum of the `avg` expression. */
  a?: number;
  min?: number;
  max?: number;
  c?: unknown[];
  /** latest: the last value of its expression (null for undefined). */
  l?: unknown;
  /** The reducer's accumulator. */
  r?: unknown;
  /** Timestamp and offset of the last event that changed it. */
  t: number;
  o: string;
  /** With an emit interval: changed since it was last emitted. Kept in the changelog, so a new owner emits it. */
  p?: 1;
}

const PREFIX = 'a\u0000';

function numberOf(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (v === null || v === undefined || v === '' || !Number.isFinite(n))
    throw new Error(`the ${name} expression gave ${JSON.stringify(v) ?? String(v)}, not a number`);
  return n;
}

export const aggregate = defineKind({
  kind: 'aggregate',
  category: 'transform',
  title: 'Aggregate',
  summary: 'Count and aggregate events per key as they arrive, without windows, and emit each new result (a table).',
  docs:
    "Keeps a running aggregate per record key, for ever (no windows), as Kafka Streams' `groupByKey().count()`, " +
    "`aggregate()` and `reduce()` and ksqlDB's `GROUP BY ... EMIT CHANGES` do. Every result has `key` and `count`, plus " +
    '`sum`, `avg`, `min` and `max` of their expressions, `collect` (the last `limit` values of its expression, oldest ' +
    'first: at most 100 unless `limit` says otherwise, and never more than 1000, because each change writes the whole list ' +
    'to the changelog), `latest` (the value of its expression in the last event) and `reduce`, for those that are set.\n\n' +
    "**Custom reducer:** `reduce` is an expression over `acc` (the key's result so far) and the event (`value`, `key`, " +
    "`record`) that returns the new result. `acc` starts as what `initial` returns for the key's first event (Kafka " +
    "Streams' initializer); without `initial`, the first event's value is the result (Kafka Streams' reduce). Both are " +
    'type-checked: `reduce` must return the type `initial` returns. The result must be JSON data.\n\n' +
    "**Emitting:** with `emitInterval` left out (or 0s), every event emits its key's new result (EMIT CHANGES). With " +
    "`emitInterval: 10s`, results are held and each changed key is emitted at most once per interval of the replica's " +
    "clock, with its latest result, as Kafka Streams' record cache does at each commit interval; what is held is also " +
    'emitted when the replica shuts down, and it is marked in the changelog, so a crash loses no result: the new owner ' +
    'emits it. Results are keyed by the group key and carry the timestamp of the last event, so the output topic is a ' +
    'table: Pipewright creates the topic of a Kafka sink fed by an aggregate compacted.\n\n' +
    'The aggregates are kept per partition in a store backed by the compacted topic `<pipeline>.<node>.changelog`, ' +
    'restored by a new owner of the partition, with the last input offset they reflect, so replays after a crash are ' +
    'not counted twice. Events are grouped by their record key: re-key with select-key first to group by a field. An ' +
    'event without a key, or whose expressions fail, goes to the error port and changes nothing.',
  params: [
    { name: 'sum', type: 'expression', title: 'Sum', description: 'A number to add up per key, as `sum`.', returns: 'number', placeholder: 'value.units' },
    { name: 'avg', type: 'expression', title: 'Average', description: 'A number to average per key, as `avg`.', returns: 'number', placeholder: 'value.price' },
    {
      name: 'min',
      type: 'expression',
      title: 'Minimum',
      description: 'A number whose smallest value per key is `min`.',
      returns: 'number',
      placeholder: 'value.price',
    },
    {
      name: 'max',
      type: 'expression',
      title: 'Maximum',
      description: 'A number whose largest value per key is `max`.',
      returns: 'number',
      placeholder: 'value.price',
    },
    {
      name: 'collect',
      type: 'expression',
      title: 'Collect',
      description: 'A value to collect into the list `collect`: the last `limit` values, oldest first.',
      returns: 'any',
      placeholder: 'value.orderId',
    },
    {
      name: 'limit',
      type: 'integer',
      title: 'Collect limit',
      description: `How many values \`collect\` keeps per key (the latest ones); ${COLLECT_LIMIT} by default, at most ${COLLECT_LIMIT_MAX}.`,
      min: 1,
      max: COLLECT_LIMIT_MAX,
      placeholder: String(COLLECT_LIMIT),
    },
    {
      name: 'latest',
      type: 'expression',
      title: 'Latest',
      description: 'A value whose value in the last event of the key is `latest`.',
      returns: 'any',
      placeholder: 'value.status',
    },
    {
      name: 'initial',
      type: 'expression',
      title: 'Initial',
      description: "The reducer's starting result for a new key, from its first event; left out, the first event's value.",
      returns: 'any',
      placeholder: '({ orders: 0, units: 0 })',
    },
    {
      name: 'reduce',
      type: 'expression',
      title: 'Reduce',
      description: 'The new result from `acc` (the result so far) and the event, as `reduce`.',
      returns: 'any',
      acc: 'initial',
      placeholder: '({ orders: acc.orders + 1, units: acc.units + value.units })',
    },
    {
      name: 'emitInterval',
      type: 'string',
      title: 'Emit interval',
      description: 'Emit each changed key at most once per interval, with its latest result, e.g. 10s; 0s (the default) emits every change.',
      default: '0s',
      placeholder: '10s',
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: {
    from: 'type',
    type: (params, inputs, expressionType) => {
      const fields = ['key: string', 'count: number'];
      for (const a of AGGREGATES) {
        if (typeof params[a] !== 'string' || params[a] === '') continue;
        fields.push(a === 'collect' ? 'collect: unknown[]' : a === 'latest' ? 'latest: unknown' : `${a}: number`);
      }
      if (typeof params.reduce === 'string' && params.reduce !== '') {
        const acc = typeof params.initial === 'string' && params.initial !== '' ? (expressionType?.('initial') ?? 'unknown') : (inputs.in ?? 'unknown');
        fields.push(`reduce: ${acc}`);
      }
      return `{ ${fields.join('; ')} }`;
    },
  },
  stateful: () => true,
  tableOutput: true,
  validate(params) {
    const problems: KindProblem[] = [];
    const interval = params.emitInterval;
    if (interval !== undefined && interval !== null && interval !== '' && parseDuration(interval) === undefined) {
      problems.push({
        param: 'emitInterval',
        code: 'PW100',
        message: `emitInterval "${String(interval)}" is not a duration`,
        hint: 'Write a number with a unit: ms, s, m, h or d, e.g. emitInterval: 10s; 0s emits every change.',
      });
    }
    const set = (name: keyof typeof params) => typeof params[name] === 'string' && params[name] !== '';
    if (set('initial') && !set('reduce')) {
      problems.push({
        param: 'initial',
        code: 'PW101',
        message: 'initial is set, but there is no reduce expression to start from it',
        hint: 'Add reduce: an expression over acc and the event that returns the new result, e.g. reduce: acc + value.units; or remove initial.',
      });
    }
    if (params.limit !== undefined && !set('collect')) {
      problems.push({
        param: 'limit',
        code: 'PW102',
        message: 'limit bounds the collect list, and collect is not set',
        hint: 'Add collect: the value to collect per key, e.g. collect: value.orderId; or remove limit.',
      });
    }
    return problems;
  },
  example: {
    params: { sum: 'value.units' },
    events: [
      { key: 'product-10', value: { units: 2 }, timestamp: Date.UTC(2024, 0, 1, 8, 5) },
      { key: 'product-11', value: { units: 1 }, timestamp: Date.UTC(2024, 0, 1, 8, 20) },
      { key: 'product-10', value: { units: 3 }, timestamp: Date.UTC(2024, 0, 1, 8, 40) },
    ],
    // Outputs as the topic holds them, partition by partition (each key in order).
    outputs: [
      { key: 'product-11', value: { key: 'product-11', count: 1, sum: 1 } },
      { key: 'product-10', value: { key: 'product-10', count: 1, sum: 2 } },
      { key: 'product-10', value: { key: 'product-10', count: 2, sum: 5 } },
    ],
  },
  create({ params, fns, store }) {
    if (!store) throw new Error('aggregate runs only inside the engine, which gives it its store');
    const interval = parseDuration(params.emitInterval) ?? 0;
    const f: AggregateFns = {
      limit: typeof params.limit === 'number' ? params.limit : COLLECT_LIMIT,
      aggs: AGGREGATES.filter((a) => fns[a]).map((a) => [a, fns[a] as ValueFn] as const),
      initialFn: fns.initial as ValueFn | undefined,
      reduceFn: fns.reduce as ValueFn | undefined,
    };
    const result = (sk: string, a: Agg, topic: string, partition: number) => aggregateResult(f, sk, a, topic, partition);

    /** Per partition, with an emit interval: the keys held back, and when they were last emitted. */
    interface Held {
      keys: Set<string>;
      last?: number;
    }
    const held = new Map<number, Held>();
    function heldOf(p: number, st: KeyValueStore): Held {
      let h = held.get(p);
      if (h) return h;
      h = { keys: new Set() };
      // Rebuilt from the store: keys the changelog says are not emitted yet.
      for (const [k, v] of st.entries()) if (k.startsWith(PREFIX) && (v as Agg).p) h.keys.add(k);
      held.set(p, h);
      return h;
    }

    function emitHeld(partition: number, st: KeyValueStore, h: Held, topic: string, out: Emitter) {
      for (const sk of h.keys) {
        const a = st.get(sk) as Agg | undefined;
        if (!a) continue;
        out.emit('out', result(sk, a, topic, partition));
        const { p: _p, ...emitted } = a;
        st.put(sk, emitted);
      }
      h.keys.clear();
    }

    return {
      punctuateEvery: interval > 0 ? Math.min(1000, Math.max(50, Math.floor(interval / 4))) : undefined,
      reset(partition) {
        held.delete(partition);
      },
      punctuate(partition, now, out, final, topic) {
        if (interval <= 0 || !store.holds(partition)) return;
        const st = store.partition(partition);
        const h = heldOf(partition, st);
        if (h.last === undefined) h.last = now;
        if (!final && now - h.last < interval) return;
        h.last = now;
        if (h.keys.size > 0) emitHeld(partition, st, h, topic, out);
      },
      process(batch, _port, out) {
        for (const rec of batch) {
          const p = rec.origin.partition;
          const st = store.partition(p);
          if (rec.key === null) {
            out.fail(rec, new Error('the event has no key; aggregate groups by key, so give it one with select-key'));
            continue;
          }
          const sk = PREFIX + rec.key;
          let a: Agg;
          try {
            a = updateAgg(f, st.get(sk) as Agg | undefined, rec);
          } catch (error) {
            out.fail(rec, error);
            continue;
          }
          if (interval > 0) {
            a.p = 1;
            st.put(sk, a);
            heldOf(p, st).keys.add(sk);
          } else {
            st.put(sk, a);
            out.emit('out', result(sk, a, rec.origin.topic, p));
          }
        }
      },
    };
  },
});

/** An aggregate node's compiled expressions, and how many values `collect` keeps. */
interface AggregateFns {
  aggs: (readonly [(typeof AGGREGATES)[number], ValueFn])[];
  limit: number;
  initialFn: ValueFn | undefined;
  reduceFn: ValueFn | undefined;
}

/** The record an aggregate's result goes out as. */
function aggregateResult({ aggs, reduceFn }: AggregateFns, sk: string, a: Agg, topic: string, partition: number): Rec {
  const key = sk.slice(PREFIX.length);
  const value: Record<string, unknown> = { key, count: a.n };
  for (const [name] of aggs) {
    if (name === 'sum') value.sum = a.sum ?? 0;
    else if (name === 'avg') value.avg = a.n ? (a.a ?? 0) / a.n : null;
    else if (name === 'min') value.min = a.min ?? null;
    else if (name === 'max') value.max = a.max ?? null;
    else if (name === 'collect') value.collect = a.c ?? [];
    else value.latest = a.l ?? null;
  }
  if (reduceFn) value.reduce = a.r ?? null;
  return { key, value, timestamp: a.t, headers: {}, origin: { topic, partition, offset: a.o } };
}

/** The aggregate of a key after `rec`: a copy of `before` (none for a new key) with the record's values added. */
function updateAgg({ aggs, limit, initialFn, reduceFn }: AggregateFns, before: Agg | undefined, rec: Rec): Agg {
  const info = recordInfo(rec);
  const a: Agg = before ? { ...before } : { n: 0, t: rec.timestamp, o: rec.origin.offset };
  // Every expression runs before anything changes: one that fails leaves the aggregate as it was.
  for (const [name, fn] of aggs) {
    const v = fn(rec.value, rec.key, info);
    if (name === 'collect') {
      const list = [...(a.c ?? []), v === undefined ? null : v];
      a.c = list.length > limit ? list.slice(list.length - limit) : list;
    } else if (name === 'latest') a.l = v === undefined ? null : v;
    else {
      const n = numberOf(name, v);
      if (name === 'sum') a.sum = (a.sum ?? 0) + n;
      else if (name === 'avg') a.a = (a.a ?? 0) + n;
      else if (name === 'min') a.min = a.min === undefined ? n : Math.min(a.min, n);
      else a.max = a.max === undefined ? n : Math.max(a.max, n);
    }
  }
  if (reduceFn) {
    let acc: unknown;
    if (before) acc = before.r;
    else if (initialFn) acc = initialFn(rec.value, rec.key, info);
    const next = !before && !initialFn ? rec.value : reduceFn(rec.value, rec.key, info, acc);
    if (next === undefined || typeof next === 'function' || typeof next === 'bigint' || typeof next === 'symbol') {
      throw new Error(`the reduce expression gave ${typeof next === 'undefined' ? 'undefined' : `a ${typeof next}`}, not JSON data`);
    }
    a.r = next;
  }
  a.n++;
  a.t = rec.timestamp;
  a.o = rec.origin.offset;
  return a;
}
