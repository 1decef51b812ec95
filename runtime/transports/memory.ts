/**
 * An in-memory partitioned log with Kafka's semantics where they matter for
 * teaching and testing: topics with partitions, murmur2 key partitioning,
 * offsets per partition, and committed offsets per consumer group. The
 * simulator and the fast tests run on it; the service uses the kafkajs
 * transport instead.
 */
import { partitionForKey } from '../murmur2.js';
import type { Graph } from '../engine/graph.js';
import type { OutMessage, Payload, RawMessage } from '../types.js';

/** The log keeps keys as text: a key written as bytes (in a Schema Registry format) is kept as its UTF-8 reading, after it picked its partition. */
const keyDecoder = new TextDecoder();

export interface StoredMessage {
  key: string | null;
  value: Payload;
  headers: Record<string, string>;
  timestamp: number;
}

export class MemoryLog {
  private readonly topics = new Map<string, StoredMessage[][]>();
  private readonly committed = new Map<string, number>();
  private roundRobin = 0;
  /** The log's clock; tests and the simulator advance it so runs repeat exactly. */
  now = 0;

  createTopic(name: string, partitions: number): void {
    if (this.topics.has(name)) return;
    this.topics.set(
      name,
      Array.from({ length: partitions }, () => []),
    );
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  partitionCount(topic: string): number {
    return this.partitions(topic).length;
  }

  /** Append messages; keys pick partitions by murmur2, as Kafka's default partitioner does. */
  produce(messages: readonly OutMessage[]): { topic: string; partition: number; offset: number }[] {
    return messages.map((m) => {
      const partition = m.partition ?? this.partitionFor(m);
      const log = this.partitions(m.topic)[partition];
      log.push({
        key: typeof m.key === 'object' && m.key !== null ? keyDecoder.decode(m.key) : m.key,
        value: m.value,
        headers: { ...m.headers },
        timestamp: m.timestamp ?? this.now,
      });
      return { topic: m.topic, partition, offset: log.length - 1 };
    });
  }

  /** The partition a message without one goes to: murmur2 of its key, round robin without a key. */
  partitionFor(m: OutMessage): number {
    const count = this.partitions(m.topic).length;
    return m.key === null ? this.roundRobin++ % count : partitionForKey(m.key, count);
  }

  /**
   * Cuts a partition back to `end` offsets and returns what it removed (a replica's log truncated
   * after a leader change). Committed offsets past the new end move back to it: a consumer whose
   * offset is out of range starts again from the end.
   */
  truncate(topic: string, partition: number, end: number): StoredMessage[] {
    const removed = this.partitions(topic)[partition].splice(end);
    for (const [k, offset] of this.committed) {
      if (offset > end && k.endsWith(`\u0000${topic}\u0000${partition}`)) this.committed.set(k, end);
    }
    return removed;
  }

  endOffset(topic: string, partition: number): number {
    return this.partitions(topic)[partition].length;
  }

  read(topic: string, partition: number, from: number, max = Infinity): RawMessage[] {
    const log = this.partitions(topic)[partition];
    const end = Math.min(log.length, from + max);
    const out: RawMessage[] = [];
    for (let offset = from; offset < end; offset++) {
      const m = log[offset];
      out.push({
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        headers: m.headers,
        origin: { topic, partition, offset: String(offset) },
      });
    }
    return out;
  }

  /** Every message of a topic, partition by partition. */
  messages(topic: string): (StoredMessage & { partition: number; offset: number })[] {
    return this.partitions(topic).flatMap((log, partition) => log.map((m, offset) => ({ ...m, partition, offset })));
  }

  committedOffset(group: string, topic: string, partition: number): number {
    return this.committed.get(`${group}\u0000${topic}\u0000${partition}`) ?? 0;
  }

  commit(group: string, topic: string, partition: number, offset: number): void {
    this.committed.set(`${group}\u0000${topic}\u0000${partition}`, offset);
  }

  lag(group: string, topic: string, partition: number): number {
    return this.endOffset(topic, partition) - this.committedOffset(group, topic, partition);
  }

  private partitions(topic: string): StoredMessage[][] {
    const parts = this.topics.get(topic);
    if (!parts) throw new Error(`topic "${topic}" does not exist; create it first (topics are never auto-created)`);
    return parts;
  }
}

export interface DrainOptions {
  /**
   * Interleave a topic's partitions by record timestamp, the next batch
   * always coming from the partition whose next message is oldest, as if the
   * events arrived in the order they happened. Tests use it so that windows
   * after a repartition see events in the order the test wrote them.
   */
  timeOrder?: boolean;
}

function* inPartitionOrder(log: MemoryLog, group: string, topic: string, batchSize: number) {
  for (let p = 0; p < log.partitionCount(topic); p++) {
    const from = log.committedOffset(group, topic, p);
    const batch = log.read(topic, p, from, batchSize);
    if (batch.length > 0) yield { p, from, batch };
  }
}

function* topicByTopic(log: MemoryLog, group: string, topics: readonly string[], batchSize: number) {
  for (const topic of topics) for (const b of inPartitionOrder(log, group, topic, batchSize)) yield { topic, ...b };
}

/** Batches of every one of `topics`' partitions, the partition whose next message is oldest first (ties: topic order, then partition). */
function* inTimeOrder(log: MemoryLog, group: string, topics: readonly string[], batchSize: number) {
  for (;;) {
    const heads = [];
    for (const [i, topic] of topics.entries()) {
      for (let p = 0; p < log.partitionCount(topic); p++) {
        const from = log.committedOffset(group, topic, p);
        const [next] = log.read(topic, p, from, 1);
        if (next) heads.push({ topic, i, p, from, t: next.timestamp });
      }
    }
    if (heads.length === 0) return;
    heads.sort((a, b) => a.t - b.t || a.i - b.i || a.p - b.p);
    const { topic, p, from } = heads[0];
    const until = heads[1]?.t ?? Infinity;
    const batch = log.read(topic, p, from, batchSize);
    let n = 1;
    while (n < batch.length && batch[n].timestamp <= until) n++;
    // The caller commits before asking for the next batch.
    yield { topic, p, from, batch: batch.slice(0, n) };
  }
}

/** Partitions whose state a graph has restored, and how far it has read each global topic. */
const restoredBy = new WeakMap<Graph, Set<string>>();
const globalReadBy = new WeakMap<Graph, Map<string, number>>();

/**
 * Brings the state that `graph` keeps for `topic`'s partition up to date
 * from the changelog partitions in `log`, read from where the state stands
 * (the beginning when it has none) to the end, as a replica does when it is
 * assigned the partition. Returns the entries applied.
 */
export async function restoreFromLog(graph: Graph, log: MemoryLog, topic: string, partition: number, group = graph.spec.pipeline): Promise<number> {
  let restored = restoredBy.get(graph);
  if (!restored) restoredBy.set(graph, (restored = new Set()));
  restored.add(`${topic}\u0000${partition}`);
  return graph.restorePartition(
    topic,
    partition,
    async (changelog, p, from) => (log.hasTopic(changelog) ? log.read(changelog, p, from) : []),
    (t, p) => log.committedOffset(group, t, p),
  );
}

/**
 * Produces a batch's state changes and tells the graph where they landed,
 * so that its state knows how far into each changelog partition it reaches.
 */
export function produceChangelog(graph: Graph, log: MemoryLog, messages: readonly OutMessage[]): void {
  const placed = log.produce(messages);
  const runs = new Map<string, { topic: string; partition: number; base: number; count: number }>();
  for (const at of placed) {
    const k = `${at.topic}\u0000${at.partition}`;
    const run = runs.get(k);
    if (run) run.count++;
    else runs.set(k, { topic: at.topic, partition: at.partition, base: at.offset, count: 1 });
  }
  for (const r of runs.values()) graph.changelogWritten(r.topic, r.partition, r.base, r.count);
}

/**
 * Consume every source partition of `graph` from the group's committed offset
 * to the end, in batches, producing results into the same log and committing
 * after each batch, until nothing is left (outputs may feed other sources).
 * Before a partition's first batch the graph's state for it is restored from
 * the changelog; global topics (join tables) are read in full, outside the
 * group. Outputs are produced before state changes, and offsets committed
 * last, as the kafkajs transport does.
 */
export async function drain(graph: Graph, log: MemoryLog, group: string, batchSize = 500, options: DrainOptions = {}): Promise<number> {
  let processed = 0;
  let restored = restoredBy.get(graph);
  if (!restored) restoredBy.set(graph, (restored = new Set()));
  let globalRead = globalReadBy.get(graph);
  if (!globalRead) globalReadBy.set(graph, (globalRead = new Map<string, number>()));
  for (let progress = true; progress;) {
    progress = false;
    for (const topic of graph.globalTopics) {
      for (let p = 0; p < log.partitionCount(topic); p++) {
        const at = `${topic}\u0000${p}`;
        const from = globalRead.get(at) ?? 0;
        const batch = log.read(topic, p, from);
        if (batch.length === 0) continue;
        const result = await graph.process(topic, batch);
        log.produce(result.messages);
        globalRead.set(at, from + batch.length);
        progress = true;
      }
    }
    // In time order, the topics interleave too: a table's changes and the stream it enriches arrive as they happened.
    const batches = options.timeOrder ? inTimeOrder(log, group, graph.sourceTopics, batchSize) : topicByTopic(log, group, graph.sourceTopics, batchSize);
    for (const { topic, p, from, batch } of batches) {
      if (!restored.has(`${topic}\u0000${p}`)) await restoreFromLog(graph, log, topic, p, group);
      const result = await graph.process(topic, batch);
      log.produce(result.messages);
      produceChangelog(graph, log, result.changelog);
      log.commit(group, topic, p, from + batch.length);
      graph.offsetsCommitted(topic, p, String(from + batch.length));
      processed += batch.length;
      progress = true;
    }
  }
  return processed;
}

/**
 * Lets the nodes that emit on a clock (an aggregate's emit interval) emit
 * what is due at `now` in every partition of the group's topics, or all they
 * hold with `final` (a shutdown), and produces it: outputs, then state
 * changes. Returns how many outputs it produced.
 */
export async function punctuateAll(graph: Graph, log: MemoryLog, now: number, final = false): Promise<number> {
  let produced = 0;
  for (const topic of graph.sourceTopics) {
    if (!graph.punctuates(topic) || !log.hasTopic(topic)) continue;
    for (let p = 0; p < log.partitionCount(topic); p++) {
      const result = await graph.punctuate(topic, p, now, final);
      log.produce(result.messages);
      produceChangelog(graph, log, result.changelog);
      produced += result.messages.length;
    }
  }
  return produced;
}
