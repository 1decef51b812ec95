import { recordInfo, type Payload, type Rec } from '../types.js';
import type { KeyValueStore, PartitionedStore, ValuePacker } from '../engine/state.js';
import { defineKind, withDefaults, type Emitter, type KindProblem } from './spec.js';
import { DueIndex, durationProblems, eventTime, iso, parseDuration, type TimeFn } from './time.js';
import {
  decodeWindow,
  encodeWindow,
  readChangelogValue,
  readDouble,
  WINDOW_HEADER,
  WINDOW_ROW_V1,
  windowRowLength,
  type WindowValue,
} from '../engine/window-codec.js';

type ValueFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

const AGGREGATES = ['sum', 'avg', 'min', 'max', 'collect'] as const;
type Aggregate = (typeof AGGREGATES)[number];

/** One window of one key, as the store and the changelog hold it. */
type Agg = WindowValue;

const WATERMARK = 'wm';
/** Store keys of windows: `w\0<key>\0<start>`. */
const WINDOW_KEY_PREFIX = 'w\u0000';

/** The numbers of an Agg besides its start, end and count, as they are packed (and as their bits in the compact form go). */
const NUMBERS = ['sum', 'a', 'min', 'max'] as const;
type NumberField = (typeof NUMBERS)[number];

/**
 * The windows of one partition, packed: a row of doubles per window (start,
 * end, count, then the numbers its aggregates use; NaN where one is not set)
 * in one growing Float64Array, found by store key, and the `collect` lists
 * beside them. The record key is not kept: it is part of the store key
 * (`w\0<key>\0<start>`). About 60 bytes per open window plus its key,
 * against some 300 for an object per window, and nothing for the garbage
 * collector to trace but the keys.
 */
class WindowPack implements ValuePacker<Agg> {
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private rows = new Float64Array(0);
  private used = 0;
  private readonly stride: number;
  /** Column of each number in a row, or -1 when no aggregate uses it. */
  private readonly sum: number;
  private readonly avg: number;
  private readonly min: number;
  private readonly max: number;
  /** The bits of the compact form (window-codec.ts) of the numbers that have a column. */
  private readonly mask: number;
  private readonly lists = new Map<number, unknown[]>();
  /** The last window start written out: most windows of a partition share a few starts. */
  private start = NaN;
  private startText = '';

  constructor(numbers: readonly NumberField[]) {
    this.stride = 3 + numbers.length;
    const col = (f: NumberField) => (numbers.includes(f) ? 3 + numbers.indexOf(f) : -1);
    this.sum = col('sum');
    this.avg = col('a');
    this.min = col('min');
    this.max = col('max');
    this.mask = NUMBERS.reduce((m, f, bit) => (numbers.includes(f) ? m | (1 << bit) : m), 0);
  }

  get size(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  private text(start: number): string {
    if (start !== this.start) {
      this.start = start;
      this.startText = String(start);
    }
    return this.startText;
  }

  /** Whether `x` can go to column `col`: unset, or a number (not NaN, which marks unset) that the column exists for. */
  private static fits(x: unknown, col: number): boolean {
    return x === undefined || (col >= 0 && typeof x === 'number' && !Number.isNaN(x));
  }

  /** The row of `key`, taken (and the rows grown) when it has none. */
  private slot(key: string): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.used++;
      const need = (slot + 1) * this.stride;
      if (need > this.rows.length) {
        const grown = new Float64Array(Math.max(need, this.rows.length * 2, 64 * this.stride));
        grown.set(this.rows);
        this.rows = grown;
      }
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Whether `key` is a window's store key, `w\0<key>\0<start>`, for the window starting at `start` (its text). */
  private static shaped(key: string, start: string): boolean {
    return (
      key.length > 3 + start.length &&
      key.charCodeAt(0) === 119 &&
      key.charCodeAt(1) === 0 &&
      key.charCodeAt(key.length - start.length - 1) === 0 &&
      key.endsWith(start)
    );
  }

  encode(v: Agg): Uint8Array | undefined {
    return typeof v === 'object' && v !== null ? encodeWindow(v) : undefined;
  }

  decode(key: string, bytes: Uint8Array): Agg {
    return decodeWindow(key, bytes);
  }

  /**
   * A window in its compact form (window-codec.ts) straight into its row: no
   * string, object or parse per record. Declines what does not fit this
   * window's columns (a number the pipeline's aggregates no longer keep) or
   * is not a row this version reads, for `decode` to keep or refuse.
   */
  setEncoded(key: string, b: Uint8Array): boolean {
    if (b.length < WINDOW_HEADER || b[1] !== WINDOW_ROW_V1) return false;
    const mask = b[2];
    if ((mask & ~this.mask) !== 0 || b.length !== windowRowLength(mask)) return false;
    const s = readDouble(b, WINDOW_HEADER);
    if (!WindowPack.shaped(key, this.text(s))) return false;
    const slot = this.slot(key);
    const r = this.rows;
    const i = slot * this.stride;
    r[i] = s;
    r[i + 1] = readDouble(b, WINDOW_HEADER + 8);
    r[i + 2] = readDouble(b, WINDOW_HEADER + 16);
    let at = WINDOW_HEADER + 24;
    if ((mask & 1) !== 0) {
      r[i + this.sum] = readDouble(b, at);
      at += 8;
    } else if (this.sum >= 0) r[i + this.sum] = NaN;
    if ((mask & 2) !== 0) {
      r[i + this.avg] = readDouble(b, at);
      at += 8;
    } else if (this.avg >= 0) r[i + this.avg] = NaN;
    if ((mask & 4) !== 0) {
      r[i + this.min] = readDouble(b, at);
      at += 8;
    } else if (this.min >= 0) r[i + this.min] = NaN;
    if ((mask & 8) !== 0) r[i + this.max] = readDouble(b, at);
    else if (this.max >= 0) r[i + this.max] = NaN;
    if (this.lists.size > 0) this.lists.delete(slot);
    return true;
  }

  set(key: string, v: Agg): boolean {
    if (typeof v !== 'object' || v === null) return false;
    const { k, s, e, n } = v;
    if (typeof k !== 'string' || typeof s !== 'number' || typeof e !== 'number' || typeof n !== 'number') return false;
    // The record key must be the one in the store key (`w\0<key>\0<start>`), which is where it is read back from.
    const start = this.text(s);
    if (key.length !== 3 + k.length + start.length || !WindowPack.shaped(key, start) || !key.startsWith(k, 2)) return false;
    if (!WindowPack.fits(v.sum, this.sum) || !WindowPack.fits(v.a, this.avg) || !WindowPack.fits(v.min, this.min) || !WindowPack.fits(v.max, this.max))
      return false;
    if (v.c !== undefined && !Array.isArray(v.c)) return false;
    const slot = this.slot(key);
    const r = this.rows;
    const i = slot * this.stride;
    r[i] = s;
    r[i + 1] = e;
    r[i + 2] = n;
    if (this.sum >= 0) r[i + this.sum] = v.sum ?? NaN;
    if (this.avg >= 0) r[i + this.avg] = v.a ?? NaN;
    if (this.min >= 0) r[i + this.min] = v.min ?? NaN;
    if (this.max >= 0) r[i + this.max] = v.max ?? NaN;
    if (v.c === undefined) {
      if (this.lists.size > 0) this.lists.delete(slot);
    } else this.lists.set(slot, v.c);
    return true;
  }

  get(key: string): Agg | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const r = this.rows;
    const i = slot * this.stride;
    const s = r[i];
    const a: Agg = { k: key.slice(2, key.length - this.text(s).length - 1), s, e: r[i + 1], n: r[i + 2] };
    const number = (col: number) => (col < 0 || Number.isNaN(r[i + col]) ? undefined : r[i + col]);
    const sum = number(this.sum);
    if (sum !== undefined) a.sum = sum;
    const avg = number(this.avg);
    if (avg !== undefined) a.a = avg;
    const min = number(this.min);
    if (min !== undefined) a.min = min;
    const max = number(this.max);
    if (max !== undefined) a.max = max;
    // The list itself, as an object per window would hold it: `add` appends to it, then puts the window again.
    const c = this.lists.get(slot);
    if (c !== undefined) a.c = c;
    return a;
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    if (this.lists.size > 0) this.lists.delete(slot);
    this.free.push(slot);
    return true;
  }
}

function numberOf(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (v === null || v === undefined || v === '' || !Number.isFinite(n))
    throw new Error(`the ${name} expression gave ${JSON.stringify(v) ?? String(v)}, not a number`);
  return n;
}

export const windowKind = defineKind({
  kind: 'window',
  category: 'transform',
  title: 'Window',
  summary: 'Count and aggregate events per key in tumbling, hopping or session windows of event time.',
  docs:
    'Groups events by their key into windows of event time and emits one result per window and key when the window ' +
    'closes. Event time comes from `time` (milliseconds, an ISO date or a Date) or else the record timestamp. ' +
    '**Tumbling** windows of `size` follow each other; **hopping** windows of `size` start every `advance` and overlap; ' +
    '**session** windows of a key grow while events come less than `gap` apart, and merge when an event bridges two. ' +
    'Every result has `count`, plus `sum`, `avg`, `min` and `max` of their expressions and `collect` (a list of its ' +
    'values), for those that are set.\n\n' +
    'The watermark of a partition is the largest event time seen in it. A window closes when the watermark reaches its ' +
    'end plus `grace`; until then, events that arrive out of order still count. An event whose windows have all closed ' +
    'is late: it goes to the error port, or is dropped when `late` is `drop`. A result is keyed `<key>@<window start>` ' +
    'and carries `key`, `windowStart` and `windowEnd` (ISO dates), so a replay after a crash overwrites a result ' +
    'instead of adding one. The open windows are kept per partition in a store backed by the compacted topic ' +
    '`<pipeline>.<node>.changelog`, which a new owner of the partition reads back, so killing a replica loses no window. ' +
    "With `emit: changes` (ksqlDB's EMIT CHANGES), every event that a window accepts emits that window's updated " +
    'result at once, under the same key, and a window that closes emits nothing more: the last update is its final ' +
    'result. Session windows that an event merges are replaced by the merged one; each merged-away session gets a ' +
    'tombstone (a null value under its key), so a compacted output topic keeps only live sessions. ' +
    'Events are grouped by their record key: re-key with select-key first to group by a field.',
  params: [
    {
      name: 'type',
      type: 'enum',
      title: 'Type',
      description: 'Tumbling, hopping or session windows.',
      enum: ['tumbling', 'hopping', 'session'],
      default: 'tumbling',
    },
    {
      name: 'size',
      type: 'string',
      title: 'Size',
      description: 'Length of a tumbling or hopping window, e.g. 1h, 15m, 30s.',
      default: '1h',
      placeholder: '1h',
    },
    {
      name: 'advance',
      type: 'string',
      title: 'Advance',
      description: 'Hopping windows: how far apart windows start, e.g. 5m; at most the size.',
      placeholder: '5m',
    },
    {
      name: 'gap',
      type: 'string',
      title: 'Gap',
      description: 'Session windows: the inactivity that ends a session, e.g. 30m.',
      default: '30m',
      placeholder: '30m',
    },
    {
      name: 'grace',
      type: 'string',
      title: 'Grace',
      description: 'How long after its end a window still accepts out-of-order events.',
      default: '0s',
      placeholder: '5m',
    },
    {
      name: 'time',
      type: 'expression',
      title: 'Event time',
      description: 'Event time of an event (milliseconds, ISO date or Date); left out, the record timestamp.',
      returns: 'time',
      placeholder: 'value.orderedAt',
    },
    { name: 'sum', type: 'expression', title: 'Sum', description: 'A number to add up per window, as `sum`.', returns: 'number', placeholder: 'value.units' },
    {
      name: 'avg',
      type: 'expression',
      title: 'Average',
      description: 'A number to average per window, as `avg`.',
      returns: 'number',
      placeholder: 'value.price',
    },
    {
      name: 'min',
      type: 'expression',
      title: 'Minimum',
      description: 'A number whose smallest value per window is `min`.',
      returns: 'number',
      placeholder: 'value.price',
    },
    {
      name: 'max',
      type: 'expression',
      title: 'Maximum',
      description: 'A number whose largest value per window is `max`.',
      returns: 'number',
      placeholder: 'value.price',
    },
    {
      name: 'collect',
      type: 'expression',
      title: 'Collect',
      description: 'A value to collect into the list `collect`, in arrival order.',
      returns: 'any',
      placeholder: 'value.orderId',
    },
    {
      name: 'late',
      type: 'enum',
      title: 'Late events',
      description: 'What happens to an event whose windows have closed.',
      enum: ['error', 'drop'],
      default: 'error',
    },
    {
      name: 'emit',
      type: 'enum',
      title: 'Emit',
      description: 'final: one result per window when it closes; changes: the updated result of each window an event changes (EMIT CHANGES).',
      enum: ['final', 'changes'],
      default: 'final',
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: {
    from: 'type',
    type: (params) => {
      const fields = ['key: string', 'windowStart: string', 'windowEnd: string', 'count: number'];
      for (const a of AGGREGATES) {
        if (typeof params[a] !== 'string' || params[a] === '') continue;
        fields.push(a === 'collect' ? 'collect: unknown[]' : `${a}: number`);
      }
      return `{ ${fields.join('; ')} }`;
    },
  },
  stateful: () => true,
  validate(params) {
    const problems: KindProblem[] = durationProblems(params, ['size', 'advance', 'gap', 'grace'], ['size', 'advance', 'gap']);
    if (problems.length) return problems;
    if (params.type === 'hopping') {
      const size = parseDuration(params.size)!;
      const advance = parseDuration(params.advance);
      if (advance === undefined)
        problems.push({ param: 'advance', code: 'PW106', message: 'hopping windows need an advance', hint: 'Write e.g. advance: 5m (at most the size).' });
      else if (advance > size)
        problems.push({
          param: 'advance',
          code: 'PW107',
          message: 'the advance is longer than the window size',
          hint: 'Make advance at most size, or use tumbling windows.',
        });
    }
    return problems;
  },
  example: {
    params: { size: '1h', sum: 'value.units' },
    events: [
      { key: 'product-10', value: { units: 2 }, timestamp: Date.UTC(2024, 0, 1, 8, 5) },
      { key: 'product-10', value: { units: 3 }, timestamp: Date.UTC(2024, 0, 1, 8, 40) },
      { key: 'product-10', value: { units: 1 }, timestamp: Date.UTC(2024, 0, 1, 9, 10) },
    ],
    outputs: [
      {
        key: 'product-10@2024-01-01T08:00:00.000Z',
        value: { key: 'product-10', windowStart: '2024-01-01T08:00:00.000Z', windowEnd: '2024-01-01T09:00:00.000Z', count: 2, sum: 5 },
      },
    ],
  },
  create({ params, fns, store }) {
    if (!store) throw new Error('window runs only inside the engine, which gives it its store');
    const settings = windowSettings(params, fns);
    // The numbers the aggregates keep: avg keeps its sum in `a`.
    const numbers = NUMBERS.filter((f) => settings.aggs.some(([name]) => (name === 'avg' ? 'a' : name) === f));
    store.packWith(() => new WindowPack(numbers));
    const windows = new Windows(settings, store);
    return {
      reset: (partition) => windows.reset(partition),
      process: (batch, _port, out) => windows.process(batch, out),
    };
  },
});

/** What a window node does, from its parameters and compiled expressions. */
interface WindowSettings {
  session: boolean;
  size: number;
  advance: number;
  gap: number;
  grace: number;
  late: unknown;
  changes: boolean;
  timeFn: TimeFn | undefined;
  aggs: (readonly [Aggregate, ValueFn])[];
}

/** A window node's settings, with the defaults its durations fall back to. */
function windowSettings(params: Readonly<Record<string, unknown>>, fns: Readonly<Record<string, unknown>>): WindowSettings {
  const type = String(params.type);
  const size = parseDuration(params.size) ?? 3_600_000;
  return {
    session: type === 'session',
    size,
    advance: type === 'hopping' ? (parseDuration(params.advance) ?? size) : size,
    gap: parseDuration(params.gap) ?? 1_800_000,
    grace: parseDuration(params.grace) ?? 0,
    late: params.late,
    changes: params.emit === 'changes',
    timeFn: fns.time as TimeFn | undefined,
    aggs: AGGREGATES.filter((a) => fns[a]).map((a) => [a, fns[a] as ValueFn] as const),
  };
}

/** The values of an event's aggregate expressions, by aggregate. */
type Inputs = (readonly [Aggregate, unknown])[];

/** An event that reached the windows: its key, event time, the watermark it left, and its aggregate inputs. */
interface Arrival {
  rec: Rec;
  key: string;
  t: number;
  wm: number;
  inputs: Inputs;
}

/** Per partition: what closes when, and (sessions) the open sessions of each key. */
interface Index {
  due: DueIndex;
  sessions: Map<string, Set<string>>;
}

/** Adds one event's inputs to a window. */
function addInputs(a: Agg, inputs: Inputs): void {
  a.n++;
  for (const [name, v] of inputs) {
    if (name === 'collect') (a.c ??= []).push(v);
    else {
      const n = v as number;
      if (name === 'sum') a.sum = (a.sum ?? 0) + n;
      else if (name === 'avg') a.a = (a.a ?? 0) + n;
      else if (name === 'min') a.min = a.min === undefined ? n : Math.min(a.min, n);
      else if (name === 'max') a.max = a.max === undefined ? n : Math.max(a.max, n);
    }
  }
}

/** Merges session `b` into session `into`. */
function mergeAgg(into: Agg, b: Agg): void {
  into.s = Math.min(into.s, b.s);
  into.e = Math.max(into.e, b.e);
  into.n += b.n;
  if (b.sum !== undefined) into.sum = (into.sum ?? 0) + b.sum;
  if (b.a !== undefined) into.a = (into.a ?? 0) + b.a;
  if (b.min !== undefined) into.min = into.min === undefined ? b.min : Math.min(into.min, b.min);
  if (b.max !== undefined) into.max = into.max === undefined ? b.max : Math.max(into.max, b.max);
  if (b.c) into.c = [...(into.c ?? []), ...b.c];
}

/** A window node at work: its store, the indexes derived from it, and what each event does to them. */
class Windows {
  private readonly indexes = new Map<number, Index>();

  constructor(
    private readonly w: WindowSettings,
    private readonly store: PartitionedStore,
  ) {}

  reset(partition: number): void {
    this.indexes.delete(partition);
  }

  process(batch: Rec[], out: Emitter): void {
    const { w } = this;
    for (const rec of batch) {
      const p = rec.origin.partition;
      const st = this.store.partition(p);
      const ix = this.index(p, st);
      const read = this.read(rec, out);
      if (!read) continue;
      const { t, inputs } = read;
      const key = rec.key!;
      const before = st.get(WATERMARK) as number | undefined;
      const wm = before === undefined ? t : Math.max(before, t);
      if (wm !== before) st.put(WATERMARK, wm);

      const arrival: Arrival = { rec, key, t, wm, inputs };
      const accepted = w.session ? this.addToSessions(st, ix, arrival, out) : this.addToWindows(st, ix, arrival, out);
      if (!accepted && w.late === 'error') {
        out.fail(rec, new Error(`late event: its event time ${iso(t)} is in windows that closed (watermark ${iso(wm)}, grace ${w.grace} ms)`));
      }
      this.closeDue(st, ix, wm, rec, out);
    }
  }

  /** An event's time and aggregate inputs; undefined when it fails (and has gone to `out.fail`). */
  private read(rec: Rec, out: Emitter): { t: number; inputs: Inputs } | undefined {
    try {
      if (rec.key === null) throw new Error('the event has no key; windows group by key, so give it one with select-key');
      const t = eventTime(rec, this.w.timeFn);
      const info = recordInfo(rec);
      const inputs = this.w.aggs.map(([name, fn]) => {
        const v = fn(rec.value, rec.key, info);
        return [name, name === 'collect' ? (v === undefined ? null : v) : numberOf(name, v)] as const;
      });
      return { t, inputs };
    } catch (error) {
      out.fail(rec, error);
      return undefined;
    }
  }

  /** Sessions: the event starts a session merged with those it touches (within the gap). Returns whether it was accepted. */
  private addToSessions(st: KeyValueStore, ix: Index, { rec, key, t, wm, inputs }: Arrival, out: Emitter): boolean {
    const { gap, grace, changes } = this.w;
    const open = ix.sessions.get(key);
    const touching: string[] = [];
    for (const sk of open ?? []) {
      const a = st.get(sk) as Agg;
      if (t >= a.s - gap && t <= a.e + gap) touching.push(sk);
    }
    if (touching.length === 0 && t + gap + grace <= wm) return false;
    const a: Agg = { k: key, s: t, e: t, n: 0 };
    addInputs(a, inputs);
    const merged: Agg[] = [];
    for (const sk of touching) {
      const old = st.get(sk) as Agg;
      mergeAgg(a, old);
      merged.push(old);
      st.delete(sk);
      ix.due.remove(this.closeTime(old), sk);
      open!.delete(sk);
    }
    const sk = storeKey(a);
    st.put(sk, a);
    ix.due.add(this.closeTime(a), sk);
    addSession(ix, key, sk);
    if (changes) {
      // A merged-away session's result is withdrawn (unless the merged one has its key), then the merged one is emitted.
      for (const old of merged) if (old.s !== a.s) out.emit('out', { ...this.result(old, rec), value: null, timestamp: rec.timestamp });
      out.emit('out', { ...this.result(a, rec), timestamp: rec.timestamp });
    }
    return true;
  }

  /** Tumbling and hopping: the event goes into each open window [start, start + size) that holds its time. Returns whether any did. */
  private addToWindows(st: KeyValueStore, ix: Index, { rec, key, t, wm, inputs }: Arrival, out: Emitter): boolean {
    const { size, advance, grace, changes } = this.w;
    let accepted = false;
    // Windows [start, start + size) holding t, starting at multiples of the advance.
    const last = Math.floor(t / advance) * advance;
    for (let start = last; start > t - size; start -= advance) {
      const end = start + size;
      if (end + grace <= wm) continue; // closed already
      const sk = `w\u0000${key}\u0000${start}`;
      let a = st.get(sk) as Agg | undefined;
      if (!a) {
        a = { k: key, s: start, e: end, n: 0 };
        ix.due.add(this.closeTime(a), sk);
      }
      addInputs(a, inputs); // a copy: put it back (the store flushes it to the changelog at the end of the batch)
      st.put(sk, a);
      accepted = true;
      if (changes) out.emit('out', { ...this.result(a, rec), timestamp: rec.timestamp });
    }
    return accepted;
  }

  /** Closes what the watermark has passed, earliest first, emitting each final result (unless emit is changes). */
  private closeDue(st: KeyValueStore, ix: Index, wm: number, rec: Rec, out: Emitter): void {
    for (const sk of ix.due.due(wm)) {
      const a = st.get(sk) as Agg | undefined;
      if (!a || this.closeTime(a) > wm) continue;
      st.delete(sk);
      if (this.w.session) ix.sessions.get(a.k)?.delete(sk);
      // With emit: changes, the window's last update was its final result already.
      if (!this.w.changes) out.emit('out', this.result(a, rec));
    }
  }

  /** The index of partition `p`, built from its store the first time (and after a reset). */
  private index(p: number, st: KeyValueStore): Index {
    let ix = this.indexes.get(p);
    if (ix) return ix;
    ix = { due: new DueIndex(), sessions: new Map() };
    for (const [k, v] of st.entries()) {
      if (!k.startsWith(WINDOW_KEY_PREFIX)) continue;
      const a = v as Agg;
      ix.due.add(this.closeTime(a), k);
      if (this.w.session) addSession(ix, a.k, k);
    }
    this.indexes.set(p, ix);
    return ix;
  }

  /** When a window (or session) closes: its end (a session's plus the gap) plus the grace. */
  private closeTime(a: Agg): number {
    return (this.w.session ? a.e + this.w.gap : a.e) + this.w.grace;
  }

  /** The record a window's result goes out as. */
  private result(a: Agg, trigger: Rec): Rec {
    const value: Record<string, unknown> = { key: a.k, windowStart: iso(a.s), windowEnd: iso(a.e), count: a.n };
    for (const [name] of this.w.aggs) {
      if (name === 'sum') value.sum = a.sum ?? 0;
      else if (name === 'avg') value.avg = a.n ? (a.a ?? 0) / a.n : null;
      else if (name === 'min') value.min = a.min ?? null;
      else if (name === 'max') value.max = a.max ?? null;
      else value.collect = a.c ?? [];
    }
    return { key: `${a.k}@${iso(a.s)}`, value, timestamp: this.w.session ? a.e : a.e - 1, headers: {}, origin: trigger.origin };
  }
}

/** The store key of a window. */
function storeKey(a: Agg): string {
  return `w\u0000${a.k}\u0000${a.s}`;
}

/** Records that session store key `sk` is open for `key`. */
function addSession(ix: Index, key: string, sk: string): void {
  let set = ix.sessions.get(key);
  if (!set) ix.sessions.set(key, (set = new Set()));
  set.add(sk);
}

/** A window node's parameters, as one line: e.g. "hopping 1h every 5m, grace 0s, emit changes". */
export function describeWindow(written: Readonly<Record<string, unknown>>): string {
  const p = withDefaults(windowKind, written);
  const length = p.type === 'session' ? `gap ${p.gap}` : p.size;
  return `${p.type} ${length}${p.type === 'hopping' ? ` every ${p.advance ?? ''}` : ''}, grace ${p.grace}${p.emit === 'changes' ? ', emit changes' : ''}`;
}

/** One open window, as a window node's changelog records it. */
export interface OpenWindow {
  key: string;
  start: number;
  end: number;
  count: number;
}

/**
 * Applies one record of a window node's changelog to `store` (store key → decoded value), as a
 * restore would: a null value deletes the entry; JSON and the compact form (window-codec.ts) are read.
 */
export function applyWindowChangelog(store: Map<string, unknown>, key: string, value: Payload): void {
  if (value === null) store.delete(key);
  else store.set(key, readChangelogValue(key, value));
}

/** What a partition of a window node holds, from its store as `applyWindowChangelog` fills it: its watermark and its open windows. */
export function windowStoreView(store: ReadonlyMap<string, unknown>): { watermark: number | null; open: OpenWindow[] } {
  const wm = store.get(WATERMARK);
  const open: OpenWindow[] = [];
  for (const [key, v] of store) {
    if (!key.startsWith(WINDOW_KEY_PREFIX) || !v || typeof v !== 'object') continue;
    const a = v as Partial<Record<keyof Agg, unknown>>;
    if (typeof a.k === 'string' && typeof a.s === 'number' && typeof a.e === 'number' && typeof a.n === 'number')
      open.push({ key: a.k, start: a.s, end: a.e, count: a.n });
  }
  return { watermark: typeof wm === 'number' ? wm : null, open };
}
