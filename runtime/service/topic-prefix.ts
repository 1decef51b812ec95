/**
 * TOPIC_PREFIX: a trial run of the service (`pipewright dev`) writes to scratch topics while it
 * reads the real inputs. Every topic the pipeline writes (its sinks', its producing sources',
 * the dead-letter topic, and the changelog and repartition topics of its state) gets the prefix;
 * a topic it only reads keeps its name. A topic it writes and reads back is renamed on both ends.
 */
import type { GraphSpec } from '../engine/graph.js';
import { getKind } from '../kinds/registry.js';

/** The topics named in the spec that the pipeline writes (state topics aside: they follow `topicPrefix`). */
export function writtenTopics(spec: GraphSpec): Set<string> {
  const out = new Set<string>([spec.errors.topic]);
  for (const node of spec.nodes) {
    const kind = getKind(node.kind);
    if (!kind?.topicParam || kind.readsExternalTopic) continue;
    const topic = node.params[kind.topicParam];
    if (typeof topic === 'string' && topic !== '') out.add(topic);
  }
  return out;
}

/** The spec with every written topic under `prefix`; the same spec when the prefix is empty. */
export function prefixTopics(spec: GraphSpec, prefix: string): GraphSpec {
  if (prefix === '') return spec;
  const written = writtenTopics(spec);
  const rename = (t: string) => (written.has(t) ? prefix + t : t);
  return {
    ...spec,
    topicPrefix: prefix,
    errors: { ...spec.errors, topic: rename(spec.errors.topic) },
    nodes: spec.nodes.map((node) => {
      const param = getKind(node.kind)?.topicParam;
      const topic = param ? node.params[param] : undefined;
      return typeof topic === 'string' && written.has(topic) ? { ...node, params: { ...node.params, [param!]: rename(topic) } } : node;
    }),
  };
}

/**
 * The name a topic of the pipeline has under `prefix`: `internal` names the changelog and
 * repartition topics (`<pipeline>.<node>.changelog`), which are always the pipeline's own.
 */
export function prefixedTopicName(spec: GraphSpec, prefix: string, topic: string): string {
  if (prefix === '') return topic;
  const internal = topic.startsWith(`${spec.pipeline}.`) && /\.(changelog|repartition)$/.test(topic);
  return internal || writtenTopics(spec).has(topic) ? prefix + topic : topic;
}
