/**
 * The generator: Pipeline in, { path → contents } out. Pure: no filesystem,
 * no process, so the designer runs this very code in the browser. The
 * runtime's sources and the templates arrive as data (the CLI reads them
 * from disk, the designer imports them raw).
 */
import Handlebars from 'handlebars';
import { zipSync, type Zippable } from 'fflate';
import { problem, type Problem } from './errors.js';
import { commentText, markdownText, mermaidLabel, shellWord, tsLiteral, tsString, yamlName, yamlString } from './escape.js';
import { deadLetterTopic, type Pipeline } from './model.js';
import { fromBeginning, graphSpec, groupTopics, inputPartitions, pipelineTs, topicDefs, typesGenTs } from './pipeline-ts.js';
import { serializePipeline } from './serialize.js';
import { TEMPLATES, type TemplateView } from './templates.js';
import { validatePipeline } from './validate.js';
import { getKind } from '../runtime/kinds/registry.js';
import { ERROR_PORT, type PipelineFiles } from '../runtime/kinds/spec.js';
import { isTopicName } from './names.js';
import { testCases } from './test-cases.js';

export interface CodegenAssets {
  /** Runtime sources by path relative to runtime/, tests excluded. */
  runtime: Record<string, string>;
  /** Template texts by path relative to templates/. */
  templates: Record<string, string>;
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
  let h = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) h = Math.imul(h ^ topic.charCodeAt(i), 0x01000193);
  return `${base.slice(0, 200).replace(/[.-]+$/, '')}-${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** Words Mermaid's flowchart grammar reserves; an id that is one of them would break the diagram. */
const MERMAID_KEYWORDS = new Set(['end', 'graph', 'flowchart', 'subgraph', 'click', 'call', 'href', 'style', 'class', 'classdef', 'linkstyle', 'direction', 'default', 'interpolate']);
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

function view(p: Pipeline): TemplateView {
  const partitions = inputPartitions(p);
  const topics = topicDefs(p);
  const { cases, samples } = testCases(p);
  return {
    name: p.name,
    description: p.description ?? '',
    image: p.deploy.image ?? `${p.name}:latest`,
    versions: GENERATED_VERSIONS,
    replicas: Math.min(p.deploy.replicas ?? partitions, partitions),
    maxReplicas: partitions,
    groupId: p.name,
    deadLetterTopic: deadLetterTopic(p),
    errorPolicy: p.errors.policy,
    sasl: p.kafka.profile === 'sasl-ssl',
    saslMechanism: p.kafka.mechanism,
    kedaSasl: { plain: 'plaintext', 'scram-sha-256': 'scram_sha256', 'scram-sha-512': 'scram_sha512' }[p.kafka.mechanism],
    topics: topics.map((t) => ({ ...t, strimziName: strimziName(t.name), configEntries: Object.entries(t.config).map(([key, value]) => ({ key, value })) })),
    sourceTopics: groupTopics(p),
    mermaid: mermaid(p),
    nodes: p.nodes.map((n) => ({ id: n.id, kind: n.kind, summary: getKind(n.kind)!.summary })),
    fromBeginning: fromBeginning(p),
    dependencies: kindDependencies(p),
    hasModels: p.nodes.some((n) => (getKind(n.kind)?.files?.(n.params) ?? []).length > 0),
    hasOnnx: kindDependencies(p).some((d) => d.name === 'onnxruntime-node'),
    secrets: kindSecrets(p),
    ingest: p.nodes
      .filter((n) => n.kind === 'http-ingest')
      .map((n) => {
        const path = String(n.params.path ?? getKind(n.kind)!.params.find((s) => s.name === 'path')?.default);
        return { path, topic: String(n.params.topic), url: `http://localhost:8080${path}` };
      }),
    testCasesLiteral: tsLiteral(cases, 2),
    samplesLiteral: tsLiteral(samples, 2),
    hasTests: cases.length > 0,
  };
}

/** Credentials the nodes read from the environment, one entry per variable. */
function kindSecrets(p: Pipeline): TemplateView['secrets'] {
  const out = new Map<string, TemplateView['secrets'][number]>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    const params = Object.fromEntries((kind?.params ?? []).map((s) => [s.name, n.params[s.name] ?? s.default]));
    for (const s of kind?.secrets?.(params) ?? []) if (!out.has(s.name)) out.set(s.name, s);
  }
  return [...out.values()];
}

/** npm packages the pipeline's kinds need beyond kafkajs, sorted, one version per package. */
function kindDependencies(p: Pipeline): { name: string; version: string }[] {
  const deps = new Map<string, string>();
  for (const n of p.nodes) for (const [name, version] of Object.entries(getKind(n.kind)?.dependencies?.(n.params) ?? {})) deps.set(name, version);
  return [...deps.keys()].sort().map((name) => ({ name, version: deps.get(name)! }));
}

/** Where a pipeline file (a model) lands in the generated repository: a fixed folder and a sanitized name, never the user's path. */
export function repositoryFilePath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[.-]+/, '') || 'model';
  return `models/${base.slice(-100)}`;
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
    const kind = getKind(n.kind);
    const params = { ...n.params };
    for (const [name, value] of Object.entries(n.params)) {
      if (typeof value !== 'string' || !(kind?.files?.(n.params) ?? []).includes(value)) continue;
      const target = repositoryFilePath(value);
      if (from.has(target) && from.get(target) !== value) {
        problems.push(problem('PW018', { message: `The files "${from.get(target)}" and "${value}" would both become ${target} in the generated repository.`, hint: 'Give the files different names.' }, ['nodes', i, name], n.id));
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
  const p = placed.pipeline;
  // Names are checked by validation; this guards the generator's own assumptions.
  for (const t of topicDefs(p)) if (!isTopicName(t.name)) return { files: null, problems: [...problems, problem('PW017', { topic: t.name }, [])] };
  const out: FileMap = {};
  const v = view(p);
  for (const [path, template] of Object.entries(TEMPLATES)) out[path] = render(assets.templates, template, v);
  // Only for services with onnxruntime-node: its install script would fetch GPU binaries.
  if (v.hasOnnx) out['.npmrc'] = render(assets.templates, 'npmrc.hbs', v);
  out['pipeline.yaml'] = serializePipeline(p);
  out['src/pipeline.ts'] = pipelineTs(p).text;
  out['src/types.gen.ts'] = typesGenTs(p);
  for (const [path, text] of Object.entries(assets.runtime)) out[`src/runtime/${path}`] = text;
  return { files: sortFiles(out), ...(Object.keys(placed.binary).length ? { binary: placed.binary } : {}), problems };
}

function sortFiles(files: FileMap): FileMap {
  return Object.fromEntries(Object.keys(files).sort().map((k) => [k, files[k]]));
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
