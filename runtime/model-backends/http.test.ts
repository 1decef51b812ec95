/**
 * The HTTP backend against a real HTTP server started here: micro-batches,
 * concurrency, timeouts, bounded retries, and errors per request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Prediction } from './common.js';
import { httpScorer, parsePrediction, type HttpScorerOptions } from './http.js';

interface Seen {
  instances: unknown[];
  at: number;
}

let server: Server;
let base = '';
let seen: Seen[] = [];
let inFlight = 0;
let maxInFlight = 0;
/** What the next requests get, in order; afterwards, a normal answer. */
let script: ('slow' | '500' | '429' | '400' | 'short' | 'hang-up')[] = [];

/** The model: score = a * 0.1 + b, or [1 - p, p] probabilities for "classify". */
function answer(req: IncomingMessage, res: ServerResponse, body: string) {
  const { instances } = JSON.parse(body) as { instances: (Record<string, number> | number[])[] };
  seen.push({ instances, at: Date.now() });
  const step = script.shift();
  const send = (status: number, payload: unknown) => {
    inFlight--;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  };
  const score = (i: Record<string, number> | number[]) => (Array.isArray(i) ? i[0] * 0.1 + i[1] : i.a * 0.1 + i.b);
  const predictions = req.url?.includes('classify') ? instances.map((i) => [1 - score(i), score(i)]) : instances.map(score);
  if (step === 'slow') setTimeout(() => send(200, { predictions }), 400);
  else if (step === '500') send(500, { error: 'model server restarting' });
  else if (step === '429') send(429, { error: 'too many requests' });
  else if (step === '400') send(400, { error: 'instances must be numbers' });
  else if (step === 'short') send(200, { predictions: predictions.slice(1) });
  else if (step === 'hang-up') {
    inFlight--;
    req.socket.destroy();
  } else setTimeout(() => send(200, { predictions }), 20);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  script = [];
  maxInFlight = 0;
});

const options = (over: Partial<HttpScorerOptions> = {}): HttpScorerOptions => ({
  url: `${base}/v1/models/m:predict`,
  batchSize: 10,
  concurrency: 2,
  timeoutMs: 200,
  retries: 2,
  instances: 'objects',
  backoffMs: () => 10,
  ...over,
});

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ a: i, b: 0.5 }));

describe('HTTP inference endpoint', () => {
  it('sends micro-batches of at most batchSize instances, concurrently, and keeps the order', async () => {
    const out = await httpScorer(options()).score(rows(35));
    expect(seen.map((s) => s.instances.length).sort((a, b) => a - b)).toEqual([5, 10, 10, 10]);
    expect(maxInFlight).toBe(2);
    expect((out as Prediction[]).map((p) => p.score)).toEqual(rows(35).map((r) => r.a * 0.1 + r.b));
  });

  it('sends instances as lists when asked, and reads class probabilities', async () => {
    const out = await httpScorer(options({ url: `${base}/v1/models/m:classify`, instances: 'arrays' })).score([{ a: 2, b: 0.5 }]);
    expect(seen[0].instances).toEqual([[2, 0.5]]);
    const p = out[0] as Prediction;
    expect(p.score).toBeCloseTo(0.7, 12);
    expect(p.label).toBe(1);
    expect(p.probabilities?.[0]).toBeCloseTo(0.3, 12);
  });

  it('retries a request that times out, and then succeeds', async () => {
    script = ['slow'];
    const started = Date.now();
    const out = await httpScorer(options()).score(rows(3));
    expect(out.every((p) => !(p instanceof Error))).toBe(true);
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('retries 500, 429 and dropped connections', async () => {
    script = ['500', '429'];
    expect((await httpScorer(options()).score(rows(2))).every((p) => !(p instanceof Error))).toBe(true);
    expect(seen).toHaveLength(3);
    seen = [];
    script = ['hang-up'];
    expect((await httpScorer(options()).score(rows(2))).every((p) => !(p instanceof Error))).toBe(true);
  });

  it('gives up after the retries and fails the rows of that request only', async () => {
    script = ['slow', 'slow', 'slow'];
    const out = await httpScorer(options({ batchSize: 2, concurrency: 1 })).score(rows(4));
    expect(seen).toHaveLength(4); // three attempts at the first request, one at the second
    expect((out[0] as Error).message).toMatch(/no answer within 200 ms \(after 3 attempts\)/);
    expect(out[1]).toBeInstanceOf(Error);
    expect(out[2]).toEqual({ score: 2 * 0.1 + 0.5 });
  });

  it('does not retry a 400, and says why', async () => {
    script = ['400'];
    const out = await httpScorer(options()).score(rows(2));
    expect(seen).toHaveLength(1);
    expect((out[0] as Error).message).toMatch(/HTTP 400: .*instances must be numbers/);
  });

  it('fails a request whose answer has the wrong number of predictions', async () => {
    script = ['short'];
    const out = await httpScorer(options()).score(rows(3));
    expect((out[0] as Error).message).toMatch(/answered 2 predictions for 3 instances/);
  });

  it('reports an endpoint that is not there', async () => {
    const out = await httpScorer(options({ url: 'http://127.0.0.1:9/none', retries: 1 })).score(rows(1));
    expect((out[0] as Error).message).toMatch(/request failed.*\(after 2 attempts\)/);
  });
});

describe('predictions', () => {
  it('reads numbers, probability lists and objects', () => {
    expect(parsePrediction(0.25)).toEqual({ score: 0.25 });
    expect(parsePrediction([0.75])).toEqual({ score: 0.75 });
    expect(parsePrediction([0.1, 0.7, 0.2])).toEqual({ score: 0.7, label: 1, probabilities: [0.1, 0.7, 0.2] });
    expect(parsePrediction({ probability: 0.9, label: 'late' })).toEqual({ score: 0.9, label: 'late' });
    expect(parsePrediction('late')).toBeInstanceOf(Error);
  });
});
