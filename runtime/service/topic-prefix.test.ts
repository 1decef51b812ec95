import { describe, expect, it } from 'vitest';
import { Graph, type GraphSpec } from '../engine/graph.js';
import { prefixedTopicName, prefixTopics } from './topic-prefix.js';

// Reads `orders` (someone else's) and `loop` (its own, written by `back`), writes `large` and `loop`;
// `rekey` keeps state and repartitions.
const spec: GraphSpec = {
  pipeline: 'p',
  errors: { policy: 'dead-letter', topic: 'p.dead-letter' },
  nodes: [
    { id: 'src', kind: 'kafka-source', params: { topic: 'orders', format: 'json' }, inputs: [] },
    { id: 'again', kind: 'kafka-source', params: { topic: 'loop', format: 'json' }, inputs: [] },
    { id: 'rekey', kind: 'select-key', params: { key: 'value.id' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
    { id: 'out', kind: 'kafka-sink', params: { topic: 'large', format: 'json' }, inputs: [{ port: 'in', from: 'rekey', fromPort: 'out' }] },
    { id: 'back', kind: 'kafka-sink', params: { topic: 'loop', format: 'json' }, inputs: [{ port: 'in', from: 'again', fromPort: 'out' }] },
  ],
};
const fns = { rekey: { key: (v: { id: string }) => v.id } };
const topicOf = (s: GraphSpec, id: string) => s.nodes.find((n) => n.id === id)!.params.topic;

describe('TOPIC_PREFIX', () => {
  it('renames what the pipeline writes, its state topics included, and leaves what it only reads', () => {
    const p = prefixTopics(spec, 'pwdev-1-');
    expect([topicOf(p, 'src'), topicOf(p, 'out'), topicOf(p, 'again'), topicOf(p, 'back')]).toEqual([
      'orders',
      'pwdev-1-large',
      'pwdev-1-loop',
      'pwdev-1-loop',
    ]);
    expect(p.errors.topic).toBe('pwdev-1-p.dead-letter');
    const g = new Graph(p, fns);
    expect(g.sourceTopics.sort()).toEqual(['orders', 'pwdev-1-loop', 'pwdev-1-p.rekey.repartition'].sort());
    expect(g.changelogTopics.every((t) => t.startsWith('pwdev-1-p.'))).toBe(true);
  });

  it('names the topics of topics.yaml as the service will use them', () => {
    expect(['orders', 'large', 'p.rekey.changelog', 'p.dead-letter'].map((t) => prefixedTopicName(spec, 'x-', t))).toEqual([
      'orders',
      'x-large',
      'x-p.rekey.changelog',
      'x-p.dead-letter',
    ]);
  });

  it('no prefix: the spec as it is', () => {
    expect(prefixTopics(spec, '')).toBe(spec);
    expect(new Graph(spec, fns).sourceTopics).toContain('p.rekey.repartition');
  });
});
