/**
 * How a node kind is declared. Each kind declares itself once: parameters with
 * defaults and docs, ports, how its output type follows from its input, and
 * its behaviour. The registry lists every kind; validation, codegen, the
 * designer's palette and inspector, the docs and the simulator all read it.
 */
import type { PartitionedStore } from '../engine/state.js';
import type { OutMessage, Rec, RawMessage } from '../types.js';

export type Category = 'source' | 'transform' | 'model' | 'sink';

export type ParamType =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'expression'
  | 'topic'
  /** A mapping from a name to an expression (branch routes); each entry is checked, typed and compiled like an expression. */
  | 'expressions'
  /** A list of names, e.g. table columns. */
  | 'list'
  /** A JSON value (a JSON Schema, an event template); the kind checks its shape in `validate`. */
  | 'json';

export interface ParamSpec {
  name: string;
  type: ParamType;
  title: string;
  description: string;
  /** Omitted for required parameters. */
  default?: string | number | boolean;
  required?: boolean;
  enum?: readonly string[];
  min?: number;
  max?: number;
  /** For expressions: what the expression must evaluate to, as a TypeScript type, and what it is shown as. */
  returns?: 'boolean' | 'any' | 'key' | 'array' | 'number' | 'time';
  /** For expressions of a node with several inputs: the input port whose events the expression sees. */
  port?: string;
  placeholder?: string;
  /** A `json` parameter that may also be written as text (a schema as Avro JSON or a .proto file's text). */
  text?: boolean;
  /** A `string` parameter that names a file of the pipeline (see `files`): the folder of the generated repository the file goes to (models/ otherwise). */
  repoFolder?: string;
  /**
   * A reducer: the expression also sees `acc`, the value it returned for the key before. Its type is
   * what the expression named here returns (the starting value), or the input type when that one is not set.
   */
  acc?: string;
}

/** What a parameter of each type holds once it has passed validation. */
interface ParamValues {
  string: string;
  integer: number;
  boolean: boolean;
  enum: string;
  /** An expression's source text (validation also admits a bare number or boolean). */
  expression: string | number | boolean;
  topic: string;
  /** Names mapped to expressions; in a built graph (`graphSpec`), where they come compiled, only the names, in order. */
  expressions: Record<string, string | number | boolean> | readonly string[];
  list: readonly string[];
  json: Record<string, unknown>;
}

/** The value of one declared parameter: an enum's own values, and `undefined` only when it is neither required nor defaulted. */
type ParamValue<P extends ParamSpec> =
  | (P extends { type: 'enum'; enum: readonly (infer E extends string)[] } ? E : ParamValues[P['type']])
  | (P extends { required: true } | { default: string | number | boolean } ? never : undefined);

/** Every parameter list, as the registry and other callers that do not know the kind see it. */
export type AnyParams = readonly ParamSpec[];

/**
 * The parameters a kind's functions receive, typed from its declaration: each declared parameter,
 * validated, with its default filled in (see `withDefaults`).
 */
export type ParamsOf<Ps extends AnyParams> = string extends Ps[number]['name']
  ? Record<string, unknown>
  : { readonly [P in Ps[number] as P['name']]: ParamValue<P> };

/**
 * The parameters of a node still being edited (the designer shows output ports and types while it
 * is invalid): the declared names with defaults filled in, but values not yet checked.
 */
export type DraftOf<Ps extends AnyParams> = { readonly [K in keyof ParamsOf<Ps>]: unknown };

/** The parameters `create` receives: expression parameters come compiled, as `fns`, instead. */
export type ValuesOf<Ps extends AnyParams> = ParamsOf<Exclude<Ps[number], { type: 'expression' }>[]>;

/** The TypeScript type of a node's output, relative to its input. */
export type OutputType<P = Record<string, unknown>> =
  /** The input type, plus `fields` (name → TypeScript type) that the node adds, if any. */
  | { from: 'input'; fields?(params: P): Record<string, string> }
  /** What the expression returns; with `element`, the element type of the array it returns (flat-map). */
  | { from: 'expression'; param: string; element?: boolean }
  | { from: 'source' }
  | { from: 'none' }
  /** A type of its own: TypeScript text built from the parameters and the type of each input port. */
  | {
      from: 'type';
      /** `expressionType`, where the caller knows it: the TypeScript type an expression parameter of the node returns. */
      type(params: P, inputs: Record<string, string>, expressionType?: (param: string) => string): string;
    };

export interface KindExample {
  params: Record<string, unknown>;
  /** Sample input value and what this node makes of it, used by the catalog test and the docs. */
  input?: unknown;
  output?: unknown;
  /**
   * For kinds that need several events to show an output (windows, joins,
   * dedupe): events fed in order, each on an input port (the first by
   * default), and every output they give, in order.
   */
  events?: { port?: string; key?: string; value: unknown; timestamp?: number }[];
  outputs?: { key?: string | null; value: unknown }[];
}

/** What a node receives when the graph is built. */
export interface CreateContext<P = Record<string, unknown>> {
  nodeId: string;
  pipeline: string;
  /** The node's parameters with defaults filled in, without expression parameters (see `fns`). */
  params: P;
  /** Compiled expression parameters, by parameter name. */
  fns: Record<string, (...args: never[]) => unknown>;
  /**
   * Reads a file of the pipeline (a model, say) by its path relative to the
   * pipeline's folder. Given by the host; without one, Node reads from the
   * working directory and a browser has no files.
   */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** Stateful kinds: the node's store, one key-value map per partition, backed by its changelog topic. */
  store?: PartitionedStore;
  /** Repartitioning kinds: the internal topic the node writes and then reads back. */
  repartitionTopic?: string;
  /**
   * Given by hosts that run without the outside world (the simulator, tests):
   * sinks that write outside Kafka (a database, a webhook, a log) hand it what
   * they would write instead. The service gives none, and they do the I/O.
   */
  capture?: (output: SinkOutput) => void;
  /**
   * The rows of the table (a `table` source) that feeds input port `port`, one store per
   * partition, when one does: a join looks rows up in it instead of keeping a copy.
   */
  tableOf?: (port: string) => PartitionedStore | undefined;
}

/** What a sink outside Kafka would have written: a row, a request body, a log line. */
export interface SinkOutput {
  key: string | null;
  value: unknown;
}

/** The calls an operator makes while it processes a batch. */
export interface Emitter {
  /** Pass a record on through an output port. */
  emit(port: string, rec: Rec): void;
  /** Route a record that failed to the node's error port (or the pipeline's error policy). */
  fail(rec: Rec, error: unknown): void;
  /** Ask the transport to produce a message; the batch's offsets commit only after it is acknowledged. */
  produce(message: OutMessage): void;
}

export interface Operator {
  /** Source nodes: turn raw messages from their topic into records (asynchronously when they ask a Schema Registry). */
  decode?(messages: RawMessage[], out: Emitter): void | Promise<void>;
  /**
   * Transforms and sinks: handle a batch that arrived on an input port. `clock` is true when the
   * batch is what nodes emitted on their clock (`punctuate`), not records read at input offsets.
   */
  process?(batch: Rec[], port: string, out: Emitter, clock?: boolean): void | Promise<void>;
  /** Load what the node needs (a model, say) before the first batch; throwing stops the start-up with that message. */
  start?(): Promise<void>;
  /** Stateful kinds: the store of `partition` was restored from the changelog or dropped; rebuild anything derived from it. */
  reset?(partition: number): void;
  /**
   * Stateful kinds that emit on a clock (an aggregate's emit interval): the host calls it for each
   * partition it owns, about every `punctuateEvery` ms of its clock (`now`), and with `final` when
   * it shuts down. What it emits is written like a slice's outputs, with its state changes.
   * `topic`: the topic whose partition it is (the origin of what it emits).
   */
  punctuate?(partition: number, now: number, out: Emitter, final: boolean, topic: string): void;
  /** How often `punctuate` wants to be called, in ms of the host's clock. */
  readonly punctuateEvery?: number;
  /**
   * The group's offset of `topic[partition]` is committed at `next` (the next record to read): records
   * before it will not be processed again by this replica, and what a node keeps about them can go.
   */
  committed?(topic: string, partition: number, next: string): void;
  /** This replica no longer owns `topic[partition]` (a rebalance gave it to another). */
  released?(topic: string, partition: number): void;
  close?(): void | Promise<void>;
}

/** A node kind; `Ps` its parameter declarations, from which the parameters its functions see are typed. */
export interface KindSpec<Ps extends AnyParams = AnyParams> {
  kind: string;
  category: Category;
  title: string;
  summary: string;
  /** A paragraph or two for the docs and the inspector. */
  docs: string;
  params: Ps;
  inputs: readonly string[];
  /** Named output ports; every node also has an `error` port. */
  outputs: readonly string[];
  /** Output ports that follow from the parameters (branch: one per route, plus `default`). Read them through `outputPorts`. */
  outputsOf?(params: DraftOf<Ps>): string[];
  /** Sources that make their own events (generator): example values for event types and smoke tests. */
  samples?(params: DraftOf<Ps>): unknown[];
  /** Read for drafts too, so it checks the values it uses. */
  outputType: OutputType<DraftOf<Ps>>;
  /** The topic a source reads or a sink writes, if any, named by a parameter. */
  topicParam?: string;
  /**
   * The topic named by `topicParam` is written by others and only read here: unless pipeline.yaml
   * says `external: false` for it, the generated repository neither creates it nor declares it.
   */
  readsExternalTopic?: boolean;
  example: KindExample;
  /** Checks beyond each parameter's type, e.g. that a model file exists and fits. `files` are the pipeline's files, when the caller has them. */
  validate?(params: ParamsOf<Ps>, ctx: { files?: PipelineFiles }): KindProblem[];
  /**
   * Checks that need to load something, e.g. a model in its inference runtime; asynchronous, so the
   * CLI runs them after validation passes (the designer may too). `files` as for validate.
   */
  probe?(params: ParamsOf<Ps>, ctx: { files: PipelineFiles }): Promise<KindProblem[]>;
  /** Parameters that name a file of the pipeline, which the generated repository must carry. */
  files?(params: ParamsOf<Ps>): string[];
  /** Environment variables with credentials this node reads (a database URL, a webhook token); the generated Secret example lists them. */
  secrets?(params: ParamsOf<Ps>): { name: string; example: string; description: string }[];
  /** npm packages (name → exact version) the generated service needs for this node. */
  dependencies?(params: ParamsOf<Ps>): Record<string, string>;
  /**
   * Keeps state per partition (windows, joins, dedupe): the engine gives the
   * node a store backed by the compacted topic `<pipeline>.<node>.changelog`,
   * writes its changes after the batch's outputs are acknowledged and before
   * offsets commit, and restores it when a partition is assigned.
   */
  stateful?(params: ParamsOf<Ps>): boolean;
  /**
   * Re-keys through `<pipeline>.<node>.repartition`: the node produces there,
   * and the engine reads that topic back as the source of the node's `out`
   * port, so downstream nodes see each key in the partition that owns it.
   */
  repartitions?: boolean;
  /**
   * A source that reads its topic as a table (latest value per key): the engine keeps its rows
   * per partition in a store whose changelog is the topic itself, restored from it, and its
   * deletes (records with `deleted`) flow downstream.
   */
  table?: boolean;
  /**
   * Its output is a table: the latest result per key, emitted under that key (aggregate). The topic
   * of a Kafka sink fed by it is created compacted.
   */
  tableOutput?: boolean;
  /** Input ports whose source topics every replica reads in full (a table to join with), outside the consumer group. */
  globalInputs?(params: ParamsOf<Ps>): string[];
  create(ctx: CreateContext<ValuesOf<Ps>>): Operator;
}

/** Files that belong to a pipeline (models), by path relative to the pipeline's folder. */
export type PipelineFiles = Record<string, Uint8Array>;

/**
 * The codes a kind's own `validate` gives its problems; their messages and hints come from the kind
 * (the table in codegen/errors.ts lists each with its subject). An aggregate's PW100–PW102, a
 * duration that is not one (PW104) or not above zero (PW105), a hopping window without an advance
 * (PW106) or with one longer than its size (PW107), other kinds' parameters (PW120–PW133), a registry
 * schema (PW134), the model's output fields (PW140), endpoint (PW141), file (PW142) and inputs
 * (PW143), the validate kind's schema (PW144), the HTTP sink's url (PW145) and authEnv (PW146).
 */
export const KIND_PROBLEM_CODES = [
  'PW100',
  'PW101',
  'PW102',
  'PW104',
  'PW105',
  'PW106',
  'PW107',
  'PW120',
  'PW121',
  'PW122',
  'PW123',
  'PW124',
  'PW125',
  'PW126',
  'PW127',
  'PW128',
  'PW129',
  'PW130',
  'PW131',
  'PW132',
  'PW133',
  'PW134',
  'PW140',
  'PW141',
  'PW142',
  'PW143',
  'PW144',
  'PW145',
  'PW146',
] as const;
export type KindProblemCode = (typeof KIND_PROBLEM_CODES)[number];

/** A problem a kind finds in its own parameters. */
export interface KindProblem {
  param: string;
  code: KindProblemCode;
  message: string;
  hint: string;
}

export const ERROR_PORT = 'error';

/**
 * Declares a kind. Write its `params` inline: their names, types, enums and defaults type the
 * parameters that `create`, `validate` and the rest receive, so no kind restates a default.
 */
export function defineKind<const Ps extends AnyParams, const K extends KindSpec<Ps>>(spec: K & { params: Ps }): K {
  return spec;
}

/** A node's output ports (without `error`): derived from its parameters when the kind says so. */
export function outputPorts(kind: KindSpec, params: Record<string, unknown>): readonly string[] {
  return kind.outputsOf ? kind.outputsOf(withDefaults(kind, params)) : kind.outputs;
}

/**
 * The parameters a kind's functions see: each declared parameter as written, or its declared
 * default when it is not written (or null). Parameters the kind does not declare are left out.
 * Every caller of `create`, `validate`, `probe`, `stateful`, `files` and the rest passes these,
 * so a kind reads `params.size` and never restates its default. `expressions: false` leaves out
 * expression parameters, which reach `create` compiled, as `fns`.
 */
export function withDefaults<Ps extends AnyParams>(
  kind: KindSpec<Ps>,
  params: Readonly<Record<string, unknown>>,
  options: { expressions?: boolean } = {},
): ParamsOf<Ps> {
  const filled: Record<string, unknown> = {};
  for (const p of kind.params) {
    if (options.expressions === false && p.type === 'expression') continue;
    filled[p.name] = params[p.name] ?? p.default;
  }
  // Validation has checked each value against its declaration (see ParamsOf).
  return filled as ParamsOf<Ps>;
}

/** A YAML mapping: an object, not null or a list. */
export const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A parameter's value with its declared default filled in. */
export function paramValue(spec: KindSpec, params: Record<string, unknown>, name: string): unknown {
  if (params[name] !== undefined) return params[name];
  return spec.params.find((p) => p.name === name)?.default;
}

/** Run `fn` on every record and send failures to the error port, so one bad record never stops a batch. */
export function eachRecord(batch: Rec[], out: Emitter, fn: (rec: Rec) => void): void {
  for (const rec of batch) {
    try {
      fn(rec);
    } catch (error) {
      out.fail(rec, error);
    }
  }
}
