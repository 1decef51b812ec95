/**
 * The engine: a batch of raw messages from one topic partition flows through
 * the operator graph in topological order, one operator call per input port.
 * Whatever the sinks ask to produce, and every dead letter, comes back as one
 * list, so the transport can send it in one go and commit only after it is
 * acknowledged (at-least-once).
 */
import { getKind } from '../kinds/registry.js';
import { ERROR_PORT, type Emitter, type KindSpec, type Operator, type SinkOutput } from '../kinds/spec.js';
import { DEAD_LETTER_HEADERS, type OutMessage, type RawMessage, type Rec } from '../types.js';

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
}

export interface GraphSpec {
  pipeline: string;
  nodes: NodeSpec[];
  errors: { policy: ErrorPolicy; topic: string };
}

// Expression functions are typed per node in generated code; the engine only calls them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFn = (...args: any[]) => unknown;
/** Compiled expressions: node id → parameter name → function. */
export type GraphFns = Record<string, Record<string, AnyFn>>;

export interface NodeStats {
  in: number;
  out: number;
  errors: number;
}

export interface BatchResult {
  /** Everything to produce: sink outputs and dead letters, in the order they arose. */
  messages: OutMessage[];
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

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

interface Built {
  spec: NodeSpec;
  kind: KindSpec;
  op: Operator;
}

const edgeKey = (node: string, port: string) => `${node}\u0000${port}`;

export class Graph {
  readonly stats = new Map<string, NodeStats>();
  private readonly nodes: Built[];
  private readonly sourcesByTopic = new Map<string, Built[]>();
  private readonly consumers = new Map<string, { node: string; port: string }[]>();
  /** Nodes whose outputs some node reads. */
  private readonly feeding = new Set<string>();
  /** What sinks outside Kafka would have written, by node id, when the graph is not live. */
  readonly captured = new Map<string, SinkOutput[]>();

  private readonly onEmit: GraphOptions['onEmit'];

  constructor(
    readonly spec: GraphSpec,
    fns: GraphFns = {},
    options: GraphOptions = {},
  ) {
    this.onEmit = options.onEmit;
    const built = new Map<string, Built>();
    for (const node of spec.nodes) {
      const kind = getKind(node.kind);
      if (!kind) throw new Error(`unknown node kind "${node.kind}" for node "${node.id}"`);
      const params: Record<string, unknown> = {};
      for (const p of kind.params) if (p.type !== 'expression') params[p.name] = node.params[p.name] ?? p.default;
      const capture = options.live
        ? undefined
        : (o: SinkOutput) => {
            let list = this.captured.get(node.id);
            if (!list) this.captured.set(node.id, (list = []));
            list.push(o);
          };
      const op = kind.create({ nodeId: node.id, pipeline: spec.pipeline, params, fns: fns[node.id] ?? {}, readFile: options.readFile, capture });
      built.set(node.id, { spec: node, kind, op });
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
  }

  /**
   * Topics the sources read, in the order the nodes are declared. A source
   * that feeds no node is not consumed: an http-ingest node alone is a front
   * that only produces.
   */
  get sourceTopics(): string[] {
    return [...this.sourcesByTopic].filter(([, nodes]) => nodes.some((n) => this.feeding.has(n.spec.id))).map(([topic]) => topic);
  }

  async process(topic: string, messages: RawMessage[]): Promise<BatchResult> {
    const result: BatchResult = { messages: [], deadLetters: 0, skipped: 0 };
    const pending = new Map<string, Map<string, Rec[]>>();
    const sources = this.sourcesByTopic.get(topic) ?? [];
    for (const source of sources) {
      this.statsOf(source).in += messages.length;
      source.op.decode?.(messages, this.emitter(source, pending, result));
    }
    for (const node of this.nodes) {
      const inputs = pending.get(node.spec.id);
      if (!inputs || !node.op.process) continue;
      pending.delete(node.spec.id);
      for (const [port, batch] of inputs) {
        this.statsOf(node).in += batch.length;
        await node.op.process(batch, port, this.emitter(node, pending, result));
      }
    }
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
        throw new Error(`node "${node.spec.id}" (${node.kind.kind}) cannot start: ${errorText(e)}`);
      }
    }
  }

  async close(): Promise<void> {
    for (const node of this.nodes) await node.op.close?.();
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
        if (!ports) pending.set(c.node, (ports = new Map()));
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
