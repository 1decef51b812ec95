import { keyText, recordInfo, type Rec } from '../types.js';
import type { KeyValueStore, PartitionedStore } from '../engine/state.js';
import { defineKind, type KindProblem, type Operator } from './spec.js';
import { durationProblems, iso, parseDuration } from './time.js';

type KeyFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

/** A buffered event of one side of a stream–stream join. */
interface Buffered {
  t: number;
  v: unknown;
}

const WATERMARK = 'wm';
const FIELD = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

export const join = defineKind({
  kind: 'join',
  category: 'transform',
  title: 'Join',
  summary: 'Enrich events with the latest row of a table, join two tables, or join two streams within a time window.',
  docs:
    'Adds a field `as` to each event on `in` (an object) with what it matches on `other`.\n\n' +
    '**mode: table** (enrichment, like a Kafka Streams GlobalKTable): the topic feeding `other` is a table, a ' +
    'compacted topic whose key is the row key and whose latest value per key is the row. Every replica reads that ' +
    'topic in full, from the beginning, outside the consumer group, and keeps following it; so the stream needs no ' +
    'co-partitioning or re-keying, and `on` can look up any field. The topic is its own changelog: nothing else is ' +
    'stored. An event whose lookup key (`on`, or its own key) has no row gets `null` (`how: left`) or is dropped ' +
    '(`how: inner`). A kafka-source decodes values as events, so a tombstone (a null value) on a JSON topic goes to ' +
    'the dead-letter topic and rows are only replaced; to delete rows, read the topic with a `table` node.\n\n' +
    '**A `table` node on `other`** (stream–table join, like a Kafka Streams KStream–KTable join): the table is ' +
    'partitioned, not global. Each event on `in` looks up the row of its own key (`on` is not allowed: re-key the ' +
    "stream with select-key first) in the table's rows of the same partition, so both must be co-partitioned: keyed " +
    'alike and with the same number of partitions. A table delete removes the row: later events of that key get ' +
    '`null` (`how: left`) or are dropped (`how: inner`); events before it keep what they were joined with. Table ' +
    'changes emit nothing on their own.\n\n' +
    '**`table` nodes on both `in` and `other`** (table–table join, like a KTable–KTable join): the output is a table ' +
    'too, keyed like both sides, which must be co-partitioned. An update on either side emits the joined row of ' +
    'that key again, with the latest row of the other side. `how: inner`: a key is joined only while both sides ' +
    'have a row; a delete on either side emits a delete of the joined row. `how: left`: a key is joined while `in` ' +
    'has a row, with `null` for a missing `other` row; a delete on `other` emits the row again with `null`, a ' +
    "delete on `in` emits a delete. The join keeps no state of its own: it reads both tables' rows, restored from " +
    'their own topics.\n\n' +
    '**mode: stream** (windowed stream–stream join): both inputs must be keyed alike and have the same number of ' +
    'partitions (re-key with select-key first if not). Events whose keys are equal and whose record timestamps are at ' +
    'most `within` apart are joined (inner join), one output per pair. Both sides are buffered per partition in a store ' +
    'backed by the compacted topic `<pipeline>.<node>.changelog`, and forgotten when the watermark (the largest ' +
    'timestamp seen in the partition) has passed them by twice `within` plus `grace`; events older than the watermark ' +
    'minus `within` and `grace` are late and go to the error port.',
  params: [
    {
      name: 'mode',
      type: 'enum',
      title: 'Mode',
      description: 'Enrich from a table topic, or join two streams within a window.',
      enum: ['table', 'stream'],
      default: 'table',
    },
    { name: 'as', type: 'string', title: 'As', description: 'Name of the field that receives the match.', default: 'joined', placeholder: 'customer' },
    {
      name: 'on',
      type: 'expression',
      title: 'On',
      description: 'Table mode: the table key to look up for an event on `in`; left out, the event key.',
      returns: 'key',
      port: 'in',
      placeholder: 'value.customerId',
    },
    {
      name: 'how',
      type: 'enum',
      title: 'How',
      description: 'Table mode: keep events without a match (left, with null) or drop them (inner).',
      enum: ['left', 'inner'],
      default: 'left',
    },
    {
      name: 'within',
      type: 'string',
      title: 'Within',
      description: 'Stream mode: how far apart in time two events may be to join, e.g. 5m.',
      default: '5m',
      placeholder: '5m',
    },
    {
      name: 'grace',
      type: 'string',
      title: 'Grace',
      description: 'Stream mode: how long out-of-order events are still accepted.',
      default: '0s',
      placeholder: '1m',
    },
  ],
  inputs: ['in', 'other'],
  outputs: ['out'],
  outputType: {
    from: 'type',
    type: (params, inputs) => {
      const other = inputs.other ?? 'unknown';
      const orNull = params.mode !== 'stream' && params.how !== 'inner' ? ' | null' : '';
      return `${inputs.in ?? 'unknown'} & { ${JSON.stringify(String(params.as))}: ${other}${orNull} }`;
    },
  },
  stateful: (params) => params.mode === 'stream',
  globalInputs: (params) => (params.mode === 'stream' ? [] : ['other']),
  validate(params) {
    const problems: KindProblem[] = durationProblems(params, ['within', 'grace'], ['within']);
    if (params.as !== undefined && !FIELD.test(String(params.as))) {
      problems.push({
        param: 'as',
        code: 'PW122',
        message: `"${String(params.as)}" is not a field name`,
        hint: 'Use letters, digits, _ or $, not starting with a digit, e.g. as: customer.',
      });
    }
    if (params.mode === 'stream' && params.on !== undefined) {
      problems.push({
        param: 'on',
        code: 'PW123',
        message: 'a stream–stream join matches on the record keys',
        hint: 'Remove on and re-key both inputs with select-key.',
      });
    }
    return problems;
  },
  example: {
    params: { as: 'customer', on: 'value.customerId' },
    events: [
      { port: 'other', key: 'c-1', value: { name: 'Ada', tier: 'gold' } },
      { port: 'in', key: 'o-1', value: { orderId: 1, customerId: 'c-1' } },
      { port: 'in', key: 'o-2', value: { orderId: 2, customerId: 'c-9' } },
    ],
    outputs: [
      { key: 'o-1', value: { orderId: 1, customerId: 'c-1', customer: { name: 'Ada', tier: 'gold' } } },
      { key: 'o-2', value: { orderId: 2, customerId: 'c-9', customer: null } },
    ],
  },
  create({ params, fns, store, tableOf }) {
    const as = String(params.as);
    const j: JoinSettings = {
      as,
      on: fns.on as KeyFn | undefined,
      inner: params.how === 'inner',
      joined: (rec: Rec, match: unknown): Rec => {
        if (!isObject(rec.value))
          throw new Error(`the event on "in" is ${Array.isArray(rec.value) ? 'an array' : typeof rec.value}, not an object, so "${as}" cannot be added`);
        return { ...rec, value: { ...rec.value, [as]: match } };
      },
    };
    if (params.mode !== 'stream') return tableJoin(j, tableOf);
    if (!store) throw new Error('a stream–stream join runs only inside the engine, which gives it its store');
    return streamStreamJoin(j, parseDuration(params.within) ?? 300_000, parseDuration(params.grace) ?? 0, store);
  },
});

/** What every mode of a join needs: the field it adds, the lookup key, whether unmatched events are dropped, and how a match is added. */
interface JoinSettings {
  as: string;
  on: KeyFn | undefined;
  inner: boolean;
  joined: (rec: Rec, match: unknown) => Rec;
}

/**
 * mode: table. Looks rows up in the table node feeding `other` (stream–table) or joins two tables
 * (table–table); without a table node, keeps the rows of `other` itself.
 */
function tableJoin({ on, inner, joined, as }: JoinSettings, tableOf: ((port: string) => PartitionedStore | undefined) | undefined): Operator {
  /** The rows of `table` nodes feeding `in` and `other`, looked up when the first batch arrives (every node exists by then). */
  let tables: { left?: PartitionedStore; right?: PartitionedStore } | undefined;
  const table = new Map<string, unknown>();
  let process: Operator['process'];
  return {
    process(batch, port, out) {
      if (!tables) {
        tables = { left: tableOf?.('in'), right: tableOf?.('other') };
        if (tables.left && tables.right) process = tableTableJoin(as, inner, tables.left, tables.right);
        else if (tables.right) process = streamTableJoin(inner, joined, tables.right);
      }
      if (process) return process(batch, port, out);
      for (const rec of batch) {
        try {
          if (port === 'other') {
            if (rec.key === null) throw new Error('a table row needs a key');
            if (rec.value === null) table.delete(rec.key);
            else table.set(rec.key, rec.value);
            continue;
          }
          const k = on ? on(rec.value, rec.key, recordInfo(rec)) : rec.key;
          const text = keyText(k);
          const match = text === null ? undefined : table.get(text);
          if (match === undefined && inner) continue;
          out.emit('out', joined(rec, match ?? null));
        } catch (error) {
          out.fail(rec, error);
        }
      }
    },
  };
}

/** Stream–table: each event on `in` gets the row of its key in the table node's store. */
function streamTableJoin(inner: boolean, joined: JoinSettings['joined'], right: PartitionedStore): Operator['process'] {
  return (batch, port, out) => {
    // The table's rows, deletes applied, are kept by its own node: the join only looks them up.
    if (port === 'other') return;
    for (const rec of batch) {
      try {
        const match = rec.key === null ? undefined : right.partition(rec.origin.partition).get(rec.key);
        if (match === undefined && inner) continue;
        out.emit('out', joined(rec, match ?? null));
      } catch (error) {
        out.fail(rec, error);
      }
    }
  };
}

/** Table–table: a change of a row on either side changes the joined row of its key. */
function tableTableJoin(as: string, inner: boolean, left: PartitionedStore, right: PartitionedStore): Operator['process'] {
  // A table–table join's output is a table too.
  const row = (rec: Rec, value: unknown): Rec => ({ key: rec.key, value, timestamp: rec.timestamp, headers: rec.headers, origin: rec.origin, table: true });
  const deletion = (rec: Rec): Rec => ({ ...row(rec, null), deleted: true });
  const withSide = (rec: Rec, left: unknown, right: unknown): Rec => {
    if (!isObject(left)) throw new Error(`the row on "in" is ${Array.isArray(left) ? 'an array' : typeof left}, not an object, so "${as}" cannot be added`);
    return row(rec, { ...left, [as]: right });
  };
  return (batch, port, out) => {
    for (const rec of batch) {
      try {
        if (rec.key === null) continue;
        const p = rec.origin.partition;
        if (port === 'in') {
          // The left row changed: the joined row follows it.
          if (rec.deleted) {
            out.emit('out', deletion(rec));
            continue;
          }
          const r = right.partition(p).get(rec.key);
          if (r !== undefined) out.emit('out', withSide(rec, rec.value, r));
          else if (!inner) out.emit('out', withSide(rec, rec.value, null));
          continue;
        }
        // The right row changed: a joined row exists only where there is a left row.
        const l = left.partition(p).get(rec.key);
        if (l === undefined) continue;
        if (!rec.deleted) out.emit('out', withSide(rec, l, rec.value));
        else if (inner) out.emit('out', deletion(rec));
        else out.emit('out', withSide(rec, l, null));
      } catch (error) {
        out.fail(rec, error);
      }
    }
  };
}

/** mode: stream. Buffers each side's events by key in the store and joins those within `within` of each other. */
function streamStreamJoin({ joined }: JoinSettings, within: number, grace: number, store: PartitionedStore): Operator {
  const keep = 2 * within + grace;
  /** Per partition: when each buffered key was last touched, for expiry sweeps. */
  const lastSweep = new Map<number, number>();
  const sweep = (st: KeyValueStore, p: number, wm: number) => {
    const last = lastSweep.get(p);
    if (last !== undefined && wm - last < within) return;
    lastSweep.set(p, wm);
    for (const [k, v] of [...st.entries()]) {
      if (k === WATERMARK) continue;
      const kept = (v as Buffered[]).filter((b) => b.t >= wm - keep);
      if (kept.length === 0) st.delete(k);
      else if (kept.length < (v as Buffered[]).length) st.put(k, kept);
    }
  };
  return {
    reset(partition) {
      lastSweep.delete(partition);
    },
    process(batch, port, out) {
      const mine = port === 'other' ? 'r' : 'l';
      const theirs = port === 'other' ? 'l' : 'r';
      for (const rec of batch) {
        try {
          if (rec.key === null) throw new Error('a stream–stream join matches on keys, and the event has none; re-key it with select-key');
          const p = rec.origin.partition;
          const st = store.partition(p);
          const t = rec.timestamp;
          const before = st.get(WATERMARK) as number | undefined;
          const wm = before === undefined ? t : Math.max(before, t);
          if (t < wm - within - grace) throw new Error(`late event: timestamp ${iso(t)} is more than within + grace before the watermark ${iso(wm)}`);
          if (wm !== before) st.put(WATERMARK, wm);
          for (const b of (st.get(`${theirs}\u0000${rec.key}`) as Buffered[] | undefined) ?? []) {
            if (Math.abs(b.t - t) > within) continue;
            if (mine === 'l') out.emit('out', joined(rec, b.v));
            else out.emit('out', joined({ ...rec, value: b.v, timestamp: Math.max(t, b.t) }, rec.value));
          }
          const k = `${mine}\u0000${rec.key}`;
          st.put(k, [...((st.get(k) as Buffered[] | undefined) ?? []), { t, v: rec.value }]);
          sweep(st, p, wm);
        } catch (error) {
          out.fail(rec, error);
        }
      }
    },
  };
}
