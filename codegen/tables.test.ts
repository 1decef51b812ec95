/**
 * Tables against the pipeline around them: what may read a table's changes,
 * how a join must be wired to a table and co-partitioned with it, and its
 * topic kept compacted; each problem names the node and where to fix it.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from './parse.js';
import { groupTopics, topicDefs } from './topics.js';

const BASE = `pipeline: shop
nodes:
  - id: customers
    kind: table
    topic: customers
    partitions: 6
    samples:
      - { key: c-1, value: { name: Ada } }
      - { key: c-1, value: null }
  - id: orders
    kind: kafka-source
    topic: orders
    partitions: 6
    samples:
      - { key: c-1, value: { orderId: 1, customerId: c-1 } }
  - id: enrich
    kind: join
    input: { in: orders, other: customers }
    as: customer
  - id: out
    kind: kafka-sink
    input: enrich
    topic: enriched
`;

function problems(text: string) {
  return parsePipeline(text).problems.filter((p) => p.severity === 'error');
}

/** BASE with `from` replaced, and its error problems. */
function withChange(from: string, to: string) {
  const text = BASE.replace(from, to);
  expect(text).not.toBe(BASE);
  return problems(text);
}

describe('tables in a pipeline', () => {
  it('accepts a stream–table join, a table whose samples delete rows, and types rows without the deletes', () => {
    expect(problems(BASE)).toEqual([]);
    const { pipeline } = parsePipeline(BASE);
    expect(topicDefs(pipeline!).find((t) => t.name === 'customers')).toMatchObject({ external: true, config: { 'cleanup.policy': 'compact' } });
  });

  it('reads a table that only feeds a join with the consumer group, not in full on every replica', () => {
    const { pipeline } = parsePipeline(BASE);
    expect(groupTopics(pipeline!)).toEqual(['customers', 'orders']);
  });

  it('PW110: a kind that takes events, not changes, reading a table (also through a map)', () => {
    const found = withChange(
      '  - id: out\n',
      '  - id: names\n    kind: map\n    input: customers\n    to: "({ n: value.name })"\n  - id: seen\n    kind: dedupe\n    input: names\n    within: 1h\n  - id: seen-out\n    kind: kafka-sink\n    input: seen\n    topic: seen\n  - id: out\n',
    );
    expect(found.map((p) => [p.code, p.nodeId])).toEqual([['PW110', 'seen']]);
    expect(found[0].message).toContain('changes from "names"');
    // Pointed at the input of the node that cannot take them.
    expect(found[0].path.at(-1)).toBe('input');
    expect(found[0].line).toBeGreaterThan(0);
  });

  it('PW111: on with a table node on other', () => {
    const found = withChange('    as: customer\n', '    as: customer\n    on: value.customerId\n');
    expect(found.map((p) => [p.code, p.nodeId, p.path.at(-1)])).toEqual([['PW111', 'enrich', 'on']]);
    expect(found[0].hint).toContain('select-key');
  });

  it('PW112 and PW113: a table reaches the join through a map, not as the table node itself', () => {
    const mapped = '  - id: named\n    kind: map\n    input: customers\n    to: "({ n: value.name })"\n  - id: enrich\n';
    const other = withChange(
      '  - id: enrich\n    kind: join\n    input: { in: orders, other: customers }',
      mapped + '    kind: join\n    input: { in: orders, other: named }',
    );
    expect(other.map((p) => [p.code, p.nodeId, p.path.at(-1)])).toEqual([['PW113', 'enrich', 'other']]);
    const left = withChange(
      '  - id: enrich\n    kind: join\n    input: { in: orders, other: customers }',
      mapped + '    kind: join\n    input: { in: named, other: customers }',
    );
    expect(left.map((p) => [p.code, p.nodeId, p.path.at(-1)])).toEqual([['PW112', 'enrich', 'in']]);
  });

  it('PW114: the stream and the table are not co-partitioned', () => {
    const found = withChange('    topic: orders\n    partitions: 6', '    topic: orders\n    partitions: 4');
    expect(found.map((p) => [p.code, p.nodeId])).toEqual([['PW114', 'enrich']]);
    expect(found[0].message).toContain('4 partition(s)');
    expect(found[0].hint).toContain('partitions: 6');
  });

  it('PW115: a table in a stream–stream join', () => {
    const found = withChange('    as: customer\n', '    as: customer\n    mode: stream\n');
    expect(found.map((p) => p.code)).toEqual(['PW115']);
  });

  it('PW116: a Kafka sink with its own key on a table’s changes', () => {
    const found = withChange(
      '  - id: out\n',
      '  - id: directory\n    kind: kafka-sink\n    input: customers\n    topic: directory\n    key: value.name\n  - id: out\n',
    );
    expect(found.map((p) => [p.code, p.nodeId, p.path.at(-1)])).toEqual([['PW116', 'directory', 'key']]);
  });

  it('PW117 and PW118: one table per topic, and its topic compacted', () => {
    const twice = withChange(
      '  - id: orders\n',
      '  - id: customers-again\n    kind: table\n    topic: customers\n  - id: again-out\n    kind: kafka-sink\n    input: customers-again\n    topic: again\n  - id: orders\n',
    );
    expect(twice.map((p) => [p.code, p.nodeId])).toEqual([['PW117', 'customers-again']]);
    const owned = problems(BASE + 'topics:\n  customers: { external: false, cleanup: delete }\n');
    expect(owned.map((p) => p.code)).toEqual(['PW118']);
    expect(owned[0].path).toEqual(['topics', 'customers', 'cleanup']);
  });
});
