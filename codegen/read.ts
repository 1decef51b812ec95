/**
 * pipeline.yaml → Pipeline, with every problem placed at its file, line and
 * column. Shape problems (wrong types, unknown fields) are found here, while
 * the YAML is at hand; everything about meaning is in validate.ts (see
 * parse.ts, which runs both). This file does not import the TypeScript
 * compiler, so the designer's page can read YAML (files, autosave, share
 * links) without loading it; the full check runs in its worker.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { getKind } from '../runtime/kinds/registry.js';
import { problem, type Problem } from './errors.js';
import {
  CLEANUP_POLICIES,
  emptyPipeline,
  setSourceIndex,
  type Autoscaling,
  type NodeInput,
  type Pipeline,
  type PipelineNode,
  type PipelineTest,
  type SampleEvent,
  type TopicSettings,
} from './model.js';
import { migratePipeline } from './migrate.js';
import { isBootstrapServers } from './names.js';
import { CONNECTION_PROFILE_NAMES, orList, PASSWORD_MECHANISMS, SASL_SSL_PRESET_NAMES, type ConnectionProfile, type PasswordMechanism, type SaslSslPreset } from '../runtime/service/connection.js';
import { valueText } from '../runtime/types.js';

export interface ParseResult {
  /** The pipeline as far as it could be read; null when the file is not a pipeline at all. */
  pipeline: Pipeline | null;
  problems: Problem[];
  /** Places problems found later (type checks) in the file. */
  locate: (problem: Problem) => Problem;
}

const nowhere = (p: Problem): Problem => ({ ...p, line: p.line ?? 1, column: p.column ?? 1 });

const TOP_KEYS = ['version', 'pipeline', 'description', 'kafka', 'topics', 'errors', 'delivery', 'deploy', 'nodes', 'tests'];
const KAFKA_KEYS = ['profile', 'mechanism', 'preset', 'customCa', 'oauth', 'aws', 'replicationFactor', 'bootstrapServers', 'minInsyncReplicas', 'strimziCluster'];
const OAUTH_KEYS = ['tokenEndpoint', 'scope'];
const AWS_KEYS = ['region', 'roleArn'];
const TOPIC_KEYS = ['external', 'retention', 'cleanup'];
const ERROR_KEYS = ['policy', 'topic'];
const DEPLOY_KEYS = ['replicas', 'image', 'autoscaling', 'metricsNamespace', 'monitoring', 'livenessTimeoutSeconds', 'standbyReplicas'];
const MONITORING_KEYS = ['labels'];
const AUTOSCALING_KEYS = ['minReplicaCount', 'maxReplicaCount', 'lagThreshold', 'activationLagThreshold'] as const;
/** Lower and upper bounds of each KEDA setting. */
const AUTOSCALING_RANGE: Record<(typeof AUTOSCALING_KEYS)[number], [number, number]> = {
  minReplicaCount: [0, 1000],
  maxReplicaCount: [1, 1000],
  lagThreshold: [1, 1_000_000_000],
  activationLagThreshold: [0, 1_000_000_000],
};
export const NODE_KEYS = ['id', 'kind', 'input', 'label', 'position', 'samples'];
const TEST_KEYS = ['name', 'input', 'expect', 'deadLetters', 'ignore'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text "${v.length > 30 ? v.slice(0, 30) + '…' : v}"`;
  return `${typeof v} ${valueText(v)}`;
}

/**
 * Read a pipeline file; `validate`, when given, adds the problems of meaning
 * (parse.ts passes validatePipeline), located in the file like the rest.
 * Never throws.
 */
export function readPipelineText(text: string, validate?: (p: Pipeline) => Problem[]): ParseResult {
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    return { pipeline: null, problems: [{ ...problem('PW001', { detail: String(e) }, []), line: 1, column: 1 }], locate: nowhere };
  }
  if (doc.errors.length > 0) {
    return {
      pipeline: null,
      problems: doc.errors.map((err) => {
        const pos = lineCounter.linePos(err.pos[0]);
        return { ...problem('PW001', { detail: err.message.split('\n')[0] }, []), line: pos.line, column: pos.col };
      }),
      locate: nowhere,
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Aliases are resolved here, not while parsing: an undefined alias, or so many that expanding
    // them would exhaust memory (the "billion laughs"), only shows up now.
    const detail = /alias count/i.test(String(e))
      ? 'it uses too many YAML aliases (*name); write the values out instead.'
      : (e as Error).message?.split('\n')[0] ?? String(e);
    return { pipeline: null, problems: [{ ...problem('PW001', { detail }, []), line: 1, column: 1 }], locate: nowhere };
  }
  const problems: Problem[] = [];
  const pipeline = readPipeline(raw, problems);
  if (pipeline && validate) problems.push(...validate(pipeline));
  for (const p of problems) Object.assign(p, locate(doc, lineCounter, p.path));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { pipeline, problems, locate: (p) => ({ ...p, ...locate(doc, lineCounter, p.path) }) };
}

/** Line and column of the deepest YAML node along `path` (exercise files use it too). */
export function locate(doc: Document, lc: LineCounter, path: (string | number)[]): { line: number; column: number } {
  let node: unknown = doc.contents;
  let offset = (doc.contents)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      const target = (pair.value ?? pair.key) as YamlNode | null;
      offset = target?.range?.[0] ?? (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      const item = node.items[seg] as YamlNode;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function checkKeys(o: Obj, known: string[], where: string, path: (string | number)[], problems: Problem[]) {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) problems.push(problem('PW003', { field: k, where, known: known.join(', ') }, [...path, k]));
  }
}

function wrongType(field: string, expected: string, actual: unknown, fix: string, path: (string | number)[]): Problem {
  return problem('PW004', { field, expected, actual: typeName(actual), fix }, path);
}

function readPipeline(file: unknown, problems: Problem[]): Pipeline | null {
  if (!isObj(file)) {
    problems.push(problem('PW002', {}, []));
    return null;
  }
  // An older format is upgraded first; a newer one is refused, not read wrong.
  const migrated = migratePipeline(file);
  if ('problem' in migrated) {
    problems.push(migrated.problem);
    return null;
  }
  const raw: Obj = migrated.doc;
  checkKeys(raw, TOP_KEYS, 'the pipeline', [], problems);
  const p = emptyPipeline('');
  // A missing or empty name is reported by validation, which the designer runs too.
  if (typeof raw.pipeline === 'string') p.name = raw.pipeline;
  else if (raw.pipeline !== undefined) problems.push(wrongType('pipeline', 'a name', raw.pipeline, 'Write the pipeline name, e.g. pipeline: orders-enricher', ['pipeline']));
  if (typeof raw.description === 'string') p.description = raw.description;
  else if (raw.description !== undefined) problems.push(wrongType('description', 'text', raw.description, 'Quote it.', ['description']));

  if (raw.kafka !== undefined) {
    if (!isObj(raw.kafka)) problems.push(wrongType('kafka', 'a mapping', raw.kafka, 'e.g. kafka: { profile: plaintext }', ['kafka']));
    else {
      checkKeys(raw.kafka, KAFKA_KEYS, 'kafka', ['kafka'], problems);
      const { profile, mechanism, preset, customCa, oauth, aws, replicationFactor, bootstrapServers } = raw.kafka;
      if (profile !== undefined) {
        if ((CONNECTION_PROFILE_NAMES as unknown[]).includes(profile)) p.kafka.profile = profile as ConnectionProfile;
        else problems.push(wrongType('kafka.profile', `one of ${CONNECTION_PROFILE_NAMES.join(', ')}`, profile, 'plaintext for local brokers; sasl-ssl for a user name and password (Confluent Cloud, Event Hubs, MSK SCRAM); mtls for a client certificate; aws-msk-iam for MSK with IAM; oauthbearer for OIDC tokens.', ['kafka', 'profile']));
      }
      if (mechanism !== undefined) {
        if ((PASSWORD_MECHANISMS as unknown[]).includes(mechanism)) p.kafka.mechanism = mechanism as PasswordMechanism;
        else problems.push(wrongType('kafka.mechanism', orList(PASSWORD_MECHANISMS), mechanism, 'Confluent Cloud and Event Hubs use plain; MSK uses scram-sha-512.', ['kafka', 'mechanism']));
      }
      if (preset !== undefined) {
        if ((SASL_SSL_PRESET_NAMES as unknown[]).includes(preset)) {
          p.kafka.preset = preset as SaslSslPreset;
          // A preset's mechanism is plain; one written next to it is checked by validation.
          if (mechanism === undefined) p.kafka.mechanism = 'plain';
        } else problems.push(wrongType('kafka.preset', SASL_SSL_PRESET_NAMES.join(' or '), preset, 'Leave it out for any other cluster and set kafka.mechanism.', ['kafka', 'preset']));
      }
      if (typeof customCa === 'boolean') p.kafka.customCa = customCa;
      else if (customCa !== undefined) problems.push(wrongType('kafka.customCa', 'true or false', customCa, 'true: the brokers\' certificates are signed by your own CA, whose PEM goes into the Secret as ca.crt.', ['kafka', 'customCa']));
      const oauthRead = readTextSettings(oauth, 'oauth', OAUTH_KEYS, 'e.g. oauth: { tokenEndpoint: https://login.example.com/oauth2/token, scope: kafka }', { scope: 'e.g. scope: kafka', tokenEndpoint: 'e.g. tokenEndpoint: https://login.example.com/oauth2/token' }, problems);
      if (oauthRead) p.kafka.oauth = oauthRead;
      const awsRead = readTextSettings(aws, 'aws', AWS_KEYS, 'e.g. aws: { region: eu-west-1, roleArn: arn:aws:iam::123456789012:role/orders }', { region: 'e.g. region: eu-west-1', roleArn: 'e.g. roleArn: arn:aws:iam::123456789012:role/orders' }, problems);
      if (awsRead) p.kafka.aws = awsRead;
      if (replicationFactor !== undefined) {
        if (Number.isInteger(replicationFactor) && (replicationFactor as number) >= 1 && (replicationFactor as number) <= 10) p.kafka.replicationFactor = replicationFactor as number;
        else problems.push(wrongType('kafka.replicationFactor', 'a whole number from 1 to 10', replicationFactor, 'Production clusters usually use 3.', ['kafka', 'replicationFactor']));
      }
      if (bootstrapServers !== undefined) {
        if (typeof bootstrapServers === 'string' && isBootstrapServers(bootstrapServers)) p.kafka.bootstrapServers = bootstrapServers;
        else problems.push(wrongType('kafka.bootstrapServers', 'host:port, or several separated by commas', bootstrapServers, 'e.g. bootstrapServers: my-cluster-kafka-bootstrap.kafka.svc:9092', ['kafka', 'bootstrapServers']));
      }
      const { minInsyncReplicas, strimziCluster } = raw.kafka;
      if (minInsyncReplicas !== undefined) {
        if (Number.isInteger(minInsyncReplicas) && (minInsyncReplicas as number) >= 1 && (minInsyncReplicas as number) <= 10) p.kafka.minInsyncReplicas = minInsyncReplicas as number;
        else problems.push(wrongType('kafka.minInsyncReplicas', 'a whole number from 1 to 10', minInsyncReplicas, 'Leave it out for 2 with 3 replicas (one less than the replicas, at least 1).', ['kafka', 'minInsyncReplicas']));
      }
      if (typeof strimziCluster === 'string') p.kafka.strimziCluster = strimziCluster;
      else if (strimziCluster !== undefined) problems.push(wrongType('kafka.strimziCluster', 'the name of a Strimzi Kafka resource', strimziCluster, 'e.g. strimziCluster: my-cluster', ['kafka', 'strimziCluster']));
    }
  }
  if (raw.topics !== undefined) {
    if (!isObj(raw.topics)) problems.push(wrongType('topics', 'a mapping from topic name to settings', raw.topics, 'e.g. topics: { orders: { external: true }, large-orders: { retention: 7d } }', ['topics']));
    else {
      const topics: NonNullable<Pipeline['topics']> = {};
      for (const [name, v] of Object.entries(raw.topics)) {
        const path = ['topics', name];
        if (!isObj(v)) {
          problems.push(wrongType(`topics.${name}`, 'a mapping', v, 'e.g. { retention: 7d, cleanup: delete } or { external: true }', path));
          continue;
        }
        checkKeys(v, TOPIC_KEYS, `topics.${name}`, path, problems);
        const t: TopicSettings = {};
        if (typeof v.external === 'boolean') t.external = v.external;
        else if (v.external !== undefined) problems.push(wrongType(`topics.${name}.external`, 'true or false', v.external, 'true: someone else owns the topic and Pipewright only checks it exists; false: the pipeline creates it.', [...path, 'external']));
        if (typeof v.retention === 'string' || typeof v.retention === 'number') t.retention = String(v.retention);
        else if (v.retention !== undefined) problems.push(wrongType(`topics.${name}.retention`, 'a duration', v.retention, 'e.g. retention: 7d (units ms, s, m, h, d) or retention: forever.', [...path, 'retention']));
        if ((CLEANUP_POLICIES as readonly unknown[]).includes(v.cleanup)) t.cleanup = v.cleanup as TopicSettings['cleanup'];
        else if (v.cleanup !== undefined) problems.push(wrongType(`topics.${name}.cleanup`, CLEANUP_POLICIES.join(', or '), v.cleanup, 'delete drops old records after the retention; compact keeps the latest record per key; compact,delete does both.', [...path, 'cleanup']));
        setOwn(topics, name, t);
      }
      if (Object.keys(topics).length) p.topics = topics;
    }
  }
  if (raw.errors !== undefined) {
    if (!isObj(raw.errors)) problems.push(wrongType('errors', 'a mapping', raw.errors, 'e.g. errors: { policy: dead-letter }', ['errors']));
    else {
      checkKeys(raw.errors, ERROR_KEYS, 'errors', ['errors'], problems);
      const { policy, topic } = raw.errors;
      if (policy !== undefined) {
        if (policy === 'dead-letter' || policy === 'skip' || policy === 'fail') p.errors.policy = policy;
        else problems.push(wrongType('errors.policy', 'dead-letter, skip or fail', policy, 'dead-letter keeps failed events on a topic; skip drops them; fail stops the service.', ['errors', 'policy']));
      }
      if (typeof topic === 'string') p.errors.topic = topic;
      else if (topic !== undefined) problems.push(wrongType('errors.topic', 'a topic name', topic, 'e.g. topic: orders.dead-letter', ['errors', 'topic']));
    }
  }
  if (raw.delivery !== undefined) {
    if (raw.delivery === 'at-least-once' || raw.delivery === 'exactly-once') p.delivery = raw.delivery;
    else problems.push(wrongType('delivery', 'at-least-once or exactly-once', raw.delivery, 'exactly-once commits outputs, state and offsets in one Kafka transaction; consumers downstream read with isolation.level=read_committed.', ['delivery']));
  }
  if (raw.deploy !== undefined) {
    if (!isObj(raw.deploy)) problems.push(wrongType('deploy', 'a mapping', raw.deploy, 'e.g. deploy: { replicas: 3 }', ['deploy']));
    else {
      checkKeys(raw.deploy, DEPLOY_KEYS, 'deploy', ['deploy'], problems);
      const { replicas, image, autoscaling, metricsNamespace, monitoring, livenessTimeoutSeconds, standbyReplicas } = raw.deploy;
      if (replicas !== undefined) {
        if (Number.isInteger(replicas) && (replicas as number) >= 1 && (replicas as number) <= 1000) p.deploy.replicas = replicas as number;
        else problems.push(wrongType('deploy.replicas', 'a whole number from 1 to 1000', replicas, 'Leave it out to run one replica per input partition.', ['deploy', 'replicas']));
      }
      if (standbyReplicas !== undefined) {
        if (Number.isInteger(standbyReplicas) && (standbyReplicas as number) >= 0 && (standbyReplicas as number) <= 10) p.deploy.standbyReplicas = standbyReplicas as number;
        else problems.push(wrongType('deploy.standbyReplicas', 'a whole number from 0 to 10', standbyReplicas, 'e.g. standbyReplicas: 1 keeps one warm copy of each partition\'s state on another replica.', ['deploy', 'standbyReplicas']));
      }
      if (image !== undefined) {
        if (typeof image === 'string' && /^[a-z0-9][a-z0-9._\-/:@]{0,250}$/.test(image)) p.deploy.image = image;
        else problems.push(wrongType('deploy.image', 'a container image reference', image, 'e.g. registry.example.com/team/orders:1.0.0 (lowercase, no spaces).', ['deploy', 'image']));
      }
      if (autoscaling === 'none') p.deploy.autoscaling = 'none';
      else if (isObj(autoscaling)) {
        checkKeys(autoscaling, [...AUTOSCALING_KEYS], 'deploy.autoscaling', ['deploy', 'autoscaling'], problems);
        const settings: Autoscaling = {};
        for (const key of AUTOSCALING_KEYS) {
          const v = autoscaling[key];
          if (v === undefined) continue;
          const [min, max] = AUTOSCALING_RANGE[key];
          if (Number.isInteger(v) && (v as number) >= min && (v as number) <= max) settings[key] = v as number;
          else problems.push(wrongType(`deploy.autoscaling.${key}`, `a whole number from ${min} to ${max}`, v, `e.g. ${key}: ${key === 'lagThreshold' ? 1000 : min === 0 ? 0 : 1}`, ['deploy', 'autoscaling', key]));
        }
        p.deploy.autoscaling = settings;
      } else if (autoscaling !== undefined) {
        problems.push(wrongType('deploy.autoscaling', 'none or a mapping of KEDA settings', autoscaling, 'Write autoscaling: none for a fixed replica count, or autoscaling: { minReplicaCount: 1, maxReplicaCount: 6, lagThreshold: 1000 }.', ['deploy', 'autoscaling']));
      }
      if (metricsNamespace !== undefined) {
        if (typeof metricsNamespace === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(metricsNamespace)) p.deploy.metricsNamespace = metricsNamespace;
        else problems.push(wrongType('deploy.metricsNamespace', 'a Kubernetes namespace name', metricsNamespace, 'e.g. metricsNamespace: monitoring (lowercase letters, digits and "-").', ['deploy', 'metricsNamespace']));
      }
      if (monitoring !== undefined) readMonitoring(monitoring, p, problems);
      if (livenessTimeoutSeconds !== undefined) {
        if (Number.isInteger(livenessTimeoutSeconds) && (livenessTimeoutSeconds as number) >= 30 && (livenessTimeoutSeconds as number) <= 3600) p.deploy.livenessTimeoutSeconds = livenessTimeoutSeconds as number;
        else problems.push(wrongType('deploy.livenessTimeoutSeconds', 'a whole number of seconds from 30 to 3600', livenessTimeoutSeconds, 'It must exceed the longest batch; leave it out for 120.', ['deploy', 'livenessTimeoutSeconds']));
      }
    }
  }
  if (Array.isArray(raw.nodes)) {
    raw.nodes.forEach((n, i) => {
      const node = readNode(n, i, problems);
      if (node) p.nodes.push(node);
    });
  } else if (raw.nodes === undefined) {
    problems.push(problem('PW005', { field: 'nodes', where: 'the pipeline', example: '[ { id: orders, kind: kafka-source, topic: orders } ]' }, []));
  } else {
    problems.push(wrongType('nodes', 'a list of nodes', raw.nodes, 'Write each node as a list item starting with "- id: ...".', ['nodes']));
  }
  if (Array.isArray(raw.tests)) {
    raw.tests.forEach((t, i) => {
      const test = readTest(t, i, problems);
      if (test) p.tests.push(test);
    });
  } else if (raw.tests !== undefined) {
    problems.push(wrongType('tests', 'a list of tests', raw.tests, 'Write each test as a list item starting with "- name: ...".', ['tests']));
  }
  return p;
}

/** deploy.monitoring: true, false, or { labels: { key: value } } (on, with those labels). */
function readMonitoring(monitoring: unknown, p: Pipeline, problems: Problem[]): void {
  const path = ['deploy', 'monitoring'];
  if (typeof monitoring === 'boolean') {
    p.deploy.monitoring = monitoring;
    return;
  }
  if (!isObj(monitoring)) {
    problems.push(wrongType('deploy.monitoring', 'true, false or a mapping with labels', monitoring, 'monitoring: true generates a PodMonitor, a PrometheusRule and a Grafana dashboard; monitoring: { labels: { release: kube-prometheus-stack } } also labels them for your Prometheus.', path));
    return;
  }
  checkKeys(monitoring, MONITORING_KEYS, 'deploy.monitoring', path, problems);
  const labels: Record<string, string> = {};
  if (isObj(monitoring.labels)) {
    // Label values are strings; a number or true/false is meant as its text. Keys and values are checked in validate.ts.
    for (const [key, value] of Object.entries(monitoring.labels)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') setOwn(labels, key, String(value));
      else problems.push(wrongType(`deploy.monitoring.labels.${key}`, 'a label value', value, 'e.g. release: kube-prometheus-stack', [...path, 'labels', key]));
    }
  } else if (monitoring.labels !== undefined) {
    problems.push(wrongType('deploy.monitoring.labels', 'a mapping of label keys to values', monitoring.labels, 'e.g. labels: { release: kube-prometheus-stack }', [...path, 'labels']));
  }
  p.deploy.monitoring = { labels };
}

/** o[k] = v, except that a key "__proto__" becomes a field (and so an unknown one) instead of the prototype. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function readNode(raw: unknown, i: number, problems: Problem[]): PipelineNode | null {
  const path = ['nodes', i];
  if (!isObj(raw)) {
    problems.push(wrongType(`nodes[${i}]`, 'a mapping with id and kind', raw, 'Write - id: my-node\n  kind: filter', path));
    return null;
  }
  const id = typeof raw.id === 'string' ? raw.id : typeof raw.id === 'number' ? String(raw.id) : '';
  if (raw.id === undefined) problems.push(problem('PW005', { field: 'id', where: `node ${i + 1}`, example: 'my-node' }, path));
  else if (id === '') problems.push(wrongType('id', 'a name', raw.id, 'e.g. id: big-orders', [...path, 'id']));
  const kind = typeof raw.kind === 'string' ? raw.kind : '';
  // A missing or empty kind is reported by validation, which the designer runs too.
  if (raw.kind !== undefined && typeof raw.kind !== 'string') problems.push(wrongType('kind', 'a kind name', raw.kind, 'e.g. kind: filter', [...path, 'kind']));
  const node: PipelineNode = { id, kind, params: {}, inputs: [] };
  setSourceIndex(node, i);
  for (const [k, v] of Object.entries(raw)) {
    if (!NODE_KEYS.includes(k)) setOwn(node.params, k, v);
  }
  if (typeof raw.label === 'string') node.label = raw.label;
  else if (raw.label !== undefined) problems.push(wrongType('label', 'text', raw.label, 'Quote it.', [...path, 'label']));
  if (raw.position !== undefined) {
    const pos = raw.position;
    if (isObj(pos) && typeof pos.x === 'number' && typeof pos.y === 'number' && Number.isFinite(pos.x) && Number.isFinite(pos.y)) {
      node.position = { x: pos.x, y: pos.y };
    } else problems.push(wrongType('position', 'a mapping { x: number, y: number }', pos, 'e.g. position: { x: 120, y: 40 }', [...path, 'position']));
  }
  if (raw.input !== undefined) node.inputs = readInputs(raw.input, id, [...path, 'input'], problems);
  if (raw.samples !== undefined) node.samples = readSamples(raw.samples, [...path, 'samples'], problems);
  // A kind with no source of its own still gets read so that later checks can point at it.
  if (kind && !getKind(kind)) node.kind = kind;
  return node;
}

function parseRef(ref: string): { from: string; fromPort: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { from: ref, fromPort: 'out' } : { from: ref.slice(0, dot), fromPort: ref.slice(dot + 1) };
}

function readInputs(raw: unknown, id: string, path: (string | number)[], problems: Problem[]): NodeInput[] {
  const fix = 'Write input: other-node, input: [a, b], input: node.port, or input: { port: node }.';
  const refs = (v: unknown, port: string, p: (string | number)[]): NodeInput[] => {
    if (typeof v === 'string') return [{ port, ...parseRef(v) }];
    if (Array.isArray(v)) {
      return v.flatMap((item, j) => {
        if (typeof item === 'string') return [{ port, ...parseRef(item) }];
        problems.push(wrongType('input', 'a node id', item, fix, [...p, j]));
        return [];
      });
    }
    problems.push(wrongType('input', 'a node id, a list or a mapping of ports', v, fix, p));
    return [];
  };
  if (isObj(raw)) return Object.entries(raw).flatMap(([port, v]) => refs(v, port, [...path, port]));
  void id;
  return refs(raw, 'in', path);
}

function readSamples(raw: unknown, path: (string | number)[], problems: Problem[]): SampleEvent[] {
  if (!Array.isArray(raw)) {
    problems.push(wrongType('samples', 'a list of events', raw, 'Write - { key: k1, value: { ... } }', path));
    return [];
  }
  const out: SampleEvent[] = [];
  raw.forEach((ev, j) => {
    if (!isObj(ev) || !('value' in ev)) {
      problems.push(problem('PW041', { detail: '' }, [...path, j]));
      return;
    }
    const unknown = Object.keys(ev).filter((k) => !['key', 'value', 'timestamp', 'headers'].includes(k));
    if (unknown.length) {
      problems.push(problem('PW041', { detail: `unknown field "${unknown[0]}"` }, [...path, j, unknown[0]]));
      return;
    }
    const s: SampleEvent = { value: ev.value };
    if (ev.key === null || typeof ev.key === 'string') s.key = ev.key;
    else if (typeof ev.key === 'number') s.key = String(ev.key);
    else if (ev.key !== undefined) problems.push(problem('PW041', { detail: 'key must be text' }, [...path, j, 'key']));
    if (typeof ev.timestamp === 'number' && Number.isFinite(ev.timestamp)) s.timestamp = ev.timestamp;
    else if (typeof ev.timestamp === 'string' && !Number.isNaN(Date.parse(ev.timestamp))) s.timestamp = Date.parse(ev.timestamp);
    else if (ev.timestamp !== undefined) problems.push(problem('PW041', { detail: 'timestamp must be milliseconds or an ISO date' }, [...path, j, 'timestamp']));
    if (isObj(ev.headers) && Object.values(ev.headers).every((h) => typeof h === 'string')) s.headers = ev.headers as Record<string, string>;
    else if (ev.headers !== undefined) problems.push(problem('PW041', { detail: 'headers must map names to text' }, [...path, j, 'headers']));
    out.push(s);
  });
  return out;
}

function readTest(raw: unknown, i: number, problems: Problem[]): PipelineTest | null {
  const path = ['tests', i];
  if (!isObj(raw)) {
    problems.push(wrongType(`tests[${i}]`, 'a mapping with name, input and expect', raw, 'Write - name: ...\n  input: { source-id: [...] }\n  expect: { sink-id: [...] }', path));
    return null;
  }
  checkKeys(raw, TEST_KEYS, `test ${i + 1}`, path, problems);
  const test: PipelineTest = { name: typeof raw.name === 'string' ? raw.name : `test ${i + 1}`, input: {}, expect: {} };
  for (const field of ['input', 'expect'] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    if (!isObj(v)) {
      problems.push(wrongType(field, 'a mapping from node id to events', v, `Write ${field}: { node-id: [ { value: ... } ] }`, [...path, field]));
      continue;
    }
    for (const [id, events] of Object.entries(v)) setOwn(test[field], id, readSamples(events, [...path, field, id], problems));
  }
  if (raw.deadLetters !== undefined) {
    if (Number.isInteger(raw.deadLetters) && (raw.deadLetters as number) >= 0) test.deadLetters = raw.deadLetters as number;
    else problems.push(wrongType('deadLetters', 'a whole number', raw.deadLetters, 'The number of events the test expects on the dead-letter topic.', [...path, 'deadLetters']));
  }
  if (raw.ignore !== undefined) {
    if (Array.isArray(raw.ignore) && raw.ignore.every((x) => typeof x === 'string')) test.ignore = raw.ignore;
    else problems.push(wrongType('ignore', 'a list of sink node ids (or dead-letters)', raw.ignore, 'Write ignore: [ sink-id, dead-letters ] for what the test does not check.', [...path, 'ignore']));
  }
  return test;
}

/** A `kafka.<name>` mapping of text settings (`oauth`, `aws`): each key text, others refused with the example for it. */
function readTextSettings(value: unknown, name: string, keys: string[], example: string, examples: Record<string, string>, problems: Problem[]): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObj(value)) {
    problems.push(wrongType(`kafka.${name}`, 'a mapping', value, example, ['kafka', name]));
    return undefined;
  }
  checkKeys(value, keys, `kafka.${name}`, ['kafka', name], problems);
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (typeof value[k] === 'string') out[k] = value[k];
    else if (value[k] !== undefined) problems.push(wrongType(`kafka.${name}.${k}`, 'text', value[k], examples[k], ['kafka', name, k]));
  }
  return out;
}
