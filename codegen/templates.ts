/**
 * The typed registry of templates: which template renders which file of the
 * generated repository, and the one view every template gets. Templates hold
 * no logic; values arrive prepared, and user strings pass through the
 * escaping helpers (ts, yaml, sh, md, comment, json).
 */
import type { TopicDef } from '../runtime/types.js';
import type { AlertRule } from './monitoring.js';
import type { ConnectionView } from './connection.js';
import type { Dependency, NodeSecret } from './plan.js';

export const TEMPLATES = {
  'README.md': 'README.md.hbs',
  'package.json': 'package.json.hbs',
  'tsconfig.json': 'tsconfig.json.hbs',
  '.gitignore': 'gitignore.hbs',
  '.dockerignore': 'dockerignore.hbs',
  Dockerfile: 'Dockerfile.hbs',
  'docker-compose.yml': 'docker-compose.yml.hbs',
  'src/main.ts': 'src/main.ts.hbs',
  'src/topics.ts': 'src/topics.ts.hbs',
  'src/produce-samples.ts': 'src/produce-samples.ts.hbs',
  'local/mock-http-sink.mjs': 'local/mock-http-sink.mjs.hbs',
  'test/pipeline.test.ts': 'test/pipeline.test.ts.hbs',
  'topics/topics.yaml': 'topics/topics.yaml.hbs',
  'topics/create-topics.sh': 'topics/create-topics.sh.hbs',
  'topics/strimzi-topics.yaml': 'topics/strimzi-topics.yaml.hbs',
  'k8s/kustomization.yaml': 'k8s/kustomization.yaml.hbs',
  'k8s/config.env': 'k8s/config.env.hbs',
  'k8s/secret.example.yaml': 'k8s/secret.example.yaml.hbs',
  'k8s/serviceaccount.yaml': 'k8s/serviceaccount.yaml.hbs',
  'k8s/deployment.yaml': 'k8s/deployment.yaml.hbs',
  'k8s/service.yaml': 'k8s/service.yaml.hbs',
  'k8s/pdb.yaml': 'k8s/pdb.yaml.hbs',
  'k8s/scaledobject.yaml': 'k8s/scaledobject.yaml.hbs',
  'k8s/networkpolicy.yaml': 'k8s/networkpolicy.yaml.hbs',
  'k8s/monitoring/podmonitor.yaml': 'k8s/monitoring/podmonitor.yaml.hbs',
  'k8s/monitoring/prometheusrule.yaml': 'k8s/monitoring/prometheusrule.yaml.hbs',
} as const;

export type TemplateTopic = TopicDef & {
  external: boolean;
  strimziName: string;
  configEntries: { key: string; value: string }[];
  /** min.insync.replicas apart (empty for external topics), and the rest of the config: create-topics.sh lets the environment override it. */
  minInsyncReplicas: string;
  otherConfigEntries: { key: string; value: string }[];
};

/** Files generated only for some pipelines, and when. */
export const WHEN: Partial<Record<keyof typeof TEMPLATES, (v: TemplateView) => boolean>> = {
  'k8s/scaledobject.yaml': (v) => v.autoscaling !== undefined,
  'k8s/monitoring/podmonitor.yaml': (v) => v.monitoring !== undefined,
  'k8s/monitoring/prometheusrule.yaml': (v) => v.monitoring !== undefined,
  'local/mock-http-sink.mjs': (v) => v.local.httpSink !== undefined,
};

export interface TemplateView {
  /** Validated names (pipeline, group, topics, image, policy): safe as is in every target. */
  name: string;
  /** User text: only through an escaping helper. */
  description: string;
  /** The image as kustomize sets it: repository, tag, and the digest when pipeline.yaml pins one. */
  image: { name: string; tag: string; digest?: string; ref: string; pushRef: string };
  versions: { node: string; kafkajs: string; typescript: string; typesNode: string };
  /** The fixed replica count, used only without autoscaling. */
  replicas: number;
  /** KEDA's settings, filled in; absent with autoscaling: none. */
  autoscaling?: { minReplicaCount: number; maxReplicaCount: number; lagThreshold: number; activationLagThreshold: number };
  /** Partitions of the topics the consumer group reads (the most of any). */
  partitions: number;
  /** host:port,… (validated): the ConfigMap's KAFKA_BROKERS, which KEDA reads too. */
  bootstrapServers: string;
  /** Egress the NetworkPolicy allows besides DNS: what, port, and the namespace for in-cluster hosts. */
  egress: { what: string; port: number; namespace?: string }[];
  /** The only namespace allowed to reach the metrics port (unless the pipeline takes HTTP events). */
  metricsNamespace: string;
  /**
   * deploy.monitoring: the PodMonitor's and PrometheusRule's labels (validated), the alert rules
   * (prepared: user text only through escaping helpers) and the dashboard's uid; absent when off.
   */
  monitoring?: { labels: { key: string; value: string }[]; rules: AlertRule[]; dashboardUid: string };
  /** Liveness fails after this long without a poll or heartbeat. */
  livenessTimeoutMs: number;
  groupId: string;
  deadLetterTopic: string;
  errorPolicy: string;
  /** delivery: exactly-once in the pipeline. */
  exactlyOnce: boolean;
  /** The connection profile: config.env lines, Secret keys, KEDA authentication, ServiceAccount annotations. */
  connection: ConnectionView;
  /** deploy.standbyReplicas: warm copies of each stateful partition on other replicas (0: none). */
  standbyReplicas: number;
  /** Every topic the pipeline reads or writes; `external` ones belong to someone else. */
  topics: TemplateTopic[];
  /** The topics the pipeline creates and owns (KafkaTopic resources, create-topics.sh). */
  ownedTopics: TemplateTopic[];
  /** Validated Strimzi cluster name, for the strimzi.io/cluster label. */
  strimziCluster: string;
  sourceTopics: string[];
  /** Every topic the consumer group reads, repartition topics included: KEDA's triggers. */
  triggers: { topic: string; offsetResetPolicy: 'earliest' | 'latest' }[];
  /** Prepared Mermaid source, labels escaped. */
  mermaid: string;
  nodes: { id: string; kind: string; summary: string }[];
  fromBeginning: boolean;
  /** The images of the Dockerfile and docker-compose.yml, pinned by digest, with the tag each was taken from. */
  images: Record<'node' | 'kafka' | 'postgres', { tag: string; ref: string }>;
  /** The local run of docker-compose.yml: the database and stand-in webhook it adds when the pipeline has such sinks. */
  local: {
    postgres?: { user: string; password: string; database: string; url: string; urlEnvs: string[]; selects: string[] };
    httpSink?: { hosts: string[]; portList: string; healthPort: number; many: boolean };
    /** http sinks the stand-in cannot answer for (https, an address, localhost): they call their URL. */
    realHttp: { id: string; url: string }[];
    /** The service's environment in compose beyond Kafka: validated variable names, values through the yaml helper. */
    env: { name: string; value: string }[];
    /** The (validated) topics npm run produce-samples writes to. */
    sampleTopics: string[];
    /** A topic a kafka-sink writes, for the README's console consumer. */
    outputTopic?: string;
  };
  /** Prepared TypeScript literals. */
  testCasesLiteral: string;
  samplesLiteral: string;
  hasTests: boolean;
  /** npm packages the pipeline's kinds and connection need beyond kafkajs (onnxruntime-node for ONNX models, the MSK IAM signer), sorted. */
  dependencies: Dependency[];
  /** Whether the repository carries model files in models/. */
  hasModels: boolean;
  /** Whether the service uses onnxruntime-node. */
  hasOnnx: boolean;
  /** http-ingest endpoints: validated paths and topics, and a ready-made URL for the README's curl example. */
  ingest: { path: string; topic: string; url: string }[];
  /** Credentials the nodes read from the environment, for the Secret example: names checked by the kinds, values placeholders. */
  secrets: NodeSecret[];
  /** Every key of the Secret <pipeline>-kafka: the connection's credentials, then the nodes'. */
  secretKeys: string[];
}
