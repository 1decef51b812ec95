import { describe, expect, it } from 'vitest';
import { generate } from './generate.js';
import { nodeAssets } from './node-assets.js';
import { typecheckInNode } from './node-typecheck.js';
import { parsePipeline } from './parse.js';
import { typesGenTs } from './pipeline-ts.js';

/** An Avro source with samples, a filter on one of its fields, and an Avro sink. */
function pipeline(opts: { amount?: string; where?: string } = {}): string {
  return `version: 1
pipeline: avro-orders
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    format: avro
    schema:
      type: record
      name: Order
      namespace: shop
      fields:
        - { name: id, type: string }
        - { name: amount, type: double }
        - { name: coupon, type: [ "null", string ], default: null }
    samples:
      - { key: c-1, value: { id: o-1, amount: ${opts.amount ?? '250'}, coupon: null } }
  - id: large
    kind: filter
    input: orders
    where: ${opts.where ?? 'value.amount >= 100'}
  - id: out
    kind: kafka-sink
    input: large
    topic: large-orders
    format: avro
    subject: record-name
    schema: '{"type":"record","name":"Large","namespace":"shop","fields":[{"name":"id","type":"string"}]}'
`;
}

describe('sources with an Avro schema', () => {
  it('type their events from the schema, not from the samples', () => {
    const r = parsePipeline(pipeline());
    expect(r.problems).toEqual([]);
    expect(typesGenTs(r.pipeline!)).toContain('export type OrdersEvent = { "id": string; "amount": number; "coupon": null | string };');
    expect(typecheckInNode(r.pipeline!)).toEqual([]);
  });

  it('report a field the schema does not have where the expression uses it', () => {
    const [p, ...rest] = typecheckInNode(parsePipeline(pipeline({ where: 'value.amout >= 100' })).pipeline!);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'PW034', nodeId: 'large' });
    expect(p.message).toMatch(/amout/);
  });

  it('report a sample that does not fit the schema, with where and a hint', () => {
    const problems = parsePipeline(pipeline({ amount: '"lots"' })).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'PW119', nodeId: 'orders', path: ['nodes', 0, 'samples', 0, 'value'], line: 17 });
    expect(problems[0].message).toBe('Sample 1 of source "orders" does not fit its Avro schema: amount must be a number, not string "lots".');
    expect(problems[0].hint).toMatch(/Fix the sample/);
  });

  it('report a schema that is not valid once, on the schema', () => {
    const problems = parsePipeline(pipeline().replace('type: double', 'type: dubble')).problems;
    expect(problems.map((p) => [p.code, p.path.join('.')])).toEqual([['PW134', 'nodes.0.schema']]);
    expect(problems[0].message).toMatch(/"dubble" is neither an Avro type/);
  });
});

describe('a repository generated for Schema Registry formats', () => {
  it('takes the registry URL from the ConfigMap, its credentials from the Secret, and installs the client', () => {
    const files = generate(parsePipeline(pipeline()).pipeline!, nodeAssets()).files!;
    expect(files['k8s/config.env']).toContain('\nSCHEMA_REGISTRY_URL=http://schema-registry:8081\n');
    expect(files['k8s/secret.example.yaml']).toContain('SCHEMA_REGISTRY_USER: "registry-user"');
    expect(files['k8s/secret.example.yaml']).toContain('SCHEMA_REGISTRY_PASSWORD: "change-me"');
    expect(files['k8s/secret.example.yaml']).not.toContain('SCHEMA_REGISTRY_URL');
    expect(files['k8s/networkpolicy.yaml']).toMatch(/# the Schema Registry\n.*\n(.*\n)*?.*port: 8081/);
    expect((JSON.parse(files['package.json']) as { dependencies: Record<string, string> }).dependencies['@kafkajs/confluent-schema-registry']).toBe('3.9.0');
  });
});
