/**
 * Topic settings of pipeline.yaml: min.insync.replicas, retention and cleanup per
 * topic, topics the pipeline reads but does not own (external), and the Strimzi
 * cluster; from parsing through validation to topicDefs and the generated files.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { externalTopicProblems, fitToCluster, uncompactedTables } from '../runtime/service/topics.js';
import type { TopicDef } from '../runtime/types.js';
import { generate } from './generate.js';
import { minInsyncReplicasFor, retentionMs } from './pipeline.js';
import { nodeAssets } from './node-assets.js';
import { parsePipeline } from './parse.js';
import { topicDefs } from './topics.js';
import { serializePipeline } from './serialize.js';

const BASE = `pipeline: orders
kafka:
  replicationFactor: 3
nodes:
  - id: in
    kind: kafka-source
    topic: orders
    partitions: 4
  - id: seen
    kind: dedupe
    input: in
    by: value.id
    within: 1h
  - id: out
    kind: kafka-sink
    input: seen
    topic: clean-orders
`;

function parse(extra: string, base = BASE) {
  return parsePipeline(base + extra);
}
const errors = (extra: string, base = BASE) => parse(extra, base).problems.filter((p) => p.severity === 'error');
const defs = (extra: string, base = BASE) => {
  const { pipeline, problems } = parse(extra, base);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return new Map(topicDefs(pipeline!).map((t) => [t.name, t]));
};

describe('min.insync.replicas', () => {
  it('is 2 with 3 replicas, one less than the replicas on small clusters, and at least 1', () => {
    expect([1, 2, 3, 4, 5].map(minInsyncReplicasFor)).toEqual([1, 1, 2, 2, 2]);
  });

  it('goes on every topic the pipeline owns, from kafka.minInsyncReplicas or the default', () => {
    const d = defs('');
    expect(d.get('clean-orders')!.config['min.insync.replicas']).toBe('2');
    expect(d.get('orders.dead-letter')!.config['min.insync.replicas']).toBe('2');
    expect(d.get('orders.seen.changelog')!.config).toEqual({ 'cleanup.policy': 'compact', 'min.insync.replicas': '2' });
    const one = defs('', BASE.replace('replicationFactor: 3', 'replicationFactor: 1'));
    expect(one.get('clean-orders')!.config['min.insync.replicas']).toBe('1');
    const three = defs('', BASE.replace('replicationFactor: 3', 'replicationFactor: 5\n  minInsyncReplicas: 3'));
    expect(three.get('clean-orders')!.config['min.insync.replicas']).toBe('3');
  });

  it('more than the replication factor is an error; equal to it a warning', () => {
    const [more] = errors('', BASE.replace('replicationFactor: 3', 'replicationFactor: 3\n  minInsyncReplicas: 4'));
    expect(more).toMatchObject({ code: 'PW076', line: 4 });
    expect(more.hint).toContain('2 lets one broker be down');
    const equal = parse('', BASE.replace('replicationFactor: 3', 'replicationFactor: 3\n  minInsyncReplicas: 3')).problems;
    expect(equal.map((p) => [p.code, p.severity])).toEqual([['PW077', 'warning']]);
    expect(errors('', BASE.replace('replicationFactor: 3', 'replicationFactor: 3\n  minInsyncReplicas: two'))[0]).toMatchObject({
      code: 'PW004',
      message: expect.stringContaining('kafka.minInsyncReplicas'),
    });
  });

  it('is capped with the replication factor on a cluster with fewer brokers', () => {
    const t = { name: 'x', partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2', 'retention.ms': '1000' } };
    expect(fitToCluster(t, 5)).toEqual({ replicationFactor: 3, config: t.config });
    expect(fitToCluster(t, 2)).toEqual({ replicationFactor: 2, config: { 'min.insync.replicas': '1', 'retention.ms': '1000' } });
    expect(fitToCluster(t, 1)).toEqual({ replicationFactor: 1, config: { 'min.insync.replicas': '1', 'retention.ms': '1000' } });
  });
});

describe('topics the pipeline reads but does not own', () => {
  it('a kafka-source topic is external by default: no config of ours, not created, not declared', () => {
    const d = defs('');
    expect(d.get('orders')).toEqual({ name: 'orders', partitions: 4, replicationFactor: 3, config: {}, external: true });
    for (const owned of ['clean-orders', 'orders.dead-letter', 'orders.seen.changelog']) expect(d.get(owned)!.external, owned).toBeUndefined();
    const files = generate(parse('').pipeline!, nodeAssets()).files!;
    const declared = parseAllDocuments(files['topics/strimzi-topics.yaml'])
      .map((doc) => doc.toJS())
      .filter(Boolean)
      .map((t) => t.spec.topicName);
    expect(declared).toEqual(['clean-orders', 'orders.seen.changelog', 'orders.dead-letter']);
    expect(files['topics/create-topics.sh']).not.toContain("'orders'");
    expect(parseYaml(files['topics/topics.yaml']).topics[0]).toEqual({ name: 'orders', partitions: 4, external: true });
  });

  it('external: false makes the pipeline own it', () => {
    const d = defs('topics:\n  orders: { external: false, retention: 3d }\n');
    expect(d.get('orders')).toEqual({
      name: 'orders',
      partitions: 4,
      replicationFactor: 3,
      config: { 'min.insync.replicas': '2', 'retention.ms': String(3 * 86_400_000) },
    });
  });

  it('a topic the pipeline writes cannot be external', () => {
    const [e] = errors('topics:\n  clean-orders: { external: true }\n');
    expect(e).toMatchObject({ code: 'PW072', line: 19, message: expect.stringContaining('writes it (node "out")') });
    expect(errors('topics:\n  orders.seen.changelog: { external: true }\n')[0].message).toContain('keeps the state of node "seen"');
    expect(errors('topics:\n  orders.dead-letter: { external: true }\n')[0].code).toBe('PW072');
  });

  it("settings of an external topic are its owner's", () => {
    const [e] = errors('topics:\n  orders: { retention: 7d }\n');
    expect(e).toMatchObject({ code: 'PW073', message: expect.stringContaining('"orders" is external'), hint: expect.stringContaining('external: false') });
  });

  it('npm run topics names a missing external topic and one with too few partitions, and what to do', () => {
    const external = [
      { name: 'orders', partitions: 4, replicationFactor: 3, config: {}, external: true },
      { name: 'payments', partitions: 6, replicationFactor: 3, config: {}, external: true },
    ];
    expect(
      externalTopicProblems(
        external,
        new Map([
          ['orders', 4],
          ['payments', 12],
        ]),
      ),
    ).toEqual([]);
    const [missing, few] = externalTopicProblems(external, new Map([['payments', 2]]));
    expect(missing).toMatch(/^topic "orders" does not exist; .*ask its owner to create it with 4 partitions, or set external: false/);
    expect(few).toMatch(/^topic "payments" has 2 partition\(s\) but the pipeline expects 6: set partitions: 2 on the source/);
  });
});

describe('an external topic read as a table', () => {
  it('npm run topics warns when it is not compacted', () => {
    const external: TopicDef[] = [
      { name: 'customers', partitions: 6, replicationFactor: 3, config: { 'cleanup.policy': 'compact' }, external: true },
      { name: 'orders', partitions: 6, replicationFactor: 3, config: {}, external: true },
    ];
    expect(
      uncompactedTables(
        external,
        new Map([
          ['customers', 'compact'],
          ['orders', 'delete'],
        ]),
      ),
    ).toEqual([]);
    expect(uncompactedTables(external, new Map([['customers', 'compact,delete']]))).toEqual([]);
    const [warning] = uncompactedTables(
      external,
      new Map([
        ['customers', 'delete'],
        ['orders', 'delete'],
      ]),
    );
    expect(warning).toMatch(/^topic "customers" is read as a table but its cleanup.policy is delete: .*cleanup.policy=compact$/);
  });
});

describe('retention and cleanup per topic', () => {
  it('reads durations into retention.ms, forever as -1', () => {
    expect(['500ms', '45s', '30m', '12h', '7d', 'forever'].map(retentionMs)).toEqual([500, 45_000, 1_800_000, 43_200_000, 604_800_000, -1]);
    for (const bad of ['7', '7 d', '0d', '-1d', '1w', 'soon', '1.5h', '']) expect(retentionMs(bad), bad).toBeUndefined();
  });

  it('writes retention.ms and cleanup.policy on the topic, sorted', () => {
    const d = defs('topics:\n  clean-orders: { retention: 7d, cleanup: "compact,delete" }\n  orders.dead-letter: { retention: forever }\n');
    expect(d.get('clean-orders')!.config).toEqual({ 'cleanup.policy': 'compact,delete', 'min.insync.replicas': '2', 'retention.ms': '604800000' });
    expect(d.get('orders.dead-letter')!.config).toEqual({ 'min.insync.replicas': '2', 'retention.ms': '-1' });
    expect(d.get('orders.seen.changelog')!.config['retention.ms']).toBeUndefined();
  });

  it('reaches topics.yaml, the KafkaTopic and create-topics.sh', () => {
    const { pipeline } = parse('topics:\n  clean-orders: { retention: 12h, cleanup: delete }\n');
    const files = generate(pipeline!, nodeAssets()).files!;
    const topic = parseAllDocuments(files['topics/strimzi-topics.yaml'])
      .map((doc) => doc.toJS())
      .find((t) => t?.spec.topicName === 'clean-orders');
    expect(topic.spec.config).toEqual({ 'cleanup.policy': 'delete', 'min.insync.replicas': '2', 'retention.ms': '43200000' });
    expect(files['topics/create-topics.sh']).toContain(
      "--topic 'clean-orders' --partitions 6 --replication-factor \"${REPLICATION_FACTOR:-$rf}\" --config 'cleanup.policy'='delete' --config 'retention.ms'='43200000' --config \"min.insync.replicas=${MIN_INSYNC_REPLICAS:-2}\"",
    );
    expect(parseYaml(files['topics/topics.yaml']).topics.find((t: { name: string }) => t.name === 'clean-orders').config['retention.ms']).toBe('43200000');
  });

  it('rejects bad values with the place and a fix', () => {
    const [r] = errors('topics:\n  clean-orders: { retention: 7 weeks }\n');
    expect(r).toMatchObject({ code: 'PW074', line: 19, hint: expect.stringContaining('7d') });
    const [c] = errors('topics:\n  clean-orders: { cleanup: keep }\n');
    expect(c).toMatchObject({ code: 'PW004', message: expect.stringContaining('delete, or compact, or compact,delete') });
    const [u] = errors('topics:\n  clean-orders: { retension: 7d }\n');
    expect(u).toMatchObject({ code: 'PW003', hint: 'Remove it, or use one of: retention (did you mean it?), external, cleanup.' });
    const [n] = errors('topics:\n  clean-order: { retention: 7d }\n');
    expect(n).toMatchObject({ code: 'PW071', hint: expect.stringContaining('Did you mean "clean-orders"?') });
  });

  it('a state topic stays compacted', () => {
    const [e] = errors('topics:\n  orders.seen.changelog: { cleanup: delete }\n');
    expect(e).toMatchObject({ code: 'PW075', message: expect.stringContaining('state of node "seen"') });
    expect(errors('topics:\n  orders.seen.changelog: { cleanup: compact, retention: 30d }\n')).toEqual([]);
  });
});

describe('Strimzi cluster', () => {
  it('labels every KafkaTopic with kafka.strimziCluster, my-cluster by default', () => {
    const label = (extra: string) => {
      const files = generate(parse('', BASE.replace('replicationFactor: 3', `replicationFactor: 3${extra}`)).pipeline!, nodeAssets()).files!;
      return [
        ...new Set(
          parseAllDocuments(files['topics/strimzi-topics.yaml'])
            .map((doc) => doc.toJS())
            .filter(Boolean)
            .map((t) => t.metadata.labels['strimzi.io/cluster']),
        ),
      ];
    };
    expect(label('')).toEqual(['my-cluster']);
    expect(label('\n  strimziCluster: prod-kafka')).toEqual(['prod-kafka']);
    expect(errors('', BASE.replace('replicationFactor: 3', 'replicationFactor: 3\n  strimziCluster: Prod_Kafka'))[0]).toMatchObject({ code: 'PW039', line: 4 });
  });
});

describe('pipeline.yaml round trip', () => {
  it('keeps the topic settings', () => {
    const text =
      BASE.replace('replicationFactor: 3', 'replicationFactor: 3\n  minInsyncReplicas: 2\n  strimziCluster: prod') +
      'topics:\n  orders: { external: false }\n  clean-orders: { retention: 7d, cleanup: delete }\n';
    const { pipeline } = parsePipeline(text);
    const again = parsePipeline(serializePipeline(pipeline!));
    expect(again.problems).toEqual([]);
    expect(again.pipeline).toEqual(pipeline);
    expect(again.pipeline!.topics).toEqual({ orders: { external: false }, 'clean-orders': { retention: '7d', cleanup: 'delete' } });
  });
});

describe("table topics (an aggregate's results)", () => {
  const TABLE = `pipeline: totals
nodes:
  - id: in
    kind: kafka-source
    topic: orders
    partitions: 4
  - id: totals
    kind: aggregate
    input: in
  - id: out
    kind: kafka-sink
    input: totals
    topic: order-totals
  - id: raw
    kind: kafka-sink
    input: in
    topic: orders-copy
`;
  it("creates the topic of a sink fed by an aggregate compacted, and the aggregate's changelog too; other sinks are not", () => {
    const d = defs('', TABLE);
    expect(d.get('order-totals')!.config['cleanup.policy']).toBe('compact');
    expect(d.get('totals.totals.changelog')!.config['cleanup.policy']).toBe('compact');
    expect(d.get('orders-copy')!.config['cleanup.policy']).toBeUndefined();
  });

  it('warns (PW103) when topics: sets cleanup: delete on a table topic, and keeps what it says', () => {
    const { pipeline, problems } = parse('topics:\n  order-totals: { cleanup: delete }\n  orders-copy: { cleanup: delete }\n', TABLE);
    expect(problems.map((p) => [p.code, p.severity, p.path.join('.')])).toEqual([['PW103', 'warning', 'topics.order-totals.cleanup']]);
    expect(new Map(topicDefs(pipeline!).map((t) => [t.name, t])).get('order-totals')!.config['cleanup.policy']).toBe('delete');
    expect(parse('topics:\n  order-totals: { cleanup: "compact,delete" }\n', TABLE).problems).toEqual([]);
  });
});
