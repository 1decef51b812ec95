import { describe, expect, it } from 'vitest';
import { generate } from './generate.js';
import { nodeAssets } from './node-assets.js';
import { typecheckInNode } from './node-typecheck.js';
import { parsePipeline } from './parse.js';
import { typesGenTs } from './pipeline-ts.js';
import { checkPipelineText } from './check.js';
import { runPipelineTests } from './pipeline-tests.js';
import { withSchemaFiles } from './schema-files.js';
import { validatePipeline } from './validate-pipeline.js';
import type { PipelineFiles } from '../runtime/kinds/spec.js';

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

/** A source whose schema is in a file of the repository, with an Avro key schema, and a filter on a field. */
function filePipeline(opts: { where?: string; schemaFile?: string; key?: string } = {}): string {
  return `version: 1
pipeline: file-orders
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    format: avro
    schemaFile: ${opts.schemaFile ?? 'schemas/orders.avsc'}
    keyFormat: avro
    keySchema: { type: record, name: OrderKey, fields: [ { name: customer, type: string } ] }
    samples:
      - { key: '${opts.key ?? '{"customer":"c-1"}'}', value: { id: o-1, amount: 250 } }
  - id: large
    kind: filter
    input: orders
    where: ${opts.where ?? 'value.amount >= 100 && value.coupon === null'}
  - id: out
    kind: kafka-sink
    input: large
    topic: large-orders
    format: protobuf
    schemaFile: schemas/large.proto
`;
}

// The samples leave out coupon (it has a default): only the schema tells the type check it is there.
const ORDER_AVSC = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
});
const LARGE_PROTO = 'syntax = "proto3";\npackage shop;\nmessage Large { string id = 1; double amount = 2; }\n';
const schemaFiles = (): PipelineFiles => ({
  'schemas/orders.avsc': new TextEncoder().encode(ORDER_AVSC),
  'schemas/large.proto': new TextEncoder().encode(LARGE_PROTO),
});
const check = (text: string, files: PipelineFiles = schemaFiles()) => checkPipelineText(text, { files: () => files, typecheck: typecheckInNode });

describe('schemas in files of the repository', () => {
  it('type the events and are carried by the generated repository, which compiles', async () => {
    const { pipeline, problems } = await check(filePipeline());
    expect(problems).toEqual([]);
    const result = generate(pipeline!, nodeAssets(), schemaFiles());
    expect(result.problems).toEqual([]);
    expect(new TextDecoder().decode(result.binary!['schemas/orders.avsc'])).toBe(ORDER_AVSC);
    expect(new TextDecoder().decode(result.binary!['schemas/large.proto'])).toBe(LARGE_PROTO);
    // pipeline.yaml names the files; the code carries their schemas, so the service reads no file.
    expect(result.files!['pipeline.yaml']).toContain('schemaFile: schemas/orders.avsc');
    // No model: the image copies no models/ folder (the repository has none, and docker build would fail on it).
    expect(result.files!['Dockerfile']).not.toContain('models');
    expect(result.files!['src/types.gen.ts']).toContain('export type OrdersEvent = { "id": string; "amount": number; "coupon": null | string };');
    expect(result.files!['src/pipeline.ts']).toContain('"schema":"syntax = \\"proto3\\";\\npackage shop;\\nmessage Large {');
    expect(result.files!['src/pipeline.ts']).toContain('"schema":{"type":"record","name":"Order"');
    expect(typecheckInNode(withSchemaFiles(pipeline!, schemaFiles()))).toEqual([]);
  });

  it('report a field the schema file does not have where the expression uses it', async () => {
    const { problems } = await check(filePipeline({ where: 'value.amout >= 100' }));
    expect(problems.map((p) => [p.code, p.nodeId])).toEqual([['PW034', 'large']]);
    expect(problems[0].message).toMatch(/amout/);
  });

  it("that are missing or outside the pipeline's folder are a problem on the parameter, with the fix", async () => {
    const missing = (await check(filePipeline(), {})).problems;
    expect(missing.map((p) => [p.code, p.path.join('.'), p.message])).toEqual([
      ['PW134', 'nodes.0.schemaFile', 'The schema file "schemas/orders.avsc" does not exist.'],
      ['PW134', 'nodes.2.schemaFile', 'The schema file "schemas/large.proto" does not exist.'],
    ]);
    const outside = (await check(filePipeline({ schemaFile: '../elsewhere/orders.avsc' }))).problems;
    expect(outside.map((p) => [p.code, p.path.join('.'), p.line])).toEqual([['PW134', 'nodes.0.schemaFile', 8]]);
    expect(outside[0].message).toBe('The schema file path "../elsewhere/orders.avsc" cannot be used: it leads out of the pipeline\'s folder (..).');
    expect(outside[0].hint).toMatch(/relative to pipeline\.yaml, e\.g\. schemaFile: schemas\/orders\.avsc/);
  });

  it("check the pipeline's tests' events against the schema in the file", async () => {
    const tests = `tests:
  - name: an order that does not fit the schema is a dead letter
    input:
      orders:
        - { key: '{"customer":"c-1"}', value: { id: o-2, amount: lots } }
    expect: { out: [] }
    deadLetters: 1
`;
    const { pipeline, problems } = await check(filePipeline() + tests);
    expect(problems).toEqual([]);
    expect((await runPipelineTests(pipeline!, schemaFiles())).map((o) => [o.passed, o.error])).toEqual([[true, undefined]]);
  });

  it('report a sample whose key does not fit the Avro key schema, on the key', async () => {
    const { problems } = await check(filePipeline({ key: '{"client":"c-1"}' }));
    expect(problems.map((p) => [p.code, p.path.join('.'), p.message])).toEqual([
      [
        'PW119',
        'nodes.0.samples.0.key',
        'Sample 1 of source "orders" does not fit its Avro schema: the key\'s customer is missing (record OrderKey has no default for it).',
      ],
    ]);
  });
});

describe('sources in the protobuf format', () => {
  const proto = (where: string) => `version: 1
pipeline: proto-orders
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    format: protobuf
    schema: |
      syntax = "proto3";
      message Order { string id = 1; repeated Line lines = 2; message Line { string sku = 1; int32 qty = 2; } }
  - id: big
    kind: filter
    input: orders
    where: ${where}
  - id: out
    kind: kafka-sink
    input: big
    topic: big-orders
`;

  it('type their events from the first message type of the .proto', () => {
    const r = parsePipeline(proto('value.lines.length > 2'));
    expect(r.problems).toEqual([]);
    expect(typesGenTs(r.pipeline!)).toContain('export type OrdersEvent = { "id": string; "lines": Array<{ "sku": string; "qty": number }> };');
    expect(typecheckInNode(r.pipeline!)).toEqual([]);
  });

  it('report a sample that does not fit the message type: a field it lacks, or a value of the wrong type, with its path', () => {
    const withSample = (value: string) =>
      proto('value.lines.length > 2').replace('  - id: big\n', `    samples:\n      - { key: c-1, value: ${value} }\n  - id: big\n`);
    const found = (value: string) => validatePipeline(parsePipeline(withSample(value)).pipeline!).map((p) => [p.code, p.path.join('.'), p.message]);
    expect(found('{ id: o-1, lines: [{ sku: a, qty: 2 }] }')).toEqual([]);
    expect(found('{ id: o-1, lines: [{ sku: a, qty: 2.5 }] }')).toEqual([
      ['PW119', 'nodes.0.samples.0.value', 'Sample 1 of source "orders" does not fit its Protobuf schema: lines.0.qty must be an integer (int32).'],
    ]);
    expect(found('{ id: o-1, coupon: x }')).toEqual([
      ['PW119', 'nodes.0.samples.0.value', 'Sample 1 of source "orders" does not fit its Protobuf schema: coupon is not a field of Order.'],
    ]);
    expect(found('{ id: o-1, lines: { sku: a } }')).toEqual([
      ['PW119', 'nodes.0.samples.0.value', 'Sample 1 of source "orders" does not fit its Protobuf schema: lines must be a list (repeated Line).'],
    ]);
  });

  it('report a field the message type does not have', () => {
    const [p, ...rest] = typecheckInNode(parsePipeline(proto('value.lines.some((l) => l.quantity > 2)')).pipeline!);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'PW034', nodeId: 'big' });
    expect(p.message).toMatch(/quantity/);
  });
});

describe('samples of a json-schema source', () => {
  const jsonPipeline = (value: string, key = 'c-1') => `version: 1
pipeline: json-orders
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    format: json-schema
    schema:
      type: object
      required: [id, lines]
      properties:
        id: { type: string }
        lines: { type: array, items: { type: object, required: [qty], properties: { qty: { type: integer } } } }
    keyFormat: json-schema
    keySchema: { type: object, required: [customer], properties: { customer: { type: string } } }
    samples:
      - { key: '${key}', value: ${value} }
  - id: out
    kind: kafka-sink
    input: orders
    topic: orders-copy
`;
  const found = (text: string) => validatePipeline(parsePipeline(text).pipeline!).map((p) => [p.code, p.path.join('.'), p.message]);

  it('must fit the schema, the first mismatch named by its path', () => {
    expect(found(jsonPipeline('{ id: o-1, lines: [{ qty: 2 }] }', '{"customer":"c-1"}'))).toEqual([]);
    expect(found(jsonPipeline('{ id: o-1, lines: [{ qty: 2 }, { qty: two }] }', '{"customer":"c-1"}'))).toEqual([
      ['PW119', 'nodes.0.samples.0.value', 'Sample 1 of source "orders" does not fit its JSON Schema schema: lines.1.qty must be integer.'],
    ]);
    expect(found(jsonPipeline('{ lines: [] }', '{"customer":"c-1"}'))).toEqual([
      ['PW119', 'nodes.0.samples.0.value', 'Sample 1 of source "orders" does not fit its JSON Schema schema: id is missing (the schema requires it).'],
    ]);
  });

  it('type the properties the schema does not require as optional, so expressions may read them', () => {
    const text = jsonPipeline('{ id: o-1, lines: [] }', '{"customer":"c-1"}')
      .replace('        id: { type: string }\n', '        id: { type: string }\n        coupon: { type: string }\n')
      .replace(
        '  - id: out\n    kind: kafka-sink\n    input: orders',
        '  - id: tagged\n    kind: map\n    input: orders\n    to: "({ id: value.id, coupon: value.coupon ?? \'none\' })"\n  - id: out\n    kind: kafka-sink\n    input: tagged',
      );
    const p = parsePipeline(text).pipeline!;
    expect(typesGenTs(p)).toContain('export type OrdersEvent = { "id": string; "lines": Array<{ "qty": number }>; "coupon"?: string };');
    expect(typecheckInNode(p)).toEqual([]);
    // A property the schema does not name at all is still a type error.
    const [typo] = typecheckInNode(parsePipeline(text.replace('value.coupon ??', 'value.cupon ??')).pipeline!);
    expect(typo).toMatchObject({ code: 'PW034', nodeId: 'tagged' });
  });

  it('have keys that fit the key schema', () => {
    expect(found(jsonPipeline('{ id: o-1, lines: [] }', '{"customer":1}'))).toEqual([
      ['PW119', 'nodes.0.samples.0.key', 'Sample 1 of source "orders" does not fit its JSON Schema schema: the key\'s customer must be string.'],
    ]);
  });
});

describe('a kafka-sink with an Avro key schema', () => {
  const sinkPipeline = (tests = '') => `version: 1
pipeline: keyed-orders
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    samples:
      - { key: c-1, value: { id: o-1, customer: c-1 } }
  - id: out
    kind: kafka-sink
    input: orders
    topic: orders-by-customer
    key: 'JSON.stringify({ customer: value.customer })'
    keyFormat: avro
    keySchema: { type: record, name: CustomerKey, namespace: shop, fields: [{ name: customer, type: string }] }
${tests}`;

  it('is carried by the generated repository, which compiles and installs the registry client', async () => {
    const { pipeline, problems } = await check(sinkPipeline(), {});
    expect(problems).toEqual([]);
    const result = generate(pipeline!, nodeAssets(), {});
    expect(result.problems).toEqual([]);
    expect(result.files!['src/pipeline.ts']).toContain('"keyFormat":"avro","keySchema":{"type":"record","name":"CustomerKey"');
    expect(result.files!['package.json']).toContain('@kafkajs/confluent-schema-registry');
    expect(typecheckInNode(pipeline!)).toEqual([]);
  });

  it("has the pipeline's tests check the keys it writes against the key schema", async () => {
    const tests = `tests:
  - name: an order without a customer has a key that does not fit
    input:
      orders:
        - { key: c-2, value: { id: o-2 } }
    expect: { out: [] }
    deadLetters: 1
`;
    const { pipeline, problems } = await check(sinkPipeline(tests), {});
    expect(problems).toEqual([]);
    expect((await runPipelineTests(pipeline!, {})).map((o) => [o.passed, o.error])).toEqual([[true, undefined]]);
  });
});
