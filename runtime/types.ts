/**
 * The shapes that flow through a Pipewright pipeline. This file has no
 * dependencies so that it runs unchanged in Node, in the browser and in the
 * vendored copy inside every generated repository.
 */

/** Where a record was read from. Carried along so a dead letter can say it. */
export interface Origin {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; they travel as decimal strings, as kafkajs gives them. */
  offset: string;
}

/** Raw bytes of a Kafka message value or key as a transport hands them over. */
export type Payload = Uint8Array | string | null;

/** A message read from a topic, before any source node has decoded it. */
export interface RawMessage {
  key: Payload;
  value: Payload;
  /** Milliseconds since the epoch. */
  timestamp: number;
  headers: Record<string, string>;
  origin: Origin;
}

/** A decoded record inside the operator graph. */
export interface Rec<V = unknown> {
  key: string | null;
  value: V;
  timestamp: number;
  headers: Record<string, string>;
  origin: Origin;
  /** The undecoded value, kept so that a dead letter carries exactly what arrived. */
  raw?: Payload;
  /**
   * A table's change that deletes the row of `key` (its value is null): filters and maps pass it
   * on by key without evaluating their expressions, a join applies it, a Kafka sink writes a tombstone.
   */
  deleted?: true;
  /** A table's change (an update, or with `deleted` a delete), not a stream's event: a filter turns a row it drops into a delete. */
  table?: true;
}

/** What an expression sees beside `value` and `key`. */
export interface RecordInfo {
  timestamp: number;
  headers: Record<string, string>;
  topic: string;
  partition: number;
  offset: string;
}

/** A message that the pipeline asks a transport to produce. */
export interface OutMessage {
  topic: string;
  /** Text, or bytes when a sink writes its keys in a Schema Registry format. */
  key: string | Uint8Array | null;
  value: string | Uint8Array | null;
  headers: Record<string, string>;
  timestamp?: number;
  /** Set only when the pipeline pins a partition; otherwise the partitioner decides. */
  partition?: number;
}

/** Header names that Pipewright puts on a dead letter. */
export const DEAD_LETTER_HEADERS = {
  error: 'pipewright.error',
  node: 'pipewright.node',
  topic: 'pipewright.source.topic',
  partition: 'pipewright.source.partition',
  offset: 'pipewright.source.offset',
} as const;

export function recordInfo(rec: Rec): RecordInfo {
  return {
    timestamp: rec.timestamp,
    headers: rec.headers,
    topic: rec.origin.topic,
    partition: rec.origin.partition,
    offset: rec.origin.offset,
  };
}

/** A topic the pipeline reads or writes, as `npm run topics` creates it. */
export interface TopicDef {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
  /** Owned by someone else: never created, only checked to exist with at least `partitions` partitions. */
  external?: boolean;
}

/**
 * A message key as Kafka carries it: the text of what a key expression (typed `string | number | null`)
 * or a key field returns, or null for none.
 */
export function keyText(key: unknown): string | null {
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? key : valueText(key);
}

/** A value as text, for a message or a key: text as it is, anything else as JSON (numbers, booleans, null as themselves). */
export function valueText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
}
