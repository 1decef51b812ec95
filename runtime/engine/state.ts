/**
 * State that survives a replica: each stateful node keeps one key-value map
 * per partition, and every change is also written to the node's compacted
 * changelog topic, into the partition of the same number. A replica that is
 * assigned a partition reads that changelog partition and has the state back:
 * from the beginning when it has no state for it, or from the offset its
 * state has reached when it kept the state (across a rebalance, or as a
 * standby copy). Values are JSON, readable with any Kafka tool, except those a
 * kind writes in a compact form of its own (ValuePacker.encode: a window's
 * aggregates, see window-codec.ts), which start with a zero byte that JSON
 * text never starts with. Both forms are read, so changelogs written before a
 * kind had its compact form restore as they are.
 *
 * Writes are buffered per batch (the last write of a key wins) and handed to
 * the transport after the batch's outputs are acknowledged and before its
 * offsets are committed [1].
 */
import type { OutMessage, Payload, RawMessage } from '../types.js';
import { isCompact } from './window-codec.js';

export function changelogTopic(pipeline: string, nodeId: string): string {
  return `${pipeline}.${nodeId}.changelog`;
}

export function repartitionTopic(pipeline: string, nodeId: string): string {
  return `${pipeline}.${nodeId}.repartition`;
}

/** Keys the engine keeps beside an operator's own; operators never see them in `entries()`. */
const RESERVED = '\u0000';
export const appliedKey = (topic: string) => `${RESERVED}applied\u0000${topic}`;

const decoder = new TextDecoder();
/** Node's Buffer, where there is one: it decodes short UTF-8 several times faster than TextDecoder (restores decode millions). */
const NodeBuffer = (globalThis as { Buffer?: { isBuffer(v: unknown): boolean } }).Buffer;
function text(p: Payload): string | null {
  if (p === null) return null;
  if (typeof p === 'string') return p;
  return NodeBuffer?.isBuffer(p) ? p.toString() : decoder.decode(p);
}

/**
 * Compact storage for a kind's own values: a kind whose state is many small
 * records of one shape (a window's aggregates) keeps them packed, e.g. in
 * typed-array columns, instead of one object per key. The store asks it first;
 * values it declines stay in the store's plain map. `get` hands out a copy, so
 * an operator that changes a value puts it again.
 */
export interface ValuePacker<V> {
  /** Holds `value` under `key` and returns true, or returns false (without holding it) when it cannot pack it. */
  set(key: string, value: V): boolean;
  get(key: string): V | undefined;
  has(key: string): boolean;
  /** Returns whether the key was held. */
  delete(key: string): boolean;
  keys(): IterableIterator<string>;
  readonly size: number;
  /** The value's compact changelog form (its first byte 0), or undefined to write it as JSON. */
  encode?(value: V): Uint8Array | undefined;
  /**
   * Holds under `key` the value of a compact form `encode` wrote, straight
   * from its bytes, and returns true; or returns false (without holding it)
   * when it cannot pack it: the store then decodes it and keeps the object.
   */
  setEncoded?(key: string, bytes: Uint8Array): boolean;
  /** The value of a compact form; throws when the bytes are not one this version reads. */
  decode?(key: string, bytes: Uint8Array): V;
}

/** The state of one node in one partition. */
export class KeyValueStore<V = unknown> {
  private readonly data = new Map<string, V>();
  /** Changed keys since the last flush: the new value, or undefined for a deletion. */
  readonly dirty = new Map<string, V | undefined>();
  /** The changelog offset after the last record this state reflects: where reading the changelog goes on from. */
  position = 0;
  /**
   * The changelog holds records this state never saw (another replica wrote between two of its own
   * writes): the state must be read again from the beginning before it is used.
   */
  stale = false;

  constructor(readonly packed?: ValuePacker<V>) {}

  get(key: string): V | undefined {
    const v = this.data.get(key);
    return v === undefined && this.packed ? this.packed.get(key) : v;
  }

  has(key: string): boolean {
    return this.data.has(key) || (this.packed?.has(key) ?? false);
  }

  put(key: string, value: V): void {
    this.set(key, value);
    this.dirty.set(key, value);
  }

  delete(key: string): void {
    const held = this.data.delete(key) || (this.packed?.delete(key) ?? false);
    if (!held) return;
    this.dirty.set(key, undefined);
  }

  /** The operator's entries: packed ones first, then the others, each in insertion order. */
  *entries(): IterableIterator<[string, V]> {
    if (this.packed) for (const k of this.packed.keys()) yield [k, this.packed.get(k)!];
    for (const e of this.data) if (!e[0].startsWith(RESERVED)) yield e;
  }

  get size(): number {
    let n = this.packed?.size ?? 0;
    for (const k of this.data.keys()) if (!k.startsWith(RESERVED)) n++;
    return n;
  }

  /** Applies a changelog entry without marking it dirty. */
  apply(key: string, value: V | undefined): void {
    if (value === undefined) {
      if (!this.data.delete(key)) this.packed?.delete(key);
    } else this.set(key, value);
  }

  /** Applies a changelog entry in a compact form (see ValuePacker.encode) without marking it dirty. */
  applyEncoded(key: string, bytes: Uint8Array): void {
    const packed = this.packed;
    if (packed?.setEncoded?.(key, bytes)) {
      this.data.delete(key);
      return;
    }
    if (!packed?.decode)
      throw new Error(`the value of ${JSON.stringify(key)} is in a compact form, and this state has none: was it written by a newer Pipewright?`);
    this.set(key, packed.decode(key, bytes));
  }

  private set(key: string, value: V): void {
    if (this.packed?.set(key, value)) this.data.delete(key);
    else {
      this.packed?.delete(key);
      this.data.set(key, value);
    }
  }
}

/** A node's stores, one per partition, and the changelog they write to. */
export class PartitionedStore<V = unknown> {
  private readonly parts = new Map<number, KeyValueStore<V>>();

  private packer?: () => ValuePacker<V>;

  /** `values`: whether changes are written in a kind's compact form where it has one, or all as JSON (see GraphOptions.changelogValues). */
  constructor(
    readonly changelog: string,
    private readonly values: 'compact' | 'json' = 'compact',
  ) {}

  private decoder?: (value: Payload) => V | undefined;

  /**
   * How a record of the changelog becomes a value (undefined: a deletion; throwing: a record
   * passed over); without one, values are JSON. A table reads its own topic this way.
   */
  decodeWith(decoder: (value: Payload) => V | undefined): void {
    this.decoder = decoder;
  }

  /** The kind keeps its values packed (see ValuePacker): one packer per partition. Call before any partition exists. */
  packWith(packer: () => ValuePacker<V>): void {
    this.packer = packer;
  }

  partition(p: number): KeyValueStore<V> {
    let s = this.parts.get(p);
    if (!s) this.parts.set(p, (s = new KeyValueStore<V>(this.packer?.())));
    return s;
  }

  partitions(): number[] {
    return [...this.parts.keys()];
  }

  /** Whether state for partition `p` is in memory. */
  holds(p: number): boolean {
    return this.parts.has(p);
  }

  /** Forget a partition (it was revoked, or is about to be restored). */
  drop(p: number): void {
    this.parts.delete(p);
  }

  /**
   * Applies one changelog record of partition `p`, read at `offset`: records
   * before the state's position are already in it and are passed over.
   * Returns whether it was applied.
   */
  applyRecord(p: number, key: Payload, value: Payload, offset: number): boolean {
    return this.applyTo(this.partition(p), p, key, value, offset);
  }

  /** Applies changelog records of partition `p`, read in offset order. Returns how many were applied. */
  applyRecords(p: number, records: Iterable<{ key: Payload; value: Payload; offset: string | number }>): number {
    const store = this.partition(p);
    let n = 0;
    for (const r of records) if (this.applyTo(store, p, r.key, r.value, Number(r.offset))) n++;
    return n;
  }

  private applyTo(store: KeyValueStore<V>, p: number, key: Payload, value: Payload, offset: number): boolean {
    if (offset < store.position) return false;
    store.position = offset + 1;
    const k = text(key);
    if (k === null) return false;
    if (this.decoder) {
      let v: V | undefined;
      try {
        v = this.decoder(value);
      } catch {
        return false;
      }
      store.apply(k, v);
      return true;
    }
    try {
      if (value === null) store.apply(k, undefined);
      else if (isCompact(value)) store.applyEncoded(k, value);
      else store.apply(k, JSON.parse(text(value)!) as V);
    } catch (error) {
      throw new Error(`${this.changelog}[${p}] at offset ${offset}: ${(error as Error).message}`, { cause: error });
    }
    return true;
  }

  /** Applies changelog messages of partition `p`, read in offset order. Returns how many were applied. */
  restore(p: number, messages: readonly RawMessage[]): number {
    let n = 0;
    for (const m of messages) if (this.applyRecord(p, m.key, m.value, Number(m.origin.offset))) n++;
    return n;
  }

  /** The changelog of partition `p` was read up to `end` (its end offset when the read began). */
  reached(p: number, end: number): void {
    const store = this.partition(p);
    if (store.position < end) store.position = end;
  }

  /**
   * This replica's own changes of partition `p` were acknowledged at offsets
   * `base` to `base + count - 1`: the state reflects the changelog up to there.
   * If they did not follow on from the state's position, someone else wrote
   * in between, and the state is marked stale.
   */
  written(p: number, base: number, count: number): void {
    const store = this.parts.get(p);
    if (!store) return;
    if (base !== store.position) store.stale = true;
    store.position = base + count;
  }

  /** Every change since the last flush, as changelog messages pinned to the partition they belong to. */
  flush(): OutMessage[] {
    const out: OutMessage[] = [];
    for (const [partition, store] of this.parts) {
      const encode = this.values === 'compact' ? store.packed?.encode?.bind(store.packed) : undefined;
      for (const [key, value] of store.dirty) {
        out.push({ topic: this.changelog, partition, key, value: value === undefined ? null : (encode?.(value) ?? JSON.stringify(value)), headers: {} });
      }
      store.dirty.clear();
    }
    return out;
  }

  /** Drops unflushed changes: used when a batch failed and its partition will be restored. */
  discard(): void {
    for (const store of this.parts.values()) store.dirty.clear();
  }
}

// [1] The order makes replays safe under at-least-once delivery. If a replica
//     dies after the outputs but before the changelog, the new owner restores
//     the older state and recomputes the same outputs (window results are
//     keyed by window and key, so they overwrite). If it dies after the
//     changelog but before the offsets commit, the changelog also holds the
//     last input offset applied (appliedKey), and the engine skips records at
//     or below it instead of counting them twice.
