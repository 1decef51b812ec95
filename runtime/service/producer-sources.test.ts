// http-ingest endpoints against real HTTP clients on 127.0.0.1, with a stand-in Kafka producer
// (the real broker is exercised by test/integration/http-ingest.integration.test.ts).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphSpec } from '../engine/graph.js';
import type { Logger } from '../transports/kafka.js';
import { RateLimiter, startProducerSources, type ProducerSources } from './producer-sources.js';

const spec: GraphSpec = {
  pipeline: 'ingest-unit',
  errors: { policy: 'dead-letter', topic: 'dlq' },
  nodes: [{ id: 'api', kind: 'http-ingest', params: { topic: 'requests', path: '/orders', maxBytes: 2048 }, inputs: [] }],
};
const quiet: Logger = { info() {}, warn() {}, error() {}, debug() {} };

interface Sent {
  topic: string;
  messages: { key: string | null; value: string }[];
}

function fakeKafka(opts: { connect?: Promise<void>; fail?: () => boolean; delayMs?: number; ownsPartition0?: boolean; progress?: number } = {}) {
  const batches: Sent[][] = [];
  const committed: { offsets: string[] } = { offsets: opts.progress === undefined ? [] : [String(opts.progress)] };
  const sendBatch = async ({ topicMessages, acks }: { topicMessages: Sent[]; acks: number }) => {
    expect(acks).toBe(-1);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
    if (opts.fail?.()) throw new Error('broker unavailable');
    return topicMessages;
  };
  const kafka = {
    producer: () => ({
      connect: () => opts.connect ?? Promise.resolve(),
      disconnect: async () => {},
      sendBatch: async (b: { topicMessages: Sent[]; acks: number }) => {
        batches.push(await sendBatch(b));
        return [];
      },
      // A transaction's messages and offsets count only once it is committed.
      transaction: async () => {
        const held: Sent[][] = [];
        let offset: string | undefined;
        let active = true;
        return {
          sendBatch: async (b: { topicMessages: Sent[]; acks: number }) => void held.push(await sendBatch(b)),
          sendOffsets: async ({ topics }: { topics: { partitions: { offset: string }[] }[] }) => void (offset = topics[0].partitions[0].offset),
          commit: async () => {
            batches.push(...held);
            if (offset !== undefined) committed.offsets.push(offset);
            active = false;
          },
          abort: async () => void (active = false),
          isActive: () => active,
        };
      },
    }),
    // The generator's group: this member is assigned partition 0 of the topic, or not.
    consumer: () => {
      const handlers = new Map<string, (e: { payload: unknown }) => void>();
      return {
        events: { REBALANCING: 'rebalancing', GROUP_JOIN: 'group_join' },
        on: (event: string, fn: (e: { payload: unknown }) => void) => handlers.set(event, fn),
        connect: async () => {},
        subscribe: async ({ topics }: { topics: string[] }) => void handlers.set('topic', () => topics[0]),
        run: async () => {
          const topic = (handlers.get('topic') as unknown as () => string)();
          handlers.get('group_join')?.({ payload: { memberAssignment: { [topic]: opts.ownsPartition0 === false ? [1] : [0, 1] } } });
        },
        pause: () => {},
        disconnect: async () => {},
      };
    },
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchOffsets: async () => [{ partitions: [{ partition: 0, offset: committed.offsets.at(-1) ?? '-1' }] }],
    }),
  } as unknown as Kafka;
  return {
    kafka,
    batches,
    committed,
    events: () => batches.flat().flatMap((t) => t.messages.map((m) => ({ topic: t.topic, key: m.key, value: JSON.parse(m.value) }))),
  };
}

let server: Server | undefined;
let producerSources: ProducerSources | undefined;
afterEach(async () => {
  await producerSources?.stop();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = producerSources = undefined;
});

async function serve(kafka: Kafka, key?: (v: { customer?: string }) => unknown): Promise<string> {
  producerSources = startProducerSources({ spec, fns: key ? { api: { key } } : {}, kafka, log: quiet })!;
  server = createServer((req, res) => {
    if (!producerSources!.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {}, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ready = async () => {
  for (let i = 0; i < 100 && !producerSources?.ready(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('http-ingest endpoint', () => {
  it('answers 202 after Kafka acknowledged the event, keyed by the key expression', async () => {
    const k = fakeKafka();
    const url = await serve(k.kafka, (v) => v.customer);
    await ready();
    const r = await post(`${url}/orders`, JSON.stringify({ customer: 'c-1', amount: 5 }));
    expect(r).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(k.events()).toEqual([{ topic: 'requests', key: 'c-1', value: { customer: 'c-1', amount: 5 } }]);
  });

  it('takes JSON lines as many events, and produces concurrent requests in few batches', async () => {
    const k = fakeKafka({ delayMs: 20 });
    const url = await serve(k.kafka);
    await ready();
    const lines = await post(`${url}/orders`, '{"n":1}\n\n{"n":2}\n', { 'content-type': 'application/x-ndjson' });
    expect(lines).toMatchObject({ status: 202, body: { accepted: 2 } });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => post(`${url}/orders`, JSON.stringify({ i }))));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(k.events()).toHaveLength(52);
    // One batch per request would be 51 (the JSON-lines request's, then one each); concurrent requests share
    // batches. How many they share depends on how fast they arrive, so the bound is the one-per-request count.
    expect(k.batches.length).toBeLessThan(51);
    expect(producerSources!.metrics('p')).toMatch(/pipewright_ingest_events_total\{pipeline="p"\} 52/);
  });

  it('answers 400 with where the JSON is broken, and accepts nothing of that request', async () => {
    const k = fakeKafka();
    const url = await serve(k.kafka);
    await ready();
    const bad = await post(`${url}/orders`, '{"n": 1,');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^the request body is not valid JSON: /);
    const badLine = await post(`${url}/orders`, '{"n":1}\n{oops}\n', { 'content-type': 'application/x-ndjson' });
    expect(badLine.status).toBe(400);
    expect(badLine.body.error).toMatch(/^line 2 of the request body is not valid JSON: .*no event of this request was accepted$/);
    expect((await post(`${url}/orders`, '')).status).toBe(400);
    expect(k.events()).toEqual([]);
  });

  it('answers 413 for a body over maxBytes, declared or streamed', async () => {
    const url = await serve(fakeKafka().kafka);
    await ready();
    const big = JSON.stringify({ pad: 'x'.repeat(4000) });
    const declared = await post(`${url}/orders`, big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatch(/at most 2048 are accepted/);
    const streamed = await post(`${url}/orders`, big, { 'transfer-encoding': 'chunked' });
    expect(streamed.status).toBe(413);
  });

  it('answers 503 with Retry-After before the producer is connected and when Kafka fails, 405 for GET, and leaves other paths alone', async () => {
    let connect!: () => void;
    let failing = true;
    const k = fakeKafka({ connect: new Promise((r) => (connect = r)), fail: () => failing });
    const url = await serve(k.kafka);
    const early = await post(`${url}/orders`, '{}');
    expect(early.status).toBe(503);
    expect(early.headers['retry-after']).toBe('1');
    connect();
    await ready();
    const failed = await post(`${url}/orders`, '{}');
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatch(/Kafka did not acknowledge the events.*broker unavailable/);
    failing = false;
    expect((await post(`${url}/orders`, '{}')).status).toBe(202);
    expect((await post(`${url}/orders`, '', {}, 'GET')).status).toBe(405);
    expect((await post(`${url}/other`, '{}')).status).toBe(404);
  });

  it('stops taking requests when the service stops', async () => {
    const url = await serve(fakeKafka().kafka);
    await ready();
    const stopping = producerSources!.stop();
    const r = await post(`${url}/orders`, '{}');
    expect(r.status).toBe(503);
    expect(r.body.error).toMatch(/stopping/);
    await stopping;
    producerSources = undefined;
  });
});

describe('generator source in the service', () => {
  it('produces count events at about the rate, acknowledged, the same events as the in-memory generator', async () => {
    const k = fakeKafka({ delayMs: 1 });
    const params = { topic: 'orders', fields: { id: 'seq', user: 'pick(alice,bob)', amount: 'uniform(1,10)' }, key: 'user', rate: 40, count: 20, seed: 7 };
    const began = Date.now();
    producerSources = startProducerSources({
      spec: { pipeline: 'gen-unit', errors: { policy: 'dead-letter', topic: 'dlq' }, nodes: [{ id: 'gen', kind: 'generator', params, inputs: [] }] },
      fns: {},
      kafka: k.kafka,
      log: quiet,
    })!;
    for (let i = 0; i < 100 && k.events().length < 20; i++) await new Promise((r) => setTimeout(r, 20));
    const elapsed = Date.now() - began;
    const events = k.events();
    expect(events).toHaveLength(20);
    // 20 events at 40/s take about half a second, not less.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    const { EventGenerator } = await import('../kinds/generator.js');
    const same = new EventGenerator(params);
    expect(events.map((e) => e.value)).toEqual(Array.from({ length: 20 }, () => same.next(0).value));
    expect(events.every((e) => e.topic === 'orders' && e.key === (e.value as { user: string }).user)).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect(k.events()).toHaveLength(20);
    expect(producerSources.metrics('p')).toMatch(/pipewright_generated_total\{pipeline="p"\} 20/);
  });
});

describe('http-ingest authentication, rate limit and schema', () => {
  const secure = (params: Record<string, unknown>): GraphSpec => ({ ...spec, nodes: [{ ...spec.nodes[0], params: { ...spec.nodes[0].params, ...params } }] });
  async function serveWith(
    params: Record<string, unknown>,
    env: Record<string, string> = {},
    now?: () => number,
  ): Promise<{ url: string; k: ReturnType<typeof fakeKafka> }> {
    const k = fakeKafka();
    producerSources = startProducerSources({ spec: secure(params), fns: {}, kafka: k.kafka, log: quiet, env, now })!;
    server = createServer((req, res) => {
      if (!producerSources!.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    await ready();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, k };
  }

  it('answers 401 without the bearer token from the environment, or with a wrong one, and 202 with it', async () => {
    const { url, k } = await serveWith({ auth: 'bearer' }, { INGEST_TOKEN: 's3cret-token' });
    const none = await post(`${url}/orders`, '{"n":1}');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body.error).toMatch(/Authorization: Bearer/);
    expect((await post(`${url}/orders`, '{"n":2}', { authorization: 'Bearer s3cret-tokem' })).status).toBe(401);
    expect((await post(`${url}/orders`, '{"n":3}', { authorization: 's3cret-token' })).status).toBe(401);
    expect((await post(`${url}/orders`, '{"n":4}', { authorization: 'Bearer s3cret-token' })).status).toBe(202);
    expect(k.events().map((e) => e.value)).toEqual([{ n: 4 }]);
    expect(producerSources!.metrics('p')).toMatch(/pipewright_ingest_requests_total\{pipeline="p",status="401"\} 3/);
  });

  it('takes an API key in its header, from the variable tokenEnv names', async () => {
    const { url, k } = await serveWith({ auth: 'api-key', tokenEnv: 'ORDERS_KEY', apiKeyHeader: 'X-Orders-Key' }, { ORDERS_KEY: 'k-123' });
    expect((await post(`${url}/orders`, '{"n":1}', { 'x-api-key': 'k-123' })).status).toBe(401);
    expect((await post(`${url}/orders`, '{"n":2}', { 'x-orders-key': 'k-124' })).status).toBe(401);
    expect((await post(`${url}/orders`, '{"n":3}', { 'x-orders-key': 'k-123' })).status).toBe(202);
    expect(k.events().map((e) => e.value)).toEqual([{ n: 3 }]);
  });

  it('refuses to start when the token is not in the environment, naming the variable', () => {
    expect(() => startProducerSources({ spec: secure({ auth: 'bearer' }), fns: {}, kafka: fakeKafka().kafka, log: quiet, env: {} })).toThrow(
      /http-ingest node "api" has auth: bearer but the environment variable INGEST_TOKEN is not set/,
    );
  });

  it('answers 429 with Retry-After once a client sends more than rateLimit requests a second', async () => {
    let t = 0;
    const { url, k } = await serveWith({ rateLimit: 3 }, {}, () => t);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(`${url}/orders`, JSON.stringify({ i })));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429, 429]);
    expect(answers[3].headers['retry-after']).toBe('1');
    expect(answers[3].body.error).toMatch(/more than 3 requests per second/);
    t = 1000; // a second later, the client may send again
    expect((await post(`${url}/orders`, '{"i":5}')).status).toBe(202);
    expect(k.events()).toHaveLength(4);
  });

  it('answers 400 naming the event and what is wrong when an event does not match the schema, accepting none of the request', async () => {
    const schema = { type: 'object', required: ['id', 'amount'], properties: { id: { type: 'string' }, amount: { type: 'number', minimum: 0 } } };
    const { url, k } = await serveWith({ schema });
    const bad = await post(`${url}/orders`, '{"id":"a","amount":1}\n{"id":"b","amount":-2}\n', { 'content-type': 'application/x-ndjson' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('event 2 of the request: the event does not match the schema: /amount must be >= 0; no event of this request was accepted');
    expect((await post(`${url}/orders`, '{"amount":1}')).body.error).toMatch(/must have required property 'id'/);
    expect((await post(`${url}/orders`, '{"id":"c","amount":3}')).status).toBe(202);
    expect(k.events().map((e) => e.value)).toEqual([{ id: 'c', amount: 3 }]);
  });
});

describe('RateLimiter', () => {
  it('refills at the rate per client, with a burst of one second', () => {
    let t = 0;
    const limiter = new RateLimiter(2, () => t);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 1]);
    expect(limiter.take('b')).toBe(0);
    t = 500;
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 1]);
    t = 10_000;
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 1]);
  });
});

describe('generator source on several replicas', () => {
  const params = { topic: 'orders', fields: { id: 'seq' }, rate: 200, count: 30, seed: 7 };
  const genSpec: GraphSpec = {
    pipeline: 'gen-unit',
    errors: { policy: 'dead-letter', topic: 'dlq' },
    nodes: [{ id: 'gen', kind: 'generator', params, inputs: [] }],
  };

  it('does not generate on a replica that is not assigned partition 0 of its group', async () => {
    const k = fakeKafka({ delayMs: 1, ownsPartition0: false });
    producerSources = startProducerSources({ spec: genSpec, fns: {}, kafka: k.kafka, log: quiet })!;
    await new Promise((r) => setTimeout(r, 400));
    expect(k.events()).toEqual([]);
  });

  it('continues the sequence from the committed progress, and commits its progress with its events', async () => {
    const k = fakeKafka({ delayMs: 1, progress: 12 });
    producerSources = startProducerSources({ spec: genSpec, fns: {}, kafka: k.kafka, log: quiet })!;
    for (let i = 0; i < 200 && k.events().length < 18; i++) await new Promise((r) => setTimeout(r, 20));
    expect(k.events().map((e) => (e.value as { id: number }).id)).toEqual(Array.from({ length: 18 }, (_, i) => 12 + i));
    expect(k.committed.offsets.at(-1)).toBe('30');
  });
});
