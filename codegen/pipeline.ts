/**
 * The Pipeline: the single source of truth. YAML is how it is stored, the
 * designer's canvas is a view of it, and the generated repository is a
 * function of it.
 */
import type { ErrorPolicy } from '../runtime/engine/graph.js';
import type { ConnectionProfile, PasswordMechanism, SaslSslPreset } from '../runtime/service/connection.js';

export const PIPELINE_FORMAT_VERSION = 2;

export type { ConnectionProfile, SaslSslPreset } from '../runtime/service/connection.js';
/** The mechanisms of the sasl-ssl profile: a user name and password. */
export type SaslMechanismName = PasswordMechanism;

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
  /** Expected number of dead letters; none when left out (unless ignored). */
  deadLetters?: number;
  /**
   * What the test does not check: sink node ids, and `dead-letters`.
   * Everything else is checked: a sink it neither expects nor ignores must produce nothing.
   */
  ignore?: string[];
}

/** The name a test's `ignore` gives the dead-letter topic. */
export const IGNORE_DEAD_LETTERS = 'dead-letters';

/** Cleanup policies Kafka knows, as its cleanup.policy config writes them. */
export const CLEANUP_POLICIES = ['delete', 'compact', 'compact,delete'] as const;
export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number];

/** What pipeline.yaml may say about one topic. */
export interface TopicSettings {
  /**
   * Owned by someone else: Pipewright neither creates it nor declares a KafkaTopic for it;
   * `npm run topics` only checks that it exists with enough partitions. The default for
   * topics the pipeline reads; the topics it writes are always its own.
   */
  external?: boolean;
  /** How long Kafka keeps records: a duration such as 7d, 12h, 30m, 45s, 500ms, or "forever". */
  retention?: string;
  cleanup?: CleanupPolicy;
}

/** The Strimzi cluster name used when pipeline.yaml names none. */
export const DEFAULT_STRIMZI_CLUSTER = 'my-cluster';

/**
 * min.insync.replicas for a replication factor: 2 with 3 replicas, so that acks=all means two
 * copies, but always one less than the replicas (so one broker may be down) and at least 1.
 */
export function minInsyncReplicasFor(replicationFactor: number): number {
  return Math.max(1, Math.min(2, replicationFactor - 1));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A retention as Kafka's retention.ms: milliseconds, -1 for "forever"; undefined when it is not a duration. */
export function retentionMs(text: string): number | undefined {
  if (text === 'forever') return -1;
  const m = /^([1-9][0-9]{0,9})(ms|s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * DURATION_UNITS[m[2]];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export interface Pipeline {
  name: string;
  description?: string;
  kafka: {
    /** How the service connects: runtime/service/connection.ts lists the profiles. */
    profile: ConnectionProfile;
    /** The SASL mechanism of the sasl-ssl profile. */
    mechanism: SaslMechanismName;
    /** sasl-ssl: the settings of a managed service (Confluent Cloud, Azure Event Hubs); its mechanism is plain. */
    preset?: SaslSslPreset;
    /** TLS profiles: trust the CA in the Secret <pipeline>-kafka-tls (ca.crt) instead of the system's CAs. */
    customCa?: boolean;
    /** oauthbearer: the OIDC provider's token URL and the scopes to ask for (comma- or space-separated). */
    oauth?: { tokenEndpoint?: string; scope?: string };
    /** aws-msk-iam: the MSK cluster's region, and the IAM role of the pods (IRSA). */
    aws?: { region?: string; roleArn?: string };
    replicationFactor: number;
    /** The bootstrap servers the deployment connects to (host:port, comma-separated); the ConfigMap holds them. */
    bootstrapServers?: string;
    /** min.insync.replicas of the topics Pipewright creates; defaults to minInsyncReplicasFor(replicationFactor). */
    minInsyncReplicas?: number;
    /** The Strimzi Kafka cluster resource the KafkaTopic resources belong to (their strimzi.io/cluster label). */
    strimziCluster?: string;
  };
  errors: { policy: ErrorPolicy; topic?: string };
  /** at-least-once when left out. */
  delivery?: 'at-least-once' | 'exactly-once';
  /** Settings per topic, by topic name; topics not listed take the defaults. */
  topics?: Record<string, TopicSettings>;
  deploy: {
    /** A fixed replica count, with `autoscaling: none`. Defaults to the input topics' partition count. */
    replicas?: number;
    /** repository[:tag][@digest]; the tag defaults to the generated package's version. */
    image?: string;
    /** KEDA scales on lag (the default, tuned by the mapping), or `none`: a fixed replica count. */
    autoscaling?: 'none' | Autoscaling;
    /** The namespace Prometheus scrapes from: the only one allowed to reach the metrics port (default monitoring). */
    metricsNamespace?: string;
    /**
     * Generate a PodMonitor, a PrometheusRule and a Grafana dashboard (Prometheus Operator): true,
     * or a mapping of labels for the PodMonitor and PrometheusRule (what the cluster's Prometheus
     * selects them by). Off when left out.
     */
    monitoring?: boolean | Monitoring;
    /** Liveness fails when the consumer has not polled or sent a heartbeat for this long (default 120). */
    livenessTimeoutSeconds?: number;
    /** Warm copies of each partition's state on other replicas (as Kafka Streams' num.standby.replicas); default 0. */
    standbyReplicas?: number;
  };
  nodes: PipelineNode[];
  tests: PipelineTest[];
}

export interface Monitoring {
  /** Labels of the PodMonitor and PrometheusRule, e.g. { release: kube-prometheus-stack }. */
  labels: Record<string, string>;
}

/** The monitoring settings when deploy.monitoring turns monitoring on, else undefined. */
export function monitoringOf(p: Pipeline): Monitoring | undefined {
  const m = p.deploy.monitoring;
  if (m === undefined || m === false) return undefined;
  return m === true ? { labels: {} } : m;
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
