/**
 * The HTTP backend: a KServe (v1) / TF Serving style inference endpoint.
 * Rows go in micro-batches of at most `batchSize` instances per request,
 * `concurrency` requests at a time:
 *
 *   POST url  {"instances": [{"distance": 1200, ...}, ...]}   (or [[1200, ...], ...] with instances: arrays)
 *   200       {"predictions": [0.83, ...]}
 *
 * A prediction is a number (the score), a list of numbers (class
 * probabilities), or an object with score/probability, label and
 * probabilities. Each request has a timeout; timeouts, network errors, 429
 * and 5xx are retried a bounded number of times with backoff; anything else,
 * or running out of retries, fails that request's events to the error port.
 */
import { fromProbabilities, type Prediction, type Row, type Scorer } from './common.js';
import { errorText } from '../errors.js';

export interface HttpScorerOptions {
  url: string;
  batchSize: number;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  instances: 'objects' | 'arrays';
  /** Backoff before retry n (1-based); defaults to 50 ms doubling, at most 1 s. */
  backoffMs?: (attempt: number) => number;
}

// Fetch, AbortController and timers exist in Node 20 and in browsers; typed here because the
// runtime compiles with the ES library only.
interface FetchResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}
interface Globals {
  fetch(url: string, init: { method: string; headers: Record<string, string>; body: string; signal: unknown }): Promise<FetchResponse>;
  AbortController: new () => { signal: unknown; abort(reason?: unknown): void };
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const g = globalThis as unknown as Globals;

class Retryable extends Error {}

const sleep = (ms: number) => new Promise<void>((resolve) => g.setTimeout(resolve, ms));

export function httpScorer(options: HttpScorerOptions): Scorer {
  const backoff = options.backoffMs ?? ((attempt: number) => Math.min(1000, 50 * 2 ** (attempt - 1)));

  const once = async (body: string): Promise<unknown[]> => {
    const controller = new g.AbortController();
    let timedOut = false;
    const timer = g.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    let response: FetchResponse;
    let text: string;
    try {
      response = await g.fetch(options.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: controller.signal });
      text = await response.text();
    } catch (e) {
      if (timedOut) throw new Retryable(`no answer within ${options.timeoutMs} ms`);
      throw new Retryable(`request failed: ${errorText((e as { cause?: unknown }).cause ?? e)}`);
    } finally {
      g.clearTimeout(timer);
    }
    if (response.status === 429 || response.status >= 500) throw new Retryable(`HTTP ${response.status}: ${text.slice(0, 200)}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new Error(`the answer is not JSON: ${text.slice(0, 100)}`);
    }
    const predictions = (doc as { predictions?: unknown }).predictions;
    if (!Array.isArray(predictions)) throw new Error('the answer has no "predictions" list');
    return predictions as unknown[];
  };

  const request = async (rows: readonly Row[]): Promise<(Prediction | Error)[]> => {
    const instances = options.instances === 'arrays' ? rows.map((r) => Object.values(r)) : rows;
    const body = JSON.stringify({ instances });
    let lastError = '';
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      if (attempt > 0) await sleep(backoff(attempt));
      try {
        const predictions = await once(body);
        if (predictions.length !== rows.length) {
          return rows.map(() => new Error(`the endpoint answered ${predictions.length} predictions for ${rows.length} instances`));
        }
        return predictions.map(parsePrediction);
      } catch (e) {
        lastError = errorText(e);
        if (!(e instanceof Retryable)) break;
      }
    }
    const tries = options.retries + 1;
    const error = new Error(
      `inference endpoint ${options.url}: ${lastError}${lastError.startsWith('HTTP 4') ? '' : ` (after ${tries} attempt${tries > 1 ? 's' : ''})`}`,
    );
    return rows.map(() => error);
  };

  return {
    async score(rows) {
      const chunks: Row[][] = [];
      for (let i = 0; i < rows.length; i += options.batchSize) chunks.push(rows.slice(i, i + options.batchSize));
      const results = new Array<(Prediction | Error)[]>(chunks.length);
      let next = 0;
      const worker = async () => {
        while (next < chunks.length) {
          const i = next++;
          results[i] = await request(chunks[i]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, chunks.length) }, worker));
      return results.flat();
    },
  };
}

/** One entry of "predictions" → a prediction, or the error of that event. */
export function parsePrediction(p: unknown): Prediction | Error {
  if (typeof p === 'number') return { score: p };
  if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number')) {
    return p.length === 1 ? { score: p[0] } : fromProbabilities(p);
  }
  if (typeof p === 'object' && p !== null && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const probs = Array.isArray(o.probabilities) && o.probabilities.every((x) => typeof x === 'number') ? o.probabilities : undefined;
    const score = [o.score, o.probability, o.prediction].find((x): x is number => typeof x === 'number');
    const label = typeof o.label === 'number' || typeof o.label === 'string' ? o.label : undefined;
    if (probs) return { ...fromProbabilities(probs), ...(score !== undefined ? { score } : {}), ...(label !== undefined ? { label } : {}) };
    if (score !== undefined) return { score, ...(label !== undefined ? { label } : {}) };
  }
  return new Error(
    `cannot read the prediction ${JSON.stringify(p)?.slice(0, 80)}: expected a number, a list of probabilities, or { score, label, probabilities }`,
  );
}
