/**
 * What tables (`table` sources) ask of the pipeline around them: their
 * changes, deletes among them, go only where they mean something (filter,
 * map, join, Kafka and log sinks); a join looks rows up in a table node of
 * its own partitions, so it needs the table itself on the port and both
 * sides co-partitioned; and a table's topic stays compacted.
 */
import { getKind } from '../runtime/kinds/registry.js';
import { problem, type Problem } from './errors.js';
import { nodePath, type Pipeline, type PipelineNode } from './pipeline.js';
import { nodePartitions } from './topics.js';
import { paramsOf } from './event-types.js';

/** Kinds that take a table's changes: deletes pass filters and maps by key, a join applies them, sinks write them. */
const TAKES_CHANGES = new Set(['filter', 'map', 'join', 'kafka-sink', 'log-sink']);
/** Kinds whose output is again a table's changes when their input is. */
const KEEPS_CHANGES = new Set(['filter', 'map']);

const isTable = (n: PipelineNode | undefined) => getKind(n?.kind ?? '')?.table === true;

/** Nodes whose `out` carries a table's changes: tables, filters and maps of them, and table–table joins. */
export function changeNodes(p: Pipeline): Set<string> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const changes = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const n of p.nodes) {
      if (changes.has(n.id)) continue;
      const port = (name: string) => n.inputs.find((i) => i.port === name);
      const of = (name: string) => {
        const i = port(name);
        return i !== undefined && i.fromPort === 'out' && changes.has(i.from);
      };
      const joinsTables = n.kind === 'join' && isTable(byId.get(port('in')?.from ?? '')) && isTable(byId.get(port('other')?.from ?? ''));
      if (isTable(n) || (KEEPS_CHANGES.has(n.kind) && of('in')) || joinsTables) {
        changes.add(n.id);
        grew = true;
      }
    }
  }
  return changes;
}

export function tableProblems(p: Pipeline): Problem[] {
  const problems: Problem[] = [];
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  if (!p.nodes.some((n) => isTable(n))) return problems;
  const changes = changeNodes(p);
  let parts: Map<string, number> | undefined;
  const partitionsOf = (id: string) => (parts ??= nodePartitions(p)).get(id) ?? 1;

  p.nodes.forEach((node, i) => {
    const kind = getKind(node.kind);
    if (!kind) return;
    const path = nodePath(node, i);
    const fromChanges = node.inputs.filter((input) => input.fromPort === 'out' && changes.has(input.from));
    const inputPath = (port: string) => (kind.inputs.length > 1 ? [...path, 'input', port] : [...path, 'input']);

    if (fromChanges.length > 0 && !TAKES_CHANGES.has(node.kind)) {
      problems.push(problem('PW110', { id: node.id, kind: node.kind, from: fromChanges[0].from }, inputPath(fromChanges[0].port), node.id));
    }
    if (node.kind === 'kafka-sink' && fromChanges.length > 0 && node.params.key !== undefined && node.params.key !== '') {
      problems.push(problem('PW116', { id: node.id }, [...path, 'key'], node.id));
    }
    if (node.kind !== 'join') return;

    const params = paramsOf(node, kind);
    const inInput = node.inputs.find((x) => x.port === 'in');
    const otherInput = node.inputs.find((x) => x.port === 'other');
    const leftTable = isTable(byId.get(inInput?.from ?? ''));
    const rightTable = isTable(byId.get(otherInput?.from ?? ''));
    if (params.mode === 'stream') {
      for (const input of fromChanges) problems.push(problem('PW115', { id: node.id, from: input.from }, inputPath(input.port), node.id));
      return;
    }
    // A table's changes reach the join other than straight from the table node: it has no rows to look up.
    for (const input of fromChanges) {
      if (isTable(byId.get(input.from)) && input.port === 'other') continue;
      if (isTable(byId.get(input.from)) && input.port === 'in' && rightTable) continue;
      problems.push(problem(input.port === 'in' ? 'PW112' : 'PW113', { id: node.id, from: input.from }, inputPath(input.port), node.id));
    }
    if (!rightTable) return;
    if (node.params.on !== undefined && node.params.on !== '')
      problems.push(problem('PW111', { id: node.id, table: otherInput!.from }, [...path, 'on'], node.id));
    if (inInput && byId.has(inInput.from)) {
      const left = partitionsOf(inInput.from);
      const right = partitionsOf(otherInput!.from);
      if (left !== right) {
        problems.push(
          problem(
            'PW114',
            {
              id: node.id,
              left: inInput.from,
              leftPartitions: left,
              right: otherInput!.from,
              rightPartitions: right,
              leftTable: leftTable ? 'table' : 'stream',
            },
            inputPath('in'),
            node.id,
          ),
        );
      }
    }
  });

  // One table node per topic: its rows are restored from that topic, partition by partition.
  const seen = new Map<string, string>();
  p.nodes.forEach((node, i) => {
    if (!isTable(node)) return;
    const topic = String(node.params.topic);
    const first = seen.get(topic);
    if (first === undefined) seen.set(topic, node.id);
    else problems.push(problem('PW117', { id: node.id, first, topic }, [...nodePath(node, i), 'topic'], node.id));
  });
  // A table's topic keeps the latest row per key; with delete, rows older than the retention would vanish.
  for (const [topic, id] of seen) {
    const cleanup = p.topics?.[topic]?.cleanup;
    if (cleanup !== undefined && cleanup !== 'compact') problems.push(problem('PW118', { topic, id, cleanup }, ['topics', topic, 'cleanup']));
  }
  return problems;
}
