/**
 * The simulator: the pipeline's own runtime on the in-memory partitioned log,
 * driven tick by tick, with a consumer group whose replicas can be added,
 * removed or killed. It is not a second implementation: every replica runs
 * the same Graph the generated service runs.
 *
 * One tick is: sources produce their events; each replica commits what it
 * processed in the previous tick, then fetches and processes one batch per
 * assigned partition and produces the outputs. Committing one tick late is
 * what a real consumer does (commits trail processing), and it is what makes
 * at-least-once visible: kill a replica and the batch it had processed but
 * not committed is processed again by the partition's next owner.
 *
 * With `delivery: exactly-once`, a batch's outputs and state changes are its
 * transaction, open until the offsets are committed with them (the next
 * tick): only then do they reach the log, as only then would a read_committed
 * consumer see them. A killed replica's open transactions are aborted, so the
 * replay writes their outputs once.
 */
import { Graph, type GraphFns, type GraphOptions, type GraphSpec } from '../engine/graph.js';
import { MemoryLog, produceChangelog, restoreFromLog } from '../transports/memory.js';
import type { SinkOutput } from '../kinds/spec.js';
import type { ValueFormat } from '../kinds/kafka-source.js';
import type { OutMessage, TopicDef } from '../types.js';
import { ConsumerGroup, tpKey, type Member, type TopicPartition } from './group.js';
import { mulberry32 } from '../random.js';
import { Readers, type ExtraGroupSpec, type GroupView } from './readers.js';
import { ClusterLog, type ClusterNoteKind, type ClusterSpec, type ClusterView } from './cluster.js';

export interface SimEvent {
  key: string | null;
  value: unknown;
}

/** Where a source's events come from: a list replayed in a loop, or a generator. */
export interface SimFeed {
  topic: string;
  /** Encoding the source expects: JSON text unless it reads strings. */
  format: ValueFormat;
  /** The event number `index` of this feed, produced at simulated time `now`; undefined when the feed has run out. */
  next(random: () => number, index: number, now: number): SimEvent | undefined;
}

export function loopFeed(topic: string, format: SimFeed['format'], events: readonly SimEvent[]): SimFeed {
  if (events.length === 0) throw new Error(`the source of topic "${topic}" has no sample events to replay; add samples`);
  const step = loopStep(events);
  return { topic, format, next: (_r, i) => loopEvent(events, i, step) };
}

/** Event times inside values: ISO 8601 texts and epoch milliseconds between 2000 and 2100. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const MS_FROM = Date.UTC(2000, 0, 1);
const MS_TO = Date.UTC(2100, 0, 1);
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= MS_FROM && v < MS_TO;

function collectTimes(v: unknown, out: number[]): void {
  if (typeof v === 'string' && ISO_TIME.test(v)) out.push(Date.parse(v));
  else if (isMs(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) collectTimes(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) collectTimes(x, out);
}

function shiftTimes(v: unknown, by: number): unknown {
  if (typeof v === 'string' && ISO_TIME.test(v)) return new Date(Date.parse(v) + by).toISOString();
  if (isMs(v)) return v + by;
  if (Array.isArray(v)) return v.map((x) => shiftTimes(x, by));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shiftTimes(x, by)]));
  return v;
}

/**
 * How far event times inside the samples move forward on each loop: the
 * span of the samples' times plus their average gap. Replayed unchanged,
 * samples with times in them would be late from the second loop on, and
 * windows would never close; moved on, time flows as it would in a stream.
 * 0 when the samples hold fewer than two distinct times.
 */
export function loopStep(events: readonly SimEvent[]): number {
  const times: number[] = [];
  for (const e of events) collectTimes(e.value, times);
  if (times.length < 2) return 0;
  const span = Math.max(...times) - Math.min(...times);
  return span === 0 ? 0 : span + span / (events.length - 1 || 1);
}

/** Event `i` of samples replayed in a loop: loop n has its event times moved on by n × step. */
export function loopEvent(events: readonly SimEvent[], i: number, step = loopStep(events)): SimEvent {
  const e = events[i % events.length];
  const round = Math.floor(i / events.length);
  return round === 0 || step === 0 ? e : { key: e.key, value: shiftTimes(e.value, round * step) };
}

export interface SimOptions {
  spec: GraphSpec;
  fns: GraphFns;
  topics: readonly TopicDef[];
  feeds: readonly SimFeed[];
  seed?: number;
  replicas?: number;
  /** Events each source produces per tick. */
  rate?: number;
  /** Most records a replica takes from one partition per tick: its processing capacity. */
  batchSize?: number;
  /** Simulated milliseconds per tick. */
  tickMs?: number;
  /** Passed to every replica's graph: model files to read, an observer of every emitted record. */
  graph?: GraphOptions;
  /** Other groups reading a topic beside the pipeline's own (runtime/simulator/readers.ts). */
  groups?: ExtraGroupSpec[];
  /** Brokers and replication of the source topics (runtime/simulator/cluster.ts); without it, one perfect broker. */
  cluster?: ClusterSpec;
}

export type NoteKind =
  | 'rebalance'
  | 'idle'
  | 'replay'
  | 'dead-letter'
  | 'lag-growing'
  | 'lag-draining'
  | 'produced'
  | 'window-closed'
  | 'updated'
  | 'late'
  | 'table-delete'
  // The extra groups (readers.ts).
  | 'group-added'
  | 'group-member'
  | 'redelivered'
  | 'order-break'
  // Brokers and replication (cluster.ts).
  | ClusterNoteKind;

export interface Note {
  tick: number;
  kind: NoteKind;
  text: string;
}

interface Replica {
  member: Member;
  graph: Graph;
  /** Next offset to fetch per partition, from the committed offset at assignment. */
  position: Map<string, number>;
  /** Offsets processed in the last tick, committed at the start of the next. */
  pending: Map<string, number>;
  processed: number;
  /** Partitions whose state this replica has brought up to date from the changelog since the last rebalance. */
  restored: Set<string>;
  /** Changelog records this replica has applied to its state while restoring. */
  restoredRecords: number;
  /** How far this replica has read each partition of the global topics (tables), which it reads in full. */
  globalRead: Map<string, number>;
  /** Exactly-once: outputs and state changes of the batches processed since the last commit (the open transactions). */
  open: { outputs: OutMessage[]; changes: OutMessage[] };
}

export interface PartitionState {
  topic: string;
  partition: number;
  endOffset: number;
  committed: number;
  lag: number;
  owner: string | null;
}

export interface SimSnapshot {
  tick: number;
  time: number;
  /** restored: changelog records the member applied to its state while restoring partitions. */
  members: { id: string; assigned: string[]; idle: boolean; processed: number; restored: number }[];
  partitions: PartitionState[];
  nodes: Record<string, { in: number; out: number; errors: number }>;
  deadLetters: number;
  replayed: number;
  /** Exactly-once: outputs of transactions aborted by a crash (never read committed). */
  aborted: number;
  produced: number;
  generation: number;
  /** The extra groups reading beside the pipeline's own. */
  groups: GroupView[];
  cluster?: ClusterView;
}

const TEXT = new TextEncoder();

export class Simulator {
  readonly log: MemoryLog;
  readonly group: ConsumerGroup;
  readonly notes: Note[] = [];
  tick = 0;
  replayed = 0;
  aborted = 0;
  produced = 0;
  private readonly replicas = new Map<string, Replica>();
  private readonly random: () => number;
  private readonly maxProcessed = new Map<string, number>();
  private readonly feedIndex = new Map<SimFeed, number>();
  private readonly lagHistory: number[] = [];
  private retired = new Map<string, { in: number; out: number; errors: number }>();
  private readonly retiredCaptured = new Map<string, SinkOutput[]>();
  rate: number;
  readonly exactlyOnce: boolean;
  readonly batchSize: number;
  readonly tickMs: number;
  private readonly start: number;
  readonly readers: Readers;

  constructor(private readonly options: SimOptions) {
    this.random = mulberry32(options.seed ?? 1);
    this.exactlyOnce = options.spec.delivery === 'exactly-once';
    this.rate = options.rate ?? 5;
    this.batchSize = options.batchSize ?? 10;
    this.tickMs = options.tickMs ?? 100;
    this.start = Date.UTC(2024, 0, 1);
    this.log = options.cluster
      ? new ClusterLog(
          options.cluster,
          options.feeds.map((f) => f.topic),
          { note: (kind, text) => this.note(kind, text), truncated: (t, p, end) => this.truncated(t, p, end) },
        )
      : new MemoryLog();
    for (const t of options.topics) this.log.createTopic(t.name, t.partitions);
    this.log.createTopic(options.spec.errors.topic, 1);
    const sources = new Set(new Graph(options.spec, options.fns, options.graph).sourceTopics);
    this.group = new ConsumerGroup(options.spec.pipeline, () =>
      [...sources].flatMap((topic) => Array.from({ length: this.log.partitionCount(topic) }, (_, partition) => ({ topic, partition }))),
    );
    for (let i = 0; i < (options.replicas ?? 1); i++) this.addReplica();
    this.readers = new Readers(
      this.log,
      (kind, text) => this.note(kind, text),
      options.spec.pipeline,
      () => options.topics.map((t) => t.name),
    );
    for (const g of options.groups ?? []) this.addGroup(g);
  }

  addGroup(spec: ExtraGroupSpec): void {
    this.readers.add(spec);
  }

  removeGroup(name: string): void {
    this.readers.remove(name);
  }

  addGroupMember(name: string): string {
    return this.readers.addMember(name);
  }

  killGroupMember(name: string, memberId?: string): string | undefined {
    return this.readers.kill(name, memberId);
  }

  /** factor 0 stalls the member, 1 is full speed. */
  slowGroupMember(name: string, memberId: string, factor: number): void {
    this.readers.slow(name, memberId, factor);
  }

  get now(): number {
    return this.start + this.tick * this.tickMs;
  }

  addReplica(): string {
    const member = this.group.join();
    this.replicas.set(member.id, {
      member,
      graph: new Graph(this.options.spec, this.options.fns, this.options.graph),
      position: new Map(),
      pending: new Map(),
      processed: 0,
      restored: new Set(),
      restoredRecords: 0,
      globalRead: new Map(),
      open: { outputs: [], changes: [] },
    });
    this.afterRebalance(`${member.id} joined the group`);
    return member.id;
  }

  /** A clean shutdown: the replica commits what it processed, then leaves. */
  removeReplica(id?: string): string | undefined {
    const r = id ? this.replicas.get(id) : [...this.replicas.values()].at(-1);
    if (!r) return undefined;
    // What aggregates hold back for their emit interval stays marked in the changelog: the new owner emits it.
    this.commit(r);
    this.drop(r);
    this.afterRebalance(`${r.member.id} left the group after committing its offsets`);
    return r.member.id;
  }

  /** A crash: what the replica processed but had not committed will be processed again. */
  killReplica(id?: string): string | undefined {
    const r = id ? this.replicas.get(id) : [...this.replicas.values()][0];
    if (!r) return undefined;
    const uncommitted = [...r.pending].reduce((n, [k, next]) => n + next - this.committedOf(k), 0);
    const aborted = r.open.outputs.length;
    this.aborted += aborted;
    this.drop(r);
    this.afterRebalance(
      this.exactlyOnce
        ? `${r.member.id} crashed with ${uncommitted} processed but uncommitted event(s); their transactions are aborted, so their ${aborted} output(s) are never read committed, and the partitions' new owners process them again and write them once (exactly-once)`
        : `${r.member.id} crashed with ${uncommitted} processed but uncommitted event(s); their partitions' new owners start from the last committed offset and process them again, and write their outputs a second time (at-least-once)`,
    );
    return r.member.id;
  }

  /** The brokers, when the simulation has them (`cluster` in the options). */
  get cluster(): ClusterLog | undefined {
    return this.log instanceof ClusterLog ? this.log : undefined;
  }

  killBroker(id: number): void {
    this.brokers().killBroker(id);
  }

  restartBroker(id: number): void {
    this.brokers().restartBroker(id);
  }

  /** factor: the share of ticks the broker's followers fetch on (0 stalled, 1 normal). */
  slowBroker(id: number, factor: number): void {
    this.brokers().slowBroker(id, factor);
  }

  /** acks, min.insync.replicas, unclean leader election, replica lag time: they apply from now on. */
  setCluster(change: Partial<ClusterSpec>): void {
    this.brokers().setCluster(change);
  }

  private brokers(): ClusterLog {
    if (!this.cluster) throw new Error('this simulation runs on one perfect broker; start it with a cluster to kill or restart brokers');
    return this.cluster;
  }

  /** A source partition was cut back after a leader change: whoever had read past its new end reads on from there. */
  private truncated(topic: string, partition: number, end: number): void {
    const k = `${topic}\u0000${partition}`;
    for (const r of this.replicas.values()) {
      if ((r.position.get(k) ?? 0) > end) r.position.set(k, end);
      if ((r.pending.get(k) ?? 0) > end) r.pending.set(k, end);
    }
    if ((this.maxProcessed.get(k) ?? -1) >= end) this.maxProcessed.set(k, end - 1);
  }

  /** One tick: produce, commit the previous batch, process the next. */
  async step(): Promise<void> {
    this.tick++;
    this.log.now = this.now;
    this.produceFromFeeds(this.rate);
    await this.consume(this.batchSize);
    this.readers.step(this.now);
    this.watchLag();
  }

  /**
   * One event through the graph: produce one event, and let its partition's
   * owner process one event of that partition: this one, or, when the
   * partition has a backlog, the oldest waiting (order per partition is kept).
   * What that produces to repartition topics is followed the same way, one
   * event per event, to the end of the graph.
   */
  async stepOne(): Promise<void> {
    this.tick++;
    this.log.now = this.now;
    const fed = new Set(this.options.feeds.map((f) => f.topic));
    const inner = () => this.group.topicPartitions().filter((tp) => !fed.has(tp.topic));
    const ends = () => new Map(inner().map((tp) => [tpKey(tp), this.log.endOffset(tp.topic, tp.partition)]));
    let before = ends();
    const placed = this.produceFromFeeds(1);
    for (const r of this.replicas.values()) this.commit(r);
    for (const r of this.replicas.values()) await this.readGlobals(r);
    // Exactly-once, each event is a transaction of its own here, committed at once, so that what it
    // produces to repartition topics is there to follow.
    const process = async (r: Replica, tp: TopicPartition, max: number) => {
      await this.processPartition(r, tp, max);
      if (this.exactlyOnce) this.commit(r);
    };
    for (const p of placed) {
      const owner = this.group.owner(p);
      if (owner) await process(this.replicas.get(owner.id)!, p, 1);
    }
    for (let progress = true; progress;) {
      progress = false;
      const after = ends();
      for (const tp of inner()) {
        const added = after.get(tpKey(tp))! - before.get(tpKey(tp))!;
        const owner = this.group.owner(tp);
        if (added <= 0 || !owner) continue;
        before = new Map([...before, [tpKey(tp), after.get(tpKey(tp))!]]);
        await process(this.replicas.get(owner.id)!, tp, added);
        progress = true;
      }
    }
    // Results held back for an emit interval come out when it is due, as on a full tick.
    for (const r of this.replicas.values()) {
      await this.punctuate(r, false);
      if (this.exactlyOnce) this.commit(r);
    }
    this.readers.step(this.now);
  }

  snapshot(): SimSnapshot {
    const nodes: SimSnapshot['nodes'] = {};
    const add = (id: string, s: { in: number; out: number; errors: number }) => {
      const n = (nodes[id] ??= { in: 0, out: 0, errors: 0 });
      n.in += s.in;
      n.out += s.out;
      n.errors += s.errors;
    };
    for (const [id, s] of this.retired) add(id, s);
    for (const r of this.replicas.values()) for (const [id, s] of r.graph.stats) add(id, s);
    return {
      tick: this.tick,
      time: this.now,
      members: this.group.members.map((m) => ({
        id: m.id,
        assigned: m.assigned.map(tpKey),
        idle: m.assigned.length === 0,
        processed: this.replicas.get(m.id)!.processed,
        restored: this.replicas.get(m.id)!.restoredRecords,
      })),
      partitions: this.partitionStates(),
      nodes,
      deadLetters: this.deadLetterCount(),
      replayed: this.replayed,
      aborted: this.aborted,
      produced: this.produced,
      generation: this.group.generation,
      groups: this.readers.views(),
      ...(this.cluster ? { cluster: this.cluster.view() } : {}),
    };
  }

  /** Messages on the dead-letter topic, counted from its offsets (no copy of the topic). */
  deadLetterCount(): number {
    const topic = this.options.spec.errors.topic;
    let n = 0;
    for (let p = 0; p < this.log.partitionCount(topic); p++) n += this.log.endOffset(topic, p);
    return n;
  }

  /** What the sinks outside Kafka (postgres, http, log) would have written, by node id, over every replica that ran. */
  captured(): Map<string, SinkOutput[]> {
    const out = new Map<string, SinkOutput[]>();
    for (const [id, list] of this.retiredCaptured) out.set(id, [...list]);
    for (const r of this.replicas.values()) for (const [id, list] of r.graph.captured) out.set(id, [...(out.get(id) ?? []), ...list]);
    return out;
  }

  /** Total lag of the group over all source partitions. */
  totalLag(): number {
    return this.partitionStates().reduce((n, p) => n + p.lag, 0);
  }

  private partitionStates(): PartitionState[] {
    const group = this.options.spec.pipeline;
    return this.group.topicPartitions().map((tp) => {
      const endOffset = this.log.endOffset(tp.topic, tp.partition);
      const committed = this.log.committedOffset(group, tp.topic, tp.partition);
      return { ...tp, endOffset, committed, lag: endOffset - committed, owner: this.group.owner(tp)?.id ?? null };
    });
  }

  private drop(r: Replica): void {
    for (const [id, list] of r.graph.captured) this.retiredCaptured.set(id, [...(this.retiredCaptured.get(id) ?? []), ...list]);
    for (const [id, s] of r.graph.stats) {
      const prev = this.retired.get(id) ?? { in: 0, out: 0, errors: 0 };
      this.retired.set(id, { in: prev.in + s.in, out: prev.out + s.out, errors: prev.errors + s.errors });
    }
    this.replicas.delete(r.member.id);
    this.group.remove(r.member.id);
  }

  private afterRebalance(what: string): void {
    const parts = this.group.members.map((m) => `${m.id}: ${m.assigned.length ? m.assigned.map(tpKey).join(', ') : 'idle'}`);
    this.note('rebalance', `${what}. Rebalance (generation ${this.group.generation}): ${parts.join('; ') || 'no members left, nothing is consumed'}.`);
    // Live members commit what they processed before giving partitions up, as kafkajs does on a
    // rebalance; then every member resumes from the committed offsets of what it now owns.
    for (const r of this.replicas.values()) {
      this.commit(r);
      r.position.clear();
      // State follows the partitions: a replica drops the state of partitions gone elsewhere; what it
      // keeps it brings up to date from the changelog before the next batch (usually nothing to read).
      for (const k of r.restored) {
        const [topic, partition] = k.split('\u0000');
        if (!r.member.assigned.some((tp) => tp.topic === topic && tp.partition === Number(partition))) r.graph.dropPartition(topic, Number(partition));
      }
      r.restored.clear();
    }
    const idle = this.group.members.filter((m) => m.assigned.length === 0);
    if (idle.length) {
      this.note(
        'idle',
        `${idle.map((m) => m.id).join(', ')} ${idle.length === 1 ? 'is' : 'are'} idle: a partition is consumed by one member of a group at a time, and there are more members than partitions.`,
      );
    }
  }

  private produceFromFeeds(count: number): (TopicPartition & { offset: number })[] {
    const messages: OutMessage[] = [];
    for (const feed of this.options.feeds) {
      for (let i = 0; i < count; i++) {
        const index = this.feedIndex.get(feed) ?? 0;
        this.feedIndex.set(feed, index + 1);
        const e = feed.next(this.random, index, this.now);
        if (!e) continue;
        // A null sample is a tombstone: a table's delete.
        const value = e.value === null ? null : feed.format === 'string' && typeof e.value === 'string' ? e.value : JSON.stringify(e.value);
        messages.push({
          topic: feed.topic,
          key: e.key,
          value: feed.format === 'bytes' && value !== null ? TEXT.encode(value) : value,
          headers: {},
          timestamp: this.now,
        });
      }
    }
    this.produced += messages.length;
    const placed = this.log.produce(messages);
    this.cluster?.replicate(this.tick);
    return placed;
  }

  private committedOf(key: string): number {
    const [topic, partition] = key.split('\u0000');
    return this.log.committedOffset(this.options.spec.pipeline, topic, Number(partition));
  }

  private positionOf(r: Replica, tp: TopicPartition): number {
    const k = `${tp.topic}\u0000${tp.partition}`;
    let pos = r.position.get(k);
    if (pos === undefined) r.position.set(k, (pos = this.log.committedOffset(this.options.spec.pipeline, tp.topic, tp.partition)));
    return pos;
  }

  private commit(r: Replica): void {
    if (r.open.outputs.length > 0 || r.open.changes.length > 0) {
      // Exactly-once: the transaction commits its outputs and state changes with the offsets.
      this.log.produce(r.open.outputs);
      produceChangelog(r.graph, this.log, r.open.changes);
      r.open = { outputs: [], changes: [] };
    }
    for (const [k, next] of r.pending) {
      const [topic, partition] = k.split('\u0000');
      this.log.commit(this.options.spec.pipeline, topic, Number(partition), next);
    }
    r.pending.clear();
  }

  private async consume(batchSize: number): Promise<void> {
    for (const r of this.replicas.values()) this.commit(r);
    for (const r of this.replicas.values()) {
      await this.readGlobals(r);
      for (const tp of r.member.assigned) await this.processPartition(r, tp, batchSize);
      await this.punctuate(r, false);
    }
  }

  /**
   * Nodes that emit on a clock (an aggregate's emit interval) emit what is due at the simulated time
   * in the partitions this replica owns and has restored; with `final`, all they hold (a clean leave).
   * Written like a batch's outputs: exactly-once, into the open transaction.
   */
  private async punctuate(r: Replica, final: boolean): Promise<void> {
    if (r.graph.punctuateEvery === undefined) return;
    for (const tp of r.member.assigned) {
      if (!r.graph.punctuates(tp.topic)) continue;
      // A partition with nothing to process still has results held back in its changelog: restore it to emit them.
      await this.restoreOnce(r, tp);
      this.written(r, await r.graph.punctuate(tp.topic, tp.partition, this.now, final));
    }
  }

  /** A partition's state brought up to date from its changelog, once per assignment. */
  private async restoreOnce(r: Replica, tp: TopicPartition): Promise<void> {
    const k = `${tp.topic}\u0000${tp.partition}`;
    if (r.restored.has(k)) return;
    r.restoredRecords += await restoreFromLog(r.graph, this.log, tp.topic, tp.partition);
    r.restored.add(k);
  }

  private written(r: Replica, result: { messages: OutMessage[]; changelog: OutMessage[] }): void {
    if (this.exactlyOnce) {
      // Held in the open transaction until the offsets are committed with them.
      r.open.outputs.push(...result.messages);
      r.open.changes.push(...result.changelog);
    } else {
      // Outputs first, then the state they came from, then (next tick) the offsets: as the service does.
      this.log.produce(result.messages);
      produceChangelog(r.graph, this.log, result.changelog);
    }
  }

  /** Tables to join with: every replica reads their topics in full, outside the group. */
  private async readGlobals(r: Replica): Promise<void> {
    for (const topic of r.graph.globalTopics) {
      for (let p = 0; p < this.log.partitionCount(topic); p++) {
        const k = `${topic}\u0000${p}`;
        const from = r.globalRead.get(k) ?? 0;
        const batch = this.log.read(topic, p, from);
        if (batch.length === 0) continue;
        const result = await r.graph.process(topic, batch);
        this.log.produce(result.messages);
        r.globalRead.set(k, from + batch.length);
      }
    }
  }

  private async processPartition(r: Replica, tp: TopicPartition, max: number): Promise<void> {
    const from = this.positionOf(r, tp);
    const batch = this.log.read(tp.topic, tp.partition, from, max);
    if (batch.length === 0) return;
    const k = `${tp.topic}\u0000${tp.partition}`;
    const seen = this.maxProcessed.get(k) ?? -1;
    const replays = batch.filter((m) => Number(m.origin.offset) <= seen).length;
    if (replays > 0) {
      this.replayed += replays;
      this.note(
        'replay',
        `${r.member.id} processed ${replays} event(s) of ${tpKey(tp)} a second time: they were processed before a crash but never committed` +
          (this.exactlyOnce ? '; their first outputs were aborted with the transaction, so these are written once.' : '.'),
      );
    }
    this.maxProcessed.set(k, Math.max(seen, from + batch.length - 1));
    // A partition's first batch since a rebalance: its state is brought up to date from the changelog first.
    await this.restoreOnce(r, tp);
    const result = await r.graph.process(tp.topic, batch);
    this.written(r, result);
    if (result.deadLetters > 0) {
      const first = result.messages.find((m) => m.topic === this.options.spec.errors.topic);
      this.note(
        'dead-letter',
        `${result.deadLetters} event(s) from ${tpKey(tp)} went to the dead-letter topic ${this.options.spec.errors.topic} (${first?.headers['pipewright.node'] ?? '?'}: ${first?.headers['pipewright.error'] ?? '?'}); the partition keeps flowing.`,
      );
    }
    r.position.set(k, from + batch.length);
    r.pending.set(k, from + batch.length);
    r.processed += batch.length;
  }

  private watchLag(): void {
    const lag = this.totalLag();
    this.lagHistory.push(lag);
    if (this.lagHistory.length > 10) this.lagHistory.shift();
    if (this.lagHistory.length < 10) return;
    const [first] = this.lagHistory;
    const last = this.lagHistory[this.lagHistory.length - 1];
    const lastNote = [...this.notes].reverse().find((n) => n.kind === 'lag-growing' || n.kind === 'lag-draining');
    const kind: NoteKind | undefined = last > first + 5 ? 'lag-growing' : last < first - 5 ? 'lag-draining' : undefined;
    if (!kind || lastNote?.kind === kind) return;
    this.note(
      kind,
      kind === 'lag-growing'
        ? `Lag grew from ${first} to ${last} events in 10 ticks: events arrive faster than the replicas process them. Add a replica (up to the partition count) or lower the rate.`
        : `Lag is draining (${first} → ${last}): the replicas are catching up.`,
    );
  }

  private note(kind: NoteKind, text: string): void {
    this.notes.push({ tick: this.tick, kind, text });
    if (this.notes.length > 500) this.notes.shift();
  }
}
