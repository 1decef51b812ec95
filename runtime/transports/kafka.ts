/**
 * The kafkajs adapter: the consume → produce loop of the service (its readers outside the group,
 * transactions and connection settings are beside it in runtime/transports/). It
 * follows the kafkajs guide for a consume → produce loop: eachBatch without
 * auto-resolve; every output of a slice is produced in as few sendBatch calls as fit and
 * acknowledged (acks=-1) before the slice's offsets are resolved; heartbeats
 * between slices; stop as soon as the consumer is stopping or the batch stale.
 */
import {
  AssignerProtocol,
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type KafkaMessage,
  type PartitionAssigner,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import type { BatchResult, Graph } from '../engine/graph.js';
import { repartitionTopic } from '../engine/state.js';
import type { ServiceConfig } from '../service/config.js';
import { connectionOptions } from './kafka-connection.js';
import type { Metrics } from '../service/metrics.js';
import type { OutMessage, RawMessage } from '../types.js';
import { TableDeadLetters, TransactionalProducers } from './transactions.js';
import { ChangelogRestorer } from './restore.js';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * How long a request may wait for the broker's answer: 10 s longer than the group session. A
 * SyncGroup waits for the group's leader, and when the leader died in the middle of a rebalance the
 * broker answers only once the leader's session has run out; with kafkajs's 30 s against the
 * default 30 s session, the request timed out first, the consumer crashed and came back as a new
 * member, and the group waited out one more session for the member it had been (a chaos run's
 * group stood still 86 s after three SIGKILLs, bench/README.md).
 */
export function requestTimeoutMs(config: Pick<ServiceConfig, 'sessionTimeoutMs'>): number {
  return Math.max(30_000, config.sessionTimeoutMs + 10_000);
}

export function createKafka(config: ServiceConfig, log: Logger): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ...connectionOptions(config),
    requestTimeout: requestTimeoutMs(config),
    // Ride out a broker restart (tens of seconds) without giving up: a consumer that gives up
    // crashes, comes back as a new member, and the group then waits for the old members to time
    // out before it rebalances. About a minute of retries: 0.3 s doubling, then every 5 s.
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 15 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const fields = { ...rest, namespace: entry.namespace };
      if (entry.level <= KafkaLogLevel.ERROR) log.error(message, fields);
      else log.warn(message, fields);
    },
  });
}

export function toRaw(topic: string, partition: number, m: KafkaMessage): RawMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  return {
    key: m.key,
    value: m.value,
    timestamp: Number(m.timestamp),
    headers,
    origin: { topic, partition, offset: m.offset },
  };
}

export function groupByTopic(messages: readonly OutMessage[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const m of messages) {
    let t = byTopic.get(m.topic);
    if (!t) byTopic.set(m.topic, (t = { topic: m.topic, messages: [] }));
    t.messages.push({
      key: m.key === null || typeof m.key === 'string' || Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key),
      value: m.value === null ? null : typeof m.value === 'string' || Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value),
      headers: m.headers,
      partition: m.partition,
      timestamp: m.timestamp === undefined ? undefined : String(m.timestamp),
    });
  }
  return [...byTopic.values()];
}

/** About half of a broker's default message.max.bytes: one request's record batch per partition stays below it. */
const MAX_REQUEST_BYTES = 512 * 1024;

const sizeOf = (v: string | Uint8Array | null) => (v === null ? 0 : typeof v === 'string' ? v.length * 3 : v.byteLength);

/** Where a send put the messages it was given with an explicit partition: `count` of them from offset `base`. */
export interface Placed {
  topic: string;
  partition: number;
  base: number;
  count: number;
}

/**
 * Produces messages with acks=all, in order, in as few requests as fit:
 * closing many windows at once can give more than a broker takes in one
 * record batch, so requests are cut at MAX_REQUEST_BYTES. Returns where the
 * messages pinned to a partition (state changes) landed.
 */
export async function sendAll(producer: Pick<Producer, 'sendBatch'>, messages: readonly OutMessage[]): Promise<Placed[]> {
  const placed: Placed[] = [];
  const send = async (slice: readonly OutMessage[]) => {
    const counts = new Map<string, Placed>();
    for (const m of slice) {
      if (m.partition === undefined) continue;
      const k = `${m.topic}\u0000${m.partition}`;
      const c = counts.get(k);
      if (c) c.count++;
      else counts.set(k, { topic: m.topic, partition: m.partition, base: -1, count: 1 });
    }
    const meta = await producer.sendBatch({ topicMessages: groupByTopic(slice), acks: -1 });
    for (const r of meta ?? []) {
      const c = counts.get(`${r.topicName}\u0000${r.partition}`);
      if (c && r.baseOffset !== undefined) placed.push({ ...c, base: Number(r.baseOffset) });
    }
  };
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const size = 64 + sizeOf(m.key) + sizeOf(m.value);
    if (bytes + size > MAX_REQUEST_BYTES && i > start) {
      await send(messages.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < messages.length) await send(messages.slice(start));
  return placed;
}

export interface KafkaLoop {
  consumer: Consumer;
  producer: Producer;
  /** Partitions assigned to this member at the last rebalance. */
  assignment: Record<string, number[]>;
  /** Whether this replica is a member of the consumer group now: false before it joins, while it rebalances, after it stops or crashes. */
  joined: boolean;
  /** When the consumer last completed a poll (fetch) or a heartbeat, or joined (ms since the epoch). */
  lastProgress: number;
  stop(): Promise<void>;
}

export async function startKafkaLoop(opts: {
  kafka: Kafka;
  graph: Graph;
  config: ServiceConfig;
  metrics: Metrics;
  log: Logger;
  fromBeginning: boolean;
  onFatal: (error: unknown) => void;
}): Promise<KafkaLoop> {
  const { kafka, graph, config, metrics, log } = opts;
  const clients = loopClients(kafka, graph, config, metrics, log);
  const { producer, consumer, admin, restorer, tables, txns } = clients;
  /**
   * Nodes that emit on a clock (an aggregate's emit interval): batches and their punctuations take
   * turns, so a partition's state is never changed by both at once [2].
   */
  const every = graph.punctuateEvery;
  const exclusive = takingTurns();
  let stopping = false;
  const timer =
    every === undefined
      ? undefined
      : setInterval(() => {
          if (!stopping) exclusive(() => punctuateOwned(ctx, false)).catch(() => {});
        }, every);
  timer?.unref();
  const loop: KafkaLoop = {
    consumer,
    producer,
    assignment: {},
    joined: false,
    lastProgress: Date.now(),
    async stop() {
      stopping = true;
      crashes.stop();
      if (timer) {
        // What is held back for the emit interval is emitted before the partitions are given up.
        clearInterval(timer);
        await exclusive(() => punctuateOwned(ctx, true)).catch((error) =>
          log.warn('could not emit what was held at shutdown; the next owner emits it', { error: String(error) }),
        );
      }
      // consumer.disconnect() stops fetching, waits for the fetch and the batch in flight
      // (which commits what it resolved), then leaves the group. The readers outside the
      // group stop alongside; the producer once nothing can produce any more.
      await Promise.all([consumer.disconnect(), tables?.stop(), restorer?.stop()]);
      await Promise.all([producer.disconnect(), admin.disconnect(), txns?.stop()]);
    },
  };
  const ctx: LoopContext = {
    graph,
    config,
    metrics,
    log,
    producer,
    admin,
    restorer,
    txns,
    loop,
    parts: new HeldPartitions(graph, restorer, txns),
    changelogSet: new Set(graph.changelogTopics),
    copies: restorer ? (graph.spec.standbyReplicas ?? 0) : 0,
    slicesWaiting: 0,
    progressed: () => (loop.lastProgress = Date.now()),
  };
  followGroup(consumer, ctx);
  const crashes = restartWhenCrashed(
    consumer,
    loop,
    log,
    () => stopping,
    () => consumer.run(runOptions),
    opts.onFatal,
  );
  await connectClients(clients, graph, opts.fromBeginning);
  const runOptions: ConsumerRunConfig = {
    eachBatchAutoResolve: false,
    autoCommit: txns === undefined,
    eachBatch: (payload) => (every === undefined ? eachBatch(ctx, payload) : exclusive(() => (stopping ? Promise.resolve() : eachBatch(ctx, payload)))),
  };
  await consumer.run(runOptions);
  return loop;
}

/** The clients a loop runs on: its producer, group consumer and admin, the changelog restorer and table reader its graph needs, and transactional producers for exactly-once. */
function loopClients(kafka: Kafka, graph: Graph, config: ServiceConfig, metrics: Metrics, log: Logger) {
  // Kafka's murmur2 partitioner, named so that the key → partition mapping is the simulator's too.
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = groupConsumer(kafka, config);
  const admin = kafka.admin();
  const changelogs = graph.changelogTopics;
  const restorer = changelogs.length > 0 ? new ChangelogRestorer(kafka, admin, config, graph, metrics, log, changelogs) : undefined;
  const exactlyOnce = graph.spec.delivery === 'exactly-once';
  const tables =
    graph.globalTopics.length > 0
      ? new TableReader(kafka, admin, config, graph, producer, log, exactlyOnce ? new TableDeadLetters(kafka, admin, config.groupId) : undefined)
      : undefined;
  // Exactly-once: each slice is one transaction; the group's offsets are committed in it, never by the consumer.
  const txns = exactlyOnce ? new TransactionalProducers(kafka, admin, config.groupId) : undefined;
  return { producer, consumer, admin, restorer, tables, txns };
}

/** Connects a loop's clients in order, then subscribes its consumer to the graph's source topics. */
async function connectClients(clients: ReturnType<typeof loopClients>, graph: Graph, fromBeginning: boolean): Promise<void> {
  await clients.producer.connect();
  await clients.admin.connect();
  await clients.restorer?.start();
  // Tables are read to their end before the first event is joined with them.
  await clients.tables?.start();
  await clients.consumer.connect();
  await subscribeSources(clients.consumer, graph, fromBeginning);
}

/** Runs the work handed to it one piece at a time, in the order handed; a failed piece does not stop the next. */
function takingTurns(): <T>(work: () => Promise<T>) => Promise<T> {
  let turn: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = turn.then(work);
    turn = run.catch(() => {});
    return run;
  };
}

/** What the parts of a running consume → produce loop share. */
interface LoopContext {
  graph: Graph;
  config: ServiceConfig;
  metrics: Metrics;
  log: Logger;
  producer: Producer;
  admin: Admin;
  restorer: ChangelogRestorer | undefined;
  txns: TransactionalProducers | undefined;
  loop: KafkaLoop;
  parts: HeldPartitions;
  changelogSet: Set<string>;
  /** Standby copies of each partition's state to keep (0 without state). */
  copies: number;
  /** Slices waiting for their outputs now: heartbeats meanwhile say nothing of progress [3]. */
  slicesWaiting: number;
  /** Marks the loop live (see KafkaLoop.lastProgress). */
  progressed(): void;
}

/** The service's consumer in its group: partition n of every input topic goes to the same member [1]. */
function groupConsumer(kafka: Kafka, config: ServiceConfig): Consumer {
  // Partition n of every input topic goes to the same member: a stream–stream join's two sides, and a
  // stateful node's partitions, stay together [1].
  return kafka.consumer({
    groupId: config.groupId,
    allowAutoTopicCreation: false,
    partitionAssigners: [coPartitionedAssigner],
    maxWaitTimeInMs: config.fetchMaxWaitMs,
    sessionTimeout: config.sessionTimeoutMs,
    // A third of the session at most, as Kafka advises (kafkajs's default is 3 s).
    heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)),
    maxBytesPerPartition: config.fetchMaxPartitionBytes,
    maxBytes: 16 * config.fetchMaxPartitionBytes,
  });
}

/** Subscribes the consumer to the pipeline's source topics: external ones from `fromBeginning`, its own repartition topics from their beginning. */
async function subscribeSources(consumer: Consumer, graph: Graph, fromBeginning: boolean): Promise<void> {
  const ownRepartitions = new Set(graph.spec.nodes.map((n) => repartitionTopic(graph.spec.pipeline, n.id)));
  const internal = new Set(graph.sourceTopics.filter((t) => ownRepartitions.has(t)));
  const external = graph.sourceTopics.filter((t) => !internal.has(t));
  if (external.length) await consumer.subscribe({ topics: external, fromBeginning });
  // A repartition topic is read from its beginning whatever `start` says: its records are ours, not yet processed.
  if (internal.size) await consumer.subscribe({ topics: [...internal], fromBeginning: true });
}

/**
 * What this replica holds of source partitions' state: the claims of its partitions (exactly-once),
 * the restores of their state, and the standby copies it keeps of others'.
 */
class HeldPartitions {
  /**
   * Exactly-once: claims of the partitions assigned at the last rebalance (see transactions.ts), each
   * resolving to the group's committed offset when it was made; started as soon as the group is
   * joined, awaited before the partition's state is restored and before its first batch.
   */
  readonly claims = new Map<string, Promise<bigint>>();
  /**
   * Restores of source partitions' state since the last rebalance, started for every assigned
   * partition as soon as the group is joined (they read together), awaited before a partition's
   * first batch.
   */
  readonly restoring = new Map<string, { work: Promise<number>; done: boolean }>();
  /** Source partitions whose state this replica holds: its own, and warm copies of others' (standbys). */
  readonly held = new Set<string>();
  /** Source partitions of other replicas whose state this replica keeps warm (see planStandbys). */
  standbys = new Set<string>();
  /** Counts the group generations joined: a standby plan of an older one is not applied. */
  joins = 0;

  constructor(
    private readonly graph: Graph,
    private readonly restorer: ChangelogRestorer | undefined,
    private readonly txns: TransactionalProducers | undefined,
  ) {}

  /** The claim of `topic[partition]` of this generation, made when there is none yet. */
  claim(topic: string, partition: number): Promise<bigint> {
    const at = `${topic}\u0000${partition}`;
    let c = this.claims.get(at);
    if (!c) {
      c = this.txns!.claim(topic, partition);
      this.claims.set(at, c);
      // A claim that failed is made again by the partition's next batch.
      const made = c;
      made.catch(() => this.claims.get(at) === made && this.claims.delete(at));
    }
    return c;
  }

  /** Starts restoring the state of `topic[partition]` from its changelog. */
  startRestore(topic: string, partition: number): { work: Promise<number>; done: boolean } {
    const at = `${topic}\u0000${partition}`;
    this.held.add(at);
    // Exactly-once, the partition is claimed first: a transaction of its last owner still committing
    // then has its state changes in the changelog before they are read.
    // A table restored with it is read up to the group's committed offset of the table's partition: claimed too.
    const tables = this.graph.stateTopics(topic).filter((t) => this.graph.isTableTopic(t) && t !== topic);
    const work = this.txns
      ? Promise.all([this.claim(topic, partition), ...tables.map((t) => this.claim(t, partition))]).then(() => this.restorer!.restore(topic, partition))
      : this.restorer!.restore(topic, partition);
    const r = { work, done: false };
    this.restoring.set(at, r);
    // Failures surface in the partition's next batch, which tries again.
    r.work.then(
      () => (r.done = true),
      () => this.restoring.get(at) === r && this.restoring.delete(at),
    );
    return r;
  }

  /** Drops the state held of partitions not in `keep`; `copies`: only standby copies can go, while batches of owned partitions may be in flight. */
  dropUnless(keep: Set<string>, copies = false): void {
    for (const at of this.held) {
      if (keep.has(at)) continue;
      const [topic, partition] = at.split('\u0000');
      if (copies) this.graph.dropCopy(topic, Number(partition));
      else this.graph.dropPartition(topic, Number(partition));
      this.held.delete(at);
    }
  }

  /** Drops the state of `topic[partition]`, which is not what its changelog says: it is restored before it is used again. */
  discard(topic: string, partition: number): void {
    const at = `${topic}\u0000${partition}`;
    this.graph.dropPartition(topic, partition);
    this.restoring.delete(at);
    this.held.delete(at);
  }
}

/** Listens to the group consumer: liveness, readiness, committed offsets, and each new generation's partitions. */
function followGroup(consumer: Consumer, ctx: LoopContext): void {
  const { graph, metrics, loop, progressed } = ctx;
  // Liveness: a fetch, a finished slice or a heartbeat between slices comes every few seconds, even
  // with nothing to read. The heartbeats sent while a slice waits for a sink outside Kafka [3] keep
  // the group's session, but say nothing of progress: a consumer stuck in a slice makes none.
  consumer.on(consumer.events.FETCH, progressed);
  consumer.on(consumer.events.HEARTBEAT, () => {
    if (ctx.slicesWaiting === 0) progressed();
  });
  // At-least-once, kafkajs commits the offsets resolved: records before them are not processed here again.
  consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
    for (const { topic, partitions } of payload.topics)
      for (const { partition, offset } of partitions) graph.offsetsCommitted(topic, Number(partition), String(offset));
  });
  // Readiness: a member of the group, not between generations.
  consumer.on(consumer.events.REBALANCING, () => (loop.joined = false));
  consumer.on(consumer.events.STOP, () => {
    loop.joined = false;
    metrics.keepLag({});
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    loop.joined = true;
    progressed();
    joined(ctx, payload.memberAssignment);
    ctx.log.info('joined consumer group', { groupId: payload.groupId, memberId: payload.memberId, assignment: payload.memberAssignment });
    const join = ++ctx.parts.joins;
    if (ctx.copies > 0)
      planStandbys(ctx, join, payload.memberId).catch((error) =>
        ctx.log.warn('could not plan standby partitions; they wait for the next rebalance', { error: String(error) }),
      );
  });
}

/** A new generation gave this member `assignment`: releases what went elsewhere, keeps and brings up to date what stays. */
function joined(ctx: LoopContext, assignment: Record<string, number[]>): void {
  const { graph, metrics, loop, parts } = ctx;
  // Nodes forget what they keep about the records of partitions gone to other replicas (the http sink's requests answered).
  for (const [topic, partitions] of Object.entries(loop.assignment)) {
    for (const p of partitions) if (!assignment[topic]?.includes(p)) graph.partitionReleased(topic, p);
  }
  loop.assignment = assignment;
  metrics.keepLag(assignment);
  // State this replica still owns is kept, and brought up to date from the changelog (usually
  // nothing to read) before the partition's next batch; state of partitions gone elsewhere is dropped.
  const owned = new Set(Object.entries(assignment).flatMap(([topic, ps]) => ps.map((p) => `${topic}\u0000${p}`)));
  // Standby copies stay until this generation's plan says which to keep (a new owner's included).
  parts.dropUnless(new Set([...owned, ...parts.standbys]));
  parts.restoring.clear();
  parts.claims.clear();
  if (ctx.txns) for (const [topic, partitions] of Object.entries(assignment)) for (const p of partitions) parts.claim(topic, p).catch(() => {});
  if (ctx.restorer) {
    for (const [topic, partitions] of Object.entries(assignment)) {
      if (graph.stateTopics(topic).length === 0) continue;
      for (const p of partitions) parts.startRestore(topic, p);
    }
  }
}

/**
 * The standby copies of this generation: the group's members sorted by id, as the assigner sorts
 * them, and copy j of the partitions a member owns kept by the j-th member after it (wrapping),
 * never by their owner. Each member works out its own share from the group's description.
 */
async function planStandbys(ctx: LoopContext, join: number, memberId: string): Promise<void> {
  const { graph, parts, copies } = ctx;
  const [group] = (await ctx.admin.describeGroups([ctx.config.groupId])).groups;
  if (join !== parts.joins) return;
  const members = group.members
    .map((m) => ({
      id: m.memberId,
      assignment: m.memberAssignment.length > 0 ? (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}) : {},
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const mine = members.findIndex((m) => m.id === memberId);
  // Not (or no longer) in the group as described: the next generation plans again.
  if (mine < 0) return;
  const n = members.length;
  const want = new Set<string>();
  members.forEach((m, i) => {
    const after = (mine - i + n) % n;
    if (after < 1 || after > Math.min(copies, n - 1)) return;
    for (const [topic, partitions] of Object.entries(m.assignment)) {
      if (graph.stateTopics(topic).length === 0) continue;
      for (const p of partitions) want.add(`${topic}\u0000${p}`);
    }
  });
  const owned = new Set(Object.entries(ctx.loop.assignment).flatMap(([topic, ps]) => ps.map((p) => `${topic}\u0000${p}`)));
  for (const at of owned) want.delete(at);
  parts.standbys = want;
  parts.dropUnless(new Set([...owned, ...want]), true);
  for (const at of want) parts.held.add(at);
  ctx.restorer!.setStandby([...want].map((at) => ({ topic: at.split('\u0000')[0], partition: Number(at.split('\u0000')[1]) })));
  ctx.metrics.standbyPartitions = want.size;
  ctx.log.info('standby partitions', { partitions: [...want].map((at) => at.replace('\u0000', '[') + ']') });
}

/**
 * kafkajs gives up on a consumer for good (restart: false) when it cannot find the group's
 * coordinator, which is what a broker restart that outlasts its retries looks like; the service
 * would then exit, every replica at once. Such a consumer is started again here (`run`), every
 * CRASH_RESTART_MS, up to CRASH_RESTARTS times in a row without joining the group in between;
 * any other crash it does not restart itself is fatal. stop() cancels a restart that is waiting.
 */
function restartWhenCrashed(
  consumer: Consumer,
  loop: KafkaLoop,
  log: Logger,
  stopping: () => boolean,
  run: () => Promise<void>,
  onFatal: (error: unknown) => void,
): { stop(): void } {
  let crashRestarts = 0;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => (crashRestarts = 0));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    loop.joined = false;
    log.error('consumer crashed', { error: String(payload.error), restart: payload.restart });
    if (payload.restart || stopping()) return;
    if (!brokerUnreachable(payload.error) || ++crashRestarts > CRASH_RESTARTS) return void onFatal(payload.error);
    log.warn('the brokers cannot be reached: starting the consumer again', { inMs: CRASH_RESTART_MS, attempt: crashRestarts, of: CRASH_RESTARTS });
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping()) return;
      consumer
        .connect()
        .then(run)
        .catch((error: unknown) => onFatal(error));
    }, CRASH_RESTART_MS);
  });
  return { stop: () => clearTimeout(restartTimer) };
}

/** Lets the nodes emit what is due (all they hold with `final`) in every partition this replica owns, and writes it. */
async function punctuateOwned(ctx: LoopContext, final: boolean): Promise<void> {
  const { graph, loop, restorer, parts, txns } = ctx;
  if (!loop.joined) return;
  for (const [topic, partitions] of Object.entries(loop.assignment)) {
    if (!graph.punctuates(topic)) continue;
    for (const partition of partitions) {
      const at = `${topic}\u0000${partition}`;
      // Only state that is up to date is emitted from; an idle partition's restore starts here.
      const r = restorer ? (parts.restoring.get(at) ?? parts.startRestore(topic, partition)) : undefined;
      if (r && !r.done) continue;
      try {
        const result = await graph.punctuate(topic, partition, Date.now(), final);
        if (result.messages.length === 0 && result.changelog.length === 0) continue;
        if (txns) {
          await parts.claim(topic, partition);
          const placed = await txns.commit(topic, partition, [...result.messages, ...result.changelog], undefined);
          for (const p of placed) if (ctx.changelogSet.has(p.topic)) graph.changelogWritten(p.topic, p.partition, p.base, p.count);
        } else {
          await sendAll(ctx.producer, result.messages);
          for (const p of await sendAll(ctx.producer, result.changelog)) graph.changelogWritten(p.topic, p.partition, p.base, p.count);
        }
        ctx.metrics.produced += result.messages.length;
      } catch (error) {
        // What the state says was emitted is not in the changelog: restore it before it is used again.
        parts.discard(topic, partition);
        ctx.log.warn("could not emit what is due; the partition's state is restored and emitted again", { topic, partition, error: String(error) });
      }
    }
  }
}

/** One batch of one partition: its state restored and (exactly-once) claimed first, then processed slice by slice. */
async function eachBatch(ctx: LoopContext, payload: EachBatchPayload): Promise<void> {
  const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary } = payload;
  const { graph, restorer, parts, txns } = ctx;
  let messages = batch.messages;
  const at = `${batch.topic}\u0000${batch.partition}`;
  if (restorer && graph.stateTopics(batch.topic).length > 0) {
    const r = parts.restoring.get(at) ?? parts.startRestore(batch.topic, batch.partition);
    if (!r.done) await whileHeartbeating(r.work, heartbeat);
  }
  if (txns) {
    // Records the partition's last owner committed after this consumer read the group's offset.
    const committed = await whileHeartbeating(parts.claim(batch.topic, batch.partition), heartbeat);
    if (BigInt(messages[0].offset) < committed) {
      messages = messages.filter((m) => BigInt(m.offset) >= committed);
      if (messages.length === 0) {
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        return;
      }
    }
  }
  try {
    await processSlices(ctx, payload, messages);
  } catch (error) {
    // What the failed slice did to the state is not in the changelog: restore before trying again.
    parts.discard(batch.topic, batch.partition);
    throw error;
  }
  ctx.metrics.lag.set(`${batch.topic}\u0000${batch.partition}`, Number(batch.offsetLag()));
  await commitOffsetsIfNecessary();
}

/** Processes a batch's `messages` a slice at a time, writing each slice's outputs and state changes before its offsets are resolved. */
async function processSlices(ctx: LoopContext, payload: EachBatchPayload, messages: KafkaMessage[]): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
  const { graph, config, producer, parts, txns } = ctx;
  const at = `${batch.topic}\u0000${batch.partition}`;
  // State changes of consecutive slices are gathered (the last change of a key wins) and
  // produced together: fewer, smaller changelog requests. The slices' offsets are resolved
  // only once their state changes are acknowledged too.
  const changes = new Map<string, OutMessage>();
  let unresolved: string | undefined;
  const flush = async () => {
    for (const p of await sendAll(producer, [...changes.values()])) graph.changelogWritten(p.topic, p.partition, p.base, p.count);
    changes.clear();
    if (unresolved !== undefined) resolveOffset(unresolved);
    unresolved = undefined;
  };
  /**
   * A heartbeat that fails because the group is rebalancing ends the batch. The partition is
   * still this member's until it joins again, and the slices so far have produced their
   * outputs: their state changes are saved and their offsets resolved first, or the next owner
   * would process them again and write their outputs (closed windows) a second time.
   */
  const beat = async () => {
    try {
      await heartbeat();
    } catch (error) {
      await flush().catch(() => {});
      throw error;
    }
  };
  for (let start = 0; start < messages.length; start += config.chunkSize) {
    if (!isRunning() && !isStale()) {
      // Stopping (SIGTERM): the partition is this member's until it leaves the group, and the
      // offsets resolved are committed as it leaves. Save what the slices so far did.
      await flush();
      return;
    }
    if (isStale()) {
      // The partition may be gone: leave the unsaved state to be restored, and these offsets to be replayed.
      if (changes.size > 0) {
        graph.dropPartition(batch.topic, batch.partition);
        parts.held.delete(at);
      }
      parts.restoring.delete(at);
      return;
    }
    const slice = messages.slice(start, start + config.chunkSize);
    const began = performance.now();
    // The group hears from this member while the slice waits for a sink outside Kafka [3].
    ctx.slicesWaiting++;
    const { value: result, missed } = await heartbeatingThrough(
      graph.process(
        batch.topic,
        slice.map((m) => toRaw(batch.topic, batch.partition, m)),
      ),
      heartbeat,
    ).finally(() => ctx.slicesWaiting--);
    ctx.progressed();
    if (txns) {
      await commitSliceTransaction(ctx, txns, payload, slice, result);
      ctx.metrics.sliceDone(
        batch.topic,
        slice.map((m) => Number(m.timestamp)),
        result,
        began,
      );
      if (missed) throw missed.error;
      await heartbeat();
      continue;
    }
    await sendAll(producer, result.messages);
    // State changes only after the outputs are acknowledged (see engine/state.ts).
    for (const m of result.changelog) changes.set(`${m.topic}\u0000${m.partition}\u0000${String(m.key)}`, m);
    unresolved = slice[slice.length - 1].offset;
    // Only once outputs and state are acknowledged may this slice's offsets be committed.
    if (changes.size === 0 || changes.size >= CHANGELOG_FLUSH) await flush();
    ctx.metrics.sliceDone(
      batch.topic,
      slice.map((m) => Number(m.timestamp)),
      result,
      began,
    );
    if (missed) {
      await flush().catch(() => {});
      throw missed.error;
    }
    await beat();
  }
  await flush();
}

/** Exactly-once: one transaction writes a slice's outputs, dead letters, state changes and the offset after it; then the slice's offsets are resolved. */
async function commitSliceTransaction(
  { graph, changelogSet }: LoopContext,
  txns: TransactionalProducers,
  { batch, resolveOffset }: EachBatchPayload,
  slice: KafkaMessage[],
  result: BatchResult,
): Promise<void> {
  // Outputs, dead letters, state changes and the offset after the slice: all of it, or none.
  const last = slice[slice.length - 1].offset;
  const next = String(BigInt(last) + 1n);
  const placed = await txns.commit(batch.topic, batch.partition, [...result.messages, ...result.changelog], next);
  for (const p of placed) if (changelogSet.has(p.topic)) graph.changelogWritten(p.topic, p.partition, p.base, p.count);
  resolveOffset(last);
  graph.offsetsCommitted(batch.topic, batch.partition, next);
}

/** How long a consumer that crashed for good because the brokers could not be reached waits before it starts again. */
export const CRASH_RESTART_MS = 5_000;
/** Restarts of such a consumer in a row, without joining the group in between, before the service gives up. */
export const CRASH_RESTARTS = 12;

/**
 * Starts a consumer of a reader outside the group (changelog restorer, table reader) again when
 * kafkajs gives it up because no broker answered, as the service's own consumer is (see above); it
 * joins its group of its own again, and its GROUP_JOIN handlers pick up where the reader stood.
 */
export function restartWhenUnreachable(consumer: Consumer, run: () => Promise<void>, log: Logger, what: string): { stop(): void } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempts = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (attempts = 0));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || stopped || !brokerUnreachable(payload.error) || ++attempts > CRASH_RESTARTS) return;
    log.warn(`the brokers cannot be reached: starting the ${what} again`, { inMs: CRASH_RESTART_MS, attempt: attempts, of: CRASH_RESTARTS });
    timer = setTimeout(() => {
      if (stopped) return;
      consumer
        .connect()
        .then(run)
        .catch((error: unknown) => log.error(`the ${what} could not start again`, { error: String(error) }));
    }, CRASH_RESTART_MS);
  });
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Whether kafkajs gave up because no broker (or no group coordinator) answered, rather than for a reason a restart cannot cure. */
export function brokerUnreachable(error: unknown): boolean {
  for (let e = error as { name?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (
      [
        'KafkaJSGroupCoordinatorNotFound',
        'KafkaJSConnectionError',
        'KafkaJSBrokerNotFound',
        'KafkaJSConnectionClosedError',
        'KafkaJSRequestTimeoutError',
      ].includes(e.name ?? '')
    )
      return true;
  }
  return false;
}

/**
 * Waits for `work`, sending the group a heartbeat every second meanwhile [3]. A heartbeat that fails
 * (the group is rebalancing) ends the beating; with `finish`, the work is still awaited and the error
 * comes back beside its result, to be thrown once a slice's outputs are written (the partition is
 * this member's until it joins again, and the slice's requests to sinks outside Kafka are made);
 * without, it is thrown at once.
 */
async function heartbeatingThrough<T>(work: Promise<T>, heartbeat: () => Promise<void>, finish = true): Promise<{ value: T; missed?: { error: unknown } }> {
  const done = work.then(
    () => 'done' as const,
    () => 'done' as const,
  );
  for (;;) {
    const tick = new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), 1000).unref());
    if ((await Promise.race([done, tick])) === 'done') return { value: await work };
    try {
      await heartbeat();
    } catch (error) {
      if (!finish) throw error;
      return { value: await work, missed: { error } };
    }
  }
}

/** Waits for `work` (a restore, a claim), sending the group a heartbeat every second meanwhile. */
async function whileHeartbeating<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  return (await heartbeatingThrough(work, heartbeat, false)).value;
}

/** State changes gathered across slices before they are produced. */
const CHANGELOG_FLUSH = 20_000;

/** Assigns partition n of every subscribed topic to the same member, members taking partitions in turn. */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'PipewrightCoPartitioned',
  version: 1,
  async assign({ members, topics }) {
    const ids = members.map((m) => m.memberId).sort();
    const plan = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
    for (const topic of topics) {
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((m) => m.partitionId)
        .sort((a, b) => a - b);
      for (const p of partitions) {
        const member = plan.get(ids[p % ids.length])!;
        (member[topic] ??= []).push(p);
      }
    }
    return ids.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: plan.get(memberId)!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'PipewrightCoPartitioned', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});

/** A consumer in a group of its own (never committing), for reading topics outside the service's group. */
function privateConsumer(kafka: Kafka, config: ServiceConfig, purpose: string): Consumer {
  const id = `${config.groupId}.${purpose}.${config.clientId}.${Math.random().toString(36).slice(2, 10)}`;
  return kafka.consumer({ groupId: id, allowAutoTopicCreation: false, sessionTimeout: 30_000, maxWaitTimeInMs: config.fetchMaxWaitMs });
}

/**
 * Reads the topics of tables to join with in full, from the beginning, on
 * every replica, and keeps following them. start() returns once every
 * partition has been read up to the end offset it had when the reader began.
 */
class TableReader {
  private readonly consumer: Consumer;
  private restarts: { stop(): void } | undefined;

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    config: ServiceConfig,
    private readonly graph: Graph,
    private readonly producer: Producer,
    private readonly log: Logger,
    /** Exactly-once: writes the dead letters of table rows once, in transactions (see TableDeadLetters). */
    private readonly letters?: TableDeadLetters,
  ) {
    this.consumer = privateConsumer(kafka, config, 'tables');
  }

  async start(): Promise<void> {
    const pending = new Map<string, bigint>();
    for (const topic of this.graph.globalTopics) {
      for (const o of await this.admin.fetchTopicOffsets(topic)) {
        if (BigInt(o.high) > BigInt(o.low)) pending.set(`${topic}\u0000${o.partition}`, BigInt(o.high));
      }
    }
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (pending.size === 0) caughtUp();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.graph.globalTopics, fromBeginning: true });
    const run = () =>
      this.consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const result = await this.graph.process(
            batch.topic,
            batch.messages.map((m) => toRaw(batch.topic, batch.partition, m)),
          );
          // Tables produce only dead letters (rows that do not decode). At-least-once, every replica
          // writes them at every start; exactly-once, only the first to commit them.
          if (this.letters) await this.letters.write(batch.topic, batch.partition, result.messages, batch.lastOffset());
          else await sendAll(this.producer, result.messages);
          const key = `${batch.topic}\u0000${batch.partition}`;
          const end = pending.get(key);
          if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) {
            pending.delete(key);
            if (pending.size === 0) caughtUp();
          }
        },
      });
    await run();
    this.restarts = restartWhenUnreachable(this.consumer, run, this.log, 'table reader');
    const began = performance.now();
    await ready;
    this.log.info('tables loaded', { topics: this.graph.globalTopics, ms: Math.round(performance.now() - began) });
  }

  async stop(): Promise<void> {
    this.restarts?.stop();
    await this.consumer.disconnect();
    await this.letters?.stop();
  }
}

// [1] With kafkajs's default round-robin assignor, partition n of two topics
//     can land on different members, and a stream–stream join would then
//     never see both sides of a key. Kafka's own RangeAssignor and Kafka
//     Streams' assignor keep co-partitioned topics together in the same way.
// [2] Kafka Streams flushes its record cache on every commit; here what an aggregate holds back is
//     marked in its changelog instead, so the emit interval can be longer than a slice and a crash
//     still loses nothing: the new owner restores the marks and emits those keys at its interval.
// [3] kafkajs sends heartbeats only when the batch handler asks. A slice whose sink outside Kafka is
//     down waits out its retries (a webhook answering 503 for 30 s: 30 s and more); without
//     heartbeats meanwhile the member's session ran out, the group took its partitions, its offset
//     commit was refused, and the slice was processed again: requests already answered were sent a
//     second time, and late, after later ones of their keys (bench/README.md, chaos, http-sink-down).
