import { describe, expect, it } from 'vitest';
import { Graph } from '../engine/graph.js';
import { httpIngest, IngestRejection, ingestMessages, parseIngestBody } from './http-ingest.js';
import { withDefaults } from './spec.js';

/** The parameters as validation and codegen hand them to the kind: with their defaults filled in. */
const filled = (params: Record<string, unknown>) => withDefaults(httpIngest, params);

describe('http-ingest', () => {
  it('reads one JSON event, or one per line of JSON lines', () => {
    expect(parseIngestBody('{"a":1}', 'application/json')).toEqual([{ a: 1 }]);
    expect(parseIngestBody('[1,2]', undefined)).toEqual([[1, 2]]);
    expect(parseIngestBody('{"a":1}\r\n\n{"a":2}\n', 'application/x-ndjson; charset=utf-8')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('rejects bad JSON with a 400 that says where', () => {
    const bad = (body: string, type?: string) => {
      try {
        parseIngestBody(body, type);
      } catch (e) {
        return e as IngestRejection;
      }
      throw new Error('accepted');
    };
    expect(bad('{"a":').status).toBe(400);
    expect(bad('   ').message).toMatch(/empty/);
    expect(bad('{"a":1}\nnope', 'application/x-ndjson').message).toMatch(/^line 2 of the request body is not valid JSON/);
  });

  it('keys messages with the key expression, unkeyed without one', () => {
    const m = ingestMessages([{ c: 'c-1' }, { c: 7 }], 'requests', 1000, (v) => (v as { c: unknown }).c);
    expect(m.map((x) => [x.topic, x.key, x.value, x.timestamp])).toEqual([
      ['requests', 'c-1', '{"c":"c-1"}', 1000],
      ['requests', '7', '{"c":7}', 1000],
    ]);
    expect(ingestMessages([{}], 't', 0)[0].key).toBeNull();
    expect(() => ingestMessages([null], 't', 0, (v) => (v as { c: unknown }).c)).toThrow(IngestRejection);
  });

  it('checks its path', () => {
    expect(httpIngest.validate(filled({ path: '/orders/v1' }))).toEqual([]);
    expect(httpIngest.validate(filled({ path: 'orders' }))).toHaveLength(1);
    expect(httpIngest.validate(filled({ path: '/healthz' }))[0].message).toMatch(/own endpoint/);
    expect(httpIngest.validate(filled({ path: '/a?b=1' }))).toHaveLength(1);
  });

  it('is consumed like a Kafka source when nodes read it, and not at all when it stands alone (a service that only produces)', async () => {
    const src = { id: 'api', kind: 'http-ingest', params: { topic: 'requests', path: '/e' }, inputs: [] };
    const front = new Graph({ pipeline: 'p', errors: { policy: 'dead-letter', topic: 'dlq' }, nodes: [src] });
    expect(front.sourceTopics).toEqual([]);
    const worker = new Graph({
      pipeline: 'p',
      errors: { policy: 'dead-letter', topic: 'dlq' },
      nodes: [src, { id: 'out', kind: 'kafka-sink', params: { topic: 'done' }, inputs: [{ port: 'in', from: 'api', fromPort: 'out' }] }],
    });
    expect(worker.sourceTopics).toEqual(['requests']);
    const r = await worker.process('requests', [
      { key: 'k', value: '{"n":1}', timestamp: 0, headers: {}, origin: { topic: 'requests', partition: 0, offset: '0' } },
    ]);
    expect(r.messages.map((m) => [m.topic, m.value])).toEqual([['done', '{"n":1}']]);
  });

  it('checks its token variable, API key header and schema, and lists the token for the Secret', () => {
    expect(httpIngest.validate(filled({ path: '/o', auth: 'bearer', tokenEnv: 'ORDERS_TOKEN' }))).toEqual([]);
    expect(httpIngest.validate(filled({ path: '/o', auth: 'bearer', tokenEnv: 'orders token' }))[0]).toMatchObject({ param: 'tokenEnv' });
    expect(httpIngest.validate(filled({ path: '/o', auth: 'api-key', apiKeyHeader: 'Authorization' }))[0]).toMatchObject({ param: 'apiKeyHeader' });
    expect(httpIngest.validate(filled({ path: '/o', schema: { type: 'thing' } }))[0]).toMatchObject({ param: 'schema' });
    expect(httpIngest.secrets(filled({ auth: 'bearer', tokenEnv: 'ORDERS_TOKEN' })).map((s) => s.name)).toEqual(['ORDERS_TOKEN']);
    expect(httpIngest.secrets(filled({ auth: 'none' }))).toEqual([]);
    expect(httpIngest.dependencies(filled({ schema: { type: 'object' } }))).toHaveProperty('ajv');
  });
});
