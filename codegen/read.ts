/**
 * pipeline.yaml → Pipeline, with every problem placed at its file, line and
 * column. Shape problems (wrong types, unknown fields) are found here, while
 * the YAML is at hand, by the format's JSON Schema (pipeline-schema.ts, run
 * by ajv), whose errors become Pipewright's problems; everything about meaning is in validate-pipeline.ts (see
 * parse.ts, which runs both). This file does not import the TypeScript
 * compiler, so the designer's page can read YAML (files, autosave, share
 * links) without loading it; the full check runs in its worker.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { problem, suggest, type Problem } from './errors.js';
import {
  emptyPipeline,
  setSourceIndex,
  type Autoscaling,
  type NodeInput,
  type Pipeline,
  type PipelineNode,
  type PipelineTest,
  type SampleEvent,
  type TopicSettings,
} from './pipeline.js';
import { migratePipeline } from './migrate.js';
import { AUTOSCALING_KEYS, NODE_KEYS, noteOf, pipelineSchema, type JsonSchema, type Note, type Path } from './pipeline-schema.js';
import type { ConnectionProfile, PasswordMechanism, SaslSslPreset } from '../runtime/service/connection.js';
import { valueText } from '../runtime/types.js';

export { NODE_KEYS } from './pipeline-schema.js';

export interface ParseResult {
  /** The pipeline as far as it could be read; null when the file is not a pipeline at all. */
  pipeline: Pipeline | null;
  problems: Problem[];
  /** Places problems found later (type checks) in the file. */
  locate: (problem: Problem) => Problem;
}

const nowhere = (p: Problem): Problem => ({ ...p, line: p.line ?? 1, column: p.column ?? 1 });

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
      : ((e as Error).message?.split('\n')[0] ?? String(e));
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
  let offset = doc.contents?.range?.[0] ?? 0;
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

/** Compiled on the first read, not when the module loads (the designer's page loads it at start). */
let schema: JsonSchema | undefined;
let validateShape: ValidateFunction | undefined;

/** The path inside the document of an ajv instancePath ("/nodes/0/id"), list indexes as numbers. */
function instancePath(data: unknown, pointer: string): Path {
  const path: Path = [];
  let at: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(at) ? Number(seg) : seg;
    path.push(key);
    at = isObj(at) || Array.isArray(at) ? (at as Record<string | number, unknown>)[key] : undefined;
  }
  return path;
}

function valueAt(data: unknown, path: Path): unknown {
  let at = data;
  for (const seg of path) at = isObj(at) || Array.isArray(at) ? (at as Record<string | number, unknown>)[seg] : undefined;
  return at;
}

/** Keywords that lead from a schema to one of its values' schemas, so take one step in the document too. */
const STEPS_IN = new Set(['properties', 'additionalProperties', 'items', 'patternProperties']);
/** Keywords followed by a name or an index before the subschema. */
const NAMED = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'allOf', 'anyOf', 'oneOf']);

/**
 * The schema with a note nearest the failing keyword, and how many steps of the document lie
 * between it and the keyword's schema: the error is that schema's problem, at that value.
 */
function owner(error: ErrorObject): { note: Note; schema: JsonSchema; up: number } | undefined {
  const segs = error.schemaPath
    .split('/')
    .slice(1)
    .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'));
  segs.pop(); // the keyword
  let at: unknown = schema;
  let depth = 0;
  const trail: { schema: unknown; depth: number }[] = [{ schema: at, depth }];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (STEPS_IN.has(seg)) depth++;
    if (NAMED.has(seg)) {
      at = (at as Record<string, Record<string, unknown>>)?.[seg]?.[segs[++i]];
    } else at = (at as Record<string, unknown>)?.[seg];
    trail.push({ schema: at, depth });
  }
  for (let i = trail.length - 1; i >= 0; i--) {
    const n = noteOf(trail[i].schema);
    if (n) return { note: n, schema: trail[i].schema as JsonSchema, up: depth - trail[i].depth };
  }
  return undefined;
}

const say = (x: string | ((p: Path) => string) | undefined, path: Path): string | undefined => (typeof x === 'function' ? x(path) : x);

/**
 * Check the document against the format's schema. Each error becomes the problem of the field it
 * is in; the values in error go into `pruned`, so the pipeline is read without them.
 */
function shapeProblems(doc: Obj, problems: Problem[], pruned: Set<string>): void {
  schema ??= pipelineSchema();
  // strictNumbers: .inf and .nan are not numbers here (positions, timestamps).
  validateShape ??= new Ajv({ allErrors: true, strict: false, strictNumbers: true }).compile(schema);
  if (validateShape(doc)) return;
  const seen = new Set<string>();
  const add = (p: Problem) => {
    const key = `${p.code} ${JSON.stringify(p.path)}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(p);
  };
  for (const error of validateShape.errors ?? []) {
    // An if/then/else repeats the error of its branch; the branch's error says what is wrong.
    if (error.keyword === 'if') continue;
    const found = owner(error);
    if (!found) continue;
    const { note, schema: at } = found;
    const full = instancePath(doc, error.instancePath);
    const path = full.slice(0, full.length - found.up);
    const params = error.params as { missingProperty?: string; additionalProperty?: string };
    if (note.sample !== undefined) {
      // A sample with an unknown field, or without value, is left out; a bad key, time or headers only loses that.
      const unknown = error.keyword === 'additionalProperties' ? params.additionalProperty : undefined;
      add(problem('PW041', { detail: unknown !== undefined ? `unknown field "${unknown}"` : note.sample }, unknown !== undefined ? [...path, unknown] : path));
      pruned.add(JSON.stringify(path));
    } else if (error.keyword === 'required' && note.examples?.[params.missingProperty!] !== undefined) {
      const field = params.missingProperty!;
      add(problem('PW005', { field, where: say(note.where, path) ?? path.join('.'), example: note.examples[field] }, path));
    } else if (error.keyword === 'additionalProperties') {
      const field = params.additionalProperty!;
      const names = Object.keys((at.properties as object | undefined) ?? {});
      const hint = suggest(field, names);
      const known = (hint ? `${hint} (did you mean it?), ` : '') + names.filter((n) => n !== hint).join(', ');
      add(problem('PW003', { field, where: say(note.where, path) ?? path.join('.'), known }, [...path, field]));
      pruned.add(JSON.stringify([...path, field]));
    } else {
      const field = say(note.field, path) ?? path.join('.');
      add(problem('PW004', { field, expected: note.expected ?? 'something else', actual: typeName(valueAt(doc, path)), fix: say(note.fix, path) ?? '' }, path));
      pruned.add(JSON.stringify(path));
    }
  }
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
  const pruned = new Set<string>();
  shapeProblems(raw, problems, pruned);
  return buildPipeline(raw, (path) => {
    // A value is read unless it, or what holds it, is in error.
    for (let i = path.length; i > 0; i--) if (pruned.has(JSON.stringify(path.slice(0, i)))) return undefined;
    return valueAt(raw, path);
  });
}

/**
 * The Pipeline from a document whose shape has been checked: `get` gives each value that passed
 * (undefined for one in error), so what remains is only copying, and filling in what follows.
 */
function buildPipeline(raw: Obj, get: (path: Path) => unknown): Pipeline {
  const p = emptyPipeline('');
  // A missing or empty name is reported by validation, which the designer runs too.
  const name = get(['pipeline']);
  if (typeof name === 'string') p.name = name;
  const description = get(['description']);
  if (typeof description === 'string') p.description = description;

  if (isObj(get(['kafka']))) readKafka(p, raw, get);
  const topicsRaw = get(['topics']);
  if (isObj(topicsRaw)) {
    const topics: NonNullable<Pipeline['topics']> = {};
    for (const name of Object.keys(topicsRaw)) {
      if (!isObj(get(['topics', name]))) continue;
      const t: TopicSettings = {};
      const v = (key: string) => get(['topics', name, key]);
      if (v('external') !== undefined) t.external = v('external') as boolean;
      if (v('retention') !== undefined) t.retention = String(v('retention'));
      if (v('cleanup') !== undefined) t.cleanup = v('cleanup') as TopicSettings['cleanup'];
      setOwn(topics, name, t);
    }
    if (Object.keys(topics).length) p.topics = topics;
  }
  if (isObj(get(['errors']))) {
    const policy = get(['errors', 'policy']);
    if (policy !== undefined) p.errors.policy = policy as Pipeline['errors']['policy'];
    const topic = get(['errors', 'topic']);
    if (topic !== undefined) p.errors.topic = topic as string;
  }
  const delivery = get(['delivery']);
  if (delivery !== undefined) p.delivery = delivery as Pipeline['delivery'];
  if (isObj(get(['deploy']))) readDeploy(p, get);
  const nodes = get(['nodes']);
  if (Array.isArray(nodes)) {
    nodes.forEach((_, i) => {
      const node = buildNode(i, get);
      if (node) p.nodes.push(node);
    });
  }
  const tests = get(['tests']);
  if (Array.isArray(tests)) {
    tests.forEach((_, i) => {
      const test = buildTest(i, get);
      if (test) p.tests.push(test);
    });
  }
  return p;
}

/** Copies the kafka section (connection profile and its settings, topic defaults) into `p`. */
function readKafka(p: Pipeline, raw: Obj, get: (path: Path) => unknown): void {
  const k = (key: string) => get(['kafka', key]);
  if (k('profile') !== undefined) p.kafka.profile = k('profile') as ConnectionProfile;
  if (k('mechanism') !== undefined) p.kafka.mechanism = k('mechanism') as PasswordMechanism;
  if (k('preset') !== undefined) {
    p.kafka.preset = k('preset') as SaslSslPreset;
    // A preset's mechanism is plain; one written next to it is checked by validation.
    if (valueAt(raw, ['kafka', 'mechanism']) === undefined) p.kafka.mechanism = 'plain';
  }
  if (k('customCa') !== undefined) p.kafka.customCa = k('customCa') as boolean;
  for (const [name, keys] of [
    ['oauth', ['tokenEndpoint', 'scope']],
    ['aws', ['region', 'roleArn']],
  ] as const) {
    if (!isObj(k(name))) continue;
    const out: Record<string, string> = {};
    for (const key of keys) if (typeof get(['kafka', name, key]) === 'string') out[key] = get(['kafka', name, key]) as string;
    (p.kafka as Record<string, unknown>)[name] = out;
  }
  for (const key of ['replicationFactor', 'bootstrapServers', 'minInsyncReplicas', 'strimziCluster'] as const) {
    if (k(key) !== undefined) (p.kafka as Record<string, unknown>)[key] = k(key);
  }
}

/** Copies the deploy section (replicas, image, autoscaling, monitoring) into `p`. */
function readDeploy(p: Pipeline, get: (path: Path) => unknown): void {
  const d = (key: string) => get(['deploy', key]);
  for (const key of ['replicas', 'standbyReplicas', 'image', 'metricsNamespace', 'livenessTimeoutSeconds'] as const) {
    if (d(key) !== undefined) (p.deploy as Record<string, unknown>)[key] = d(key);
  }
  const autoscaling = d('autoscaling');
  if (autoscaling === 'none') p.deploy.autoscaling = 'none';
  else if (isObj(autoscaling)) {
    const settings: Autoscaling = {};
    for (const key of AUTOSCALING_KEYS) {
      const v = get(['deploy', 'autoscaling', key]);
      if (v !== undefined) settings[key] = v as number;
    }
    p.deploy.autoscaling = settings;
  }
  const monitoring = d('monitoring');
  if (typeof monitoring === 'boolean') p.deploy.monitoring = monitoring;
  else if (isObj(monitoring)) {
    // Label values are strings; a number or true/false is meant as its text. Keys and values are checked in validate-pipeline.ts.
    const labels: Record<string, string> = {};
    const raws = get(['deploy', 'monitoring', 'labels']);
    if (isObj(raws)) {
      for (const key of Object.keys(raws)) {
        const value = get(['deploy', 'monitoring', 'labels', key]) as string | number | boolean | undefined;
        if (value !== undefined) setOwn(labels, key, String(value));
      }
    }
    p.deploy.monitoring = { labels };
  }
}

/** o[k] = v, except that a key "__proto__" becomes a field (and so an unknown one) instead of the prototype. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function buildNode(i: number, get: (path: Path) => unknown): PipelineNode | null {
  const path = ['nodes', i];
  const raw = get(path);
  if (!isObj(raw)) return null;
  const idRaw = get([...path, 'id']);
  const id = typeof idRaw === 'string' ? idRaw : typeof idRaw === 'number' ? String(idRaw) : '';
  const kindRaw = get([...path, 'kind']);
  // A missing or empty kind is reported by validation, which the designer runs too.
  const kind = typeof kindRaw === 'string' ? kindRaw : '';
  const node: PipelineNode = { id, kind, params: {}, inputs: [] };
  setSourceIndex(node, i);
  // Every other key is a parameter of the kind, checked by validation against the kind's spec.
  for (const [k, v] of Object.entries(raw)) if (!NODE_KEYS.includes(k)) setOwn(node.params, k, v);
  const label = get([...path, 'label']);
  if (typeof label === 'string') node.label = label;
  const pos = get([...path, 'position']);
  if (isObj(pos)) node.position = { x: pos.x as number, y: pos.y as number };
  if (raw.input !== undefined) node.inputs = buildInputs([...path, 'input'], get);
  if (raw.samples !== undefined) node.samples = buildSamples([...path, 'samples'], get);
  return node;
}

function parseRef(ref: string): { from: string; fromPort: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { from: ref, fromPort: 'out' } : { from: ref.slice(0, dot), fromPort: ref.slice(dot + 1) };
}

function buildInputs(path: Path, get: (path: Path) => unknown): NodeInput[] {
  const refs = (p: Path, port: string): NodeInput[] => {
    const v = get(p);
    if (typeof v === 'string') return [{ port, ...parseRef(v) }];
    if (!Array.isArray(v)) return [];
    return v.flatMap((_, j) => {
      const item = get([...p, j]);
      return typeof item === 'string' ? [{ port, ...parseRef(item) }] : [];
    });
  };
  const raw = get(path);
  if (isObj(raw)) return Object.keys(raw).flatMap((port) => refs([...path, port], port));
  return refs(path, 'in');
}

function buildSamples(path: Path, get: (path: Path) => unknown): SampleEvent[] {
  const raw = get(path);
  if (!Array.isArray(raw)) return [];
  const out: SampleEvent[] = [];
  raw.forEach((_, j) => {
    const ev = get([...path, j]);
    if (!isObj(ev)) return;
    const s: SampleEvent = { value: ev.value };
    const key = get([...path, j, 'key']);
    if (key === null || typeof key === 'string') s.key = key;
    else if (typeof key === 'number') s.key = String(key);
    const timestamp = get([...path, j, 'timestamp']);
    if (typeof timestamp === 'number') s.timestamp = timestamp;
    else if (typeof timestamp === 'string' && !Number.isNaN(Date.parse(timestamp))) s.timestamp = Date.parse(timestamp);
    const headers = get([...path, j, 'headers']);
    if (isObj(headers)) s.headers = headers as Record<string, string>;
    out.push(s);
  });
  return out;
}

function buildTest(i: number, get: (path: Path) => unknown): PipelineTest | null {
  const path = ['tests', i];
  const raw = get(path);
  if (!isObj(raw)) return null;
  const name = get([...path, 'name']);
  const test: PipelineTest = { name: typeof name === 'string' ? name : `test ${i + 1}`, input: {}, expect: {} };
  for (const field of ['input', 'expect'] as const) {
    const v = get([...path, field]);
    if (!isObj(v)) continue;
    for (const id of Object.keys(v)) setOwn(test[field], id, buildSamples([...path, field, id], get));
  }
  const deadLetters = get([...path, 'deadLetters']);
  if (deadLetters !== undefined) test.deadLetters = deadLetters as number;
  const ignore = get([...path, 'ignore']);
  if (ignore !== undefined) test.ignore = ignore as string[];
  return test;
}
