import type { Rec } from '../types.js';
import { backoff, env, host, sleep } from './host.js';
import { defineKind, type KindProblem } from './spec.js';
import { errorText } from '../errors.js';

/** http(s) URLs without credentials in them; those come from the environment. */
const URL_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$/;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;

/** Whether a failed attempt is worth another: network errors, timeouts, 408, 429 and 5xx. */
export function retryable(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

class HttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface PostOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

/** One request with a timeout; resolves on 2xx, rejects with the status (if any) otherwise. */
async function attempt(o: PostOptions, body: string): Promise<void> {
  const controller = new host.AbortController();
  const timer = host.setTimeout(() => controller.abort(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
  try {
    let res;
    try {
      res = await host.fetch(o.url, { method: o.method, headers: o.headers, body, signal: controller.signal });
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause;
      const why =
        e instanceof Error && e.name === 'AbortError'
          ? `no answer within ${o.timeoutMs} ms`
          : cause instanceof Error
            ? cause.message
            : String(e instanceof Error ? e.message : e);
      throw new HttpError(why);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new HttpError(`${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`, res.status);
  } finally {
    host.clearTimeout(timer);
  }
}

/** POST with bounded retries and exponential backoff; the error says how many attempts were made. */
export async function postWithRetries(o: PostOptions, body: string): Promise<void> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(o, body);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : undefined;
      if (n > o.retries || !retryable(status)) {
        throw new Error(`${o.method} ${o.url} failed after ${n} attempt${n === 1 ? '' : 's'}: ${errorText(e)}`, { cause: e });
      }
      await sleep(backoff(o.backoffMs, n));
    }
  }
}

/**
 * The requests of one http node that were answered 2xx, by input position, until the group's offset
 * passes them or the partition goes to another replica: a slice that is processed again in this
 * replica (its offsets or its transaction did not commit, a slice failed, a rebalance kept the
 * partition here) does not send them again. Only a crash, or the partition moving, repeats them.
 */
/**
 * The Idempotency-Key of a request: its input record's place (topic/partition/offset), and for the
 * second and later outputs of one input record (a flat-map's) which one it is, so that a receiver
 * dropping repeats by the key keeps them all.
 */
export function idempotencyKey(rec: Rec, at: string | undefined): string {
  const place = `${rec.origin.topic}/${rec.origin.partition}/${rec.origin.offset}`;
  const n = at === undefined ? '0' : at.slice(at.indexOf('/') + 1);
  return n === '0' ? place : `${place}/${n}`;
}

export class Delivered {
  /** Per input partition (`topic\u0000partition`): `offset/n`, the n-th request made of the record at that offset. */
  private readonly sent = new Map<string, Set<string>>();

  /** Each record's position: its input offset, and how many records of the same input record come before it in the batch (a flat-map's outputs share one). */
  static positions(batch: readonly Rec[]): string[] {
    const count = new Map<string, number>();
    return batch.map((rec) => {
      const at = `${rec.origin.topic}\u0000${rec.origin.partition}\u0000${rec.origin.offset}`;
      const n = count.get(at) ?? 0;
      count.set(at, n + 1);
      return `${rec.origin.offset}/${n}`;
    });
  }

  has(rec: Rec, at: string | undefined): boolean {
    return at !== undefined && (this.sent.get(`${rec.origin.topic}\u0000${rec.origin.partition}`)?.has(at) ?? false);
  }

  add(rec: Rec, at: string | undefined): void {
    if (at === undefined) return;
    const k = `${rec.origin.topic}\u0000${rec.origin.partition}`;
    let set = this.sent.get(k);
    if (!set) this.sent.set(k, (set = new Set()));
    set.add(at);
  }

  committed(topic: string, partition: number, next: string): void {
    const k = `${topic}\u0000${partition}`;
    const set = this.sent.get(k);
    if (!set) return;
    const below = BigInt(next);
    for (const at of set) if (BigInt(at.slice(0, at.indexOf('/'))) < below) set.delete(at);
    if (set.size === 0) this.sent.delete(k);
  }

  released(topic: string, partition: number): void {
    this.sent.delete(`${topic}\u0000${partition}`);
  }
}

export const httpSink = defineKind({
  kind: 'http-sink',
  category: 'sink',
  title: 'HTTP webhook',
  summary: 'POST every event as JSON to a webhook, with a timeout, retries and backoff.',
  docs:
    "Sends each event's value as a JSON body to `url`. Network errors, timeouts, 408, 429 and 5xx answers are " +
    'retried up to `retries` times with exponential backoff from `backoffMs`; other 4xx answers are not retried. ' +
    'An event that still fails goes to the error port (or the dead-letter topic) with the last error. Events ' +
    'with the same key are sent one after the other, in order; different keys go out `concurrency` at a time. ' +
    "Each request carries an `Idempotency-Key` header (topic/partition/offset of the input record; a flat-map's " +
    'further outputs of one record add /1, /2, …). A request answered 2xx is not sent ' +
    'again by the same replica, even when its slice is consumed again (a failed commit, a rebalance that keeps the ' +
    'partition); after a crash, or when the partition moves to another replica, it is sent again with the same ' +
    'key, so a receiver should drop the repeats by it. A token for the Authorization header comes from ' +
    'the environment variable named by `authEnv` (set from a Secret), never from the pipeline. While the requests ' +
    'of a slice are retried the replica keeps its place in the consumer group; a rebalance waits for them up to ' +
    'its timeout (60 s), so keep `timeoutMs × (retries + 1)` plus the backoff well inside it. In the simulator and ' +
    'in tests nothing is sent: the bodies are collected instead.',
  params: [
    {
      name: 'url',
      type: 'string',
      title: 'URL',
      description: 'The webhook URL, http:// or https://, without credentials.',
      required: true,
      placeholder: 'https://hooks.example.com/orders',
    },
    { name: 'method', type: 'enum', title: 'Method', description: 'The HTTP method of each request.', enum: ['POST', 'PUT'], default: 'POST' },
    {
      name: 'authEnv',
      type: 'string',
      title: 'Authorization from env',
      description: 'Name of an environment variable whose value is sent as the Authorization header, e.g. "Bearer …".',
      placeholder: 'WEBHOOK_AUTHORIZATION',
    },
    { name: 'timeoutMs', type: 'integer', title: 'Timeout (ms)', description: 'How long one attempt may take.', default: 5000, min: 100, max: 60000 },
    { name: 'retries', type: 'integer', title: 'Retries', description: 'Attempts after the first for retryable failures.', default: 3, min: 0, max: 10 },
    {
      name: 'backoffMs',
      type: 'integer',
      title: 'Backoff (ms)',
      description: 'Wait before the first retry; doubles each time, with jitter.',
      default: 200,
      min: 10,
      max: 10000,
    },
    {
      name: 'concurrency',
      type: 'integer',
      title: 'Concurrency',
      description: 'Requests in flight at once (for different keys).',
      default: 8,
      min: 1,
      max: 64,
    },
  ],
  inputs: ['in'],
  outputs: [],
  outputType: { from: 'none' },
  example: { params: { url: 'https://hooks.example.com/orders' }, input: { orderId: 1, status: 'shipped' }, output: { orderId: 1, status: 'shipped' } },
  secrets: (params) =>
    params.authEnv ? [{ name: String(params.authEnv), example: 'Bearer change-me', description: 'The Authorization header the http sink sends.' }] : [],
  validate(params) {
    const problems: KindProblem[] = [];
    const url = String(params.url);
    if (!URL_PATTERN.test(url)) {
      problems.push({
        param: 'url',
        code: 'PW145',
        message: `"${url}" is not an http:// or https:// URL Pipewright accepts.`,
        hint: 'Write e.g. https://hooks.example.com/orders; no user:password@ (use authEnv), no spaces.',
      });
    }
    if (params.authEnv !== undefined && !ENV_NAME.test(String(params.authEnv))) {
      problems.push({
        param: 'authEnv',
        code: 'PW146',
        message: `"${String(params.authEnv)}" is not an environment variable name.`,
        hint: 'Use capitals, digits and "_", e.g. WEBHOOK_AUTHORIZATION.',
      });
    }
    return problems;
  },
  create({ params, capture }) {
    const options = (): PostOptions => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const auth = params.authEnv ? env(String(params.authEnv)) : undefined;
      if (auth) headers.authorization = auth;
      return {
        url: String(params.url),
        method: String(params.method),
        headers,
        timeoutMs: Number(params.timeoutMs),
        retries: Number(params.retries),
        backoffMs: Number(params.backoffMs),
      };
    };
    const concurrency = Number(params.concurrency);
    const delivered = new Delivered();
    return {
      async process(batch, _port, out, clock) {
        if (capture) {
          for (const rec of batch) capture({ key: rec.key, value: rec.value });
          return;
        }
        const base = options();
        // What a node emits on its clock has no input position of its own: it is sent as it comes.
        const at = clock ? batch.map(() => undefined) : Delivered.positions(batch);
        // Order per key: each key's events in sequence; keys side by side.
        const byKey = new Map<string | null, number[]>();
        batch.forEach((rec, i) => {
          let list = byKey.get(rec.key);
          if (!list) byKey.set(rec.key, (list = []));
          list.push(i);
        });
        const queues = [...byKey.values()];
        // A record the error policy fails the slice for: the other keys stop after the request in flight,
        // so that no request of this slice is still out when it is processed again.
        let failure: { error: unknown } | undefined;
        const worker = async () => {
          for (let q = queues.shift(); q && !failure; q = queues.shift()) {
            for (const i of q) {
              if (failure) return;
              const rec = batch[i];
              if (delivered.has(rec, at[i])) continue;
              const o = { ...base, headers: { ...base.headers, 'idempotency-key': idempotencyKey(rec, at[i]) } };
              try {
                await postWithRetries(o, JSON.stringify(rec.value) ?? 'null');
                delivered.add(rec, at[i]);
              } catch (e) {
                try {
                  out.fail(rec, e);
                } catch (error) {
                  failure ??= { error };
                  return;
                }
              }
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, queues.length) }, worker));
        if (failure) throw failure.error;
      },
      committed: (topic, partition, next) => delivered.committed(topic, partition, next),
      released: (topic, partition) => delivered.released(topic, partition),
    };
  },
});
