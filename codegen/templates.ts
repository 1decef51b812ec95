/**
 * The typed registry of templates: which template renders which file of the
 * generated repository, and the one view every template gets. Templates hold
 * no logic; values arrive prepared, and user strings pass through the
 * escaping helpers (ts, yaml, sh, md, comment, json).
 */
import type { TopicDef } from '../runtime/types.js';

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
  'test/pipeline.test.ts': 'test/pipeline.test.ts.hbs',
  'topics/topics.yaml': 'topics/topics.yaml.hbs',
  'topics/create-topics.sh': 'topics/create-topics.sh.hbs',
  'topics/strimzi-topics.yaml': 'topics/strimzi-topics.yaml.hbs',
  'k8s/kustomization.yaml': 'k8s/kustomization.yaml.hbs',
  'k8s/configmap.yaml': 'k8s/configmap.yaml.hbs',
  'k8s/secret.example.yaml': 'k8s/secret.example.yaml.hbs',
  'k8s/serviceaccount.yaml': 'k8s/serviceaccount.yaml.hbs',
  'k8s/deployment.yaml': 'k8s/deployment.yaml.hbs',
  'k8s/service.yaml': 'k8s/service.yaml.hbs',
  'k8s/pdb.yaml': 'k8s/pdb.yaml.hbs',
  'k8s/scaledobject.yaml': 'k8s/scaledobject.yaml.hbs',
  'k8s/networkpolicy.yaml': 'k8s/networkpolicy.yaml.hbs',
} as const;

export interface TemplateView {
  /** Validated names (pipeline, group, topics, image, policy): safe as is in every target. */
  name: string;
  /** User text: only through an escaping helper. */
  description: string;
  image: string;
  versions: { node: string; kafkajs: string; typescript: string; typesNode: string };
  replicas: number;
  maxReplicas: number;
  groupId: string;
  deadLetterTopic: string;
  errorPolicy: string;
  sasl: boolean;
  saslMechanism: string;
  /** KEDA's name for the SASL mechanism. */
  kedaSasl: string;
  topics: (TopicDef & { strimziName: string; configEntries: { key: string; value: string }[] })[];
  sourceTopics: string[];
  /** Prepared Mermaid source, labels escaped. */
  mermaid: string;
  nodes: { id: string; kind: string; summary: string }[];
  fromBeginning: boolean;
  /** Prepared TypeScript literals. */
  testCasesLiteral: string;
  samplesLiteral: string;
  hasTests: boolean;
  /** npm packages the pipeline's kinds need beyond kafkajs (onnxruntime-node for ONNX models), sorted. */
  dependencies: { name: string; version: string }[];
  /** Whether the repository carries model files in models/. */
  hasModels: boolean;
  /** Whether the service uses onnxruntime-node. */
  hasOnnx: boolean;
  /** http-ingest endpoints: validated paths and topics, and a ready-made URL for the README's curl example. */
  ingest: { path: string; topic: string; url: string }[];
  /** Credentials the nodes read from the environment, for the Secret example: names checked by the kinds, values placeholders. */
  secrets: { name: string; example: string; description: string }[];
}
