/**
 * Restoring state from its changelog topics, as the records arrive. One
 * consumer of its own (outside the service's group, never committing)
 * subscribes to every changelog topic and is kept paused. To bring a
 * partition's state up to date, it is sought to where the state stands (the
 * beginning when this replica holds none) and resumed until the end offset it
 * had when the read began; each fetched batch is applied to the store at once,
 * so memory holds the state and one fetch, never the whole partition. There is
 * no deadline: a read gives up only when nothing has arrived for
 * `stallTimeoutMs`. Standby partitions (warm copies of partitions another
 * replica owns) stay resumed and are applied as they are written.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Graph } from '../engine/graph.js';
import type { ServiceConfig } from '../service/config.js';
import type { Metrics } from '../service/metrics.js';
import { restartWhenUnreachable, type Logger } from './kafka.js';
import { errorText } from '../errors.js';

/** A read in progress: one changelog partition, until its end offset. */
interface Reading {
  end: number;
  /** The offset after the last record seen (the read's start before the first). */
  next: number;
  applied: number;
  /** When the last record arrived (or the read began). */
  lastProgress: number;
  done: () => void;
}

const at = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** How often a long read logs its progress. */
const PROGRESS_EVERY_MS = 5_000;

export class ChangelogRestorer {
  private readonly consumer: Consumer;
  private restarts: { stop(): void } | undefined;
  private readonly reading = new Map<string, Reading>();
  /** Changelog partitions kept warm for partitions another replica owns. */
  private readonly standby = new Set<string>();

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly config: ServiceConfig,
    private readonly graph: Graph,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly topics: string[],
  ) {
    const id = `${config.groupId}.restore.${config.clientId}.${Math.random().toString(36).slice(2, 10)}`;
    // Small fetches, many partitions to a fetch: kafkajs decodes a whole fetch before the first
    // record is applied, and the decoded messages of a large one (some 500 bytes of objects per
    // record) outlive the young generation, which the garbage collector then pays for; with
    // 256 kB per partition a restore spent about a fifth less CPU than with 2 MB (bench/restore.ts).
    this.consumer = kafka.consumer({
      groupId: id,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      maxBytesPerPartition: 256 * 1024,
      maxBytes: 4 * 1024 * 1024,
      maxWaitTimeInMs: config.fetchMaxWaitMs,
    });
  }

  /** Connects, and returns once the consumer has its partitions (a first restore then starts reading at once). */
  async start(): Promise<void> {
    let off = () => {};
    const joined = new Promise<void>((resolve) => (off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve())));
    // Joined again (its session lapsed, or the broker moved the group): fetch positions and pauses
    // start over, so reads in progress and standbys are sought again to where their state stands.
    let joins = 0;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      if (joins++ === 0) return;
      this.consumer.pause(this.topics.map((topic) => ({ topic })));
      for (const k of [...this.reading.keys(), ...this.standby]) {
        const [changelog, partition] = k.split('\u0000');
        const p = Number(partition);
        this.consumer.seek({ topic: changelog, partition: p, offset: String(this.graph.changelogPosition(changelog, p)) });
        this.consumer.resume([{ topic: changelog, partitions: [p] }]);
      }
    });
    // A fetch that holds only transaction markers and aborted records (exactly-once: the commit marker
    // after a replica's own last transaction, or the abort of a killed owner's) never reaches
    // eachBatch: kafkajs passes over it and says so only in this event. A read whose remaining records
    // are all such would otherwise wait for its end forever.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0 || payload.firstOffset === null) return;
      const reading = this.reading.get(at(payload.topic, payload.partition));
      // Only what follows on from where the read stands: not a fetch made before it was sought.
      if (!reading || Number(payload.firstOffset) !== reading.next) return;
      this.passed(reading, Number(payload.lastOffset) + 1, Number(payload.highWatermark));
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    const run = () => this.consumer.run({ autoCommit: false, eachBatch: (payload) => this.onBatch(payload) });
    await run();
    this.restarts = restartWhenUnreachable(this.consumer, run, this.log, 'changelog reader');
    this.consumer.pause(this.topics.map((topic) => ({ topic })));
    await joined;
    off();
  }

  private async onBatch({ batch, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    // Fetched before a seek: not where the state stands.
    if (isStale()) return;
    const k = at(batch.topic, batch.partition);
    const reading = this.reading.get(k);
    if (!reading && !this.standby.has(k)) return;
    // A table's own topic is restored only up to the group's committed offset; the group reads on from there.
    const messages = reading && this.graph.isTableTopic(batch.topic) ? batch.messages.filter((m) => Number(m.offset) < reading.end) : batch.messages;
    const applied = this.graph.applyChangelog(batch.topic, batch.partition, messages);
    if (reading) {
      reading.applied += applied;
      if (batch.messages.length > 0) reading.lastProgress = Date.now();
      this.metrics.restoredRecords += applied;
      this.passed(reading, Number(batch.lastOffset()) + 1, Number(batch.highWatermark));
    } else this.metrics.standbyRecords += applied;
    // Applying a large fetch takes a while: the group must still hear from this consumer.
    await heartbeat();
  }

  /** The read has seen everything before `next`, of a partition that ends at `highWatermark`. */
  private passed(reading: Reading, next: number, highWatermark: number): void {
    if (next > reading.next) {
      reading.next = next;
      reading.lastProgress = Date.now();
    }
    if (next >= reading.end || highWatermark <= next) reading.done();
  }

  /** Restores in progress or queued, by source partition: one at a time per partition. */
  private readonly queued = new Map<string, Promise<number>>();

  /**
   * Brings the state of partition `partition` of the source `topic` up to
   * date from its changelog partitions; returns the records applied.
   * Restores of different partitions run at once (one consumer fetches them
   * together); a restore of a partition already being restored waits for it.
   */
  restore(topic: string, partition: number): Promise<number> {
    const k = at(topic, partition);
    const run = (this.queued.get(k) ?? Promise.resolve(0)).catch(() => 0).then(() => this.restoreNow(topic, partition));
    this.queued.set(k, run);
    const forget = () => {
      if (this.queued.get(k) === run) this.queued.delete(k);
    };
    run.then(forget, forget);
    return run;
  }

  private async restoreNow(topic: string, partition: number): Promise<number> {
    const began = performance.now();
    let applied = 0;
    /** Where each changelog partition was read from: 0 without state, further on with state kept (or a standby copy). */
    const from: Record<string, number> = {};
    for (const point of this.graph.restorePoints(topic, partition)) {
      from[point.changelog] = point.from;
      applied += await this.read(point.changelog, partition, point.from);
    }
    this.graph.stateRestored(topic, partition);
    const seconds = (performance.now() - began) / 1000;
    this.metrics.restoreSeconds += seconds;
    this.log.info('restored state', {
      topic,
      partition,
      records: applied,
      from,
      seconds: Number(seconds.toFixed(3)),
      recordsPerSecond: seconds > 0 ? Math.round(applied / seconds) : undefined,
    });
    return applied;
  }

  /** Reads in progress, by changelog partition. */
  private readonly inflight = new Map<string, Promise<number>>();

  /**
   * Reads a changelog partition from `from` to its end. Two source partitions can share one (a
   * table's topic holds the rows a stream's partition joins with, and is itself consumed): a read
   * already in progress brings the state up to date for both, and the second waits for it.
   */
  private async read(changelog: string, partition: number, from: number): Promise<number> {
    const k = at(changelog, partition);
    const running = this.inflight.get(k);
    if (running) {
      await running.catch(() => 0);
      return 0;
    }
    const run = this.readNow(changelog, partition, from);
    this.inflight.set(k, run);
    try {
      return await run;
    } finally {
      if (this.inflight.get(k) === run) this.inflight.delete(k);
    }
  }

  private async readNow(changelog: string, partition: number, from: number): Promise<number> {
    const k = at(changelog, partition);
    const end = this.graph.isTableTopic(changelog) ? await this.committedOffset(changelog, partition) : await this.endOffset(changelog, partition);
    if (end <= from) {
      this.graph.changelogReached(changelog, partition, from);
      return 0;
    }
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const reading: Reading = { end, next: from, applied: 0, lastProgress: Date.now(), done };
    this.standby.delete(k);
    this.reading.set(k, reading);
    this.metrics.restoring++;
    this.log.info('restoring state', { changelog, partition, from, end, records: end - from });
    let lastLog = Date.now();
    try {
      try {
        this.consumer.seek({ topic: changelog, partition, offset: String(from) });
        this.consumer.resume([{ topic: changelog, partitions: [partition] }]);
      } catch (error) {
        // The reader is between a crash and its restart (a broker restart): kafkajs says it is not
        // running, an error it would not retry. As a plain error, the batch waiting for this
        // restore is tried again (and the service's consumer is not given up).
        throw new Error(`restoring ${changelog}[${partition}]: the changelog reader is not running (${errorText(error)}); trying again`, { cause: error });
      }
      for (;;) {
        const tick = new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), 1000).unref());
        if ((await Promise.race([finished, tick])) !== 'tick') break;
        const now = Date.now();
        if (now - reading.lastProgress > this.config.restoreStallTimeoutMs) {
          throw new Error(
            `restoring ${changelog}[${partition}] made no progress for ${Math.round(this.config.restoreStallTimeoutMs / 1000)} s ` +
              `(${reading.applied} of about ${end - from} records applied); check that the broker is reachable, or raise RESTORE_STALL_TIMEOUT_MS`,
          );
        }
        if (now - lastLog >= PROGRESS_EVERY_MS) {
          lastLog = now;
          this.log.info('restoring state', { changelog, partition, records: reading.applied, of: end - from });
        }
      }
    } finally {
      this.reading.delete(k);
      this.metrics.restoring--;
      try {
        this.consumer.pause([{ topic: changelog, partitions: [partition] }]);
      } catch {
        // Not running (see above): when it joins again, it pauses all but the reads in progress.
      }
    }
    this.graph.changelogReached(changelog, partition, end);
    return reading.applied;
  }

  /**
   * Keeps the state of these source partitions (not owned here) warm: their
   * changelog partitions are read on from where the state stands and
   * applied as they are written. Partitions no longer listed stop.
   */
  setStandby(partitions: { topic: string; partition: number }[]): void {
    const wanted = new Map<string, { changelog: string; partition: number; from: number }>();
    for (const { topic, partition } of partitions) {
      for (const { changelog, from } of this.graph.restorePoints(topic, partition)) wanted.set(at(changelog, partition), { changelog, partition, from });
    }
    for (const k of this.standby) {
      if (wanted.has(k)) continue;
      this.standby.delete(k);
      const [changelog, partition] = k.split('\u0000');
      if (!this.reading.has(k)) this.consumer.pause([{ topic: changelog, partitions: [Number(partition)] }]);
    }
    for (const [k, w] of wanted) {
      if (this.standby.has(k) || this.reading.has(k)) continue;
      this.standby.add(k);
      this.consumer.seek({ topic: w.changelog, partition: w.partition, offset: String(w.from) });
      this.consumer.resume([{ topic: w.changelog, partitions: [w.partition] }]);
    }
  }

  /** The service's group's committed offset of a partition (0 when there is none). */
  private async committedOffset(topic: string, partition: number): Promise<number> {
    const [offsets] = await this.admin.fetchOffsets({ groupId: this.config.groupId, topics: [topic] });
    const o = offsets?.partitions.find((x) => x.partition === partition);
    return o && Number(o.offset) > 0 ? Number(o.offset) : 0;
  }

  private async endOffset(topic: string, partition: number): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const o = offsets.find((x) => x.partition === partition);
    return o ? Number(o.high) : 0;
  }

  async stop(): Promise<void> {
    this.restarts?.stop();
    await this.consumer.disconnect();
  }
}
