/**
 * The generator: Pipeline in, { path → contents } out. Pure: no filesystem,
 * no process, so the designer runs this very code in the browser. The
 * runtime's sources and the templates arrive as data (the CLI reads them
 * from disk, the designer imports them raw). It validates, places the files
 * the pipeline names, computes the plan once (plan.ts) and renders every file
 * from it; the renderers never call back here.
 */
import Handlebars from 'handlebars';
import { zipSync, type Zippable } from 'fflate';
import { problem, type Problem } from './errors.js';
import { commentText, markdownText, mermaidLabel, shellWord, tsLiteral, tsString, yamlName, yamlString } from './escape.js';
import { DEFAULT_STRIMZI_CLUSTER, deadLetterTopic, type Pipeline } from './pipeline.js';
import { pipelineTs, typesGenTs } from './pipeline-ts.js';
import { kindFiles, planRepository, type RepoPlan } from './plan.js';
import { serializePipeline } from './serialize.js';
import { DASHBOARD_PATH, dashboardJson, monitoringView } from './monitoring.js';
import { TEMPLATES, WHEN, type TemplateTopic, type TemplateView } from './templates.js';
import type { TopicDef } from '../runtime/types.js';
import { validatePipeline } from './validate-pipeline.js';
import { getKind } from '../runtime/kinds/registry.js';
import { ERROR_PORT, withDefaults, type PipelineFiles } from '../runtime/kinds/spec.js';
import { quoteIdent } from '../runtime/kinds/postgres-sink.js';
import { bootstrapServers, isTopicName, shortHash } from './names.js';
import type { ConnectionView } from './connection.js';
import { DEFAULT_REGISTRY_URL, REGISTRY_ENV } from '../runtime/kinds/schema-registry.js';
import { lockfileFor, LockfileError, type Lockfile, type RootPackage } from './lockfile.js';
import { databaseUrlEnvs, hasPostgres, httpSinkTargets, LOCAL_DATABASE_URL, LOCAL_IMAGES, LOCAL_PG, schemaSql } from './local-run.js';

export interface CodegenAssets {
  /** Runtime sources by path relative to runtime/, tests excluded. */
  runtime: Record<string, string>;
  /** Template texts by path relative to templates/. */
  templates: Record<string, string>;
  /** Pipewright's own package-lock.json: the generated repository's lock is cut from it. */
  lockfile: string;
}

export type FileMap = Record<string, string>;

export interface GenerateResult {
  files: FileMap | null;
  /** Binary files of the repository (models), by path; write and zip them with `files`. */
  binary?: Record<string, Uint8Array>;
  problems: Problem[];
}

/** Versions the generated repository pins. */
export const GENERATED_VERSIONS = {
  node: '24.11.1',
  kafkajs: '2.2.4',
  typescript: '5.9.3',
  typesNode: '20.19.43',
} as const;

const hb = Handlebars.create();
// Every user value goes through one of these; `{{x}}` is only for values codegen prepared.
hb.registerHelper('ts', (v: unknown) => tsString(String(v)));
hb.registerHelper('json', (v: unknown) => tsLiteral(v));
hb.registerHelper('yaml', (v: unknown) => yamlString(String(v)));
hb.registerHelper('yamlName', (v: unknown) => yamlName(String(v)));
hb.registerHelper('sh', (v: unknown) => shellWord(String(v)));
hb.registerHelper('md', (v: unknown) => markdownText(String(v)));
hb.registerHelper('comment', (v: unknown) => commentText(String(v)));

const compiled = new Map<string, HandlebarsTemplateDelegate>();
function render(templates: Record<string, string>, name: string, view: TemplateView): string {
  const source = templates[name];
  if (source === undefined) throw new Error(`template ${name} is missing`);
  const key = `${name}\u0000${source}`;
  let t = compiled.get(key);
  if (!t) compiled.set(key, (t = hb.compile(source, { noEscape: true, strict: true })));
  return t(view);
}

/** Kubernetes object names for Strimzi KafkaTopic resources: lowercase RFC 1123, unique per topic. */
export function strimziName(topic: string): string {
  // RFC 1123 subdomain: dot-separated labels that each start and end with a letter or digit.
  const base =
    topic
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .split('.')
      .map((label) => label.replace(/^-+|-+$/g, ''))
      .filter(Boolean)
      .join('.') || 'topic';
  if (base === topic && base.length <= 200) return base;
  return `${base.slice(0, 200).replace(/[.-]+$/, '')}-${shortHash(topic)}`;
}

/** Words Mermaid's flowchart grammar reserves; an id that is one of them would break the diagram. */
const MERMAID_KEYWORDS = new Set([
  'end',
  'graph',
  'flowchart',
  'subgraph',
  'click',
  'call',
  'href',
  'style',
  'class',
  'classdef',
  'linkstyle',
  'direction',
  'default',
  'interpolate',
]);
const mermaidId = (id: string) => (MERMAID_KEYWORDS.has(id) ? `node-${id}` : id);

function mermaid(p: Pipeline): string {
  const lines = ['flowchart LR'];
  for (const n of p.nodes) {
    const kind = getKind(n.kind)!;
    const topic = kind.topicParam ? ` ${String(n.params[kind.topicParam])}` : '';
    const label = mermaidLabel(`${n.label ?? n.id} (${kind.kind}${topic})`);
    const shape = kind.category === 'source' || kind.category === 'sink' ? `[(${label})]` : `[${label}]`;
    lines.push(`  ${mermaidId(n.id)}${shape}`);
  }
  for (const n of p.nodes) {
    for (const i of n.inputs) {
      const arrow = i.fromPort === ERROR_PORT ? '-. error .->' : i.fromPort === 'out' ? '-->' : `-- ${i.fromPort} -->`;
      lines.push(`  ${mermaidId(i.from)} ${arrow} ${mermaidId(n.id)}`);
    }
  }
  return lines.join('\n');
}

/** Where the deployment finds Kafka unless pipeline.yaml says (kafka.bootstrapServers): the one place is k8s/config.env. */
export const DEFAULT_BOOTSTRAP = 'kafka-bootstrap:9092';
/** The tag an image gets when deploy.image names none: the generated package's version. */
export const DEFAULT_IMAGE_TAG = '1.0.0';

/** repository[:tag][@digest] → kustomize's images entry (newName, newTag, digest). */
export function imageRef(p: Pipeline): TemplateView['image'] {
  const ref = p.deploy.image ?? p.name;
  const at = ref.indexOf('@');
  const digest = at < 0 ? undefined : ref.slice(at + 1);
  const named = at < 0 ? ref : ref.slice(0, at);
  // A colon after the last slash starts the tag; one before it belongs to a registry's port.
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const name = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : DEFAULT_IMAGE_TAG;
  // Without a registry in the name, the README pushes to an example registry the user replaces.
  const pushRef = name.includes('/') ? `${name}:${tag}` : `registry.example.com/team/${name}:${tag}`;
  return { name, tag, ...(digest ? { digest } : {}), ref: `${name}:${tag}`, pushRef };
}

/** The namespace of an in-cluster host name (service.namespace.svc[.cluster.local]), if it is one. */
function clusterNamespace(host: string): string | undefined {
  return /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(host.toLowerCase())?.[1];
}

/**
 * Where the service connects, for the NetworkPolicy's egress: Kafka's bootstrap ports, and each
 * sink or model endpoint whose port is known. In-cluster hosts narrow the rule to their namespace.
 */
function egressRules(p: Pipeline, bootstrap: string, connection: ConnectionView): TemplateView['egress'] {
  const rules = new Map<string, TemplateView['egress'][number]>();
  const add = (what: string, port: number, namespace?: string) => {
    const key = `${port}/${namespace ?? ''}`;
    const prev = rules.get(key);
    if (prev) prev.what = prev.what.includes(what) ? prev.what : `${prev.what}, ${what}`;
    else rules.set(key, { what, port, ...(namespace ? { namespace } : {}) });
  };
  for (const b of bootstrapServers(bootstrap)) if (b) add('Kafka', b.port, clusterNamespace(b.host));
  for (const e of connection.egress) add(e.what, e.port, e.host === undefined ? undefined : clusterNamespace(e.host));
  for (const n of p.nodes) {
    if (n.kind === 'postgres-sink') add(`PostgreSQL (${n.id})`, 5432);
    const url = n.kind === 'http-sink' || (n.kind === 'model' && n.params.backend === 'http') ? n.params.url : undefined;
    if (typeof url !== 'string') continue;
    try {
      const u = new URL(url);
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      add(`${n.kind === 'model' ? 'model endpoint' : 'HTTP sink'} (${n.id})`, port, clusterNamespace(u.hostname));
    } catch {
      // validation has reported it
    }
  }
  return [...rules.values()];
}

/** The one view every template gets: the plan, prepared for the templates. */
function view(plan: RepoPlan): TemplateView {
  const { pipeline: p, partitions, connection } = plan;
  const bootstrap = bootstrapServers(p.kafka.bootstrapServers ?? DEFAULT_BOOTSTRAP)
    .map((b) => `${b!.host}:${b!.port}`)
    .join(',');
  const scaling = p.deploy.autoscaling === 'none' ? undefined : (p.deploy.autoscaling ?? {});
  const { cases, samples } = plan.tests;
  return {
    name: p.name,
    description: p.description ?? '',
    image: imageRef(p),
    versions: GENERATED_VERSIONS,
    replicas: Math.min(p.deploy.replicas ?? partitions, partitions),
    autoscaling: scaling && {
      minReplicaCount: scaling.minReplicaCount ?? 1,
      maxReplicaCount: Math.min(scaling.maxReplicaCount ?? partitions, partitions),
      lagThreshold: scaling.lagThreshold ?? 1000,
      activationLagThreshold: scaling.activationLagThreshold ?? 0,
    },
    partitions,
    bootstrapServers: bootstrap,
    egress: egressRules(p, bootstrap, connection),
    metricsNamespace: p.deploy.metricsNamespace ?? 'monitoring',
    monitoring: monitoringView(p),
    livenessTimeoutMs: (p.deploy.livenessTimeoutSeconds ?? 120) * 1000,
    groupId: p.name,
    deadLetterTopic: deadLetterTopic(p),
    errorPolicy: p.errors.policy,
    exactlyOnce: p.delivery === 'exactly-once',
    connection,
    standbyReplicas: p.deploy.standbyReplicas ?? 0,
    topics: plan.topics.map(templateTopic),
    ownedTopics: plan.topics.filter((t) => !t.external).map(templateTopic),
    strimziCluster: p.kafka.strimziCluster ?? DEFAULT_STRIMZI_CLUSTER,
    sourceTopics: plan.groupTopics,
    // A repartition topic is read from its beginning whatever the sources' start says: its records are the service's own.
    triggers: plan.consumedTopics.map((topic) => ({
      topic,
      offsetResetPolicy: plan.fromBeginning || !plan.groupTopics.includes(topic) ? 'earliest' : 'latest',
    })),
    mermaid: mermaid(p),
    nodes: p.nodes.map((n) => ({ id: n.id, kind: n.kind, summary: getKind(n.kind)!.summary })),
    fromBeginning: plan.fromBeginning,
    dependencies: plan.dependencies,
    hasModels: plan.hasModels,
    hasOnnx: plan.hasOnnx,
    secrets: plan.secrets,
    secretKeys: [...connection.secret.map((s) => s.key), ...plan.secrets.map((s) => s.name)],
    ingest: p.nodes
      .filter((n) => n.kind === 'http-ingest')
      .map((n) => {
        const path = String(withDefaults(getKind(n.kind)!, n.params).path);
        return { path, topic: String(n.params.topic), url: `http://localhost:8080${path}` };
      }),
    images: LOCAL_IMAGES,
    local: localRun(plan),
    testCasesLiteral: tsLiteral(cases, 2),
    samplesLiteral: tsLiteral(samples, 2),
    hasTests: cases.length > 0,
  };
}

/** What docker-compose.yml and the README's quick start need beyond Kafka and the service. */
function localRun(plan: RepoPlan): TemplateView['local'] {
  const { pipeline: p, secrets } = plan;
  const urlEnvs = databaseUrlEnvs(p);
  const http = httpSinkTargets(p);
  const tables = [...new Set(p.nodes.filter((n) => n.kind === 'postgres-sink').map((n) => String(n.params.table)))].sort();
  const sinkTopics = p.nodes.filter((n) => n.kind === 'kafka-sink').map((n) => String(n.params.topic));
  return {
    ...(hasPostgres(p)
      ? { postgres: { ...LOCAL_PG, url: LOCAL_DATABASE_URL, urlEnvs, selects: tables.map((t) => `SELECT * FROM ${t.split('.').map(quoteIdent).join('.')}`) } }
      : {}),
    ...(http.hosts.length
      ? {
          httpSink: {
            hosts: http.hosts,
            portList: http.ports.join(','),
            healthPort: http.ports[0],
            many: p.nodes.filter((n) => n.kind === 'http-sink').length > 1,
          },
        }
      : {}),
    realHttp: http.real,
    // The service's variables beyond Kafka: the local database's URL, and the other credentials' examples (local only).
    env: [
      ...urlEnvs.map((name) => ({ name, value: LOCAL_DATABASE_URL })),
      // A local run has no registry of its own: this is the variable to point at one.
      ...(plan.usesRegistry ? [{ name: REGISTRY_ENV.url, value: DEFAULT_REGISTRY_URL }] : []),
      ...secrets.filter((x) => !urlEnvs.includes(x.name)).map((x) => ({ name: x.name, value: x.example })),
    ],
    sampleTopics: [...new Set(plan.tests.samples.map((s) => s.topic))],
    outputTopic: sinkTopics[0],
  };
}

function templateTopic(t: TopicDef): TemplateTopic {
  const entries = Object.entries(t.config).map(([key, value]) => ({ key, value }));
  return {
    ...t,
    external: t.external === true,
    strimziName: strimziName(t.name),
    configEntries: entries,
    minInsyncReplicas: t.config['min.insync.replicas'] ?? '',
    otherConfigEntries: entries.filter((e) => e.key !== 'min.insync.replicas'),
  };
}

/** Where a pipeline file lands in the generated repository: a fixed folder (models/, or the one its parameter names, e.g. schemas/) and a sanitized name, never the user's path. */
export function repositoryFilePath(path: string, folder = 'models'): string {
  const base =
    path
      .slice(path.lastIndexOf('/') + 1)
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-')
      .replace(/^[.-]+/, '') || 'model';
  return `${folder}/${base.slice(-100)}`;
}

/**
 * The pipeline with every file it names moved to its place in the generated
 * repository, and those files' bytes by their new path. Two different files
 * that would land on one path are a problem.
 */
function placeFiles(p: Pipeline, files: PipelineFiles): { pipeline: Pipeline; binary: Record<string, Uint8Array>; problems: Problem[] } {
  const binary: Record<string, Uint8Array> = {};
  const from = new Map<string, string>();
  const problems: Problem[] = [];
  const nodes = p.nodes.map((n, i) => {
    const params = { ...n.params };
    const named = kindFiles(n);
    const specs = getKind(n.kind)?.params ?? [];
    for (const [name, value] of Object.entries(n.params)) {
      if (typeof value !== 'string' || !named.includes(value)) continue;
      const target = repositoryFilePath(value, specs.find((s) => s.name === name)?.repoFolder);
      if (from.has(target) && from.get(target) !== value) {
        problems.push(problem('PW018', { first: from.get(target)!, second: value, target }, ['nodes', i, name], n.id));
        continue;
      }
      const bytes = files[value];
      if (!bytes) continue; // validation has reported it
      from.set(target, value);
      binary[target] = bytes;
      params[name] = target;
    }
    return { ...n, params };
  });
  return { pipeline: { ...p, nodes }, binary, problems };
}

/**
 * Generate the whole repository, or return the problems that stop it. Never
 * throws on user input. `files` are the pipeline's own files (models) by path
 * relative to its folder; they are checked and copied into the repository.
 */
export function generate(source: Pipeline, assets: CodegenAssets, files: PipelineFiles = {}): GenerateResult {
  const problems = validatePipeline(source, files);
  if (problems.some((x) => x.severity === 'error')) return { files: null, problems };
  const placed = placeFiles(source, files);
  if (placed.problems.length) return { files: null, problems: [...problems, ...placed.problems] };
  const plan = planRepository(placed.pipeline, placed.binary);
  const p = plan.pipeline;
  // Names are checked by validation; this guards the generator's own assumptions.
  for (const t of plan.topics) if (!isTopicName(t.name)) return { files: null, problems: [...problems, problem('PW017', { topic: t.name }, [])] };
  const out: FileMap = {};
  const v = view(plan);
  for (const [path, template] of Object.entries(TEMPLATES))
    if (WHEN[path as keyof typeof TEMPLATES]?.(v) ?? true) out[path] = render(assets.templates, template, v);
  // Only for services with onnxruntime-node: its install script would fetch GPU binaries.
  if (v.hasOnnx) out['.npmrc'] = render(assets.templates, 'npmrc.hbs', v);
  if (hasPostgres(p)) out['db/schema.sql'] = schemaSql(p);
  try {
    out['package-lock.json'] = lockfileFor(JSON.parse(out['package.json']) as RootPackage, JSON.parse(assets.lockfile) as Lockfile);
  } catch (e) {
    if (!(e instanceof LockfileError)) throw e;
    return { files: null, problems: [...problems, problem('PW095', { detail: e.message }, [])] };
  }
  out['pipeline.yaml'] = serializePipeline(p);
  // The code carries each schema file's contents (the service reads no schema file); pipeline.yaml keeps naming the file.
  out['src/pipeline.ts'] = pipelineTs(plan.code).text;
  out['src/types.gen.ts'] = typesGenTs(plan.code.pipeline);
  if (v.monitoring) out[DASHBOARD_PATH] = dashboardJson(p);
  for (const [path, text] of Object.entries(assets.runtime)) out[`src/runtime/${path}`] = text;
  return { files: sortFiles(out), ...(Object.keys(placed.binary).length ? { binary: placed.binary } : {}), problems };
}

function sortFiles(files: FileMap): FileMap {
  return Object.fromEntries(
    Object.keys(files)
      .sort()
      .map((k) => [k, files[k]]),
  );
}

/** 1980-01-01, the earliest time a zip can hold: fixed so that the same files give the same bytes. */
const ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0);

/** A deterministic zip: sorted entries, fixed times, Unix permissions (scripts executable); `binary` files (models) go in as they are. */
export function zipFiles(files: FileMap, binary: Record<string, Uint8Array> = {}): Uint8Array {
  const enc = new TextEncoder();
  const tree: Zippable = {};
  for (const path of [...Object.keys(files), ...Object.keys(binary)].sort()) {
    const mode = path.endsWith('.sh') ? 0o100755 : 0o100644;
    const data = path in files ? enc.encode(files[path]) : binary[path];
    tree[path] = [data, { mtime: ZIP_TIME, os: 3, attrs: mode << 16, level: 6 }];
  }
  return zipSync(tree, { mtime: ZIP_TIME });
}
