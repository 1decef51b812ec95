import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import ProtoSchema from '@kafkajs/confluent-schema-registry/dist/ProtoSchema.js';
import avsc from 'avsc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { oneNode } from '../../test/harness/one-node.js';
import { DEAD_LETTER_HEADERS } from '../types.js';
import { avroMismatch, avroType, AvroSchemaError } from './avro.js';
import { kafkaSink } from './kafka-sink.js';
import { kafkaSource } from './kafka-source.js';
import { withDefaults } from './spec.js';
import {
  decodeRegistryValue,
  decodeWire,
  encodeRegistryKey,
  encodeRegistryValue,
  encodeWire,
  firstMessagePayload,
  keyFromText,
  keyTextOf,
  RegistryUnavailable,
  subjectName,
} from './schema-registry.js';

const order = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'note', type: ['null', 'string'], default: null },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Line',
          fields: [
            { name: 'sku', type: 'string' },
            { name: 'qty', type: 'int' },
          ],
        },
      },
    },
    { name: 'first', type: ['null', 'Line'], default: null },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
  ],
};
const good = { id: 'o-1', amount: 12.5, status: 'NEW', note: null, lines: [{ sku: 'a', qty: 2 }], first: null, attrs: { n: 1 } };

describe('the Schema Registry wire format', () => {
  it('is magic byte 0, the schema id as 4 bytes big-endian, then the payload', () => {
    const bytes = encodeWire(0x01020304, new Uint8Array([9, 8]));
    expect([...bytes]).toEqual([0, 1, 2, 3, 4, 9, 8]);
    const { schemaId, payload } = decodeWire(bytes, 'avro');
    expect(schemaId).toBe(0x01020304);
    expect([...payload]).toEqual([9, 8]);
    // The largest id a registry hands out survives the round trip (no sign flip).
    expect(decodeWire(encodeWire(0x7fffffff, new Uint8Array()), 'avro').schemaId).toBe(0x7fffffff);
  });

  it('names what is wrong with a value that is not in it', () => {
    expect(() => decodeWire(new TextEncoder().encode('{"id":1}'), 'avro')).toThrow(
      'the value does not start with the Schema Registry magic byte 0 but with 0x7b: it was not written as avro through a Schema Registry (JSON, say)',
    );
    expect(() => decodeWire(new Uint8Array([0, 0, 1]), 'avro')).toThrow(/3 bytes long, shorter than the 5-byte Schema Registry header/);
    expect(() => decodeWire(null, 'protobuf')).toThrow('the message has no value (a tombstone), so it is not protobuf');
  });

  it('names subjects by the strategy chosen', () => {
    expect(subjectName('topic-name', 'orders', 'avro', order)).toBe('orders-value');
    expect(subjectName('record-name', 'orders', 'avro', order)).toBe('shop.Order');
    expect(subjectName('topic-record-name', 'orders', 'avro', order)).toBe('orders-shop.Order');
    expect(subjectName('record-name', 'orders', 'protobuf', 'syntax = "proto3";\npackage shop;\nmessage Order { string id = 1; }')).toBe('shop.Order');
    expect(() => subjectName('record-name', 'orders', 'json-schema', { type: 'object' })).toThrow(/names none/);
  });
});

describe('Avro schemas', () => {
  it('give the TypeScript type of the events', () => {
    expect(avroType(order)).toBe(
      '{ "id": string; "amount": number; "status": "NEW" | "PAID"; "note": null | string; ' +
        '"lines": Array<{ "sku": string; "qty": number }>; "first": null | { "sku": string; "qty": number }; "attrs": Record<string, number> }',
    );
    expect(avroType(JSON.stringify(order))).toBe(avroType(order));
  });

  it('say where a value breaks them', () => {
    expect(avroMismatch(order, good)).toBeUndefined();
    expect(avroMismatch(order, { ...good, amount: '12' })).toBe('amount must be a number, not string "12"');
    expect(avroMismatch(order, { ...good, lines: [{ sku: 'a', qty: 1.5 }] })).toBe('lines[0].qty must be an integer (int), not number 1.5');
    expect(avroMismatch(order, { ...good, status: 'LOST' })).toBe('status must be one of NEW, PAID, not string "LOST"');
    // A misspelt field: the field the schema names is missing (the other is left out when encoded, as avsc does).
    const { amount: _amount, ...withoutAmount } = good;
    expect(avroMismatch(order, { ...withoutAmount, amout: 1 })).toBe('amount is missing (record Order has no default for it)');
    // A field with a default may be left out.
    const { note: _note, ...withoutNote } = good;
    expect(avroMismatch(order, withoutNote)).toBeUndefined();
  });

  it('that Pipewright cannot read are refused with the reason', () => {
    const bad = (schema: unknown) => {
      try {
        avroType(schema);
      } catch (e) {
        if (e instanceof AvroSchemaError) return e.message;
        throw e;
      }
      return 'accepted';
    };
    expect(bad({ type: 'record', name: 'A', fields: [{ name: 'x', type: 'strng' }] })).toBe(
      'schema.x: "strng" is neither an Avro type nor a record, enum or fixed defined before it',
    );
    expect(bad({ type: 'record', fields: [] })).toMatch(/needs a name/);
    expect(bad(['int', 'long'])).toMatch(/two branches that read as number values/);
    expect(bad('{ not json')).toMatch(/not valid Avro JSON/);
  });
});

describe('kafka nodes in the avro format, where the host has no registry (the simulator)', () => {
  it('read JSON events and send those that do not fit the schema to the error port with where', async () => {
    // The harness feeds topic "in" as JSON, as the simulator feeds samples.
    const r = await oneNode('kafka-source', { topic: 'in', format: 'avro', schema: order }).run([good, { ...good, amount: 'x' }]);
    expect(r.out.out).toEqual([good]);
    expect(r.dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual([
      'the event does not fit the Avro schema: amount must be a number, not string "x"',
    ]);
  });

  it('read Protobuf events as JSON and send those that do not fit the message type, or whose key does not fit, to the error port', async () => {
    const proto = 'syntax = "proto3";\nmessage Order { string id = 1; int32 qty = 2; }';
    const keyProto = 'syntax = "proto3";\nmessage OrderKey { string customer = 1; }';
    const fine = { id: 'o-1', qty: 2 };
    const r = await oneNode('kafka-source', { topic: 'in', format: 'protobuf', schema: proto, keyFormat: 'protobuf', keySchema: keyProto }).run(
      [fine, { id: 'o-2', qty: 'two' }, { id: 'o-3', coupon: 'x' }].map((value) => ({ key: '{"customer":"c-1"}', value })),
      { keyed: true },
    );
    expect(r.out.out).toEqual([fine]);
    expect(r.dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual([
      'the event does not fit the Protobuf schema: qty must be an integer (int32)',
      'the event does not fit the Protobuf schema: coupon is not a field of Order',
    ]);
    const badKey = await oneNode('kafka-source', { topic: 'in', format: 'json', keyFormat: 'protobuf', keySchema: keyProto }).run(
      [{ key: '{"region":"eu"}', value: fine }],
      { keyed: true },
    );
    expect(badKey.dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual([
      'the key does not fit the Protobuf key schema: region is not a field of OrderKey',
    ]);
  });

  it('check what a sink writes against its schema', async () => {
    const { graph } = oneNode('kafka-sink', { topic: 'written', format: 'avro', schema: order });
    const messages = [good, { id: 1 }].map((v, i) => ({
      key: 'k',
      value: JSON.stringify(v),
      timestamp: 0,
      headers: {},
      origin: { topic: 'in', partition: 0, offset: String(i) },
    }));
    const result = await graph.process('in', messages);
    expect(result.messages.filter((m) => m.topic === 'written').map((m) => JSON.parse(String(m.value)))).toEqual([good]);
    const dead = result.messages.filter((m) => m.topic === 'unit.dead-letter');
    expect(dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual(['the event does not fit the Avro schema: id must be a string, not number 1']);
  });

  it('need a valid schema when the pipeline is validated', () => {
    expect(kafkaSink.validate(withDefaults(kafkaSink, { topic: 't', format: 'avro' }), {}).map((p) => p.code)).toEqual(['PW134']);
    expect(kafkaSource.validate(withDefaults(kafkaSource, { topic: 't', format: 'avro', schema: { type: 'record', name: 'A' } }), {})[0].message).toBe(
      'The avro schema is not valid: schema: record "A" needs fields, a list of { name, type }.',
    );
    expect(kafkaSource.validate(withDefaults(kafkaSource, { topic: 't', format: 'json', schema: order }), {})[0].message).toMatch(/only used with format avro/);
    expect(kafkaSource.validate(withDefaults(kafkaSource, { topic: 't', format: 'avro', schema: order }), {})).toEqual([]);
  });
});

describe('values through the Schema Registry client', () => {
  // The client's own cache holds schema 7, as after a first look-up; nothing listens on the URL.
  const client = new SchemaRegistry({ host: 'http://127.0.0.1:9', retry: { retries: 0 } });
  client.cache.setSchema(7, SchemaType.AVRO, avsc.Type.forSchema(order as avsc.Schema));
  const registry = client as unknown as Parameters<typeof encodeRegistryValue>[0];

  it('are written in the wire format with the schema id, and read back as the events the schema types', async () => {
    const bytes = await encodeRegistryValue(registry, 'avro', 7, good);
    expect(decodeWire(bytes, 'avro').schemaId).toBe(7);
    expect(bytes[0]).toBe(0);
    const back = await decodeRegistryValue(registry, 'avro', bytes);
    expect(JSON.parse(JSON.stringify(back))).toEqual(good);
    expect(avroMismatch(order, back)).toBeUndefined();
  });

  it('say where an event does not fit when it is written', async () => {
    await expect(encodeRegistryValue(registry, 'avro', 7, { ...good, amount: 'x' })).rejects.toThrow(
      /^the event does not fit the avro schema \(id 7\) \(at amount\)/,
    );
  });

  it('that do not decode with their schema fail with the schema id', async () => {
    await expect(decodeRegistryValue(registry, 'avro', encodeWire(7, new Uint8Array([1, 2, 3])))).rejects.toThrow(
      /^the value does not decode as avro with schema id 7: /,
    );
  });

  it('whose schema cannot be fetched, because the registry is out of reach, fail the batch instead of the record', async () => {
    await expect(decodeRegistryValue(registry, 'avro', encodeWire(8, new Uint8Array([0])))).rejects.toBeInstanceOf(RegistryUnavailable);
  });
});

describe('kafka nodes in a registry format, in the service', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('stop at start-up when SCHEMA_REGISTRY_URL is not set, saying where to set it', async () => {
    vi.stubEnv('SCHEMA_REGISTRY_URL', '');
    const { graph } = oneNode('kafka-source', { topic: 'in', format: 'avro' }, {}, { live: true });
    await expect(graph.start()).rejects.toThrow(
      'kafka-source node "subject" reads or writes a Schema Registry format, but SCHEMA_REGISTRY_URL is not set: set it in the ConfigMap (k8s/config.env) to the registry\'s URL, e.g. http://schema-registry:8081',
    );
  });

  it('stop at start-up when the sink cannot register its schema, naming the registry and the subject', async () => {
    vi.stubEnv('SCHEMA_REGISTRY_URL', 'http://127.0.0.1:9/');
    const { graph } = oneNode('kafka-sink', { topic: 'written', format: 'avro', schema: order, subject: 'topic-record-name' }, {}, { live: true });
    await expect(graph.start()).rejects.toThrow(
      /^node "subject" \(kafka-sink\) cannot start: the Schema Registry at http:\/\/127\.0\.0\.1:9 did not accept the avro schema under subject "written-shop\.Order": it cannot be reached/,
    );
  });
});

describe('Protobuf values', () => {
  const proto = 'syntax = "proto3";\npackage shop;\nmessage Order { string id = 1; int32 qty = 2; }\nmessage Other { string x = 1; }';
  const client = new SchemaRegistry({ host: 'http://127.0.0.1:9', retry: { retries: 0 } });
  client.cache.setSchema(9, SchemaType.PROTOBUF, new ProtoSchema({ type: SchemaType.PROTOBUF, schema: proto }));
  const registry = client as unknown as Parameters<typeof encodeRegistryValue>[0];

  it('carry the message indexes of the first message type, [0] as the byte 0, after the schema id', async () => {
    const bytes = await encodeRegistryValue(registry, 'protobuf', 9, { id: 'o-1', qty: 3 });
    // 0, id 9, message indexes [0], then field 1 (id, length-delimited): 0x0a.
    expect([...bytes.subarray(0, 7)]).toEqual([0, 0, 0, 0, 9, 0, 0x0a]);
    expect(JSON.parse(JSON.stringify(await decodeRegistryValue(registry, 'protobuf', bytes)))).toEqual({ id: 'o-1', qty: 3 });
    // The long form of [0]: count 1 (zigzag 2), index 0.
    const long = encodeWire(9, new Uint8Array([2, 0, ...bytes.subarray(6)]));
    expect(JSON.parse(JSON.stringify(await decodeRegistryValue(registry, 'protobuf', long)))).toEqual({ id: 'o-1', qty: 3 });
  });

  it('of another message type of the .proto fail with which one', () => {
    // count 1 (zigzag 2), index 1 (zigzag 2).
    expect(() => firstMessagePayload(new Uint8Array([2, 2, 0x0a]), 9)).toThrow(
      'the value is Protobuf message [1] of schema id 9; Pipewright reads only the first message type of a .proto ([0]).',
    );
    // A producer that wrote no indexes: the message's first field tag (0x0a) reads as a count of 5; the reason says what that means.
    expect(() => firstMessagePayload(new Uint8Array([0x0a, 3, 0x6f, 0x2d, 0x31]), 9)).toThrow(/have it write them, as Confluent's serializers do$/);
  });
});

const customerKey = {
  type: 'record',
  name: 'CustomerKey',
  namespace: 'shop',
  fields: [
    { name: 'customer', type: 'string' },
    { name: 'region', type: 'int' },
  ],
};

/** A registry client that knows the customer key schema under `recordId` and a plain string key schema under `stringId`, and reaches no server. */
function keyRegistry(recordId: number, stringId: number): Parameters<typeof encodeRegistryValue>[0] {
  const client = new SchemaRegistry({ host: 'http://127.0.0.1:9', retry: { retries: 0 } });
  client.cache.setSchema(recordId, SchemaType.AVRO, avsc.Type.forSchema(customerKey as avsc.Schema));
  client.cache.setSchema(stringId, SchemaType.AVRO, avsc.Type.forSchema('string'));
  return client;
}

describe('keys in a Schema Registry format', () => {
  const registry = keyRegistry(11, 12);

  it('decode in the wire format and are carried as text: a string as it is, a record as its JSON', async () => {
    const recordKey = await encodeRegistryValue(registry, 'avro', 11, { customer: 'c-1', region: 3 });
    expect(keyTextOf(await decodeRegistryValue(registry, 'avro', recordKey, undefined, 'key'))).toBe('{"customer":"c-1","region":3}');
    const stringKey = await encodeRegistryValue(registry, 'avro', 12, 'c-1');
    expect([...stringKey.subarray(0, 5)]).toEqual([0, 0, 0, 0, 12]);
    expect(keyTextOf(await decodeRegistryValue(registry, 'avro', stringKey, undefined, 'key'))).toBe('c-1');
    // As decoded from Protobuf or JSON Schema: plain objects and numbers.
    expect(keyTextOf({ customer: 'c-1', region: 3 })).toBe('{"customer":"c-1","region":3}');
    expect(keyTextOf(42)).toBe('42');
  });

  it('that are not in the wire format say it is the key', async () => {
    await expect(decodeRegistryValue(registry, 'avro', new TextEncoder().encode('customer-1'), undefined, 'key')).rejects.toThrow(
      'the key does not start with the Schema Registry magic byte 0 but with 0x63: it was not written as avro through a Schema Registry (JSON, say)',
    );
    await expect(decodeRegistryValue(registry, 'avro', null, undefined, 'key')).rejects.toThrow('the message has no key, so it is not avro');
    await expect(decodeRegistryValue(registry, 'avro', encodeWire(11, new Uint8Array([1])), undefined, 'key')).rejects.toThrow(
      /^the key does not decode as avro with schema id 11: /,
    );
  });

  it('are registered under <topic>-key with topic-name naming', () => {
    expect(subjectName('topic-name', 'orders', 'avro', customerKey, 'key')).toBe('orders-key');
    expect(subjectName(undefined, 'orders', 'avro', customerKey, 'key')).toBe('orders-key');
  });

  it('stand for the JSON they hold unless their schema is a plain string', () => {
    expect(keyFromText('avro', customerKey, '{"customer":"c-1","region":3}')).toEqual({ customer: 'c-1', region: 3 });
    expect(keyFromText('avro', 'string', 'c-1')).toBe('c-1');
    expect(keyFromText('avro', 'long', '42')).toBe(42);
    expect(keyFromText('json-schema', { type: 'string' }, 'c-1')).toBe('c-1');
    expect(() => keyFromText('avro', customerKey, 'c-1')).toThrow('the key "c-1" is not the JSON of an avro key (its schema is not a plain string)');
  });

  it('are checked against an Avro key schema where the host has no registry (the simulator), misfits to the error port', async () => {
    const r = await oneNode('kafka-source', { topic: 'in', format: 'json', keyFormat: 'avro', keySchema: customerKey }).run(
      [
        { key: '{"customer":"c-1","region":3}', value: { n: 1 } },
        { key: '{"customer":"c-2"}', value: { n: 2 } },
        { key: 'c-3', value: { n: 3 } },
      ],
      { keyed: true },
    );
    expect(r.out.out).toEqual([{ n: 1 }]);
    expect(r.keys.out).toEqual(['{"customer":"c-1","region":3}']);
    expect(r.dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual([
      'the key does not fit the Avro key schema: region is missing (record CustomerKey has no default for it)',
      'the key "c-3" is not the JSON of an avro key (its schema is not a plain string)',
    ]);
  });

  it('need a key format through a registry and a valid key schema when the pipeline is validated', () => {
    const check = (params: Record<string, unknown>, files?: Record<string, Uint8Array>) =>
      kafkaSource.validate(withDefaults(kafkaSource, { topic: 't', ...params }), { files }).map((p) => `${p.param}: ${p.message}`);
    expect(check({ keyFormat: 'avro', keySchema: customerKey })).toEqual([]);
    expect(check({ keyFormat: 'avro' })).toEqual([]);
    expect(check({ keySchema: customerKey })).toEqual(['keySchema: A schema is only used with keyFormat avro, protobuf or json-schema, not string.']);
    expect(check({ keyFormat: 'json-schema', keySchema: 'string' })).toEqual([
      'keySchema: The json-schema key schema is not valid: a JSON Schema must be a mapping.',
    ]);
    expect(check({ keyFormat: 'avro', keySchema: { type: 'record', name: 'K', fields: [{ name: 'x', type: 'strng' }] } })).toEqual([
      'keySchema: The avro key schema is not valid: schema.x: "strng" is neither an Avro type nor a record, enum or fixed defined before it.',
    ]);
    expect(check({ keyFormat: 'protobuf', keySchema: 'message K { strng x = 1; }' })).toEqual([
      'keySchema: The protobuf key schema is not valid: line 1: field "x" of K has type "strng", which is neither a scalar type nor a message or enum of this file.',
    ]);
  });
});

describe('keys a kafka-sink writes in a Schema Registry format', () => {
  const registry = keyRegistry(21, 22);
  afterEach(() => vi.unstubAllEnvs());

  it("are encoded in the wire format from the key's text, and read back as that text", async () => {
    const bytes = await encodeRegistryKey(registry, 'avro', 21, customerKey, '{"customer":"c-1","region":3}');
    expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 0, 21]);
    expect(keyTextOf(await decodeRegistryValue(registry, 'avro', bytes, undefined, 'key'))).toBe('{"customer":"c-1","region":3}');
    const plain = await encodeRegistryKey(registry, 'avro', 22, 'string', 'c-1');
    expect(keyTextOf(await decodeRegistryValue(registry, 'avro', plain, undefined, 'key'))).toBe('c-1');
  });

  it('that do not fit, are not JSON or are missing fail with the reason', async () => {
    await expect(encodeRegistryKey(registry, 'avro', 21, customerKey, '{"customer":"c-1"}')).rejects.toThrow(
      /^the key does not fit the avro key schema \(id 21\)/,
    );
    await expect(encodeRegistryKey(registry, 'avro', 21, customerKey, 'c-1')).rejects.toThrow(
      'the key "c-1" is not the JSON of an avro key (its schema is not a plain string)',
    );
    await expect(encodeRegistryKey(registry, 'avro', 21, customerKey, null)).rejects.toThrow(
      /^the event has no key, and the sink writes its keys as avro: give the sink a key expression/,
    );
  });

  it('are checked against an Avro key schema where the host has no registry (the simulator, tests): text keys out, misfits to the error port', async () => {
    const { graph } = oneNode('kafka-sink', { topic: 'written', keyFormat: 'avro', keySchema: customerKey });
    const keys = ['{"customer":"c-1","region":3}', '{"customer":"c-2"}', 'c-3', null];
    const messages = keys.map((key, i) => ({
      key,
      value: JSON.stringify({ n: i }),
      timestamp: 0,
      headers: {},
      origin: { topic: 'in', partition: 0, offset: String(i) },
    }));
    const result = await graph.process('in', messages);
    expect(result.messages.filter((m) => m.topic === 'written').map((m) => m.key)).toEqual(['{"customer":"c-1","region":3}']);
    expect(result.messages.filter((m) => m.topic === 'unit.dead-letter').map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual([
      'the key does not fit the Avro key schema: region is missing (record CustomerKey has no default for it)',
      'the key "c-3" is not the JSON of an avro key (its schema is not a plain string)',
      'the event has no key, and the sink writes its keys with an Avro key schema',
    ]);
  });

  it('keep text keys where no key schema is set', async () => {
    const { graph } = oneNode('kafka-sink', { topic: 'written' });
    const result = await graph.process('in', [{ key: 'c-1', value: '{}', timestamp: 0, headers: {}, origin: { topic: 'in', partition: 0, offset: '0' } }]);
    expect(result.messages.filter((m) => m.topic === 'written').map((m) => m.key)).toEqual(['c-1']);
  });

  it('register their schema under <topic>-key at start-up, stopping with the registry and the subject when it fails', async () => {
    vi.stubEnv('SCHEMA_REGISTRY_URL', 'http://127.0.0.1:9/');
    const { graph } = oneNode('kafka-sink', { topic: 'written', format: 'json', keyFormat: 'avro', keySchema: customerKey }, {}, { live: true });
    await expect(graph.start()).rejects.toThrow(/did not accept the avro schema under subject "written-key": it cannot be reached/);
  });

  it('need a key schema, of a key format through a registry, when the pipeline is validated', () => {
    const check = (params: Record<string, unknown>) =>
      kafkaSink.validate(withDefaults(kafkaSink, { topic: 't', ...params }), {}).map((p) => `${p.code} ${p.param}: ${p.message} / ${p.hint}`);
    expect(check({ keyFormat: 'avro', keySchema: customerKey })).toEqual([]);
    expect(check({})).toEqual([]);
    expect(check({ keyFormat: 'avro' })).toEqual([
      'PW134 keySchema: keyFormat: avro needs the schema of the keys the sink writes. / Add keySchema: an Avro schema (mapping or JSON text), a .proto text, or a JSON Schema; or keySchemaFile: a schema file beside pipeline.yaml (e.g. schemas/orders.avsc). The sink registers it at start-up.',
    ]);
    expect(check({ keySchema: customerKey })).toEqual([
      'PW134 keySchema: A schema is only used with keyFormat avro, protobuf or json-schema, not string. / Set keyFormat: avro (or protobuf, json-schema), or remove keySchema.',
    ]);
    expect(check({ keyFormat: 'avro', keySchemaFile: '../keys.avsc' })[0]).toMatch(
      /^PW134 keySchemaFile: The schema file path "\.\.\/keys\.avsc" cannot be used/,
    );
  });
});

describe('schema files', () => {
  const check = (params: Record<string, unknown>, files?: Record<string, Uint8Array>) =>
    kafkaSource.validate(withDefaults(kafkaSource, { topic: 't', format: 'avro', ...params }), { files }).map((p) => `${p.param}: ${p.message}`);
  const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

  it("must stay inside the pipeline's folder, with the ending of their format", () => {
    expect(check({ schemaFile: '/etc/orders.avsc' })).toEqual(['schemaFile: The schema file path "/etc/orders.avsc" cannot be used: it is an absolute path.']);
    expect(check({ schemaFile: 'schemas/../../orders.avsc' })).toEqual([
      'schemaFile: The schema file path "schemas/../../orders.avsc" cannot be used: it leads out of the pipeline\'s folder (..).',
    ]);
    expect(check({ schemaFile: 'C:/schemas/orders.avsc' })).toEqual([
      'schemaFile: The schema file path "C:/schemas/orders.avsc" cannot be used: it is an absolute path.',
    ]);
    expect(check({ schemaFile: 'schemas/orders.proto' })).toEqual(['schemaFile: An avro schema file ends in .avsc or .json; "schemas/orders.proto" does not.']);
    expect(check({ schemaFile: 'schemas/orders.avsc', schema: order })).toEqual(['schemaFile: Both schema and schemaFile give the schema of the values.']);
    expect(check({ format: 'json', schemaFile: 'schemas/orders.avsc' })).toEqual([
      'schemaFile: A schema is only used with format avro, protobuf or json-schema, not json.',
    ]);
  });

  it('must exist and hold a valid schema when the files are at hand', () => {
    expect(check({ schemaFile: 'schemas/orders.avsc' })).toEqual([]);
    expect(check({ schemaFile: 'schemas/orders.avsc' }, {})).toEqual(['schemaFile: The schema file "schemas/orders.avsc" does not exist.']);
    expect(check({ schemaFile: 'schemas/orders.avsc' }, { 'schemas/orders.avsc': bytes(order) })).toEqual([]);
    expect(check({ schemaFile: 'schemas/orders.avsc' }, { 'schemas/orders.avsc': bytes('{ "type": "record",') })[0]).toMatch(
      /^schemaFile: The schema file "schemas\/orders.avsc" cannot be read as avro: it is not valid JSON: /,
    );
    expect(check({ schemaFile: 'schemas/orders.avsc' }, { 'schemas/orders.avsc': bytes({ type: 'record', name: 'A' }) })).toEqual([
      'schemaFile: The avro schema (in schemas/orders.avsc) is not valid: schema: record "A" needs fields, a list of { name, type }.',
    ]);
    expect(check({ format: 'protobuf', keyFormat: 'protobuf', keySchemaFile: 'k.proto' }, { 'k.proto': bytes('message K { string id = 1; }') })).toEqual([]);
    expect(kafkaSource.files(withDefaults(kafkaSource, { topic: 't', schemaFile: 'a.avsc', keySchemaFile: 'k.avsc' }))).toEqual(['a.avsc', 'k.avsc']);
    expect(kafkaSink.files(withDefaults(kafkaSink, { topic: 't', format: 'avro', schemaFile: 'a.avsc' }))).toEqual(['a.avsc']);
  });
});
