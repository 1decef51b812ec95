/**
 * The topics a pipeline implies: every topic it reads or writes with its partitions and settings
 * (`topicDefs`), those that belong to someone else (`externalTopics`), the ones its consumer group
 * reads (`groupTopics`, `consumedTopics`), and the partitions of the stream each node works on.
 * Validation, the simulator, the tests and the generator's plan (plan.ts) all read them from here.
 */
import { changelogTopic, repartitionTopic } from '../runtime/engine/state.js';
import type { GraphSpec } from '../runtime/engine/graph.js';
import { kafkaSource } from '../runtime/kinds/kafka-source.js';
import { getKind } from '../runtime/kinds/registry.js';
import { ERROR_PORT, withDefaults } from '../runtime/kinds/spec.js';
import type { TopicDef } from '../runtime/types.js';
import { paramsOf } from './event-types.js';
import { graphSpec, topo } from './graph-spec.js';
import { deadLetterTopic, minInsyncReplicasFor, retentionMs, type Pipeline } from './pipeline.js';

/** Every topic the pipeline reads or writes (its sources' and sinks', repartition and changelog topics, dead letters), settings settled. */
export function topicDefs(p: Pipeline): TopicDef[] {
  const topics = new Map<string, TopicDef>();
  const add = (name: string, partitions: number, config: Record<string, string> = {}) => {
    const prev = topics.get(name);
    topics.set(name, {
      name,
      partitions: Math.max(prev?.partitions ?? 0, partitions),
      replicationFactor: p.kafka.replicationFactor,
      config: { ...prev?.config, ...config },
    });
  };
  const tables = tableSources(p);
  const tableSinks = new Set(tableSinkNodes(p).keys());
  const external = externalTopics(p);
  const tableTopics = new Set(p.nodes.filter((n) => getKind(n.kind)?.table).map((n) => String(n.params.topic)));
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (!kind?.topicParam) continue;
    // Every kind with a topic declares how many partitions it has.
    const partitions = Number(paramsOf(n, kind).partitions);
    // A table, a table to join with, and a sink of a table (an aggregate's results) keep the latest row per key.
    add(String(n.params[kind.topicParam]), partitions, tables.has(n.id) || kind.table || tableSinks.has(n.id) ? { 'cleanup.policy': 'compact' } : {});
  }
  // Internal topics: as many partitions as the stream the node works on, so partition n's state is in partition n.
  const parts = nodePartitions(p);
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (!kind) continue;
    if (kind.repartitions) add(repartitionTopic(p.name, n.id), parts.get(n.id) ?? 1);
    if (kind.stateful?.(paramsOf(n, kind))) add(changelogTopic(p.name, n.id), parts.get(n.id) ?? 1, { 'cleanup.policy': 'compact' });
  }
  add(deadLetterTopic(p), 1);
  const minIsr = String(p.kafka.minInsyncReplicas ?? minInsyncReplicasFor(p.kafka.replicationFactor));
  return [...topics.values()].map((t) => {
    // Someone else's topic: its settings are theirs, but a table's topic is expected compacted.
    if (external.has(t.name))
      return {
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        config: tableTopics.has(t.name) ? { 'cleanup.policy': 'compact' } : {},
        external: true,
      };
    const settings = p.topics?.[t.name] ?? {};
    const config: Record<string, string> = { ...t.config, 'min.insync.replicas': minIsr };
    if (settings.cleanup !== undefined) config['cleanup.policy'] = settings.cleanup;
    const ms = settings.retention === undefined ? undefined : retentionMs(settings.retention);
    if (ms !== undefined) config['retention.ms'] = String(ms);
    return { ...t, config: Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b))) };
  });
}

/**
 * Topics the pipeline reads but does not own: those of sources that read others' topics
 * (kafka-source), unless pipeline.yaml says `external: false` for them.
 */
export function externalTopics(p: Pipeline): Set<string> {
  const out = new Set<string>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (!kind?.topicParam || !kind.readsExternalTopic) continue;
    const topic = String(n.params[kind.topicParam]);
    if (p.topics?.[topic]?.external !== false) out.add(topic);
  }
  return out;
}

/** Kafka sinks whose every input is a table (the latest result per key, as an aggregate emits it), by node id, with the node that feeds each. */
export function tableSinkNodes(p: Pipeline): Map<string, string> {
  const kinds = new Map(p.nodes.map((n) => [n.id, getKind(n.kind)]));
  const out = new Map<string, string>();
  for (const n of p.nodes) {
    const kind = kinds.get(n.id);
    if (kind?.category !== 'sink' || !kind.topicParam || n.inputs.length === 0) continue;
    if (n.inputs.every((i) => i.fromPort !== ERROR_PORT && kinds.get(i.from)?.tableOutput)) out.set(n.id, n.inputs[0].from);
  }
  return out;
}

/** Source nodes that feed only tables (join inputs every replica reads in full). */
function tableSources(p: Pipeline): Set<string> {
  const uses = new Map<string, boolean[]>();
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (!kind) continue;
    const global = kind.globalInputs?.(paramsOf(n, kind)) ?? [];
    for (const i of n.inputs) uses.set(i.from, [...(uses.get(i.from) ?? []), global.includes(i.port)]);
  }
  return new Set(
    [...uses]
      .filter(([id, u]) => {
        const kind = getKind(p.nodes.find((n) => n.id === id)?.kind ?? '');
        // A table node is never global: the group reads it, partition by partition.
        return u.every(Boolean) && kind?.category === 'source' && !kind.table;
      })
      .map(([id]) => id),
  );
}

/**
 * Partitions of the stream each node works on: its source topic's, the
 * repartition topic's after a select-key (its `partitions`, or its input's),
 * and otherwise the most of its inputs, tables left out.
 */
export function nodePartitions(p: Pipeline): Map<string, number> {
  const parts = new Map<string, number>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const id of topo(p.nodes)) {
    const n = byId.get(id)!;
    const kind = getKind(n.kind);
    if (!kind) continue;
    const params = paramsOf(n, kind);
    if (kind.category === 'source') {
      parts.set(id, (params.partitions as number | undefined) ?? 1);
      continue;
    }
    const global = kind.globalInputs?.(params) ?? [];
    let max = 0;
    for (const i of n.inputs) if (!global.includes(i.port)) max = Math.max(max, parts.get(i.from) ?? 1);
    parts.set(id, kind.repartitions && typeof params.partitions === 'number' ? params.partitions : max || 1);
  }
  return parts;
}

/**
 * Partitions of the topics the service consumes: the default replica count. `topics` and
 * `group` are the pipeline's own `topicDefs` and `groupTopics`, when the caller has them.
 */
export function inputPartitions(p: Pipeline, topics: readonly TopicDef[] = topicDefs(p), group: readonly string[] = groupTopics(p)): number {
  const defs = new Map(topics.map((t) => [t.name, t.partitions]));
  return Math.max(1, ...group.map((t) => defs.get(t) ?? 1));
}

/** Whether a new consumer group starts at the earliest offset: unless a kafka-source says `start: latest`. */
export function fromBeginning(p: Pipeline): boolean {
  return p.nodes.every((n) => n.kind !== 'kafka-source' || withDefaults(kafkaSource, n.params).start === 'earliest');
}

/**
 * Every topic the service's consumer group reads: the group's source topics (`group`, the
 * pipeline's `groupTopics`), then the repartition topics it reads back.
 */
export function consumedTopics(p: Pipeline, group: readonly string[] = groupTopics(p)): string[] {
  const repartitions = p.nodes.filter((n) => getKind(n.kind)?.repartitions).map((n) => repartitionTopic(p.name, n.id));
  return [...group, ...repartitions.filter((t) => !group.includes(t))];
}

/**
 * Topics the service's consumer group reads: those of sources that feed a
 * node, less tables that every replica reads in full outside the group (a
 * join's table). The autoscaler watches the group's lag on exactly these.
 * `spec` is the pipeline's graph spec, when the caller has it.
 */
export function groupTopics(p: Pipeline, spec: GraphSpec = graphSpec(p)): string[] {
  const params = new Map(spec.nodes.map((n) => [n.id, n.params]));
  const topics: string[] = [];
  for (const source of p.nodes) {
    const kind = getKind(source.kind);
    if (kind?.category !== 'source' || !kind.topicParam) continue;
    const feeds = p.nodes.flatMap((n) => n.inputs.filter((i) => i.from === source.id && i.fromPort !== ERROR_PORT).map((i) => ({ node: n, port: i.port })));
    // A table is read by the group whatever reads it: its rows are kept per partition.
    const inGroup =
      (kind.table && feeds.length > 0) ||
      feeds.some(
        ({ node, port }) =>
          !getKind(node.kind)
            ?.globalInputs?.(params.get(node.id) ?? {})
            .includes(port),
      );
    const topic = String(source.params[kind.topicParam]);
    if (inGroup && !topics.includes(topic)) topics.push(topic);
  }
  return topics;
}
