/**
 * The plan of a generated repository: what the generator derives from a validated pipeline,
 * computed once (`planRepository`) before any file is written. Every file renderer reads it —
 * src/pipeline.ts (`pipelineTs`), the templates' view (Dockerfile, topics/, k8s/, README,
 * package.json, the tests), monitoring, db/schema.sql — and none of them derives topics,
 * secrets or dependencies again. Pure, like the rest of the generator.
 */
import type { GraphSpec } from '../runtime/engine/graph.js';
import { getKind } from '../runtime/kinds/registry.js';
import { DEFAULT_REGISTRY_URL, isRegistryFormat, REGISTRY_ENV } from '../runtime/kinds/schema-registry.js';
import { withDefaults, type PipelineFiles } from '../runtime/kinds/spec.js';
import type { TestCase } from '../runtime/testing.js';
import type { TopicDef } from '../runtime/types.js';
import { connectionView, type ConnectionView } from './connection.js';
import { graphSpec } from './graph-spec.js';
import type { Pipeline, PipelineNode } from './pipeline.js';
import { withSchemaFiles } from './schema-files.js';
import { testCases } from './test-cases.js';
import { consumedTopics, fromBeginning, groupTopics, inputPartitions, topicDefs } from './topics.js';

/** A credential a node reads from the environment: its variable's name, a placeholder, what it is. */
export interface NodeSecret {
  name: string;
  example: string;
  description: string;
}

/** An npm package the generated service needs beyond kafkajs. */
export interface Dependency {
  name: string;
  version: string;
}

/** What src/pipeline.ts is written from; the type check builds it for pipelines still under validation (`planCode`). */
export interface CodePlan {
  /** The pipeline; in a repository plan, its files (models) already at their place in the repository. */
  pipeline: Pipeline;
  /** The operator graph the runtime builds, expressions left out. */
  graph: GraphSpec;
  /** Every topic the pipeline reads or writes (sources, sinks, repartition, changelog, dead letters), partitions and config settled; `external` ones belong to someone else. */
  topics: TopicDef[];
  /** Whether a new consumer group starts at the earliest offset. */
  fromBeginning: boolean;
}

export interface RepoPlan extends CodePlan {
  /** What src/pipeline.ts is written from: the pipeline with each schema file's contents in the parameter it stands for (the service reads no schema file), while `pipeline` keeps naming the files, as pipeline.yaml does. */
  code: CodePlan;
  /** The source topics the consumer group reads (tables every replica reads in full left out): KEDA's and the README's. */
  groupTopics: string[];
  /** Every topic the group reads: `groupTopics`, then the repartition topics it reads back. */
  consumedTopics: string[];
  /** The most partitions of a `groupTopics` topic: the default and the highest replica count. */
  partitions: number;
  /** The connection profile, with the Schema Registry's URL and egress when a Kafka node uses a registry format. */
  connection: ConnectionView;
  /** Whether a kafka-source or kafka-sink reads or writes a Schema Registry format. */
  usesRegistry: boolean;
  /** The nodes' credentials, one per variable, in the order the nodes name them. */
  secrets: NodeSecret[];
  /** npm packages beyond kafkajs, the kinds' and the connection's, sorted by name. */
  dependencies: Dependency[];
  /** Whether the service loads ONNX models (onnxruntime-node). */
  hasOnnx: boolean;
  /** Whether a node names files (models) that the repository carries in models/ and the image copies. */
  hasModels: boolean;
  /** The pipeline's tests, and its samples as a smoke test, as the runtime runs them. */
  tests: { cases: TestCase[]; samples: TestCase['input'] };
}

/** The part of the plan src/pipeline.ts needs. */
export function planCode(p: Pipeline): CodePlan {
  return { pipeline: p, graph: graphSpec(p), topics: topicDefs(p), fromBeginning: fromBeginning(p) };
}

/** The repository's plan. Call it on a pipeline that validated without errors, its files placed (`files` by their place in the repository). */
export function planRepository(p: Pipeline, files: PipelineFiles = {}): RepoPlan {
  const code = planCode(withSchemaFiles(p, files));
  const group = groupTopics(p, code.graph);
  const registry = usesRegistry(p);
  const connection = withRegistry(connectionView(p), registry);
  const kindDeps = kindDependencies(p);
  return {
    ...code,
    pipeline: p,
    code,
    groupTopics: group,
    consumedTopics: consumedTopics(p, group),
    partitions: inputPartitions(p, code.topics, group),
    connection,
    usesRegistry: registry,
    secrets: kindSecrets(p),
    dependencies: [...kindDeps, ...connection.dependencies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    hasOnnx: kindDeps.some((d) => d.name === 'onnxruntime-node'),
    // Files are placed by now: a model under models/, a schema file under schemas/ (carried in the code, not read at run time).
    hasModels: p.nodes.some((n) => kindFiles(n).some((f) => f.startsWith('models/'))),
    tests: testCases(p, code.graph, code.topics),
  };
}

const usesRegistry = (p: Pipeline) => p.nodes.some((n) => isRegistryFormat(n.params.format) && (n.kind === 'kafka-source' || n.kind === 'kafka-sink'));

/** The registry's URL is a plain setting (config.env), reached on the registry's usual port 8081; its user and password are kind secrets. */
function withRegistry(connection: ConnectionView, registry: boolean): ConnectionView {
  if (!registry) return connection;
  return {
    ...connection,
    config: [...connection.config, { key: REGISTRY_ENV.url, value: DEFAULT_REGISTRY_URL }],
    egress: [...connection.egress, { what: 'the Schema Registry', port: 8081 }],
  };
}

/** Credentials the nodes read from the environment, one entry per variable. */
function kindSecrets(p: Pipeline): NodeSecret[] {
  const out = new Map<string, NodeSecret>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (!kind?.secrets) continue;
    for (const s of kind.secrets(withDefaults(kind, n.params))) if (!out.has(s.name)) out.set(s.name, s);
  }
  return [...out.values()];
}

/** The pipeline files (models) a node names, as its kind says. */
export function kindFiles(n: PipelineNode): string[] {
  const kind = getKind(n.kind);
  return kind?.files ? kind.files(withDefaults(kind, n.params)) : [];
}

/** npm packages the pipeline's kinds need beyond kafkajs, sorted, one version per package. */
function kindDependencies(p: Pipeline): Dependency[] {
  const deps = new Map<string, string>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (!kind?.dependencies) continue;
    for (const [name, version] of Object.entries(kind.dependencies(withDefaults(kind, n.params)))) deps.set(name, version);
  }
  return [...deps.keys()].sort().map((name) => ({ name, version: deps.get(name)! }));
}
