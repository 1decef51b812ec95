/**
 * The engine: a batch of raw messages from one topic partition flows through
 * the operator graph in topological order, one operator call per input port.
 * Whatever the sinks ask to produce, and every dead letter, comes back as one
 * list, so the transport can send it in one go and commit only after it is
 * acknowledged (at-least-once).
 */
import { getKind } from '../kinds/registry.js';
import { ERROR_PORT, outputPorts, withDefaults, type Emitter, type KindSpec, type Operator, type SinkOutput } from '../kinds/spec.js';
import { DEAD_LETTER_HEADERS, type OutMessage, type Payload, type RawMessage, type Rec } from '../types.js';
import { appliedKey, changelogTopic, PartitionedStore, repartitionTopic } from './state.js';
import { errorText } from '../errors.js';

export type ErrorPolicy = 'dead-letter' | 'skip' | 'fail';

export interface InputRef {
  /** Input port of this node. */
  port: string;
  /** Node id and output port feeding it. */
  from: string;
  fromPort: string;
}

export interface NodeSpec {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  inputs: InputRef[];
}

export interface GraphOptions {
  /** Reads the pipeline's files (models) by their path in the pipeline; see CreateContext.readFile. */
  readFile?: (path: string) => Promise<Uint8Array>;
  /**
   * The service sets this: sinks outside Kafka (postgres, http, log) do their
   * I/O. Otherwise (simulator, tests) they write into `Graph.captured`.
   */
  live?: boolean;
  /**
   * Sees every record a node emits on an output port (the error port
   * included), before the nodes downstream get it: the simulator counts and
   * shows the events on each edge with it. Unset, it costs nothing.
   */
  onEmit?: (nodeId: string, port: string, rec: Rec) => void;
  /**
   * Hears how long each node took on each slice it was given (a source: decoding it), in seconds:
   * the service's latency histograms. Unset, nothing is timed.
   */
  onNodeTime?: (nodeId: string, seconds: number) => void;
  /**
   * How state changes are written to the changelogs: `compact` (the default) writes a kind's
   * compact form where it has one (a window's aggregates), `json` writes every value as JSON, as
   * Pipewright did before there was a compact form, so that replicas of an older version, which read
   * only JSON, can still restore during a rolling upgrade. Both forms are always read.
   */
  changelogValues?: 'compact' | 'json';
}

export interface GraphSpec {
  pipeline: string;
  nodes: NodeSpec[];
  errors: { policy: ErrorPolicy; topic: string };
  /**
   * at-least-once (the default) or exactly-once: the service commits each slice's outputs, state
   * changes and input offsets in one Kafka transaction (see transports/transactions.ts).
   */
  delivery?: Delivery;
  /**
   * Warm copies of each stateful partition's state kept by other replicas (as Kafka Streams'
   * num.standby.replicas): they follow its changelog, so a new owner reads only the tail.
   */
  standbyReplicas?: number;
  /** Put before the changelog and repartition topics' names (TOPIC_PREFIX; see service/topic-prefix.ts). */
  topicPrefix?: string;
}

export type Delivery = 'at-least-once' | 'exactly-once';

// Expression functions are typed per node in generated code; the engine only calls them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each node's functions take its own typed arguments; one type must hold them all
export type AnyFn = (...args: any[]) => unknown;
/** Compiled expressions: node id → parameter name → function. */
export type GraphFns = Record<string, Record<string, AnyFn>>;

export interface NodeStats {
  in: number;
  out: number;
  errors: number;
}

/** A changelog record as a transport reads it (a kafkajs message has this shape). */
export interface ChangelogRecord {
  key: Payload;
  value: Payload;
  offset: string | number;
}

export interface BatchResult {
  /** Everything to produce: sink outputs and dead letters, in the order they arose. */
  messages: OutMessage[];
  /**
   * State changes for the changelog topics. Produce them only after
   * `messages` are acknowledged, and commit the offsets only after both
   * (see engine/state.ts).
   */
  changelog: OutMessage[];
  deadLetters: number;
  skipped: number;
}

/** Thrown when a record fails and the pipeline's error policy is `fail`. */
export class PipelineFailure extends Error {
  constructor(
    readonly nodeId: string,
    readonly rec: Rec,
    cause: unknown,
  ) {
    super(`node "${nodeId}" failed on ${rec.origin.topic}[${rec.origin.partition}]@${rec.origin.offset}: ${errorText(cause)}`);
    this.name = 'PipelineFailure';
  }
}

interface Built {
  spec: NodeSpec;
  kind: KindSpec;
  op: Operator;
  /** Parameters with defaults filled in (expressions excluded). */
  params: Record<string, unknown>;
  /** Output ports, as the parameters make them (a branch: one per route and `default`), without `error`. */
  ports: readonly string[];
}

const edgeKey = (node: string, port: string) => `${node}\u0000${port}`;

export class Graph {
  readonly stats = new Map<string, NodeStats>();
  private readonly nodes: Built[];
  private readonly sourcesByTopic = new Map<string, Built[]>();
  private readonly consumers = new Map<string, { node: string; port: string }[]>();
  /** Nodes whose outputs some node reads. */
  private readonly feeding = new Set<string>();
  /** Stateful nodes' stores, by node id. */
  private readonly stores = new Map<string, PartitionedStore>();
  /** The same stores, by their changelog topic. */
  private readonly byChangelog = new Map<string, PartitionedStore>();
  private readonly built: Map<string, Built>;
  private readonly globalTopicSet = new Set<string>();
  /** Topics read as tables: each is the changelog of its table's rows, restored up to the group's committed offset. */
  private readonly tableTopicSet = new Set<string>();
  /** What sinks outside Kafka would have written, by node id, when the graph is not live. */
  readonly captured = new Map<string, SinkOutput[]>();

  private readonly onEmit: GraphOptions['onEmit'];
  private readonly onNodeTime: GraphOptions['onNodeTime'];

  constructor(
    readonly spec: GraphSpec,
    fns: GraphFns = {},
    options: GraphOptions = {},
  ) {
    this.onEmit = options.onEmit;
    this.onNodeTime = options.onNodeTime;
    const built = new Map<string, Built>();
    for (const node of spec.nodes) {
      const kind = getKind(node.kind);
      if (!kind) throw new Error(`unknown node kind "${node.kind}" for node "${node.id}"`);
      const params = withDefaults(kind, node.params, { expressions: false });
      const capture = options.live
        ? undefined
        : (o: SinkOutput) => {
            let list = this.captured.get(node.id);
            if (!list) this.captured.set(node.id, (list = []));
            list.push(o);
          };
      // A table's rows are restored from its own topic, as Kafka Streams restores a source KTable [2].
      const store =
        kind.table && kind.topicParam
          ? new PartitionedStore(String(params[kind.topicParam]))
          : kind.stateful?.(params)
            ? new PartitionedStore(changelogTopic((spec.topicPrefix ?? '') + spec.pipeline, node.id), options.changelogValues ?? 'compact')
            : undefined;
      if (store) {
        this.stores.set(node.id, store);
        this.byChangelog.set(store.changelog, store);
        if (kind.table) this.tableTopicSet.add(store.changelog);
      }
      const repartition = kind.repartitions ? repartitionTopic((spec.topicPrefix ?? '') + spec.pipeline, node.id) : undefined;
      const op = kind.create({
        nodeId: node.id,
        pipeline: spec.pipeline,
        params,
        fns: fns[node.id] ?? {},
        readFile: options.readFile,
        capture,
        store,
        repartitionTopic: repartition,
        tableOf: (port) => {
          const input = node.inputs.find((i) => i.port === port);
          return input && built.get(input.from)?.kind.table ? this.stores.get(input.from) : undefined;
        },
      });
      built.set(node.id, { spec: node, kind, op, params, ports: outputPorts(kind, params) });
      // A repartitioning node is also the source of its repartition topic: it reads back what it wrote [1].
      if (repartition) this.sourcesByTopic.set(repartition, [built.get(node.id)!]);
      this.stats.set(node.id, { in: 0, out: 0, errors: 0 });
      if (kind.category === 'source' && kind.topicParam) {
        const topic = String(params[kind.topicParam]);
        this.sourcesByTopic.set(topic, [...(this.sourcesByTopic.get(topic) ?? []), built.get(node.id)!]);
      }
      for (const input of node.inputs) {
        this.feeding.add(input.from);
        const k = edgeKey(input.from, input.fromPort);
        this.consumers.set(k, [...(this.consumers.get(k) ?? []), { node: node.id, port: input.port }]);
      }
    }
    this.nodes = topoOrder(spec.nodes).map((id) => built.get(id)!);
    this.built = built;
    // A topic whose sources feed only global inputs (a table to join with) is read in full by every replica.
    for (const [topic, sources] of this.sourcesByTopic) {
      const edges = sources.flatMap((s) => s.ports.flatMap((port) => this.consumers.get(edgeKey(s.spec.id, port)) ?? []));
      const global = (c: { node: string; port: string }) => {
        const b = built.get(c.node)!;
        return b.kind.globalInputs?.(b.params).includes(c.port) ?? false;
      };
      if (edges.length > 0 && edges.every(global) && !sources.some((s) => s.kind.table)) this.globalTopicSet.add(topic);
    }
  }

  /** Topics every replica reads in full, from the beginning, outside the consumer group (tables to join with). */
  get globalTopics(): string[] {
    return [...this.globalTopicSet];
  }

  /**
   * Whether `changelog` is a table's own topic: its rows are restored only up to the group's
   * committed offset of it, since the group goes on reading it from there.
   */
  isTableTopic(changelog: string): boolean {
    return this.tableTopicSet.has(changelog);
  }

  /** The changelog topics of the stores that hold state for the partitions of `topic`. */
  stateTopics(topic: string): string[] {
    return this.statefulFor(topic).all.map((id) => this.stores.get(id)!.changelog);
  }

  /** Every changelog topic of the graph. */
  get changelogTopics(): string[] {
    return [...this.stores.values()].map((s) => s.changelog);
  }

  /**
   * Where the state of partition `partition` of `topic` stands: for each
   * changelog partition that holds it, the offset to read on from. A
   * partition without state here, or whose state is stale (another replica
   * wrote to its changelog meanwhile), is read from the beginning.
   */
  restorePoints(topic: string, partition: number): { changelog: string; from: number }[] {
    return this.statefulFor(topic).all.map((id) => {
      const store = this.stores.get(id)!;
      if (store.holds(partition) && store.partition(partition).stale) {
        store.drop(partition);
        this.built.get(id)!.op.reset?.(partition);
      }
      return { changelog: store.changelog, from: store.holds(partition) ? store.partition(partition).position : 0 };
    });
  }

  /**
   * Applies changelog records of partition `partition` of `changelog`, in
   * offset order, as they are read; records the state already reflects are
   * passed over. Returns how many were applied.
   */
  applyChangelog(changelog: string, partition: number, records: Iterable<ChangelogRecord>): number {
    const store = this.byChangelog.get(changelog);
    return store ? store.applyRecords(partition, records) : 0;
  }

  /** The changelog offset the state of a partition has reached (0 when there is none). */
  changelogPosition(changelog: string, partition: number): number {
    const store = this.byChangelog.get(changelog);
    return store?.holds(partition) ? store.partition(partition).position : 0;
  }

  /** The changelog partition was read up to `end`, its end offset when the read began. */
  changelogReached(changelog: string, partition: number, end: number): void {
    this.byChangelog.get(changelog)?.reached(partition, end);
  }

  /** This replica's own changelog writes of a partition were acknowledged at offsets `base` to `base + count - 1`. */
  changelogWritten(changelog: string, partition: number, base: number, count: number): void {
    this.byChangelog.get(changelog)?.written(partition, base, count);
  }

  /** The state of a partition has been brought up to date from its changelog: operators rebuild their indexes of it. */
  stateRestored(topic: string, partition: number): void {
    for (const id of this.statefulFor(topic).all) this.built.get(id)!.op.reset?.(partition);
  }

  /**
   * Brings the state of partition `partition` of `topic` up to date with
   * its changelog partitions, read from where the state stands (see
   * restorePoints) to their end, and returns the records applied. The
   * in-memory log and the simulator use it; the kafkajs transport reads the
   * changelog as it arrives instead (transports/restore.ts).
   */
  async restorePartition(
    topic: string,
    partition: number,
    read: (changelog: string, partition: number, from: number) => Promise<RawMessage[]>,
    committed: (topic: string, partition: number) => number = () => 0,
  ): Promise<number> {
    let restored = 0;
    for (const { changelog, from } of this.restorePoints(topic, partition)) {
      let messages = await read(changelog, partition, from);
      // A table's topic: up to where the group has processed it; the group reads on from there.
      if (this.tableTopicSet.has(changelog)) {
        const until = committed(changelog, partition);
        messages = messages.filter((m) => Number(m.origin.offset) < until);
      }
      restored += this.applyChangelog(
        changelog,
        partition,
        messages.map((m) => ({ key: m.key, value: m.value, offset: m.origin.offset })),
      );
      const last = messages.at(-1);
      // A partition without records still gets its (empty) state, so that it counts as held.
      this.byChangelog.get(changelog)!.reached(partition, last ? Number(last.origin.offset) + 1 : from);
    }
    if (restored > 0) this.stateRestored(topic, partition);
    return restored;
  }

  /** The group's offset of `topic[partition]` was committed at `next`: nodes forget what they keep about the records before it. */
  offsetsCommitted(topic: string, partition: number, next: string): void {
    for (const node of this.nodes) node.op.committed?.(topic, partition, next);
  }

  /** A rebalance gave `topic[partition]` to another replica: nodes forget what they keep about its records. */
  partitionReleased(topic: string, partition: number): void {
    for (const node of this.nodes) node.op.released?.(topic, partition);
  }

  /** Forgets the state of a partition that this replica no longer owns, and unflushed changes. */
  dropPartition(topic: string, partition: number): void {
    for (const id of this.statefulFor(topic).all) this.stores.get(id)!.discard();
    this.dropCopy(topic, partition);
  }

  /** Forgets a standby copy of a partition's state; changes of the partitions being processed stay. */
  dropCopy(topic: string, partition: number): void {
    for (const id of this.statefulFor(topic).all) {
      this.stores.get(id)!.drop(partition);
      this.built.get(id)!.op.reset?.(partition);
    }
  }

  private readonly statefulCache = new Map<string, { all: string[]; marked: Set<string> }>();

  /**
   * Stateful nodes that keep state for partitions of `topic`: the nodes
   * reachable from its sources without crossing a repartition (`marked`: the
   * engine records the last offset applied in their stores), plus the topic's
   * own source when that is stateful (a repartitioning node).
   */
  private statefulFor(topic: string): { all: string[]; marked: Set<string> } {
    let found = this.statefulCache.get(topic);
    if (found) return found;
    const marked = new Set<string>();
    const all: string[] = [];
    const seen = new Set<string>();
    const queue = (this.sourcesByTopic.get(topic) ?? []).map((b) => b.spec.id);
    for (const id of queue) if (this.stores.has(id)) all.push(id);
    while (queue.length) {
      const id = queue.shift()!;
      const b = this.built.get(id)!;
      // A node that looks rows up in a table needs the table's rows of the same partition.
      for (const input of b.spec.inputs) {
        if (this.built.get(input.from)?.kind.table && !all.includes(input.from)) all.push(input.from);
      }
      for (const port of [...b.ports, ERROR_PORT]) {
        for (const c of this.consumers.get(edgeKey(id, port)) ?? []) {
          if (seen.has(c.node)) continue;
          seen.add(c.node);
          const next = this.built.get(c.node)!;
          if (next.kind.globalInputs?.(next.params).includes(c.port) && this.globalTopicSet.has(topic)) continue;
          if (this.stores.has(c.node) && !next.kind.repartitions) {
            marked.add(c.node);
            all.push(c.node);
          }
          if (!next.kind.repartitions) queue.push(c.node);
        }
      }
    }
    found = { all, marked };
    this.statefulCache.set(topic, found);
    return found;
  }

  /**
   * Topics the sources read, in the order the nodes are declared. A source
   * that feeds no node is not consumed: an http-ingest node alone makes a service
   * that only produces.
   */
  get sourceTopics(): string[] {
    return [...this.sourcesByTopic]
      .filter(([topic, nodes]) => !this.globalTopicSet.has(topic) && nodes.some((n) => this.feeding.has(n.spec.id)))
      .map(([topic]) => topic);
  }

  async process(topic: string, messages: RawMessage[]): Promise<BatchResult> {
    const result: BatchResult = { messages: [], changelog: [], deadLetters: 0, skipped: 0 };
    const stateful = this.globalTopicSet.has(topic) ? undefined : this.statefulFor(topic);
    const pending = new Map<string, Map<string, Rec[]>>();
    const sources = this.sourcesByTopic.get(topic) ?? [];
    const timed = this.onNodeTime;
    for (const source of sources) {
      this.statsOf(source).in += messages.length;
      if (!source.op.decode) continue;
      const began = timed && performance.now();
      const decoding = source.op.decode(messages, this.emitter(source, pending, result));
      if (decoding) await decoding;
      if (timed) timed(source.spec.id, (performance.now() - (began as number)) / 1000);
    }
    for (const node of this.nodes) {
      const inputs = pending.get(node.spec.id);
      if (!inputs || !node.op.process) continue;
      pending.delete(node.spec.id);
      for (const [port, input] of inputs) {
        const batch = stateful?.marked.has(node.spec.id) ? this.unapplied(node.spec.id, input) : input;
        this.statsOf(node).in += batch.length;
        if (!batch.length) continue;
        const began = timed && performance.now();
        await node.op.process(batch, port, this.emitter(node, pending, result));
        if (timed) timed(node.spec.id, (performance.now() - (began as number)) / 1000);
      }
    }
    if (stateful && messages.length > 0) {
      // Recorded with the state it belongs to: a replay after a crash skips what the changelog already holds.
      const last = messages[messages.length - 1].origin;
      for (const id of stateful.marked) this.stores.get(id)!.partition(last.partition).put(appliedKey(topic), Number(last.offset));
    }
    for (const store of this.stores.values()) result.changelog.push(...store.flush());
    return result;
  }

  /**
   * How often, in ms, the host should call `punctuate` for the partitions it
   * owns: the shortest interval a node asks for (an aggregate's emit
   * interval); undefined when no node emits on a clock.
   */
  get punctuateEvery(): number | undefined {
    let every: number | undefined;
    for (const node of this.nodes) {
      const e = node.op.punctuateEvery;
      if (e !== undefined && (every === undefined || e < every)) every = e;
    }
    return every;
  }

  /** Whether nodes that keep state for the partitions of `topic` emit on a clock. */
  punctuates(topic: string): boolean {
    if (this.globalTopicSet.has(topic)) return false;
    return this.statefulFor(topic).all.some((id) => this.built.get(id)!.op.punctuateEvery !== undefined);
  }

  /**
   * Lets the nodes that emit on a clock (an aggregate's emit interval) emit
   * what is due in partition `partition` of `topic` at `now` (all they hold
   * with `final`, when the host shuts down), and runs what they emit through
   * the nodes after them. The result is written as a slice's is: outputs,
   * then state changes (in one transaction with exactly-once); it has no
   * input offsets to commit.
   */
  async punctuate(topic: string, partition: number, now: number, final = false): Promise<BatchResult> {
    const result: BatchResult = { messages: [], changelog: [], deadLetters: 0, skipped: 0 };
    if (!this.punctuates(topic)) return result;
    const clocked = new Set(this.statefulFor(topic).all);
    const pending = new Map<string, Map<string, Rec[]>>();
    for (const node of this.nodes) {
      if (clocked.has(node.spec.id) && node.op.punctuate) node.op.punctuate(partition, now, this.emitter(node, pending, result), final, topic);
      const inputs = pending.get(node.spec.id);
      if (!inputs || !node.op.process) continue;
      pending.delete(node.spec.id);
      for (const [port, batch] of inputs) {
        // Not replays: what a node emits on its clock is new, so the applied offsets do not filter it.
        this.statsOf(node).in += batch.length;
        await node.op.process(batch, port, this.emitter(node, pending, result), true);
      }
    }
    for (const store of this.stores.values()) result.changelog.push(...store.flush());
    return result;
  }

  /**
   * Loads what the nodes need (models) before the first batch, so that a
   * model that cannot load stops the start-up with a clear message instead
   * of failing mid-stream. Nodes that were not started load on first use.
   */
  async start(): Promise<void> {
    for (const node of this.nodes) {
      try {
        await node.op.start?.();
      } catch (e) {
        throw new Error(`node "${node.spec.id}" (${node.kind.kind}) cannot start: ${errorText(e)}`, { cause: e });
      }
    }
  }

  async close(): Promise<void> {
    for (const node of this.nodes) await node.op.close?.();
  }

  /** Records past the last offset that the node's state already reflects. */
  private unapplied(nodeId: string, batch: Rec[]): Rec[] {
    const store = this.stores.get(nodeId)!;
    return batch.filter((rec) => {
      const applied = store.partition(rec.origin.partition).get(appliedKey(rec.origin.topic));
      return applied === undefined || Number(rec.origin.offset) > (applied as number);
    });
  }

  private statsOf(node: Built): NodeStats {
    return this.stats.get(node.spec.id)!;
  }

  private emitter(node: Built, pending: Map<string, Map<string, Rec[]>>, result: BatchResult): Emitter {
    const id = node.spec.id;
    const stats = this.statsOf(node);
    const tap = this.onEmit;
    const send = (port: string, rec: Rec) => {
      if (tap) tap(id, port, rec);
      for (const c of this.consumers.get(edgeKey(id, port)) ?? []) {
        let ports = pending.get(c.node);
        if (!ports) pending.set(c.node, (ports = new Map<string, Rec[]>()));
        let list = ports.get(c.port);
        if (!list) ports.set(c.port, (list = []));
        list.push(rec);
      }
    };
    return {
      emit: (port, rec) => {
        stats.out++;
        send(port, rec);
      },
      produce: (message) => {
        stats.out++;
        result.messages.push(message);
      },
      fail: (rec, error) => {
        stats.errors++;
        const headers = { ...rec.headers, ...provenance(id, rec, error) };
        if (this.consumers.has(edgeKey(id, ERROR_PORT))) {
          send(ERROR_PORT, { ...rec, headers });
          return;
        }
        const { policy, topic } = this.spec.errors;
        if (policy === 'fail') throw new PipelineFailure(id, rec, error);
        if (policy === 'skip') {
          result.skipped++;
          return;
        }
        result.deadLetters++;
        result.messages.push({ topic, key: rec.key, value: deadLetterValue(rec), headers, timestamp: rec.timestamp });
      },
    };
  }
}

function provenance(nodeId: string, rec: Rec, error: unknown): Record<string, string> {
  return {
    [DEAD_LETTER_HEADERS.error]: errorText(error),
    [DEAD_LETTER_HEADERS.node]: nodeId,
    [DEAD_LETTER_HEADERS.topic]: rec.origin.topic,
    [DEAD_LETTER_HEADERS.partition]: String(rec.origin.partition),
    [DEAD_LETTER_HEADERS.offset]: rec.origin.offset,
  };
}

/** A dead letter carries exactly the bytes that arrived when there are any, so it can be replayed. */
function deadLetterValue(rec: Rec): string | Uint8Array | null {
  if (rec.raw !== undefined) return rec.raw;
  if (rec.value instanceof Uint8Array || typeof rec.value === 'string') return rec.value;
  try {
    return JSON.stringify(rec.value) ?? null;
  } catch {
    return String(rec.value);
  }
}

/** Kahn's algorithm; validation rejects cycles before a graph is ever built. */
export function topoOrder(nodes: readonly NodeSpec[]): string[] {
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  const next = new Map<string, string[]>();
  for (const n of nodes) {
    for (const i of n.inputs) {
      indegree.set(n.id, (indegree.get(n.id) ?? 0) + 1);
      next.set(i.from, [...(next.get(i.from) ?? []), n.id]);
    }
  }
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const m of next.get(id) ?? []) {
      const d = indegree.get(m)! - 1;
      indegree.set(m, d);
      if (d === 0) queue.push(m);
    }
  }
  if (order.length !== nodes.length) throw new Error('the pipeline graph has a cycle');
  return order;
}

// [1] Repartitioning, as Kafka Streams does it: select-key produces each
//     record, under its new key, to `<pipeline>.<node>.repartition`; the
//     consumer group reads that topic like any input, and the node's decode
//     feeds what it reads to the nodes after it. So everything downstream of
//     a re-key runs in the partition that owns the new key, on whichever
//     replica owns that partition, and its state lives there too.
// [2] A table (`table` source) keeps its rows per partition in a store whose
//     changelog is the table's own topic, which is compacted: nothing else is
//     written. Its partition is restored from that topic up to the group's
//     committed offset (Kafka Streams' source-topic changelog), and the group
//     reads on from there, so the rows are those of the records processed.
