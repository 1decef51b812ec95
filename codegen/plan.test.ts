/**
 * The repository's plan: topics with their settings, the consumer group's topics (repartition
 * topics read back, a table every replica reads in full left out), secrets and dependencies,
 * and the generated files written from it.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { generate } from './generate.js';
import { nodeAssets } from './node-assets.js';
import { parsePipeline } from './parse.js';
import { planCode, planRepository } from './plan.js';

const SHOP = `version: 1
pipeline: shop
kafka:
  replicationFactor: 3
errors:
  policy: dead-letter
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    partitions: 6
    start: latest
    samples:
      - { key: o-1, value: { id: o-1, customerId: c-1, units: 2 } }
  - { id: regions, kind: kafka-source, topic: regions, partitions: 1 }
  - { id: by-customer, kind: select-key, input: orders, key: value.customerId, partitions: 3 }
  - { id: with-region, kind: join, input: { in: by-customer, other: regions }, as: region }
  - { id: per-customer, kind: aggregate, input: with-region, sum: value.units }
  - { id: totals, kind: kafka-sink, input: per-customer, topic: order-totals, partitions: 3 }
  - { id: archive, kind: postgres-sink, input: with-region, table: orders, columns: [id], key: [id], urlEnv: ARCHIVE_DB_URL }
  - { id: hook, kind: http-sink, input: with-region, url: "http://hooks:8080/orders", authEnv: HOOK_TOKEN }
topics:
  order-totals: { retention: 7d }
`;

/** Avro in and out: both nodes name the registry's credentials, the service needs its client. */
const REGISTRY = `version: 1
pipeline: avro-orders
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    format: avro
    schema: '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"}]}'
  - { id: archive, kind: postgres-sink, input: orders, table: orders, columns: [id], key: [id] }
  - id: out
    kind: kafka-sink
    input: orders
    topic: orders-copy
    format: avro
    schema: '{"type":"record","name":"Copy","namespace":"shop","fields":[{"name":"id","type":"string"}]}'
`;

function valid(text: string) {
  const { pipeline, problems } = parsePipeline(text);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return pipeline!;
}

describe('planRepository', () => {
  it('settles every topic once: sources, sinks, repartition and changelog topics, dead letters, each with its partitions and config', () => {
    const plan = planRepository(valid(SHOP));
    const owned = (config: Record<string, string>) => ({ replicationFactor: 3, config: { ...config, 'min.insync.replicas': '2' } });
    expect(plan.topics).toEqual([
      // Sources read others' topics: their settings are not the pipeline's to set.
      { name: 'orders', partitions: 6, replicationFactor: 3, config: {}, external: true },
      { name: 'regions', partitions: 1, replicationFactor: 3, config: {}, external: true },
      // An aggregate's results keep the latest row per key; topics: sets its retention.
      { name: 'order-totals', partitions: 3, ...owned({ 'cleanup.policy': 'compact', 'retention.ms': '604800000' }) },
      // Internal topics have the partitions of the stream their node works on: the select-key's 3, not the source's 6.
      { name: 'shop.by-customer.repartition', partitions: 3, ...owned({}) },
      { name: 'shop.by-customer.changelog', partitions: 3, ...owned({ 'cleanup.policy': 'compact' }) },
      { name: 'shop.per-customer.changelog', partitions: 3, ...owned({ 'cleanup.policy': 'compact' }) },
      { name: 'shop.dead-letter', partitions: 1, ...owned({}) },
    ]);
  });

  it("names the group's topics: a table every replica reads in full stays out, the repartition topic is read back", () => {
    const plan = planRepository(valid(SHOP));
    expect(plan.groupTopics).toEqual(['orders']);
    expect(plan.consumedTopics).toEqual(['orders', 'shop.by-customer.repartition']);
    // The most partitions of a group topic: regions' one partition does not count.
    expect(plan.partitions).toBe(6);
    expect(plan.fromBeginning).toBe(false);
    expect(planRepository(valid(SHOP.replace('    start: latest\n', ''))).fromBeginning).toBe(true);
  });

  it("carries the nodes' secrets and dependencies, and the samples with their topic's partitions", () => {
    const plan = planRepository(valid(SHOP));
    expect(plan.secrets.map((s) => s.name)).toEqual(['ARCHIVE_DB_URL', 'HOOK_TOKEN']);
    expect(plan.dependencies.map((d) => d.name)).toEqual(['pg']);
    expect(plan.hasOnnx).toBe(false);
    expect(plan.hasModels).toBe(false);
    expect(plan.usesRegistry).toBe(false);
    expect(plan.tests.cases).toEqual([]);
    expect(plan.tests.samples).toEqual([
      { topic: 'orders', partitions: 6, format: 'json', events: [{ key: 'o-1', value: { id: 'o-1', customerId: 'c-1', units: 2 } }] },
    ]);
  });

  it('adds the Schema Registry once for two nodes in a registry format: its credentials, its client, its URL and egress', () => {
    const plan = planRepository(valid(REGISTRY));
    expect(plan.usesRegistry).toBe(true);
    expect(plan.secrets.map((s) => s.name)).toEqual(['SCHEMA_REGISTRY_USER', 'SCHEMA_REGISTRY_PASSWORD', 'DATABASE_URL']);
    const names = plan.dependencies.map((d) => d.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['pg', expect.stringContaining('schema-registry')]));
    expect(names).toHaveLength(2);
    expect(plan.connection.config).toContainEqual({ key: 'SCHEMA_REGISTRY_URL', value: 'http://schema-registry:8081' });
    expect(plan.connection.egress).toContainEqual({ what: 'the Schema Registry', port: 8081 });
    expect(planRepository(valid(SHOP)).connection.config.map((c) => c.key)).not.toContain('SCHEMA_REGISTRY_URL');
  });

  it('holds what src/pipeline.ts is written from, as planCode has it', () => {
    const p = valid(SHOP);
    const { pipeline, graph, topics, fromBeginning } = planRepository(p);
    expect({ pipeline, graph, topics, fromBeginning }).toEqual(planCode(p));
  });
});

describe('the generated repository is written from the plan', () => {
  const p = valid(SHOP);
  const plan = planRepository(p);
  const { files } = generate(p, nodeAssets());

  it("has the plan's topics in src/pipeline.ts and topics/, and the group's in KEDA's triggers", () => {
    expect(files).not.toBeNull();
    const literal = /export const topics: TopicDef\[\] = \[\n([\s\S]*?)\n\];/.exec(files!['src/pipeline.ts'])![1];
    expect(JSON.parse(`[${literal.replace(/,$/, '')}]`)).toEqual(plan.topics);
    const yamlTopics = (parseYaml(files!['topics/topics.yaml']) as { topics: { name: string; partitions: number }[] }).topics;
    expect(yamlTopics.map((t) => [t.name, t.partitions])).toEqual(plan.topics.map((t) => [t.name, t.partitions]));
    const strimzi = parseAllDocuments(files!['topics/strimzi-topics.yaml'])
      .map((d) => d.toJS() as { spec: { topicName: string } } | null)
      .filter((d) => d !== null);
    expect(strimzi.map((d) => d.spec.topicName)).toEqual(plan.topics.filter((t) => !t.external).map((t) => t.name));
    const scaled = parseAllDocuments(files!['k8s/scaledobject.yaml'])
      .map((d) => d.toJS() as { kind: string; spec?: { triggers?: { metadata: { topic: string } }[] } } | null)
      .filter((d) => d !== null);
    const triggers = scaled.find((d) => d.kind === 'ScaledObject')!.spec!.triggers!.map((t) => t.metadata.topic);
    expect(triggers).toEqual(plan.consumedTopics);
  });

  it("lists the plan's secrets in the Secret example and its dependencies in package.json", () => {
    for (const s of plan.secrets) expect(files!['k8s/secret.example.yaml']).toContain(`${s.name}:`);
    const pkg = JSON.parse(files!['package.json']) as { dependencies: Record<string, string> };
    for (const d of plan.dependencies) expect(pkg.dependencies[d.name]).toBe(d.version);
  });
});
