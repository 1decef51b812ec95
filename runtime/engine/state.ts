/**
 * State that survives a replica: each stateful node keeps one key-value map
 * per partition, and every change is also written to the node's compacted
 * changelog topic, into the partition of the same number. A replica that is
 * assigned a partition reads that changelog partition from the beginning and
 * has the state back. Values are JSON, so the changelog is readable with any
 * Kafka tool.
 *
 * Writes are buffered per batch (the last write of a key wins) and handed to
 * the transport after the batch's outputs are acknowledged and before its
 * offsets are committed [1].
 */
import type { OutMessage, Payload, RawMessage } from '../types.js';

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
function text(p: Payload): string | null {
  if (p === null) return null;
  return typeof p === 'string' ? p : decoder.decode(p);
}

/** The state of one node in one partition. */
export class KeyValueStore<V = unknown> {
  private readonly data = new Map<string, V>();
  /** Changed keys since the last flush: the new value, or undefined for a deletion. */
  readonly dirty = new Map<string, V | undefined>();

  get(key: string): V | undefined {
    return this.data.get(key);
  }

  has(key: string): boolean {
    return this.data.has(key);
  }

  put(key: string, value: V): void {
    this.data.set(key, value);
    this.dirty.set(key, value);
  }

  delete(key: string): void {
    if (!this.data.delete(key)) return;
    this.dirty.set(key, undefined);
  }

  /** The operator's entries, in insertion order. */
  *entries(): IterableIterator<[string, V]> {
    for (const e of this.data) if (!e[0].startsWith(RESERVED)) yield e;
  }

  get size(): number {
    let n = 0;
    for (const k of this.data.keys()) if (!k.startsWith(RESERVED)) n++;
    return n;
  }

  /** Applies a changelog entry without marking it dirty. */
  apply(key: string, value: V | undefined): void {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, value);
  }
}

/** A node's stores, one per partition, and the changelog they write to. */
export class PartitionedStore<V = unknown> {
  private readonly parts = new Map<number, KeyValueStore<V>>();

  constructor(readonly changelog: string) {}

  partition(p: number): KeyValueStore<V> {
    let s = this.parts.get(p);
    if (!s) this.parts.set(p, (s = new KeyValueStore<V>()));
    return s;
  }

  partitions(): number[] {
    return [...this.parts.keys()];
  }

  /** Forget a partition (it was revoked, or is about to be restored). */
  drop(p: number): void {
    this.parts.delete(p);
  }

  /** Applies changelog messages of partition `p`, read in offset order. */
  restore(p: number, messages: readonly RawMessage[]): void {
    const store = this.partition(p);
    for (const m of messages) {
      const key = text(m.key);
      if (key === null) continue;
      const value = text(m.value);
      store.apply(key, value === null ? undefined : (JSON.parse(value) as V));
    }
  }

  /** Every change since the last flush, as changelog messages pinned to the partition they belong to. */
  flush(): OutMessage[] {
    const out: OutMessage[] = [];
    for (const [partition, store] of this.parts) {
      for (const [key, value] of store.dirty) {
        out.push({ topic: this.changelog, partition, key, value: value === undefined ? null : JSON.stringify(value), headers: {} });
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
