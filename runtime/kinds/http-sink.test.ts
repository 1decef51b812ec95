// The http sink against a real HTTP server on 127.0.0.1: retries, backoff, timeouts, order per key.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneNode } from '../../test/harness/one-node.js';
import { Graph } from '../engine/graph.js';
import { DEAD_LETTER_HEADERS, type RawMessage } from '../types.js';
import { Delivered, httpSink, idempotencyKey } from './http-sink.js';
import { withDefaults } from './spec.js';

interface Seen {
  path: string;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
const attempts = new Map<string, number>();
/** The /outage webhook: every request it answered 2xx, in the order it answered them. */
const outage = { upFor: 0, down: true, answered: [] as { key: string; seq: number; idempotencyKey: string }[] };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = (attempts.get(path) ?? 0) + 1;
      attempts.set(path, n);
      if (path === '/slow') return; // never answers
      seen.push({ path, body: JSON.parse(body), headers: req.headers });
      if (path === '/flaky' && n <= 2) return void res.writeHead(503).end('busy');
      if (path === '/bad') return void res.writeHead(422).end('amount is missing');
      if (path === '/always-503') return void res.writeHead(503).end('down');
      if (path.startsWith('/outage')) {
        // Up for the first `outage.upFor` requests, then 503 until the test brings it back.
        if (outage.answered.length >= outage.upFor && outage.down) return void res.writeHead(503).end('down');
        outage.answered.push({ ...(JSON.parse(body) as { key: string; seq: number }), idempotencyKey: String(req.headers['idempotency-key']) });
        return void setTimeout(() => res.writeHead(200).end('ok'), Math.random() * 5);
      }
      if (path.startsWith('/ordered')) {
        // Answer later the earlier events of a key, so reordering would show.
        const delay = (body.includes('"seq":0') ? 30 : 0) + Math.random() * 5;
        return void setTimeout(() => res.writeHead(204).end(), delay);
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

// A timeout far above what a busy machine takes to answer: only the test of timeouts sets a short one,
// so no other test sees a slow answer timed out and sent again.
const live = (path: string, params: Record<string, unknown> = {}) =>
  oneNode('http-sink', { url: base + path, retries: 3, backoffMs: 10, timeoutMs: 10_000, ...params }, {}, { live: true });

describe('http sink', () => {
  it('POSTs each value as JSON with an idempotency key and the Authorization header from the environment', async () => {
    process.env.PW_TEST_WEBHOOK_AUTH = 'Bearer secret-token';
    const r = await live('/ok', { authEnv: 'PW_TEST_WEBHOOK_AUTH' }).run([{ orderId: 1 }, { orderId: 2 }]);
    delete process.env.PW_TEST_WEBHOOK_AUTH;
    expect(r.dead).toEqual([]);
    const mine = seen.filter((s) => s.path === '/ok');
    expect(mine.map((s) => s.body)).toEqual([{ orderId: 1 }, { orderId: 2 }]);
    expect(mine[0].headers['content-type']).toBe('application/json');
    expect(mine[0].headers.authorization).toBe('Bearer secret-token');
    expect(mine.map((s) => s.headers['idempotency-key'])).toEqual(['in/0/0', 'in/0/1']);
  });

  it("gives each output of one input record (a flat-map's) its own Idempotency-Key", () => {
    const origin = { topic: 'in', partition: 2, offset: '7' };
    const rec = (value: unknown) => ({ key: 'k', value, timestamp: 0, headers: {}, origin }) as unknown as Parameters<typeof idempotencyKey>[0];
    const batch = [rec(1), rec(2), rec(3)];
    const at = Delivered.positions(batch);
    expect(batch.map((r, i) => idempotencyKey(r, at[i]))).toEqual(['in/2/7', 'in/2/7/1', 'in/2/7/2']);
  });

  it('retries 5xx with backoff until it succeeds', async () => {
    const r = await live('/flaky').run([{ n: 1 }]);
    expect(r.dead).toEqual([]);
    expect(attempts.get('/flaky')).toBe(3);
  });

  it('does not retry a 4xx; the event goes to the error port with the answer', async () => {
    const r = await live('/bad').run([{ n: 1 }]);
    expect(attempts.get('/bad')).toBe(1);
    expect(r.dead[0].headers[DEAD_LETTER_HEADERS.error]).toBe(`POST ${base}/bad failed after 1 attempt: 422 Unprocessable Entity: amount is missing`);
  });

  it('gives up after the retries and sends the event to the error port', async () => {
    const r = await live('/always-503', { retries: 2 }).run([{ n: 1 }]);
    expect(attempts.get('/always-503')).toBe(3);
    expect(r.dead[0].headers[DEAD_LETTER_HEADERS.error]).toMatch(/failed after 3 attempts: 503 Service Unavailable: down/);
  });

  it('times out a request that gets no answer, and retries it', async () => {
    const began = Date.now();
    const r = await live('/slow', { retries: 1, timeoutMs: 200 }).run([{ n: 1 }]);
    expect(attempts.get('/slow')).toBe(2);
    expect(Date.now() - began).toBeGreaterThanOrEqual(400);
    expect(r.dead[0].headers[DEAD_LETTER_HEADERS.error]).toMatch(/failed after 2 attempts: no answer within 200 ms/);
  });

  it('reports a refused connection after its retries', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const node = oneNode('http-sink', { url: `http://127.0.0.1:${port}/x`, retries: 1, backoffMs: 10 }, {}, { live: true });
    const r = await node.run([{ n: 1 }]);
    expect(r.dead[0].headers[DEAD_LETTER_HEADERS.error]).toMatch(/failed after 2 attempts: .*ECONNREFUSED/);
  });

  it('keeps order per key while sending different keys side by side', async () => {
    const events = ['a', 'b', 'c'].flatMap((key) => [0, 1, 2, 3].map((seq) => ({ key, value: { key, seq } })));
    const r = await live('/ordered').run(events, { keyed: true });
    expect(r.dead).toEqual([]);
    const got = seen.filter((s) => s.path === '/ordered').map((s) => s.body as { key: string; seq: number });
    for (const key of ['a', 'b', 'c']) expect(got.filter((g) => g.key === key).map((g) => g.seq)).toEqual([0, 1, 2, 3]);
  });

  describe('a slice processed again in the same replica', () => {
    /** A source → http sink graph whose error policy fails the slice (so it is processed again), and a slice of 3 keys × 4 events. */
    const setup = () => {
      const graph = new Graph(
        {
          pipeline: 'unit',
          errors: { policy: 'fail', topic: 'unit.dead-letter' },
          nodes: [
            { id: 'src', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
            {
              id: 'hook',
              kind: 'http-sink',
              params: { url: `${base}/outage`, retries: 0, backoffMs: 10, timeoutMs: 10_000, concurrency: 8 },
              inputs: [{ port: 'in', from: 'src', fromPort: 'out' }],
            },
          ],
        },
        {},
        { live: true },
      );
      const slice: RawMessage[] = ['a', 'b', 'c']
        .flatMap((key, k) =>
          [0, 1, 2, 3].map((seq) => {
            const offset = String(seq * 3 + k);
            return { key, value: JSON.stringify({ key, seq }), timestamp: 0, headers: {}, origin: { topic: 'in', partition: 0, offset } };
          }),
        )
        .sort((x, y) => Number(x.origin.offset) - Number(y.origin.offset));
      return { graph, slice };
    };
    const answeredTwice = () => {
      const keys = outage.answered.map((a) => a.idempotencyKey);
      return keys.filter((k, i) => keys.indexOf(k) !== i);
    };
    const seqsOf = (key: string) => outage.answered.filter((a) => a.key === key).map((a) => a.seq);

    it('does not send again a request the webhook answered 2xx, and keeps each key in order', async () => {
      const { graph, slice } = setup();
      Object.assign(outage, { upFor: 5, down: true, answered: [] });
      // The webhook goes down after 5 answers: the slice fails, its requests answered before stay answered.
      await expect(graph.process('in', slice)).rejects.toThrow(/node "hook" failed .*503 Service Unavailable/);
      expect(outage.answered).toHaveLength(5);
      // Processed again while it is still down, then once it is back.
      await expect(graph.process('in', slice)).rejects.toThrow(/503/);
      outage.down = false;
      await graph.process('in', slice);
      expect(answeredTwice()).toEqual([]);
      for (const key of ['a', 'b', 'c']) expect(seqsOf(key)).toEqual([0, 1, 2, 3]);
    });

    it('sends again, with the same Idempotency-Key, once the offsets commit or the partition goes to another replica', async () => {
      const { graph, slice } = setup();
      Object.assign(outage, { upFor: 0, down: false, answered: [] });
      await graph.process('in', slice);
      await graph.process('in', slice);
      expect(outage.answered).toHaveLength(12);
      // The group's offset passed the first 6 records: only those are forgotten (a seek back would send them again).
      graph.offsetsCommitted('in', 0, '6');
      await graph.process('in', slice);
      expect(answeredTwice().sort()).toEqual(['in/0/0', 'in/0/1', 'in/0/2', 'in/0/3', 'in/0/4', 'in/0/5']);
      graph.partitionReleased('in', 0);
      await graph.process('in', slice);
      expect(outage.answered).toHaveLength(12 + 6 + 12);
    });
  });

  it('rejects URLs with credentials or another scheme when the pipeline is validated', () => {
    expect(httpSink.validate(withDefaults(httpSink, { url: 'https://user:pw@hooks.example.com/x' }))).toHaveLength(1);
    expect(httpSink.validate(withDefaults(httpSink, { url: 'file:///etc/passwd' }))).toHaveLength(1);
    expect(httpSink.validate(withDefaults(httpSink, { url: 'https://hooks.example.com/x?y=1', authEnv: 'lower' }))).toHaveLength(1);
    expect(httpSink.validate(withDefaults(httpSink, { url: 'http://127.0.0.1:8080/hook' }))).toEqual([]);
  });
});
