/**
 * The generated deployment files, checked offline: every Kubernetes object
 * against the API's own schema (kubernetes-models, @kubernetes-models/keda,
 * and a JSON schema of Strimzi's KafkaTopic), the pod against the
 * "restricted" Pod Security Standard, credentials only from Secrets, the
 * replica counts against the partitions, and the Dockerfile, Compose file,
 * topic files and README for what a first `docker build` / `kubectl apply -k`
 * / `./topics/create-topics.sh` needs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Ajv from 'ajv';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount, type IContainer, type IPodSpec } from 'kubernetes-models/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { generate, GENERATED_VERSIONS, type FileMap } from './generate.js';
import type { Pipeline } from './pipeline.js';
import { nodeAssets, REPO_ROOT } from './node-assets.js';
import { parsePipeline } from './parse.js';
import { compileExpressions } from './compile.js';
import { readPipelineFiles } from './node-files.js';
import { graphSpec } from './graph-spec.js';
import { Graph } from '../runtime/engine/graph.js';
import { Metrics } from '../runtime/service/metrics.js';
import { ProcessMetrics } from '../runtime/service/process-metrics.js';
import { parseExposition } from '../test/harness/exposition.js';
import { exportedNames, metricNames } from '../test/harness/promql.js';
import { promqlString } from './escape.js';
import { dashboardJson, dashboardUid, EXTERNAL_METRICS } from './monitoring.js';

const EXAMPLE = readFileSync(join(REPO_ROOT, 'examples/large-orders/pipeline.yaml'), 'utf8');

type Obj = Record<string, unknown>;

type Any = any;

interface Variant {
  name: string;
  yaml: string;
  /** What the generated files must say about the connection (written out by hand, per profile). */
  connection: ExpectedConnection;
  /** A fixed replica count (autoscaling: none), or undefined when KEDA owns it. */
  replicas?: number;
  partitions: number;
  /** min.insync.replicas of the owned topics; external ones are someone else's. */
  topics: { name: string; partitions: number; replicationFactor: number; minInsyncReplicas: number; external?: true }[];
  /** deploy.monitoring is on. */
  monitoring?: boolean;
}

interface ExpectedConnection {
  /** The connection's lines of config.env. */
  config: Record<string, string>;
  /** Keys of the Secret <pipeline>-kafka, with the example values that must be exact (others: any placeholder). */
  secret: Record<string, string | undefined>;
  /** Keys of the Secret <pipeline>-kafka-tls, mounted at /etc/kafka-tls; empty when there is none. */
  tls: string[];
  /** KEDA: the trigger metadata beyond lag and topic, and the TriggerAuthentication; undefined for plaintext. */
  keda?: {
    metadata: Record<string, string>;
    refs: [parameter: string, secret: 'kafka' | 'kafka-tls', key: string][];
    env?: [parameter: string, variable: string][];
    podIdentity?: Record<string, string>;
  };
  /** The ServiceAccount's eks.amazonaws.com/role-arn. */
  roleArn?: string;
  /** npm dependencies beyond kafkajs. */
  dependencies?: Record<string, string>;
}

const PLAINTEXT: ExpectedConnection = { config: {}, secret: {}, tls: [] };
const SASL_REFS: NonNullable<ExpectedConnection['keda']>['refs'] = [
  ['username', 'kafka', 'KAFKA_SASL_USERNAME'],
  ['password', 'kafka', 'KAFKA_SASL_PASSWORD'],
];
const sasl = (mechanism: string, keda: string): ExpectedConnection => ({
  config: { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: mechanism },
  secret: { KAFKA_SASL_USERNAME: undefined, KAFKA_SASL_PASSWORD: undefined },
  tls: [],
  keda: { metadata: { sasl: keda, tls: 'enable' }, refs: SASL_REFS },
});
/** The connection lines of the example's kafka block, replaced by `block`. */
const withKafka = (block: string) => edit(EXAMPLE, '  profile: plaintext\n  mechanism: scram-sha-512\n', block.replace(/^/gm, '  ') + '\n');

const EXAMPLE_TOPICS = [
  { name: 'orders', partitions: 6, replicationFactor: 3, minInsyncReplicas: 2, external: true as const },
  { name: 'large-orders', partitions: 6, replicationFactor: 3, minInsyncReplicas: 2 },
  { name: 'large-orders.dead-letter', partitions: 1, replicationFactor: 3, minInsyncReplicas: 2 },
];

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the example no longer contains ${JSON.stringify(from)}; update this test`);
  return text.replace(from, to);
}

const VARIANTS: Variant[] = [
  { name: 'large-orders', yaml: EXAMPLE, connection: PLAINTEXT, partitions: 6, topics: EXAMPLE_TOPICS },
  {
    name: 'large-orders, sasl-ssl',
    yaml: edit(EXAMPLE, 'profile: plaintext', 'profile: sasl-ssl'),
    connection: sasl('scram-sha-512', 'scram_sha512'),
    partitions: 6,
    topics: EXAMPLE_TOPICS,
  },
  {
    name: 'large-orders, sasl-ssl plain, 3 input partitions',
    yaml: edit(
      edit(edit(EXAMPLE, 'profile: plaintext', 'profile: sasl-ssl'), 'mechanism: scram-sha-512', 'mechanism: plain'),
      'format: json\n    partitions: 6',
      'format: json\n    partitions: 3',
    ),
    connection: sasl('plain', 'plaintext'),
    partitions: 3,
    topics: [{ ...EXAMPLE_TOPICS[0], partitions: 3 }, ...EXAMPLE_TOPICS.slice(1)],
  },
  {
    name: 'large-orders, autoscaling none, deploy.replicas 2, replication factor 1',
    yaml: edit(edit(EXAMPLE, 'errors:', 'deploy:\n  replicas: 2\n  autoscaling: none\nerrors:'), 'replicationFactor: 3', 'replicationFactor: 1'),
    connection: PLAINTEXT,
    replicas: 2,
    partitions: 6,
    topics: EXAMPLE_TOPICS.map((t) => ({ ...t, replicationFactor: 1, minInsyncReplicas: 1 })),
  },
  {
    name: 'large-orders, monitoring with labels for Prometheus, sasl-ssl',
    yaml: edit(
      edit(EXAMPLE, 'profile: plaintext', 'profile: sasl-ssl'),
      'errors:',
      'deploy:\n  monitoring:\n    labels: { release: kube-prometheus-stack, example.com/team: orders }\nerrors:',
    ),
    connection: sasl('scram-sha-512', 'scram_sha512'),
    partitions: 6,
    topics: EXAMPLE_TOPICS,
    monitoring: true,
  },
  {
    name: 'large-orders, Confluent Cloud',
    yaml: withKafka('profile: sasl-ssl\npreset: confluent-cloud\nbootstrapServers: pkc-12345.eu-west-1.aws.confluent.cloud:9092'),
    connection: sasl('plain', 'plaintext'),
    partitions: 6,
    topics: EXAMPLE_TOPICS,
  },
  {
    name: 'large-orders, Azure Event Hubs',
    yaml: withKafka('profile: sasl-ssl\npreset: azure-event-hubs\nbootstrapServers: my-namespace.servicebus.windows.net:9093'),
    connection: { ...sasl('plain', 'plaintext'), secret: { KAFKA_SASL_USERNAME: '$ConnectionString', KAFKA_SASL_PASSWORD: undefined } },
    partitions: 6,
    topics: EXAMPLE_TOPICS,
  },
  {
    name: 'large-orders, mtls with a custom CA',
    yaml: withKafka('profile: mtls\ncustomCa: true\nbootstrapServers: my-cluster-kafka-bootstrap.kafka.svc:9093'),
    connection: {
      config: {
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA: '/etc/kafka-tls/ca.crt',
        KAFKA_SSL_CERT: '/etc/kafka-tls/client.crt',
        KAFKA_SSL_KEY: '/etc/kafka-tls/client.key',
      },
      secret: {},
      tls: ['ca.crt', 'client.crt', 'client.key'],
      keda: {
        metadata: { tls: 'enable' },
        refs: [
          ['ca', 'kafka-tls', 'ca.crt'],
          ['cert', 'kafka-tls', 'client.crt'],
          ['key', 'kafka-tls', 'client.key'],
        ],
      },
    },
    partitions: 6,
    topics: EXAMPLE_TOPICS,
  },
  {
    name: 'large-orders, oauthbearer with a custom CA',
    yaml: withKafka(
      'profile: oauthbearer\ncustomCa: true\noauth: { tokenEndpoint: "https://login.example.com/oauth2/token", scope: "kafka.read kafka.write" }',
    ),
    connection: {
      config: {
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'oauthbearer',
        KAFKA_SSL_CA: '/etc/kafka-tls/ca.crt',
        KAFKA_OAUTH_TOKEN_ENDPOINT: 'https://login.example.com/oauth2/token',
        KAFKA_OAUTH_SCOPE: 'kafka.read,kafka.write',
      },
      secret: { KAFKA_OAUTH_CLIENT_ID: undefined, KAFKA_OAUTH_CLIENT_SECRET: undefined },
      tls: ['ca.crt'],
      keda: {
        metadata: { sasl: 'oauthbearer', tls: 'enable' },
        refs: [
          ['ca', 'kafka-tls', 'ca.crt'],
          ['username', 'kafka', 'KAFKA_OAUTH_CLIENT_ID'],
          ['password', 'kafka', 'KAFKA_OAUTH_CLIENT_SECRET'],
        ],
        env: [
          ['oauthTokenEndpointUri', 'KAFKA_OAUTH_TOKEN_ENDPOINT'],
          ['scopes', 'KAFKA_OAUTH_SCOPE'],
        ],
      },
    },
    partitions: 6,
    topics: EXAMPLE_TOPICS,
  },
  {
    name: 'large-orders, aws-msk-iam',
    yaml: withKafka(
      'profile: aws-msk-iam\naws: { region: eu-west-1, roleArn: "arn:aws:iam::123456789012:role/large-orders" }\nbootstrapServers: b-1.orders.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
    ),
    connection: {
      config: { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws-msk-iam', AWS_REGION: 'eu-west-1' },
      secret: {},
      tls: [],
      keda: {
        metadata: { sasl: 'oauthbearer', saslTokenProvider: 'aws_msk_iam', tls: 'enable', awsRegion: 'eu-west-1' },
        refs: [],
        podIdentity: { provider: 'aws', identityOwner: 'workload' },
      },
      roleArn: 'arn:aws:iam::123456789012:role/large-orders',
      dependencies: { 'aws-msk-iam-sasl-signer-js': '1.0.3' },
    },
    partitions: 6,
    topics: EXAMPLE_TOPICS,
  },
];

function generateVariant(v: Variant): { pipeline: Pipeline; files: FileMap } {
  const { pipeline, problems } = parsePipeline(v.yaml);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  const result = generate(pipeline!, nodeAssets());
  expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return { pipeline: pipeline!, files: result.files! };
}

/** All YAML documents of a generated file, failing on any YAML error or warning. */
function yamlDocs(files: FileMap, path: string): Obj[] {
  const text = files[path];
  expect(text, `${path} is generated`).toBeDefined();
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error(`${path}: not a YAML stream`);
  for (const d of docs) {
    expect(
      d.errors.map((e) => e.message),
      `${path}: YAML errors`,
    ).toEqual([]);
    expect(
      d.warnings.map((e) => e.message),
      `${path}: YAML warnings`,
    ).toEqual([]);
  }
  return docs.map((d) => d.toJS() as Obj).filter((o) => o !== null);
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects
// ---------------------------------------------------------------------------------------------

interface Validatable {
  validate(): void;
}

/** A JSON schema in test/schemas/ (of a custom resource without a models package), as a model that throws on what it rejects. */
function schemaModel(name: string): new (data: Any) => Validatable {
  const check = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
    JSON.parse(readFileSync(join(REPO_ROOT, `test/schemas/${name}.schema.json`), 'utf8')) as object,
  );
  return class {
    constructor(private readonly data: Any) {}
    validate(): void {
      if (!check(this.data)) throw new Error(`${name}: ${JSON.stringify(check.errors)}`);
    }
  };
}
const MODELS: Record<string, new (data: Any) => Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/PodMonitor': schemaModel('monitoring-coreos-podmonitor-v1'),
  'monitoring.coreos.com/v1/PrometheusRule': schemaModel('monitoring-coreos-prometheusrule-v1'),
};

/** RFC 1123 subdomain: what most object names must be. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 1035 label: Service names (they become DNS labels). */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** KEY=VALUE lines of a kustomize env file; # starts a comment line. */
function envFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    expect(eq, `env line ${line}`).toBeGreaterThan(0);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** The ConfigMaps kustomize's configMapGenerator makes of k8s/ (their names before the hash suffix). */
function generatedConfigMaps(files: FileMap): { path: string; obj: Obj }[] {
  const kustomization = parseYaml(files['k8s/kustomization.yaml']);
  return (kustomization.configMapGenerator ?? []).map((g: Any) => {
    const data: Record<string, string> = {};
    for (const env of g.envs ?? []) Object.assign(data, envFile(files[`k8s/${env}`]));
    // key=path, or a path whose file name is the key.
    for (const file of g.files ?? []) {
      const [key, path] = file.includes('=') ? file.split('=') : [basename(file), file];
      data[key] = files[`k8s/${path}`];
    }
    return {
      path: `k8s/kustomization.yaml#${g.name}`,
      obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name, labels: g.options?.labels }, data },
    };
  });
}

function k8sObjects(files: FileMap): { path: string; obj: Obj }[] {
  return [
    ...Object.keys(files)
      .filter((p) => /^k8s\/(monitoring\/)?[^/]+\.yaml$/.test(p) && p !== 'k8s/kustomization.yaml')
      .flatMap((path) => yamlDocs(files, path).map((obj) => ({ path, obj }))),
    ...generatedConfigMaps(files),
  ];
}

function byKind(files: FileMap, kind: string): Obj[] {
  return k8sObjects(files)
    .map((o) => o.obj)
    .filter((o) => o.kind === kind);
}

function one(files: FileMap, kind: string): Any {
  const found = byKind(files, kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0];
}

/** The service's settings (config.env), not the Grafana dashboard's ConfigMap. */
function settingsConfigMap(files: FileMap): Any {
  const found = byKind(files, 'ConfigMap').filter((o) => (o.metadata as Any).labels?.grafana_dashboard === undefined);
  expect(found, 'exactly one settings ConfigMap').toHaveLength(1);
  return found[0];
}

// ---------------------------------------------------------------------------------------------
// The "restricted" Pod Security Standard, as a checker: https://kubernetes.io/docs/concepts/security/pod-security-standards/
// Baseline rules first (restricted includes them), then restricted, then our own.
// ---------------------------------------------------------------------------------------------

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

/**
 * Violations of the restricted Pod Security Standard (and of our own rules,
 * prefixed "pipewright:") by a pod spec and its pod annotations. Empty when it complies.
 */
function podViolations(spec: IPodSpec, annotations: Record<string, string> = {}): string[] {
  const v: string[] = [];
  const psc = spec.securityContext ?? {};
  const containers: (IContainer & { kind: string })[] = [
    ...(spec.initContainers ?? []).map((c) => ({ ...c, kind: 'initContainer' })),
    ...(spec.containers ?? []).map((c) => ({ ...c, kind: 'container' })),
    ...((spec.ephemeralContainers ?? []) as IContainer[]).map((c) => ({ ...c, kind: 'ephemeralContainer' })),
  ];
  // Baseline.
  if (psc.windowsOptions?.hostProcess) v.push('hostProcess: pod');
  if (spec.hostNetwork) v.push('hostNetwork');
  if (spec.hostPID) v.push('hostPID');
  if (spec.hostIPC) v.push('hostIPC');
  for (const vol of spec.volumes ?? []) {
    if ('hostPath' in vol) v.push(`hostPath volume ${vol.name}`);
    const types = Object.keys(vol).filter((k) => k !== 'name');
    for (const t of types) if (!RESTRICTED_VOLUME_TYPES.has(t)) v.push(`volume type ${t} (${vol.name})`);
  }
  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) v.push(`sysctl ${s.name}`);
  const checkAppArmor = (type: string | undefined, where: string) => {
    if (type !== undefined && type !== 'RuntimeDefault' && type !== 'Localhost') v.push(`appArmorProfile ${type}: ${where}`);
  };
  checkAppArmor(psc.appArmorProfile?.type, 'pod');
  for (const [k, value] of Object.entries(annotations)) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      v.push(`AppArmor annotation ${k}=${value}`);
    }
  }
  const checkSELinux = (o: { type?: string; user?: string; role?: string } | undefined, where: string) => {
    if (!o) return;
    if (o.type !== undefined && !SELINUX_TYPES.has(o.type)) v.push(`seLinuxOptions.type ${o.type}: ${where}`);
    if (o.user) v.push(`seLinuxOptions.user: ${where}`);
    if (o.role) v.push(`seLinuxOptions.role: ${where}`);
  };
  checkSELinux(psc.seLinuxOptions, 'pod');
  // Restricted, pod level.
  if (psc.runAsUser === 0) v.push('runAsUser 0: pod');
  const podSeccomp = psc.seccompProfile?.type;
  if (podSeccomp !== undefined && podSeccomp !== 'RuntimeDefault' && podSeccomp !== 'Localhost') v.push(`seccompProfile ${podSeccomp}: pod`);

  for (const c of containers) {
    const where = `${c.kind} ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.windowsOptions?.hostProcess) v.push(`hostProcess: ${where}`);
    if (sc.privileged) v.push(`privileged: ${where}`);
    for (const p of c.ports ?? []) if (p.hostPort !== undefined && p.hostPort !== 0) v.push(`hostPort ${p.hostPort}: ${where}`);
    checkAppArmor(sc.appArmorProfile?.type, where);
    checkSELinux(sc.seLinuxOptions, where);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push(`procMount ${sc.procMount}: ${where}`);
    // Restricted.
    if (sc.allowPrivilegeEscalation !== false) v.push(`allowPrivilegeEscalation not false: ${where}`);
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) v.push(`runAsNonRoot not true: ${where}`);
    if (sc.runAsUser === 0) v.push(`runAsUser 0: ${where}`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`seccompProfile ${seccomp ?? 'unset'}: ${where}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`capabilities do not drop ALL: ${where}`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') v.push(`capability ${cap} added: ${where}`);
    // Ours, for the long-running containers.
    if (c.kind !== 'container') continue;
    if (sc.readOnlyRootFilesystem !== true) v.push(`pipewright: readOnlyRootFilesystem not true: ${where}`);
    for (const r of ['requests', 'limits'] as const) {
      for (const res of ['cpu', 'memory']) if (c.resources?.[r]?.[res] === undefined) v.push(`pipewright: no ${r}.${res}: ${where}`);
    }
    if (!c.livenessProbe) v.push(`pipewright: no livenessProbe: ${where}`);
    if (!c.readinessProbe) v.push(`pipewright: no readinessProbe: ${where}`);
  }
  if (spec.automountServiceAccountToken !== false) v.push('pipewright: automountServiceAccountToken not false');
  return v;
}

describe('the Pod Security Standard checker', () => {
  const { files } = generateVariant(VARIANTS[0]);
  const deployment = one(files, 'Deployment');
  const pod = () => structuredClone(deployment.spec.template.spec) as IPodSpec & { containers: IContainer[] };

  it('passes the generated pod', () => {
    expect(podViolations(pod(), deployment.spec.template.metadata.annotations)).toEqual([]);
  });

  // Each mutation must be caught; otherwise the check above proves nothing.
  const MUTATIONS: [string, (p: IPodSpec & { containers: IContainer[] }) => void, RegExp, Record<string, string>?][] = [
    ['privileged', (p) => (p.containers[0].securityContext!.privileged = true), /^privileged/],
    ['privilege escalation', (p) => delete p.containers[0].securityContext!.allowPrivilegeEscalation, /allowPrivilegeEscalation/],
    ['root user', (p) => (p.securityContext!.runAsUser = 0), /runAsUser 0: pod/],
    ['root user in the container', (p) => (p.containers[0].securityContext!.runAsUser = 0), /runAsUser 0: container/],
    [
      'runAsNonRoot false',
      (p) => {
        p.securityContext!.runAsNonRoot = false;
        p.containers[0].securityContext!.runAsNonRoot = false;
      },
      /runAsNonRoot/,
    ],
    [
      'no runAsNonRoot anywhere',
      (p) => {
        delete p.securityContext!.runAsNonRoot;
        delete p.containers[0].securityContext!.runAsNonRoot;
      },
      /runAsNonRoot/,
    ],
    ['capabilities not dropped', (p) => (p.containers[0].securityContext!.capabilities = { drop: ['NET_RAW'] }), /drop ALL/],
    ['NET_ADMIN added', (p) => (p.containers[0].securityContext!.capabilities!.add = ['NET_ADMIN']), /capability NET_ADMIN/],
    [
      'seccomp Unconfined',
      (p) => {
        p.securityContext!.seccompProfile = { type: 'Unconfined' };
        delete p.containers[0].securityContext!.seccompProfile;
      },
      /seccompProfile Unconfined/,
    ],
    [
      'no seccomp profile',
      (p) => {
        delete p.securityContext!.seccompProfile;
        delete p.containers[0].securityContext!.seccompProfile;
      },
      /seccompProfile unset/,
    ],
    ['hostNetwork', (p) => (p.hostNetwork = true), /hostNetwork/],
    ['hostPID', (p) => (p.hostPID = true), /hostPID/],
    ['hostIPC', (p) => (p.hostIPC = true), /hostIPC/],
    ['hostPath volume', (p) => (p.volumes = [{ name: 'root', hostPath: { path: '/' } }]), /hostPath volume root/],
    ['nfs volume', (p) => (p.volumes = [{ name: 'share', nfs: { server: 'nfs', path: '/x' } }]), /volume type nfs/],
    ['hostPort', (p) => (p.containers[0].ports![0].hostPort = 8080), /hostPort 8080/],
    ['unsafe sysctl', (p) => (p.securityContext!.sysctls = [{ name: 'kernel.msgmax', value: '1' }]), /sysctl kernel.msgmax/],
    ['AppArmor unconfined', (p) => (p.containers[0].securityContext!.appArmorProfile = { type: 'Unconfined' }), /appArmorProfile Unconfined/],
    ['AppArmor annotation', () => {}, /AppArmor annotation/, { 'container.apparmor.security.beta.kubernetes.io/service': 'unconfined' }],
    ['SELinux type', (p) => (p.securityContext!.seLinuxOptions = { type: 'spc_t' }), /seLinuxOptions.type spc_t/],
    ['SELinux user', (p) => (p.containers[0].securityContext!.seLinuxOptions = { user: 'root' }), /seLinuxOptions.user/],
    ['procMount Unmasked', (p) => (p.containers[0].securityContext!.procMount = 'Unmasked'), /procMount Unmasked/],
    ['hostProcess', (p) => (p.securityContext!.windowsOptions = { hostProcess: true }), /hostProcess: pod/],
    [
      'privileged init container',
      (p) => (p.initContainers = [{ name: 'init', image: 'x', securityContext: { privileged: true } }]),
      /privileged: initContainer init/,
    ],
    ['writable root filesystem', (p) => (p.containers[0].securityContext!.readOnlyRootFilesystem = false), /pipewright: readOnlyRootFilesystem/],
    ['no memory limit', (p) => delete p.containers[0].resources!.limits!.memory, /pipewright: no limits.memory/],
    ['no cpu request', (p) => delete p.containers[0].resources!.requests!.cpu, /pipewright: no requests.cpu/],
    ['no liveness probe', (p) => delete p.containers[0].livenessProbe, /pipewright: no livenessProbe/],
    ['no readiness probe', (p) => delete p.containers[0].readinessProbe, /pipewright: no readinessProbe/],
    ['service account token mounted', (p) => delete p.automountServiceAccountToken, /pipewright: automountServiceAccountToken/],
  ];
  it.each(MUTATIONS)('catches %s', (_name, mutate, expected, annotations) => {
    const p = pod();
    mutate(p);
    const found = podViolations(p, annotations);
    expect(
      found.some((x) => expected.test(x)),
      `expected ${expected} among ${JSON.stringify(found)}`,
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Per variant
// ---------------------------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'pipewright-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const strimziSchema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/schemas/strimzi-kafkatopic-v1.schema.json'), 'utf8')) as object;
const validateKafkaTopic = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(strimziSchema);

const CREDENTIAL = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|USERNAME|JAAS|CERT|PRIVATE/i;

describe.each(VARIANTS)('generated deployment files: $name', (variant) => {
  const { pipeline, files } = generateVariant(variant);
  const name = pipeline.name;

  it('every Kubernetes object validates against its API schema', () => {
    const objects = k8sObjects(files);
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const { path, obj } of objects) {
      const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
      const Model = MODELS[key];
      expect(Model, `${path}: ${key} has a model in this test`).toBeDefined();
      expect(() => new Model(obj).validate(), `${path}: ${key}`).not.toThrow();
      const meta = obj.metadata as { name: string; labels?: Record<string, string> };
      expect(meta.name, `${path}: metadata.name`).toMatch(DNS_SUBDOMAIN);
      expect(meta.name.length).toBeLessThanOrEqual(253);
      if (obj.kind === 'Service') expect(meta.name).toMatch(DNS_1035_LABEL);
      if (obj.kind === 'Service') expect(meta.name.length).toBeLessThanOrEqual(63);
      for (const value of Object.values(meta.labels ?? {})) expect(value.length <= 63 && LABEL_VALUE.test(value), `${path}: label value ${value}`).toBe(true);
    }
    const kinds = objects.map((o) => o.obj.kind).sort();
    const expected = ['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount'];
    if (variant.connection.tls.length) expected.push('Secret');
    if (variant.replicas === undefined) expected.push('ScaledObject');
    if (variant.connection.keda && variant.replicas === undefined) expected.push('TriggerAuthentication');
    if (variant.monitoring) expected.push('PodMonitor', 'PrometheusRule', 'ConfigMap');
    expect(kinds).toEqual(expected.sort());
  });

  it('the model check itself rejects a broken object', () => {
    const deployment = structuredClone(one(files, 'Deployment'));
    deployment.spec.replicas = 'six';
    expect(() => new Deployment(deployment).validate()).toThrow(/replicas/);
  });

  it('the pod meets the restricted Pod Security Standard and our own rules', () => {
    const deployment = one(files, 'Deployment');
    expect(podViolations(deployment.spec.template.spec, deployment.spec.template.metadata.annotations)).toEqual([]);
  });

  it('selectors, names and references between the objects agree', () => {
    const deployment = one(files, 'Deployment');
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, val]) => podLabels[k] === val);
    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    expect(matches(one(files, 'Service').spec.selector)).toBe(true);
    expect(matches(one(files, 'PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    expect(matches(one(files, 'NetworkPolicy').spec.podSelector.matchLabels)).toBe(true);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(one(files, 'ServiceAccount').metadata.name);
    const container = deployment.spec.template.spec.containers[0];
    const configMapRefs = container.envFrom.filter((e: Obj) => e.configMapRef).map((e: Any) => e.configMapRef.name);
    expect(configMapRefs).toEqual([settingsConfigMap(files).metadata.name]);
    // Probes and the Service name a port the container declares.
    const ports = new Set(container.ports.map((p: Any) => p.name));
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) if (container[probe]) expect(ports.has(container[probe].httpGet.port)).toBe(true);
    expect(ports.has(one(files, 'Service').spec.ports[0].targetPort)).toBe(true);
    // The rollout never runs more consumers than partitions.
    expect(deployment.spec.strategy.rollingUpdate.maxSurge).toBe(0);
    const groupId = settingsConfigMap(files).data.KAFKA_GROUP_ID;
    expect(groupId).toBe(name);
    if (variant.replicas !== undefined) return;
    const scaled = one(files, 'ScaledObject');
    expect(scaled.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    expect(scaled.spec.scaleTargetRef.envSourceContainerName).toBe(container.name);
    const sources = pipeline.nodes.filter((n) => n.kind === 'kafka-source').map((n) => n.params.topic);
    expect(scaled.spec.triggers.map((t: Any) => t.metadata.topic)).toEqual(sources);
    for (const t of scaled.spec.triggers) {
      expect(t.type).toBe('kafka');
      // Group and brokers come from the Deployment's environment: the ConfigMap, one place.
      expect(t.metadata.consumerGroupFromEnv).toBe('KAFKA_GROUP_ID');
      expect(t.metadata.allowIdleConsumers).toBe('false');
      const {
        bootstrapServersFromEnv,
        consumerGroupFromEnv,
        topic,
        lagThreshold,
        activationLagThreshold,
        allowIdleConsumers,
        offsetResetPolicy,
        ...connection
      } = t.metadata;
      void [bootstrapServersFromEnv, consumerGroupFromEnv, topic, lagThreshold, activationLagThreshold, allowIdleConsumers, offsetResetPolicy];
      expect(connection).toEqual(variant.connection.keda?.metadata ?? {});
      if (variant.connection.keda) {
        expect(t.authenticationRef.name).toBe(one(files, 'TriggerAuthentication').metadata.name);
      } else {
        expect(t.authenticationRef).toBeUndefined();
      }
    }
  });

  it('credentials come only from the Secrets, with the keys the profile reads', () => {
    const configMap = settingsConfigMap(files);
    const expected = variant.connection;
    // Settings that name where a credential is, not the credential: the mounted files, the token URL.
    const locations: Record<string, RegExp> = {
      KAFKA_SSL_CA: /^\/etc\/kafka-tls\/[\w.]+$/,
      KAFKA_SSL_CERT: /^\/etc\/kafka-tls\/[\w.]+$/,
      KAFKA_SSL_KEY: /^\/etc\/kafka-tls\/[\w.]+$/,
      KAFKA_OAUTH_TOKEN_ENDPOINT: /^https:\/\/[^@\s]+$/,
    };
    for (const [k, val] of Object.entries(configMap.data as Record<string, string>)) {
      if (k in locations) expect(val, k).toMatch(locations[k]);
      else expect(k, 'a credential-like key in the ConfigMap').not.toMatch(CREDENTIAL);
      expect(val).not.toMatch(/change-me|password/i);
    }
    const connectionKeys = /^(KAFKA_SSL|KAFKA_SASL|KAFKA_OAUTH|AWS_)/;
    expect(Object.fromEntries(Object.entries(configMap.data as Record<string, string>).filter(([k]) => connectionKeys.test(k)))).toEqual(expected.config);
    const secrets = byKind(files, 'Secret') as Any[];
    const secret = secrets.find((x) => x.metadata.name === `${name}-kafka`);
    const tlsSecret = secrets.find((x) => x.metadata.name === `${name}-kafka-tls`);
    const secretKeys = Object.keys(secret.stringData ?? secret.data ?? {});
    expect(secretKeys.sort()).toEqual(Object.keys(expected.secret).sort());
    for (const [k, v] of Object.entries(expected.secret)) if (v !== undefined) expect(secret.stringData[k], k).toBe(v);
    expect(Object.keys(tlsSecret?.stringData ?? {}).sort()).toEqual(expected.tls);
    const pod = one(files, 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    // The TLS files are the Secret's, mounted read-only where config.env says they are.
    if (expected.tls.length) {
      const volume = pod.volumes.find((v: Any) => v.secret?.secretName === tlsSecret.metadata.name);
      expect(volume, 'a volume of the TLS Secret').toBeDefined();
      expect(container.volumeMounts).toEqual([{ name: volume.name, mountPath: '/etc/kafka-tls', readOnly: true }]);
      for (const k of ['KAFKA_SSL_CA', 'KAFKA_SSL_CERT', 'KAFKA_SSL_KEY']) {
        const path = configMap.data[k];
        if (path !== undefined) expect(expected.tls, `${k}=${path} is a file of the Secret`).toContain(path.slice('/etc/kafka-tls/'.length));
      }
    } else {
      expect(pod.volumes).toBeUndefined();
      expect(container.volumeMounts).toBeUndefined();
    }
    // The Secret is read whole (secretRef), or key by key (secretKeyRef); never a literal value.
    const secretRefs = container.envFrom.filter((e: Obj) => e.secretRef).map((e: Any) => e.secretRef.name);
    expect(secretRefs).toEqual([secret.metadata.name]);
    for (const env of container.env ?? []) {
      if (CREDENTIAL.test(env.name)) expect(env.valueFrom?.secretKeyRef?.name, `${env.name} from the Secret`).toBe(secret.metadata.name);
      expect(env.value === undefined || !CREDENTIAL.test(env.name)).toBe(true);
    }
    // KEDA reads the lag with the same connection: keys of the same Secrets, settings of the same ConfigMap.
    if (expected.keda && variant.replicas === undefined) {
      const auth = one(files, 'TriggerAuthentication');
      expect((auth.spec.secretTargetRef ?? []).map((r: Any) => [r.parameter, r.name.slice(name.length + 1), r.key])).toEqual(expected.keda.refs);
      for (const ref of auth.spec.secretTargetRef ?? []) {
        const target = secrets.find((x) => x.metadata.name === ref.name);
        expect(target, `Secret ${ref.name}`).toBeDefined();
        expect(Object.keys(target.stringData)).toContain(ref.key);
      }
      expect((auth.spec.env ?? []).map((e: Any) => [e.parameter, e.name])).toEqual(expected.keda.env ?? []);
      for (const e of auth.spec.env ?? []) {
        expect(e.containerName).toBe(container.name);
        expect(configMap.data[e.name], `${e.name} is in the ConfigMap`).toBeDefined();
      }
      expect(auth.spec.podIdentity).toEqual(expected.keda.podIdentity);
    }
    const account = one(files, 'ServiceAccount');
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(expected.roleArn);
    const pkg = JSON.parse(files['package.json']) as { dependencies: Record<string, string> };
    const { kafkajs, ...others } = pkg.dependencies;
    expect(kafkajs).toBeDefined();
    expect(others).toEqual(expected.dependencies ?? {});
    // The example Secret is never applied: it holds placeholders only.
    expect(parseYaml(files['k8s/kustomization.yaml']).resources).not.toContain('secret.example.yaml');
    // Nor do credentials end up in the image or the local Compose file.
    for (const line of files.Dockerfile.split('\n').filter((l) => /^\s*(ENV|ARG)\b/i.test(l))) expect(line).not.toMatch(CREDENTIAL);
    const compose = parseYaml(files['docker-compose.yml']);
    for (const svc of Object.values<Any>(compose.services)) for (const k of Object.keys(svc.environment ?? {})) expect(k).not.toMatch(CREDENTIAL);
  });

  it('KEDA owns the replica count, or the Deployment runs a fixed one; never more than the partitions', () => {
    const deployment = one(files, 'Deployment');
    const scaled = byKind(files, 'ScaledObject');
    const inputTopic = variant.topics.find((t) => t.name === 'orders')!;
    if (variant.replicas === undefined) {
      // With a ScaledObject, spec.replicas in the Deployment would reset KEDA's count on every apply.
      expect(deployment.spec).not.toHaveProperty('replicas');
      expect(scaled).toHaveLength(1);
      const spec = (scaled[0] as Any).spec;
      expect(spec.maxReplicaCount).toBe(variant.partitions);
      expect(spec.maxReplicaCount).toBeLessThanOrEqual(inputTopic.partitions);
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(0);
      expect(spec.minReplicaCount).toBeLessThanOrEqual(spec.maxReplicaCount);
    } else {
      expect(scaled).toEqual([]);
      expect(deployment.spec.replicas).toBe(variant.replicas);
      expect(deployment.spec.replicas).toBeLessThanOrEqual(inputTopic.partitions);
    }
  });

  it('kustomization lists exactly the manifests in k8s/, and the image it sets is the one the Deployment runs', () => {
    const kustomization = yamlDocs(files, 'k8s/kustomization.yaml')[0] as Any;
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(kustomization.kind).toBe('Kustomization');
    const listed = [...(kustomization.resources as string[])].sort();
    expect(new Set(listed).size).toBe(listed.length);
    const present = Object.keys(files)
      .filter((p) => /^k8s\/(monitoring\/)?[^/]+\.ya?ml$/.test(p))
      .map((p) => p.slice('k8s/'.length))
      .filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml')
      .sort();
    expect(listed).toEqual(present);
    const container = one(files, 'Deployment').spec.template.spec.containers[0];
    expect(kustomization.images.map((i: Any) => i.name)).toEqual([container.image]);
    // The repository in newName, the tag in newTag: kustomize would otherwise make "name:tag:tag".
    expect(kustomization.images[0].newName).toBe(pipeline.deploy.image?.replace(/:[^/:]*$/, '') ?? name);
    expect(kustomization.images[0].newName).not.toMatch(/:[^/]*$/);
    expect(kustomization.images[0].newTag).toMatch(/^[\w][\w.-]{0,127}$/);
    expect(kustomization.images[0].newTag).not.toBe('latest');
  });

  it('the Dockerfile parses without problems: multi-stage, pinned base image, numeric non-root user', () => {
    const text = files.Dockerfile;
    expect(validateDockerfile(text)).toEqual([]);
    const dockerfile = DockerfileParser.parse(text);
    const froms = dockerfile.getFROMs();
    expect(froms.length, 'multi-stage').toBeGreaterThanOrEqual(2);
    const stages = froms.map((f) => f.getBuildStage()).filter((s): s is string => s !== null);
    for (const from of froms) {
      const image = from.getImageName();
      const tag = from.getImageTag();
      if (stages.includes(image ?? '')) continue; // FROM an earlier stage
      expect(tag, `${image} has a tag`).toBeTruthy();
      expect(tag).not.toMatch(/latest/);
      expect(tag, 'an exact version x.y.z').toMatch(/^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/);
      if (image === 'node') expect(tag!.startsWith(`${GENERATED_VERSIONS.node}-`)).toBe(true);
      expect(from.getImageDigest(), `${image}:${tag} is pinned by digest`).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    // Instructions of the final stage: those after the last FROM.
    const lastFrom = froms[froms.length - 1].getRange().start.line;
    const final = dockerfile.getInstructions().filter((i) => i.getRange().start.line > lastFrom);
    const users = final.filter((i) => i.getKeyword() === 'USER');
    expect(users.length, 'the final stage sets USER').toBeGreaterThanOrEqual(1);
    const user = users[users.length - 1].getArgumentsContent()!;
    const [uid, gid] = user.split(':');
    expect(uid, 'numeric uid').toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(gid).toMatch(/^[1-9]\d*$/);
    // The uid matches what the pod runs as, so runAsNonRoot can be checked against the image.
    const psc = one(files, 'Deployment').spec.template.spec.securityContext;
    expect(Number(uid)).toBe(psc.runAsUser);
    // Every COPY --from names an earlier stage.
    for (const i of final.filter((x) => x.getKeyword() === 'COPY')) {
      const from = /--from=(\S+)/.exec(i.getArgumentsContent() ?? '')?.[1];
      if (from) expect(stages).toContain(from);
    }
  });

  it('docker-compose.yml has kafka, topics and the service, wired in order', () => {
    const compose = yamlDocs(files, 'docker-compose.yml')[0] as Any;
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'service', 'topics']);
    expect(compose.services.kafka.image).toMatch(/^[\w./-]+:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    for (const svc of Object.values<Any>(compose.services)) for (const dep of Object.keys(svc.depends_on ?? {})) expect(compose.services).toHaveProperty(dep);
    expect(compose.services.service.environment.KAFKA_GROUP_ID).toBe(name);
    expect(compose.services.service.depends_on.topics.condition).toBe('service_completed_successfully');
  });

  it('topics.yaml, strimzi-topics.yaml and create-topics.sh describe the pipeline topics', () => {
    const owned = variant.topics.filter((t) => !t.external);
    expect((yamlDocs(files, 'topics/topics.yaml')[0] as Any).topics).toEqual(
      variant.topics.map(({ name, partitions, replicationFactor, minInsyncReplicas, external }) =>
        external ? { name, partitions, external } : { name, partitions, replicationFactor, config: { 'min.insync.replicas': String(minInsyncReplicas) } },
      ),
    );

    // Only the topics the pipeline owns become KafkaTopic resources: deleting them never deletes someone else's topic.
    const kafkaTopics = yamlDocs(files, 'topics/strimzi-topics.yaml');
    for (const t of kafkaTopics) expect(validateKafkaTopic(t), JSON.stringify(validateKafkaTopic.errors)).toBe(true);
    const names = kafkaTopics.map((t: Any) => t.metadata.name as string);
    expect(new Set(names).size).toBe(names.length);
    expect(kafkaTopics.map((t: Any) => t.metadata.labels['strimzi.io/cluster'])).toEqual(owned.map(() => 'my-cluster'));
    expect(
      kafkaTopics.map((t: Any) => ({
        name: t.spec.topicName ?? t.metadata.name,
        partitions: t.spec.partitions,
        replicationFactor: t.spec.replicas,
        minInsyncReplicas: Number(t.spec.config['min.insync.replicas']),
      })),
    ).toEqual(owned);

    const script = files['topics/create-topics.sh'];
    const file = join(tmp, `create-topics-${variant.name.replace(/\W+/g, '-')}.sh`);
    writeFileSync(file, script);
    execFileSync('sh', ['-n', file]);
    for (const t of variant.topics) expect(script.includes(`--topic '${t.name}'`), t.name).toBe(!t.external);
    // Run it against a stand-in for Kafka's CLI that prints its arguments.
    const bin = mkdtempSync(join(tmp, 'bin-'));
    writeFileSync(join(bin, 'kafka-topics.sh'), '#!/bin/sh\nfor a in "$@"; do printf "%s|" "$a"; done; echo\n');
    chmodSync(join(bin, 'kafka-topics.sh'), 0o755);
    const out = execFileSync('sh', [file, '--command-config', 'client.properties'], {
      env: { PATH: `${bin}:${process.env.PATH}`, KAFKA_BROKERS: 'broker:9092' },
    }).toString();
    const calls = out
      .trim()
      .split('\n')
      .map((l) => l.split('|').slice(0, -1));
    const minIsr = (c: string[]) => Number(c.find((a) => a.startsWith('min.insync.replicas='))?.split('=')[1]);
    expect(
      calls.map((c) => ({
        name: c[c.indexOf('--topic') + 1],
        partitions: Number(c[c.indexOf('--partitions') + 1]),
        replicationFactor: Number(c[c.indexOf('--replication-factor') + 1]),
        minInsyncReplicas: minIsr(c),
      })),
    ).toEqual(owned);
    for (const c of calls) expect(c.slice(0, 4)).toEqual(['--bootstrap-server', 'broker:9092', '--command-config', 'client.properties']);
  });

  it('the Strimzi schema check itself rejects a broken KafkaTopic', () => {
    const t = structuredClone(yamlDocs(files, 'topics/strimzi-topics.yaml')[0]) as Any;
    for (const broken of [
      { ...t, spec: { ...t.spec, partitions: 0 } },
      { ...t, spec: { ...t.spec, replicas: '3' } },
      { ...t, spec: { ...t.spec, partition: 3 } },
      { ...t, metadata: { ...t.metadata, name: 'Orders_In' } },
      { ...t, metadata: { ...t.metadata, name: 'a..b' } },
      { ...t, metadata: { ...t.metadata, labels: {} } },
    ]) {
      expect(validateKafkaTopic(broken), JSON.stringify(broken)).toBe(false);
    }
  });

  it('the README draws every node in its Mermaid block', () => {
    const block = /```mermaid\n([\s\S]*?)\n```/.exec(files['README.md'])?.[1];
    expect(block).toBeDefined();
    const lines = block!.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    for (const n of pipeline.nodes) {
      expect(
        lines.some((l) => l.trimStart().startsWith(`${n.id}[`)),
        `node ${n.id} is drawn`,
      ).toBe(true);
      for (const i of n.inputs)
        expect(
          lines.some((l) => new RegExp(`^\\s*${i.from} .*-> ${n.id}$`).test(l)),
          `edge ${i.from} → ${n.id}`,
        ).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// What a platform team's review found, one test each: every one of these would have caught it
// ---------------------------------------------------------------------------------------------

const exampleText = (name: string) => readFileSync(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), 'utf8');
const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(REPO_ROOT, 'examples', e.name, 'pipeline.yaml')))
  .map((e) => e.name);

function generateText(yaml: string): { pipeline: Pipeline; files: FileMap } {
  return generateVariant({ name: 'inline', yaml, connection: PLAINTEXT, partitions: 0, topics: [] });
}

function generateExample(name: string): { pipeline: Pipeline; files: FileMap } {
  const { pipeline } = parsePipeline(exampleText(name));
  const result = generate(pipeline!, nodeAssets(), readPipelineFiles(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), pipeline!));
  expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return { pipeline: pipeline!, files: result.files! };
}

const withDeploy = (yaml: string, deploy: string) => edit(yaml, 'errors:', `deploy:\n${deploy.replace(/^/gm, '  ')}\nerrors:`);

describe('KEDA and the replica count', () => {
  it('KEDA settings from pipeline.yaml reach the ScaledObject and every trigger', () => {
    const { files } = generateText(
      withDeploy(EXAMPLE, 'autoscaling:\n  minReplicaCount: 2\n  maxReplicaCount: 4\n  lagThreshold: 500\n  activationLagThreshold: 10'),
    );
    const scaled = one(files, 'ScaledObject');
    expect(scaled.spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 4 });
    for (const t of scaled.spec.triggers) expect(t.metadata).toMatchObject({ lagThreshold: '500', activationLagThreshold: '10' });
    expect(one(files, 'Deployment').spec).not.toHaveProperty('replicas');
  });

  it('autoscaling: none gives a fixed count, no ScaledObject, and kustomization does not list one', () => {
    const { files } = generateText(withDeploy(EXAMPLE, 'autoscaling: none'));
    expect(one(files, 'Deployment').spec.replicas).toBe(6);
    expect(files['k8s/scaledobject.yaml']).toBeUndefined();
    expect(parseYaml(files['k8s/kustomization.yaml']).resources).not.toContain('scaledobject.yaml');
  });

  it.each(EXAMPLES)('%s: the triggers cover exactly the topics the service consumes, repartition topics included', (name) => {
    const { pipeline, files } = generateExample(name);
    const consumed = new Graph(graphSpec(pipeline), compileExpressions(pipeline)).sourceTopics;
    const triggers = byKind(files, 'ScaledObject').flatMap((s: Any) => s.spec.triggers.map((t: Any) => t.metadata.topic));
    if (consumed.length === 0) return; // an http-ingest pipeline consumes nothing
    expect([...triggers].sort()).toEqual([...consumed].sort());
    if (name === 'word-count') expect(triggers.some((t: string) => t.endsWith('.repartition'))).toBe(true);
    for (const t of one(files, 'ScaledObject').spec.triggers) {
      // A repartition topic holds the service's own unprocessed records: lag counts from the start.
      if (t.metadata.topic.endsWith('.repartition')) expect(t.metadata.offsetResetPolicy).toBe('earliest');
    }
  });

  it('the bootstrap servers are written in one place, which the service and KEDA both read', () => {
    const host = 'my-cluster-kafka-bootstrap.kafka.svc:9093';
    const { files } = generateText(edit(EXAMPLE, 'replicationFactor: 3', `replicationFactor: 3\n  bootstrapServers: ${host}`));
    const places = Object.entries(files).filter(([p, text]) => p.startsWith('k8s/') && text.includes(host));
    expect(places.map(([p]) => p)).toEqual(['k8s/config.env']);
    expect(settingsConfigMap(files).data.KAFKA_BROKERS).toBe(host);
    const deployment = one(files, 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const scaled = one(files, 'ScaledObject');
    for (const t of scaled.spec.triggers) {
      expect(t.metadata).not.toHaveProperty('bootstrapServers');
      // KEDA resolves ...FromEnv from the container it is told to look at, which loads the ConfigMap.
      expect(settingsConfigMap(files).data[t.metadata.bootstrapServersFromEnv]).toBe(host);
      expect(settingsConfigMap(files).data[t.metadata.consumerGroupFromEnv]).toBe('large-orders');
    }
    expect(scaled.spec.scaleTargetRef.envSourceContainerName).toBe(container.name);
    expect(container.envFrom.map((e: Any) => e.configMapRef?.name).filter(Boolean)).toEqual([settingsConfigMap(files).metadata.name]);
  });
});

describe('the image', () => {
  it.each([
    ['no deploy.image', undefined, { newName: 'large-orders', newTag: '1.0.0' }],
    ['a registry with a port', 'registry.example.com:5000/team/orders:2.3.1', { newName: 'registry.example.com:5000/team/orders', newTag: '2.3.1' }],
    ['no tag', 'ghcr.io/acme/orders', { newName: 'ghcr.io/acme/orders', newTag: '1.0.0' }],
    ['a digest', 'ghcr.io/acme/orders:2.3.1@sha256:' + 'a'.repeat(64), { newName: 'ghcr.io/acme/orders', newTag: '2.3.1', digest: 'sha256:' + 'a'.repeat(64) }],
  ])('%s: name in newName, tag in newTag', (_what, image, expected) => {
    const { files } = generateText(image ? withDeploy(EXAMPLE, `image: ${image}`) : EXAMPLE);
    const kustomization = parseYaml(files['k8s/kustomization.yaml']);
    expect(kustomization.images).toEqual([{ name: 'pipewright-service', ...expected }]);
    const container = one(files, 'Deployment').spec.template.spec.containers[0];
    // A version tag never changes, so a node pulls only what it does not have.
    expect(container.imagePullPolicy).toBe('IfNotPresent');
  });

  it('the README builds, tags and pushes the image, and points kustomize at the pushed one', () => {
    const { files } = generateText(EXAMPLE);
    const block = /## Deploy[\s\S]*?```sh\n([\s\S]*?)```/.exec(files['README.md'])![1];
    // Run it with stand-ins for docker, kustomize and kubectl that record what they were asked.
    const dir = mkdtempSync(join(tmp, 'readme-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    mkdirSync(join(dir, 'k8s'));
    for (const cmd of ['docker', 'kustomize', 'kubectl']) {
      writeFileSync(
        join(bin, cmd),
        `#!/bin/sh\nprintf '%s|%s' "$(basename "$PWD")" "${cmd}" >> "${join(dir, 'calls')}"; for a in "$@"; do printf '|%s' "$a" >> "${join(dir, 'calls')}"; done; echo >> "${join(dir, 'calls')}"\n`,
      );
      chmodSync(join(bin, cmd), 0o755);
    }
    writeFileSync(join(dir, 'deploy.sh'), `set -e\n${block}`);
    execFileSync('sh', ['deploy.sh'], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` } });
    const calls = readFileSync(join(dir, 'calls'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    const image = calls.find((c) => c[2] === 'push')![3];
    expect(image).toMatch(/^[\w.-]+(:\d+)?\/[\w./-]+:1\.0\.0$/);
    const cwd = basename(dir);
    expect(calls).toEqual([
      [cwd, 'docker', 'build', '-t', 'large-orders:1.0.0', '.'],
      [cwd, 'docker', 'tag', 'large-orders:1.0.0', image],
      [cwd, 'docker', 'push', image],
      ['k8s', 'kustomize', 'edit', 'set', 'image', `pipewright-service=${image}`],
      [cwd, 'kubectl', 'apply', '-k', 'k8s/'],
    ]);
  });

  it('a "latest" tag is refused with a clear error', () => {
    const problems = parsePipeline(withDeploy(EXAMPLE, 'image: ghcr.io/acme/orders:latest')).problems;
    expect(problems.find((p) => p.code === 'PW063')).toMatchObject({ severity: 'error', line: 9 });
  });
});

describe('NetworkPolicy', () => {
  const policy = (files: FileMap) => one(files, 'NetworkPolicy').spec;

  it('lets in only the metrics namespace, which pipeline.yaml sets', () => {
    for (const [yaml, namespace] of [
      [EXAMPLE, 'monitoring'],
      [withDeploy(EXAMPLE, 'metricsNamespace: observability'), 'observability'],
    ]) {
      const spec = policy(generateText(yaml).files);
      expect(spec.policyTypes).toContain('Ingress');
      expect(spec.ingress).toHaveLength(1);
      expect(spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }]);
      expect(spec.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    }
  });

  it('an HTTP ingest pipeline takes events on its port from anywhere', () => {
    const spec = policy(generateExample('request-buffering').files);
    expect(spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
  });

  it('lets out only DNS, Kafka and the sinks, in-cluster hosts narrowed to their namespace', () => {
    const tcp = (spec: Any) =>
      spec.egress
        .flatMap((r: Any) =>
          r.ports.map((p: Any) => `${p.protocol}/${p.port}${r.to ? ' ' + r.to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'] : ''}`),
        )
        .sort();
    let spec = policy(
      generateText(edit(EXAMPLE, 'replicationFactor: 3', 'replicationFactor: 3\n  bootstrapServers: my-cluster-kafka-bootstrap.kafka.svc:9093')).files,
    );
    expect(spec.policyTypes).toContain('Egress');
    expect(tcp(spec)).toEqual(['TCP/53', 'TCP/9093 kafka', 'UDP/53']);
    spec = policy(generateExample('order-validation').files);
    expect(tcp(spec)).toEqual(['TCP/53', 'TCP/5432', 'TCP/9092', 'UDP/53']);
    spec = policy(generateExample('request-buffering').files);
    expect(tcp(spec)).toEqual(['TCP/53', 'TCP/8080', 'TCP/9092', 'UDP/53']);
  });
});

describe('spread, selectors and configuration rollout', () => {
  it.each(EXAMPLES)('%s: pods spread over nodes and zones, counting this workload only', (name) => {
    const { files } = generateExample(name);
    const pod = one(files, 'Deployment').spec.template;
    const constraints = pod.spec.topologySpreadConstraints as Any[];
    expect(constraints.map((c) => c.topologyKey).sort()).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const c of constraints) {
      expect(c.maxSkew).toBe(1);
      expect(Object.entries(c.labelSelector.matchLabels).every(([k, v]) => pod.metadata.labels[k] === v)).toBe(true);
    }
  });

  it.each(EXAMPLES)('%s: immutable selectors carry only the name, not managed-by or a version', (name) => {
    const { files } = generateExample(name);
    const kustomization = parseYaml(files['k8s/kustomization.yaml']);
    expect(kustomization).not.toHaveProperty('commonLabels');
    for (const entry of kustomization.labels) if (entry.includeSelectors) expect(Object.keys(entry.pairs)).toEqual(['app.kubernetes.io/name']);
    const deployment = one(files, 'Deployment');
    const selectors = [
      deployment.spec.selector.matchLabels,
      one(files, 'Service').spec.selector,
      one(files, 'PodDisruptionBudget').spec.selector.matchLabels,
      one(files, 'NetworkPolicy').spec.podSelector.matchLabels,
      ...deployment.spec.template.spec.topologySpreadConstraints.map((c: Any) => c.labelSelector.matchLabels),
    ];
    for (const s of selectors) expect(Object.keys(s)).toEqual(['app.kubernetes.io/name']);
  });

  it.each(EXAMPLES)('%s: the ConfigMap is generated with a content hash, so a changed setting rolls the pods', (name) => {
    const { files } = generateExample(name);
    const kustomization = parseYaml(files['k8s/kustomization.yaml']);
    // No hand-written ConfigMap whose edits pods would never see.
    expect(k8sObjects(files).filter((o) => o.obj.kind === 'ConfigMap' && !o.path.includes('#'))).toEqual([]);
    const generator = kustomization.configMapGenerator.find((g: Any) => g.name === `${name}-config`);
    expect(generator.envs).toEqual(['config.env']);
    expect(generator.options?.disableNameSuffixHash).not.toBe(true);
    expect(kustomization.generatorOptions?.disableNameSuffixHash).not.toBe(true);
    const container = one(files, 'Deployment').spec.template.spec.containers[0];
    expect(container.envFrom.filter((e: Any) => e.configMapRef).map((e: Any) => e.configMapRef.name)).toEqual([generator.name]);
  });
});

// ---------------------------------------------------------------------------------------------
// A rule set in the spirit of kube-score, applied to every example's k8s/
// ---------------------------------------------------------------------------------------------

interface Manifests {
  kustomization: Any;
  objects: Any[];
}

/** Violations of our kube-score style rules; empty when the manifests pass. */
function kubeScore({ kustomization, objects }: Manifests): string[] {
  const v: string[] = [];
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  for (const d of of('Deployment')) {
    const pod = d.spec.template;
    const labels = pod.metadata.labels ?? {};
    const selects = (sel: Record<string, string> | undefined) =>
      !!sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, val]) => labels[k] === val);
    for (const c of pod.spec.containers) {
      const image = kustomization.images?.find((i: Any) => i.name === c.image);
      const tag = image?.newTag ?? /:([^/:@]+)$/.exec(c.image)?.[1];
      if (!image?.digest && (!tag || tag === 'latest')) v.push(`image-tag: ${c.name} runs an unpinned image`);
      if (!c.imagePullPolicy) v.push(`image-pull-policy: ${c.name} sets none`);
      if (!c.livenessProbe || !c.readinessProbe) v.push(`probes: ${c.name} lacks a liveness or readiness probe`);
      else if (JSON.stringify(c.livenessProbe) === JSON.stringify(c.readinessProbe)) v.push(`probes: ${c.name} uses the same liveness and readiness probe`);
      for (const r of ['requests', 'limits'])
        for (const res of ['cpu', 'memory']) if (!c.resources?.[r]?.[res]) v.push(`resources: ${c.name} has no ${r}.${res}`);
    }
    if (!selects(d.spec.selector?.matchLabels)) v.push('selector: the Deployment selector does not match its pods');
    const services = of('Service');
    if (services.some((s) => !selects(s.spec.selector))) v.push('selector: a Service selects no pod of the Deployment');
    if (!of('PodDisruptionBudget').some((p) => selects(p.spec.selector?.matchLabels))) v.push('pdb: no PodDisruptionBudget covers the pods');
    const scaled =
      of('ScaledObject').some((s) => s.spec.scaleTargetRef?.name === d.metadata.name) ||
      of('HorizontalPodAutoscaler').some((h) => h.spec.scaleTargetRef?.name === d.metadata.name);
    if (scaled && d.spec.replicas !== undefined) v.push('autoscaler: the Deployment sets replicas while an autoscaler owns them');
    const policies = of('NetworkPolicy').filter((n) => selects(n.spec.podSelector?.matchLabels));
    if (!policies.some((n) => n.spec.policyTypes?.includes('Ingress'))) v.push('network-policy: no ingress policy covers the pods');
    if (!policies.some((n) => n.spec.policyTypes?.includes('Egress'))) v.push('network-policy: no egress policy covers the pods');
    const keys = (pod.spec.topologySpreadConstraints ?? []).filter((c: Any) => selects(c.labelSelector?.matchLabels)).map((c: Any) => c.topologyKey);
    if (!keys.includes('kubernetes.io/hostname') && !pod.spec.affinity?.podAntiAffinity) v.push('spread: pods may all land on one node');
  }
  return v;
}

const manifestsOf = (files: FileMap): Manifests => ({
  kustomization: parseYaml(files['k8s/kustomization.yaml']),
  objects: k8sObjects(files).map((o) => o.obj),
});

describe('kube-score style rules', () => {
  it.each(EXAMPLES)('%s passes every rule', (name) => {
    expect(kubeScore(manifestsOf(generateExample(name).files))).toEqual([]);
  });

  it('autoscaling: none passes too', () => {
    expect(kubeScore(manifestsOf(generateText(withDeploy(EXAMPLE, 'autoscaling: none')).files))).toEqual([]);
  });

  // Each rule must catch its fault; otherwise the checks above prove nothing.
  const deployment = (m: Manifests) => m.objects.find((o) => o.kind === 'Deployment');
  const container = (m: Manifests) => deployment(m).spec.template.spec.containers[0];
  const FAULTS: [string, (m: Manifests) => void, RegExp][] = [
    ['a latest tag', (m) => (m.kustomization.images[0].newTag = 'latest'), /^image-tag/],
    ['no tag at all', (m) => (m.kustomization.images = []), /^image-tag/],
    ['no pull policy', (m) => delete container(m).imagePullPolicy, /^image-pull-policy/],
    ['no readiness probe', (m) => delete container(m).readinessProbe, /^probes/],
    ['liveness = readiness', (m) => (container(m).livenessProbe = structuredClone(container(m).readinessProbe)), /^probes: .* same/],
    ['no memory limit', (m) => delete container(m).resources.limits.memory, /^resources: .* limits.memory/],
    ['a selector that matches nothing', (m) => (deployment(m).spec.selector.matchLabels = { app: 'other' }), /^selector: the Deployment/],
    ['a Service selecting other pods', (m) => (m.objects.find((o) => o.kind === 'Service').spec.selector = { app: 'other' }), /^selector: a Service/],
    ['no PodDisruptionBudget', (m) => (m.objects = m.objects.filter((o) => o.kind !== 'PodDisruptionBudget')), /^pdb/],
    ['replicas next to the ScaledObject', (m) => (deployment(m).spec.replicas = 6), /^autoscaler/],
    ['an ingress-only NetworkPolicy', (m) => (m.objects.find((o) => o.kind === 'NetworkPolicy').spec.policyTypes = ['Ingress']), /^network-policy: no egress/],
    ['no NetworkPolicy', (m) => (m.objects = m.objects.filter((o) => o.kind !== 'NetworkPolicy')), /^network-policy: no ingress/],
    ['no spread', (m) => delete deployment(m).spec.template.spec.topologySpreadConstraints, /^spread/],
  ];
  it.each(FAULTS)('catches %s', (_what, fault, expected) => {
    const m = manifestsOf(generateExample('large-orders').files);
    fault(m);
    const found = kubeScore(m);
    expect(
      found.some((x) => expected.test(x)),
      `expected ${expected} among ${JSON.stringify(found)}`,
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// deploy.monitoring: PodMonitor, PrometheusRule and the Grafana dashboard
// ---------------------------------------------------------------------------------------------

const monitored = (yaml: string, settings = 'monitoring: true') => withDeploy(yaml, settings);
const exampleMonitored = (name: string) => {
  const text = exampleText(name);
  return /^deploy:/m.test(text) ? edit(text, 'deploy:', 'deploy:\n  monitoring: true') : edit(text, '\nnodes:', '\ndeploy:\n  monitoring: true\nnodes:');
};

/** Every metric name the service's /metrics offers for this pipeline, rendered in this process. */
async function servedNames(pipeline: Pipeline): Promise<Set<string>> {
  const graph = new Graph(graphSpec(pipeline), compileExpressions(pipeline));
  const processMetrics = new ProcessMetrics();
  try {
    return exportedNames(parseExposition(new Metrics().render(graph.stats, pipeline.name) + (await processMetrics.render())));
  } finally {
    processMetrics.stop();
  }
}

function dashboardOf(files: FileMap): Any {
  const text = files['k8s/monitoring/dashboard.json'];
  expect(text, 'k8s/monitoring/dashboard.json is generated').toBeDefined();
  return JSON.parse(text);
}

const targetsOf = (panel: Any): { expr: string }[] => panel.targets ?? [];
/** The queries of the rules and the dashboard (its template variable's included). */
function queries(files: FileMap): { where: string; expr: string }[] {
  const rule = one(files, 'PrometheusRule');
  const dash = dashboardOf(files);
  return [
    ...rule.spec.groups.flatMap((g: Any) => g.rules.map((r: Any) => ({ where: `rule ${r.alert}`, expr: String(r.expr) }))),
    ...dash.panels.flatMap((p: Any) => targetsOf(p).map((t) => ({ where: `panel ${p.title}`, expr: t.expr }))),
    ...dash.templating.list
      .filter((v: Any) => v.type === 'query')
      .map((v: Any) => ({ where: `variable ${v.name}`, expr: v.definition.replace(/^label_values\((.*), \w+\)$/, '$1') })),
  ];
}

describe('deploy.monitoring', () => {
  it('is off unless pipeline.yaml turns it on: no k8s/monitoring/, nothing in kustomization', () => {
    for (const yaml of [EXAMPLE, monitored(EXAMPLE, 'monitoring: false')]) {
      const { files } = generateText(yaml);
      expect(Object.keys(files).filter((p) => p.startsWith('k8s/monitoring/'))).toEqual([]);
      expect(files['k8s/kustomization.yaml']).not.toMatch(/monitoring\/|grafana/);
    }
  });

  it('kustomization applies the PodMonitor and PrometheusRule, and makes the dashboard a ConfigMap for the Grafana sidecar', () => {
    const { files } = generateText(monitored(EXAMPLE));
    const kustomization = parseYaml(files['k8s/kustomization.yaml']);
    expect(kustomization.resources).toEqual(expect.arrayContaining(['monitoring/podmonitor.yaml', 'monitoring/prometheusrule.yaml']));
    const dashboards = byKind(files, 'ConfigMap').filter((c: Any) => c.metadata.labels?.grafana_dashboard === '1') as Any[];
    expect(dashboards).toHaveLength(1);
    // One key per pipeline: the sidecar writes every key of every dashboard ConfigMap into one folder.
    expect(dashboards[0].data).toEqual({ 'large-orders.json': files['k8s/monitoring/dashboard.json'] });
    const generator = kustomization.configMapGenerator.find((g: Any) => g.name === dashboards[0].metadata.name);
    // A hash suffix would leave the old ConfigMap behind: two dashboards with one uid.
    expect(generator.options.disableNameSuffixHash).toBe(true);
  });

  it('the PodMonitor scrapes the port and path the service serves /metrics on, from the pipeline pods only, with the labels pipeline.yaml gives', () => {
    const { files } = generateText(monitored(EXAMPLE, 'monitoring:\n  labels: { release: prom, example.com/team: "42" }'));
    const monitor = one(files, 'PodMonitor');
    const deployment = one(files, 'Deployment');
    const podLabels = deployment.spec.template.metadata.labels;
    const container = deployment.spec.template.spec.containers[0];
    expect(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(monitor.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(monitor.spec.podMetricsEndpoints).toHaveLength(1);
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    expect(container.ports.find((p: Any) => p.name === endpoint.port)?.containerPort).toBe(8080);
    expect(endpoint.path).toBe('/metrics');
    expect(deployment.spec.template.metadata.annotations['prometheus.io/path']).toBe(endpoint.path);
    // The job label the queries select by is the pod label that names the pipeline.
    expect(podLabels[monitor.spec.jobLabel]).toBe('large-orders');
    for (const { where, expr } of queries(files)) expect(expr, where).toContain('job="large-orders"');
    expect(monitor.metadata.labels).toEqual({ release: 'prom', 'example.com/team': '42' });
    expect(one(files, 'PrometheusRule').metadata.labels).toEqual(monitor.metadata.labels);
  });

  it('the PrometheusRule alerts on growing lag, a stalled consumer, dead letters and pod restarts', () => {
    const { files } = generateText(monitored(EXAMPLE));
    const rule = one(files, 'PrometheusRule');
    const names = rule.spec.groups.map((g: Any) => g.name);
    expect(new Set(names).size).toBe(names.length);
    const alerts = Object.fromEntries(rule.spec.groups.flatMap((g: Any) => g.rules).map((r: Any) => [r.alert, r]));
    expect(Object.keys(alerts).sort()).toEqual(['PipewrightConsumerLagGrowing', 'PipewrightConsumerStalled', 'PipewrightDeadLetters', 'PipewrightPodRestarts']);
    expect(metricNames(alerts.PipewrightConsumerLagGrowing.expr)).toEqual(['pipewright_partition_lag']);
    expect(alerts.PipewrightConsumerLagGrowing.expr).toMatch(/> 1000 and deriv\(/);
    expect(metricNames(alerts.PipewrightDeadLetters.expr)).toEqual(['pipewright_dead_letters_total']);
    expect(metricNames(alerts.PipewrightPodRestarts.expr)).toEqual(['kube_pod_container_status_restarts_total', 'up']);
    // kube-state-metrics names the container as the Deployment does.
    expect(alerts.PipewrightPodRestarts.expr).toContain(`container="${one(files, 'Deployment').spec.template.spec.containers[0].name}"`);
    for (const r of Object.values<Any>(alerts)) {
      expect(['warning', 'critical']).toContain(r.labels.severity);
      expect(r.annotations.summary).toContain('large-orders');
    }
    // The skip policy has no dead letters: its alert counts the records dropped instead.
    const skip = generateText(edit(monitored(EXAMPLE), 'policy: dead-letter', 'policy: skip')).files;
    const skipAlerts = one(skip, 'PrometheusRule').spec.groups[0].rules.map((r: Any) => r.alert);
    expect(skipAlerts).toContain('PipewrightRecordsSkipped');
    expect(skipAlerts).not.toContain('PipewrightDeadLetters');
  });

  it('the schema checks themselves reject a broken PodMonitor and PrometheusRule', () => {
    const { files } = generateText(monitored(EXAMPLE));
    const PodMonitor = MODELS['monitoring.coreos.com/v1/PodMonitor'];
    const PrometheusRule = MODELS['monitoring.coreos.com/v1/PrometheusRule'];
    const monitor = one(files, 'PodMonitor');
    const rule = one(files, 'PrometheusRule');
    expect(() => new PodMonitor(monitor).validate()).not.toThrow();
    expect(() => new PrometheusRule(rule).validate()).not.toThrow();
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    for (const broken of [
      { ...monitor, spec: { ...monitor.spec, selector: undefined } },
      { ...monitor, spec: { ...monitor.spec, podMetricsEndpoints: [{ ...endpoint, port: 8080 }] } },
      { ...monitor, spec: { ...monitor.spec, podMetricsEndpoints: [{ ...endpoint, scheme: 'tcp' }] } },
      { ...monitor, spec: { ...monitor.spec, podMetricsEndpoints: [{ ...endpoint, interval: '30 s' }] } },
      { ...monitor, spec: { ...monitor.spec, podMetricEndpoints: monitor.spec.podMetricsEndpoints } },
      { ...monitor, apiVersion: 'monitoring.coreos.com/v1alpha1' },
    ]) {
      expect(() => new PodMonitor(JSON.parse(JSON.stringify(broken))).validate(), JSON.stringify(broken.spec)).toThrow();
    }
    const first = rule.spec.groups[0].rules[0];
    const withRule = (r: Any) => ({ ...rule, spec: { groups: [{ ...rule.spec.groups[0], rules: [r] }] } });
    for (const broken of [
      withRule({ ...first, expr: undefined }),
      withRule({ ...first, for: '15 minutes' }),
      withRule({ ...first, record: 'pipewright:lag' }),
      withRule({ ...first, labels: { severity: 2 } }),
      { ...rule, spec: { groups: [{ rules: rule.spec.groups[0].rules }] } },
    ]) {
      expect(() => new PrometheusRule(JSON.parse(JSON.stringify(broken))).validate(), JSON.stringify(broken.spec).slice(0, 200)).toThrow();
    }
  });

  it('every query of the rules and the dashboard reads a metric the service exports (or Prometheus and kube-state-metrics do)', async () => {
    const { pipeline, files } = generateText(monitored(EXAMPLE));
    const served = await servedNames(pipeline);
    const read = queries(files).flatMap(({ where, expr }) => metricNames(expr).map((name) => ({ where, name })));
    expect(read.length).toBeGreaterThan(20);
    for (const { where, name } of read) expect(served.has(name) || (EXTERNAL_METRICS as readonly string[]).includes(name), `${where}: ${name}`).toBe(true);
  });

  it.each(EXAMPLES)('%s: the dashboard is valid, with a row per node whose panels select that node', async (name) => {
    const { pipeline } = parsePipeline(exampleMonitored(name));
    const result = generate(pipeline!, nodeAssets(), readPipelineFiles(join(REPO_ROOT, 'examples', name, 'pipeline.yaml'), pipeline!));
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const files = result.files!;
    const dash = dashboardOf(files);
    expect(dash.uid.length).toBeLessThanOrEqual(40);
    expect(dash.uid).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(dash.title).toContain(pipeline!.name);
    const ids = dash.panels.map((p: Any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The grid is 24 columns wide; no two panels overlap.
    const cells = new Set<string>();
    for (const p of dash.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${p.title} ${JSON.stringify(p.gridPos)}`).toBe(true);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps another panel`).toBe(false);
          cells.add(`${i},${j}`);
        }
      for (const [i, t] of targetsOf(p).entries()) expect(t).toMatchObject({ refId: String.fromCharCode(65 + i), datasource: { uid: '${datasource}' } });
    }
    const variables = dash.templating.list.map((v: Any) => v.name);
    for (const p of dash.panels)
      for (const t of targetsOf(p)) for (const v of t.expr.match(/\$(\w+)/g) ?? []) expect([...variables, '__rate_interval']).toContain(v.slice(1));
    const served = await servedNames(pipeline!);
    for (const n of pipeline!.nodes) {
      const rows = dash.panels.filter((p: Any) => p.type === 'row' && p.title.startsWith(`Node ${n.id} `));
      expect(rows, `a row for ${n.id}`).toHaveLength(1);
      const at = dash.panels.indexOf(rows[0]);
      const next = dash.panels.findIndex((p: Any, i: number) => i > at && p.type === 'row');
      const inRow = dash.panels.slice(at + 1, next < 0 ? undefined : next);
      expect(inRow.map((p: Any) => p.type)).toEqual(['timeseries', 'timeseries']);
      const exprs = inRow.flatMap((p: Any) => targetsOf(p).map((t) => t.expr));
      expect(exprs.some((e: string) => e.includes('pipewright_node_in_total'))).toBe(true);
      expect(exprs.some((e: string) => e.includes('pipewright_node_duration_seconds_bucket'))).toBe(true);
      for (const e of exprs) {
        expect(e).toContain(`node="${n.id}"`);
        for (const m of metricNames(e)) expect(served.has(m), `${n.id}: ${m}`).toBe(true);
      }
    }
    expect(dash.panels.filter((p: Any) => p.type === 'row' && p.title.startsWith('Node '))).toHaveLength(pipeline!.nodes.length);
    // The alerts and the dashboard pass the same schema checks in every example.
    for (const kind of ['PodMonitor', 'PrometheusRule'])
      expect(() => new MODELS[`monitoring.coreos.com/v1/${kind}`](one(files, kind)).validate()).not.toThrow();
  });

  it("the dashboard uid stays within Grafana's 40 characters for the longest pipeline names, and differs between them", () => {
    const a = dashboardUid('a'.repeat(40));
    const b = dashboardUid(`${'a'.repeat(39)}b`);
    expect(a.length).toBeLessThanOrEqual(40);
    expect(b.length).toBeLessThanOrEqual(40);
    expect(a).not.toBe(b);
    expect(dashboardUid('large-orders')).toBe('pipewright-large-orders');
  });

  it('names in queries are PromQL string literals and the dashboard is JSON, whatever they hold', () => {
    for (const s of ['plain', 'quo"te', 'back\\slash', 'line\nbreak', '}) or vector(1) #']) {
      const literal = promqlString(s);
      expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true);
      // Inside, a quote only ever follows a backslash, and no line break is left raw.
      expect(literal.slice(1, -1)).not.toMatch(/(^|[^\\])(\\\\)*"|\n/);
      expect(JSON.parse(literal)).toBe(s);
    }
    const { pipeline } = generateText(monitored(EXAMPLE));
    const text = dashboardJson({ ...pipeline, description: 'say "hi" </script>\n{{ $x }}' });
    expect(JSON.parse(text).description).toBe('say "hi" </script>\n{{ $x }}');
  });
});
