/**
 * What a pipeline means, checked on the Pipeline itself: the CLI runs it after
 * parsing, the designer on every edit. Each problem carries the path of what
 * it is about and the node id, so both can point at it.
 */
import { avroMismatch, AvroSchemaError } from '../runtime/kinds/avro.js';
import Ajv from 'ajv';
import { isRegistryFormat, keyFromText, partSchema, type RegistryFormat } from '../runtime/kinds/schema-registry.js';
import { protoMismatch } from '../runtime/kinds/proto.js';
import { getKind, kindNames } from '../runtime/kinds/registry.js';
import { ERROR_PORT, isMapping, outputPorts, withDefaults, type KindSpec, type ParamSpec, type PipelineFiles } from '../runtime/kinds/spec.js';
import { problem, suggest, type Problem } from './errors.js';
import { checkExpression, expressionText } from './expression.js';
import { checkConnectionSettings } from './connection.js';
import { deadLetterTopic, IGNORE_DEAD_LETTERS, minInsyncReplicasFor, nodePath, retentionMs, type Pipeline, type PipelineNode } from './pipeline.js';
import { changelogTopic, repartitionTopic } from '../runtime/engine/state.js';
import { isNodeId, isPipelineName, isPortName, isTopicName } from './names.js';
import { typeName } from './pipeline-ts.js';
import { externalTopics, inputPartitions, tableSinkNodes, topicDefs } from './topics.js';
import { paramsOf } from './event-types.js';
import { tableProblems } from './tables.js';
import { RENAMED_KINDS } from './migrate.js';

/** The type types.gen.ts declares for events of sources without samples (see typesGenTs). */
const UNKNOWN_EVENT = 'UnknownEvent';

/**
 * `files` are the pipeline's files (models) by path relative to its folder;
 * when given, kinds check that the files they name exist and load.
 */
export function validatePipeline(p: Pipeline, files?: PipelineFiles): Problem[] {
  const problems: Problem[] = [];
  if (p.name === '') problems.push(problem('PW005', { field: 'pipeline', where: 'the pipeline', example: 'orders-enricher' }, ['pipeline']));
  else if (!isPipelineName(p.name)) problems.push(problem('PW010', { name: p.name }, ['pipeline']));
  if (p.errors.topic !== undefined && !isTopicName(p.errors.topic)) {
    problems.push(problem('PW017', { topic: p.errors.topic }, ['errors', 'topic']));
  }

  const byId = checkNodes(p, files, problems);
  problems.push(...checkTypeNames(p, byId));
  problems.push(...checkWiring(p, byId));
  problems.push(...checkSelfConsumption(p));
  problems.push(...checkReplicas(p));
  problems.push(...checkDeploy(p, problems));
  problems.push(...checkMonitoring(p));
  problems.push(...checkIngestPaths(p));
  problems.push(...checkTopics(p));
  problems.push(...tableProblems(p));
  problems.push(...checkConnectionSettings(p));
  problems.push(...checkTests(p, byId));
  return problems;
}

/**
 * Each node on its own: its id, its kind, its params and samples. Adds the problems to
 * `problems` and returns the nodes by id (the first of each valid id).
 */
function checkNodes(p: Pipeline, files: PipelineFiles | undefined, problems: Problem[]): Map<string, PipelineNode> {
  const byId = new Map<string, PipelineNode>();
  p.nodes.forEach((node, i) => {
    const path = nodePath(node, i);
    const nodeId = node.id || undefined;
    if (node.id) {
      if (!isNodeId(node.id)) problems.push(problem('PW011', { id: node.id }, [...path, 'id'], nodeId));
      else if (byId.has(node.id)) problems.push(problem('PW012', { id: node.id }, [...path, 'id'], nodeId));
      else byId.set(node.id, node);
    }
    if (!node.kind) {
      // Without a kind nothing else about the node can be checked, and nothing can be generated.
      problems.push(problem('PW005', { field: 'kind', where: `node "${node.id}"`, example: 'filter' }, path, nodeId));
      return;
    }
    const kind = getKind(node.kind);
    if (!kind) {
      problems.push(
        problem(
          'PW013',
          { kind: node.kind, suggestion: RENAMED_KINDS.get(node.kind) ?? suggest(node.kind, kindNames()) ?? '', known: kindNames().join(', ') },
          [...path, 'kind'],
          nodeId,
        ),
      );
      return;
    }
    problems.push(...checkParams(node, kind, path, files));
    problems.push(...checkSamplesAgainstSchema(node, kind, path, files));
  });
  return byId;
}

/** Each node's events get a TypeScript type named after its id; two ids must not give one name. */
function checkTypeNames(p: Pipeline, byId: ReadonlyMap<string, PipelineNode>): Problem[] {
  const problems: Problem[] = [];
  const typeOwners = new Map<string, string>([[UNKNOWN_EVENT, 'the type of events from sources without samples']]);
  p.nodes.forEach((node, i) => {
    if (byId.get(node.id) !== node) return;
    const type = typeName(node.id);
    const owner = typeOwners.get(type);
    if (owner === undefined) typeOwners.set(type, `the type name of node "${node.id}"`);
    else problems.push(problem('PW009', { id: node.id, type, other: owner }, [...nodePath(node, i), 'id'], node.id));
  });
  return problems;
}

/** The wiring: each input names a node and port that exist, there is a source, no cycle, and every output is read. */
function checkWiring(p: Pipeline, byId: ReadonlyMap<string, PipelineNode>): Problem[] {
  const problems: Problem[] = [];
  let sources = 0;
  const consumed = new Set<string>();
  p.nodes.forEach((node, i) => {
    const kind = getKind(node.kind);
    if (!kind) return;
    const path = [...nodePath(node, i), 'input'];
    const nodeId = node.id || undefined;
    if (kind.category === 'source') {
      sources++;
      if (node.inputs.length > 0) problems.push(problem('PW023', { kind: kind.kind }, path, nodeId));
      return;
    }
    if (node.inputs.length === 0 && kind.inputs.length > 0) {
      const example = p.nodes.find((n) => n !== node && getKind(n.kind)?.outputs.length)?.id ?? 'orders';
      problems.push(problem('PW022', { id: node.id, kind: kind.kind, example }, nodePath(node, i), nodeId));
    }
    problems.push(...checkInputs(node, kind, path, byId, consumed));
  });
  if (sources === 0) problems.push(problem('PW027', {}, ['nodes']));

  const cycle = findCycle(p.nodes);
  if (cycle) {
    const i = p.nodes.findIndex((n) => n.id === cycle[0]);
    problems.push(problem('PW025', { cycle: [...cycle, cycle[0]].join(' → ') }, [...nodePath(p.nodes[i], i), 'input'], cycle[0]));
  }

  p.nodes.forEach((node, i) => {
    const kind = getKind(node.kind);
    const ports = kind ? outputPorts(kind, node.params) : [];
    if (ports.length === 0 || !byId.has(node.id)) return;
    if (!ports.some((port) => consumed.has(`${node.id}.${port}`))) {
      problems.push(problem('PW028', { id: node.id }, nodePath(node, i), node.id));
    }
  });
  return problems;
}

/** One node's inputs against the ports of its kind and of the nodes they read; adds each port read to `consumed` ("node.port"). */
function checkInputs(node: PipelineNode, kind: KindSpec, path: (string | number)[], byId: ReadonlyMap<string, PipelineNode>, consumed: Set<string>): Problem[] {
  const problems: Problem[] = [];
  const nodeId = node.id || undefined;
  for (const input of node.inputs) {
    const inPath = kind.inputs.length > 1 ? [...path, input.port] : path;
    if (!kind.inputs.includes(input.port)) {
      problems.push(problem('PW024', { id: node.id, port: input.port, kind: kind.kind, ports: kind.inputs.join(', ') || 'none' }, inPath, nodeId));
    }
    if (input.from === node.id) {
      problems.push(problem('PW026', { id: node.id }, inPath, nodeId));
      continue;
    }
    const from = byId.get(input.from);
    if (!from) {
      problems.push(problem('PW020', { id: node.id, from: input.from, suggestion: suggest(input.from, [...byId.keys()]) ?? '' }, inPath, nodeId));
      continue;
    }
    const fromKind = getKind(from.kind);
    if (!fromKind) continue;
    const ports = [...outputPorts(fromKind, from.params), ERROR_PORT];
    if (!ports.includes(input.fromPort)) {
      problems.push(problem('PW021', { id: node.id, from: input.from, port: input.fromPort, ports: ports.join(', ') }, inPath, nodeId));
      continue;
    }
    consumed.add(`${input.from}.${input.fromPort}`);
  }
  return problems;
}

/** A service that consumes its own output never ends: no sink (nor the dead letters) may write a topic a source reads. */
function checkSelfConsumption(p: Pipeline): Problem[] {
  const problems: Problem[] = [];
  const read = new Set<string>();
  for (const node of p.nodes) {
    const kind = getKind(node.kind);
    if (kind?.category === 'source' && kind.topicParam) read.add(String(node.params[kind.topicParam]));
  }
  p.nodes.forEach((node, i) => {
    const kind = getKind(node.kind);
    if (kind?.category === 'sink' && kind.topicParam && read.has(String(node.params[kind.topicParam]))) {
      problems.push(problem('PW029', { topic: String(node.params[kind.topicParam]) }, [...nodePath(node, i), kind.topicParam], node.id));
    }
  });
  if (read.has(deadLetterTopic(p))) problems.push(problem('PW029', { topic: deadLetterTopic(p) }, ['errors', 'topic']));
  return problems;
}

/** More replicas than the sources' most partitions leaves some idle. */
function checkReplicas(p: Pipeline): Problem[] {
  if (p.deploy.replicas === undefined) return [];
  let partitions = 0;
  for (const node of p.nodes) {
    const kind = getKind(node.kind);
    if (kind?.category !== 'source') continue;
    const n = withDefaults(kind, node.params).partitions;
    if (typeof n === 'number') partitions = Math.max(partitions, n);
  }
  if (partitions > 0 && p.deploy.replicas > partitions) {
    return [problem('PW042', { replicas: p.deploy.replicas, partitions }, ['deploy', 'replicas'])];
  }
  return [];
}

/** One service, one HTTP port: two ingest endpoints cannot share a path. */
function checkIngestPaths(p: Pipeline): Problem[] {
  const problems: Problem[] = [];
  const paths = new Map<string, string>();
  p.nodes.forEach((node, i) => {
    if (node.kind !== 'http-ingest') return;
    const path = String(withDefaults(getKind(node.kind)!, node.params).path);
    const first = paths.get(path);
    if (first === undefined) paths.set(path, node.id);
    else problems.push(problem('PW147', { first, second: node.id, path }, [...nodePath(node, i), 'path'], node.id));
  });
  return problems;
}

/** The deployment settings against the pipeline: KEDA's bounds against the partitions, the image tag. */
function checkDeploy(p: Pipeline, found: readonly Problem[]): Problem[] {
  const problems: Problem[] = [];
  const { autoscaling, replicas, image, standbyReplicas } = p.deploy;
  if (image !== undefined && /:latest(@|$)/.test(image.slice(image.lastIndexOf('/') + 1))) problems.push(problem('PW063', { image }, ['deploy', 'image']));
  // Standby copies: of state only, and each on a replica other than the owner. The partitions are known only without errors.
  if (standbyReplicas && !found.some((x) => x.severity === 'error')) {
    const stateful = p.nodes.some((n) => {
      const kind = getKind(n.kind);
      return (kind?.stateful?.(paramsOf(n, kind)) ?? false) || kind?.table === true;
    });
    if (!stateful) problems.push(problem('PW046', {}, ['deploy', 'standbyReplicas']));
    else {
      const partitions = inputPartitions(p);
      const most = autoscaling === 'none' ? Math.min(replicas ?? partitions, partitions) : Math.min(autoscaling?.maxReplicaCount ?? partitions, partitions);
      if (standbyReplicas >= most) problems.push(problem('PW045', { standbys: standbyReplicas, replicas: most }, ['deploy', 'standbyReplicas']));
    }
  }
  if (autoscaling === 'none') return problems;
  if (replicas !== undefined) problems.push(problem('PW062', { replicas }, ['deploy', 'replicas']));
  const { minReplicaCount: min, maxReplicaCount: max } = autoscaling ?? {};
  if (min !== undefined && max !== undefined && min > max) problems.push(problem('PW061', { min, max }, ['deploy', 'autoscaling', 'minReplicaCount']));
  // The partitions of the group's topics are known only for a pipeline without errors.
  if (max !== undefined && !found.some((x) => x.severity === 'error')) {
    const partitions = inputPartitions(p);
    if (max > partitions) problems.push(problem('PW060', { max, partitions }, ['deploy', 'autoscaling', 'maxReplicaCount']));
  }
  return problems;
}

/** Label keys: an optional DNS subdomain prefix and "/", then a name (Kubernetes' qualified name). */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** Labels kustomization.yaml sets on every object: a label of the same key would be overwritten. */
const OWN_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by'];

/** deploy.monitoring.labels: Kubernetes label keys and values, and none that Pipewright sets itself. */
function checkMonitoring(p: Pipeline): Problem[] {
  const m = p.deploy.monitoring;
  if (typeof m !== 'object') return [];
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(m.labels)) {
    const at = ['deploy', 'monitoring', 'labels', key];
    const slash = key.lastIndexOf('/');
    if (!LABEL_KEY.test(key) || slash > 253) problems.push(problem('PW090', { key }, at));
    else if (OWN_LABELS.includes(key)) problems.push(problem('PW092', { key }, at));
    else if (!LABEL_VALUE.test(value)) problems.push(problem('PW091', { key, value: JSON.stringify(value) }, at));
  }
  return problems;
}

/** kafka.minInsyncReplicas, kafka.strimziCluster and the settings under topics. */
function checkTopics(p: Pipeline): Problem[] {
  const problems: Problem[] = [];
  const rf = p.kafka.replicationFactor;
  const min = p.kafka.minInsyncReplicas;
  const recommended = minInsyncReplicasFor(rf);
  if (min !== undefined && min > rf) problems.push(problem('PW076', { min, rf, recommended }, ['kafka', 'minInsyncReplicas']));
  else if (min !== undefined && min === rf && rf > 1) problems.push(problem('PW077', { rf, recommended }, ['kafka', 'minInsyncReplicas']));
  const cluster = p.kafka.strimziCluster;
  if (cluster !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(cluster))
    problems.push(problem('PW039', { name: cluster }, ['kafka', 'strimziCluster']));
  if (!p.topics) return problems;

  const defs = new Map(topicDefs(p).map((t) => [t.name, t]));
  const external = externalTopics(p);
  // Who writes each topic, and which node's state each changelog holds.
  const written = new Map<string, string>();
  const state = new Map<string, string>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (!kind) continue;
    if (kind.topicParam && !kind.readsExternalTopic) written.set(String(n.params[kind.topicParam]), `writes it (node "${n.id}")`);
    if (kind.repartitions) written.set(repartitionTopic(p.name, n.id), `re-keys through it (node "${n.id}")`);
    if (kind.stateful?.(withDefaults(kind, n.params))) {
      written.set(changelogTopic(p.name, n.id), `keeps the state of node "${n.id}" in it`);
      state.set(changelogTopic(p.name, n.id), n.id);
    }
  }
  written.set(deadLetterTopic(p), 'writes its dead letters to it');
  // Topics that hold a table (an aggregate's results): by topic, the node whose results they are.
  const tableOf = new Map<string, string>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const [sink, from] of tableSinkNodes(p)) {
    const n = byId.get(sink)!;
    tableOf.set(String(n.params[getKind(n.kind)!.topicParam!]), from);
  }
  for (const [topic, t] of Object.entries(p.topics)) {
    const path = ['topics', topic];
    if (!defs.has(topic)) {
      const known = [...defs.keys()];
      problems.push(problem('PW071', { topic, suggestion: suggest(topic, known) ?? '', known: known.join(', ') }, path));
      continue;
    }
    if (t.external === true && written.has(topic)) problems.push(problem('PW072', { topic, why: written.get(topic)! }, [...path, 'external']));
    if (external.has(topic)) {
      for (const field of ['retention', 'cleanup'] as const) if (t[field] !== undefined) problems.push(problem('PW073', { topic, field }, [...path, field]));
      continue;
    }
    if (t.retention !== undefined && retentionMs(t.retention) === undefined)
      problems.push(problem('PW074', { topic, value: t.retention }, [...path, 'retention']));
    if (t.cleanup !== undefined && t.cleanup !== 'compact' && state.has(topic))
      problems.push(problem('PW075', { topic, id: state.get(topic)!, cleanup: t.cleanup }, [...path, 'cleanup']));
    else if (t.cleanup === 'delete' && tableOf.has(topic))
      problems.push(problem('PW103', { topic, id: tableOf.get(topic)!, cleanup: t.cleanup }, [...path, 'cleanup']));
  }
  return problems;
}

function checkParams(node: PipelineNode, kind: KindSpec, path: (string | number)[], files?: PipelineFiles): Problem[] {
  const problems: Problem[] = [];
  const nodeId = node.id || undefined;
  const names = kind.params.map((s) => s.name);
  for (const name of Object.keys(node.params)) {
    if (!names.includes(name)) {
      const hint = suggest(name, names);
      problems.push(
        problem(
          'PW014',
          { param: name, kind: kind.kind, known: (hint ? `${hint} (did you mean it?), ` : '') + names.filter((n) => n !== hint).join(', ') },
          [...path, name],
          nodeId,
        ),
      );
    }
  }
  for (const spec of kind.params) {
    const value = node.params[spec.name];
    const at = [...path, spec.name];
    if (value === undefined || value === null || (spec.type === 'expression' && value === '' && !spec.required)) {
      if (spec.required) problems.push(problem('PW016', { param: spec.name, kind: kind.kind, example: spec.placeholder ?? '…' }, at, nodeId));
      continue;
    }
    const bad = checkParamValue(spec, value);
    if (bad) problems.push(problem('PW015', { param: spec.name, kind: kind.kind, expected: bad.expected, fix: bad.fix }, at, nodeId));
    else if (spec.type === 'topic' && typeof value === 'string' && !isTopicName(value)) problems.push(problem('PW017', { topic: value }, at, nodeId));
    else if (spec.type === 'expression') {
      const check = checkExpression(expressionText(value)!, spec.placeholder);
      if (!check.ok && check.problem) problems.push({ ...check.problem, path: at, nodeId });
    } else if (spec.type === 'expressions') {
      for (const [name, text] of Object.entries(value as Record<string, unknown>)) {
        if (!isPortName(name)) problems.push(problem('PW019', { name, param: spec.name }, [...at, name], nodeId));
        const check = checkExpression(expressionText(text)!, spec.placeholder);
        if (!check.ok && check.problem) problems.push({ ...check.problem, path: [...at, name], nodeId });
      }
    }
  }
  const hasErrors = problems.length > 0;
  // The kind's own checks see parameters that passed the checks above, with defaults filled in.
  if (kind.validate && !hasErrors) {
    for (const kp of kind.validate(withDefaults(kind, node.params), { files }))
      problems.push(problem(kp.code, { message: kp.message, hint: kp.hint }, [...path, kp.param], nodeId));
  }
  return problems;
}

/**
 * Each sample of a source in a Schema Registry format (its schema inline or in its file) must fit its schema,
 * and its key the key schema: the topic's events are read with them.
 */
function checkSamplesAgainstSchema(node: PipelineNode, kind: KindSpec, path: (string | number)[], files?: PipelineFiles): Problem[] {
  const params = withDefaults(kind, node.params);
  if (kind.category !== 'source' || !node.samples?.length) return [];
  const problems: Problem[] = [];
  const schema = isRegistryFormat(params.format) ? partSchema(params, 'value', files) : undefined;
  const keySchema = isRegistryFormat(params.keyFormat) ? partSchema(params, 'key', files) : undefined;
  const report = (format: RegistryFormat, j: number, part: 'value' | 'key', detail: string | undefined) => {
    if (detail)
      problems.push(problem('PW119', { id: node.id, index: j + 1, detail, schema: SCHEMA_WORDS[format] }, [...path, 'samples', j, part], node.id || undefined));
  };
  node.samples.forEach((sample, j) => {
    try {
      if (schema !== undefined && schema !== null && !(sample.value === null && kind.table)) {
        report(params.format as RegistryFormat, j, 'value', schemaMismatch(params.format as RegistryFormat, schema, sample.value));
      }
      if (keySchema !== undefined && keySchema !== null) {
        const key = sample.key ?? null;
        report(params.keyFormat as RegistryFormat, j, 'key', keyMismatch(params.keyFormat as RegistryFormat, keySchema, key === null ? null : String(key)));
      }
    } catch (e) {
      // A schema that is not valid is reported once, by the kind's own check (PW134).
      if (!(e instanceof AvroSchemaError)) throw e;
    }
  });
  return problems;
}

const SCHEMA_WORDS: Record<RegistryFormat, string> = { avro: 'Avro', 'json-schema': 'JSON Schema', protobuf: 'Protobuf' };

/** Where a value breaks a schema of a Schema Registry format, or undefined when it fits. */
function schemaMismatch(format: RegistryFormat, schema: unknown, value: unknown): string | undefined {
  if (format === 'avro') return avroMismatch(schema, value);
  if (format === 'protobuf') return typeof schema === 'string' ? protoMismatch(schema, value) : undefined;
  return jsonSchemaMismatch(schema, value);
}

/** Where a sample's key breaks its key schema, or undefined when it fits. */
function keyMismatch(format: RegistryFormat, keySchema: unknown, key: string | null): string | undefined {
  if (key === null) return 'it has no key, and the key schema needs one';
  let decoded: unknown;
  try {
    decoded = keyFromText(format, keySchema, key);
  } catch (e) {
    return (e as Error).message;
  }
  const detail = schemaMismatch(format, keySchema, decoded);
  return detail && (detail.startsWith('(event)') ? detail.replace('(event)', 'the key') : `the key's ${detail}`);
}

let ajv: Ajv | undefined;
const jsonValidators = new WeakMap<object, ReturnType<Ajv['compile']>>();

/**
 * Where a value first breaks a JSON Schema, as "(event)" or the path of the field (`lines.0.qty`) and what
 * is wrong, or undefined when it fits. A schema ajv cannot compile is not the sample's fault: undefined.
 */
export function jsonSchemaMismatch(schema: unknown, value: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  let validate = jsonValidators.get(schema);
  if (!validate) {
    try {
      validate = (ajv ??= new Ajv({ allErrors: false, strict: false })).compile(schema);
    } catch {
      return undefined;
    }
    jsonValidators.set(schema, validate);
  }
  if (validate(value)) return undefined;
  const first = validate.errors?.[0];
  if (!first) return '(event) does not fit';
  const missing = first.keyword === 'required' ? (first.params as { missingProperty?: string }).missingProperty : undefined;
  const at = first.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (missing !== undefined) return `${[...at, missing].join('.')} is missing (the schema requires it)`;
  return `${at.length ? at.join('.') : '(event)'} ${first.message ?? 'does not fit'}`;
}

function checkParamValue(spec: ParamSpec, v: unknown): { expected: string; fix: string } | undefined {
  switch (spec.type) {
    case 'string':
    case 'topic':
      return typeof v === 'string' ? undefined : { expected: 'text', fix: `Quote the value, e.g. ${spec.name}: "${String(v)}".` };
    case 'boolean':
      return typeof v === 'boolean' ? undefined : { expected: 'true or false', fix: `Write ${spec.name}: true or ${spec.name}: false.` };
    case 'integer': {
      const ok = Number.isInteger(v) && (spec.min === undefined || (v as number) >= spec.min) && (spec.max === undefined || (v as number) <= spec.max);
      return ok
        ? undefined
        : { expected: `a whole number from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}`, fix: `Write e.g. ${spec.name}: ${spec.default ?? spec.min ?? 1}.` };
    }
    case 'enum':
      return spec.enum?.includes(v as string)
        ? undefined
        : { expected: `one of ${spec.enum?.join(', ')}`, fix: `Write e.g. ${spec.name}: ${spec.default ?? spec.enum?.[0]}.` };
    case 'expression':
      return expressionText(v) !== undefined ? undefined : { expected: 'an expression (text)', fix: `Write e.g. ${spec.name}: ${spec.placeholder ?? 'value'}` };
    case 'expressions': {
      const ok = isMapping(v) && Object.values(v).every((x) => expressionText(x) !== undefined);
      return ok
        ? undefined
        : { expected: 'a mapping from names to expressions', fix: `Write e.g. ${spec.name}: { ${spec.placeholder ?? 'big: value.amount > 100'} }` };
    }
    case 'list': {
      const ok = Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
      return ok ? undefined : { expected: 'a list of names', fix: `Write e.g. ${spec.name}: [${spec.placeholder ?? 'id'}]` };
    }
    case 'json':
      if (isMapping(v) || (spec.text && typeof v === 'string')) return undefined;
      return { expected: spec.text ? 'a mapping or text' : 'a mapping', fix: `Write e.g. ${spec.name}: { ${spec.placeholder ?? '…'} }` };
  }
}

/** A cycle as node ids, or undefined. Depth-first, following inputs. */
function findCycle(nodes: readonly PipelineNode[]): string[] | undefined {
  const inputs = new Map(nodes.map((n) => [n.id, n.inputs.map((i) => i.from).filter((f) => f !== n.id)]));
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 2) return undefined;
    if (state.get(id) === 1) return stack.slice(stack.indexOf(id)).reverse();
    if (!inputs.has(id)) return undefined;
    state.set(id, 1);
    stack.push(id);
    for (const from of inputs.get(id)!) {
      const found = visit(from);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const n of nodes) {
    const found = visit(n.id);
    if (found) return found;
  }
  return undefined;
}

function checkTests(p: Pipeline, byId: Map<string, PipelineNode>): Problem[] {
  const problems: Problem[] = [];
  const ids = (category: string) => [...byId.values()].filter((n) => getKind(n.kind)?.category === category).map((n) => n.id);
  p.tests.forEach((t, i) => {
    for (const [field, role] of [
      ['input', 'source'],
      ['expect', 'sink'],
    ] as const) {
      const known = ids(role);
      for (const id of Object.keys(t[field])) {
        if (!known.includes(id)) problems.push(problem('PW040', { test: t.name, id, role, known: known.join(', ') || 'none yet' }, ['tests', i, field, id]));
      }
    }
    problems.push(...ignoreProblems(p, t, i, ids('sink'), byId));
  });
  return problems;
}

/** A test's `ignore`: known sinks or dead-letters, nothing it also checks, and no topic half ignored. */
function ignoreProblems(p: Pipeline, t: Pipeline['tests'][number], i: number, sinks: string[], byId: Map<string, PipelineNode>): Problem[] {
  const problems: Problem[] = [];
  const ignored = new Set(t.ignore ?? []);
  const topicOf = (id: string) => {
    const n = byId.get(id)!;
    const param = getKind(n.kind)!.topicParam;
    return param ? String(n.params[param]) : undefined;
  };
  (t.ignore ?? []).forEach((id, j) => {
    const path = ['tests', i, 'ignore', j];
    if (id === IGNORE_DEAD_LETTERS) {
      if (t.deadLetters !== undefined) problems.push(problem('PW048', { test: t.name, what: 'states deadLetters' }, path));
    } else if (!sinks.includes(id)) {
      problems.push(
        problem('PW047', { test: t.name, id, suggestion: suggest(id, [...sinks, IGNORE_DEAD_LETTERS]) ?? '', known: sinks.join(', ') || 'none yet' }, path),
      );
    } else if (Object.hasOwn(t.expect, id)) {
      problems.push(problem('PW048', { test: t.name, what: `expects sink "${id}"` }, path));
    } else {
      const topic = topicOf(id);
      const other = topic === undefined ? undefined : sinks.find((s) => !ignored.has(s) && topicOf(s) === topic);
      if (other) problems.push(problem('PW049', { test: t.name, id, other, topic: topic! }, path));
    }
  });
  return problems;
}
