/**
 * The Pipeline: the single source of truth. YAML is how it is stored, the
 * designer's canvas is a view of it, and the generated repository is a
 * function of it.
 */
import type { ErrorPolicy } from '../runtime/engine/graph.js';

export const PIPELINE_FORMAT_VERSION = 1;

export type ConnectionProfile = 'plaintext' | 'sasl-ssl';
export type SaslMechanismName = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** KEDA's settings for the ScaledObject, named as KEDA names them. */
export interface Autoscaling {
  /** Fewest replicas; 0 lets KEDA scale the service away while nothing lags (default 1). */
  minReplicaCount?: number;
  /** Most replicas; at most the partitions of the topics the group reads (the default). */
  maxReplicaCount?: number;
  /** Lag per replica KEDA aims at (default 1000). */
  lagThreshold?: number;
  /** Lag above which KEDA wakes a service scaled to zero (default 0). */
  activationLagThreshold?: number;
}

export interface SampleEvent {
  key?: string | null;
  value: unknown;
  /** Milliseconds since the epoch; defaults to the test's clock. */
  timestamp?: number;
  headers?: Record<string, string>;
}

/** One input of a node: which node and output port feeds which input port. */
export interface NodeInput {
  port: string;
  from: string;
  fromPort: string;
}

export interface PipelineNode {
  id: string;
  kind: string;
  /** Parameter values as written; defaults are not filled in, so YAML stays short. */
  params: Record<string, unknown>;
  inputs: NodeInput[];
  label?: string;
  position?: { x: number; y: number };
  /** Sources: example events, used for event types, tests and the simulator. */
  samples?: SampleEvent[];
}

export interface PipelineTest {
  name: string;
  /** Events per source node id. */
  input: Record<string, SampleEvent[]>;
  /** Expected outputs per sink node id, in order per key. */
  expect: Record<string, SampleEvent[]>;
  /** Expected number of dead letters, when the test checks them. */
  deadLetters?: number;
}

export interface Pipeline {
  name: string;
  description?: string;
  kafka: {
    profile: ConnectionProfile;
    mechanism: SaslMechanismName;
    replicationFactor: number;
    /** The bootstrap servers the deployment connects to (host:port, comma-separated); the ConfigMap holds them. */
    bootstrapServers?: string;
  };
  errors: { policy: ErrorPolicy; topic?: string };
  /** at-least-once when left out. */
  delivery?: 'at-least-once' | 'exactly-once';
  deploy: {
    /** A fixed replica count, with `autoscaling: none`. Defaults to the input topics' partition count. */
    replicas?: number;
    /** repository[:tag][@digest]; the tag defaults to the generated package's version. */
    image?: string;
    /** KEDA scales on lag (the default, tuned by the mapping), or `none`: a fixed replica count. */
    autoscaling?: 'none' | Autoscaling;
    /** The namespace Prometheus scrapes from: the only one allowed to reach the metrics port (default monitoring). */
    metricsNamespace?: string;
    /** Generate a PodMonitor, a PrometheusRule and a Grafana dashboard (Prometheus Operator). */
    monitoring?: boolean;
    /** Liveness fails when the consumer has not polled or sent a heartbeat for this long (default 120). */
    livenessTimeoutSeconds?: number;
  };
  nodes: PipelineNode[];
  tests: PipelineTest[];
}

export function emptyPipeline(name = 'my-pipeline'): Pipeline {
  return {
    name,
    kafka: { profile: 'plaintext', mechanism: 'scram-sha-512', replicationFactor: 3 },
    errors: { policy: 'dead-letter' },
    deploy: {},
    nodes: [],
    tests: [],
  };
}

export function deadLetterTopic(p: Pipeline): string {
  return p.errors.topic ?? `${p.name}.dead-letter`;
}

/**
 * Where a node stood in the file it was read from, kept off the enumerable
 * properties so it never reaches YAML or equality checks. Problems found
 * after reading use it to point at the right list item.
 */
const SOURCE_INDEX = Symbol('sourceIndex');

export function setSourceIndex(node: PipelineNode, index: number): void {
  Object.defineProperty(node, SOURCE_INDEX, { value: index, enumerable: false, configurable: true });
}

export function nodePath(node: PipelineNode, index: number): (string | number)[] {
  return ['nodes', (node as unknown as Record<symbol, number | undefined>)[SOURCE_INDEX] ?? index];
}
