/**
 * The producer sources: the source kinds whose events do not come from a
 * Kafka topic, so the service produces them itself instead of consuming
 * them — http-ingest endpoints (Kafka as the buffer in front of workers) and
 * generator sources. Every other node runs in the consumer loop
 * (runtime/transports/kafka.ts).
 * Node only. Both produce with acks=all before they count anything as done:
 * an ingest request is answered 202 only after Kafka has its events.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Partitioners, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import type { NodeSpec } from '../engine/graph.js';
import type { GraphFns, GraphSpec } from '../engine/graph.js';
import { EventGenerator, generator } from '../kinds/generator.js';
import { loadPackage } from '../kinds/host.js';
import { IngestRejection, httpIngest, ingestMessages, parseIngestBody, type KeyFn } from '../kinds/http-ingest.js';
import { withDefaults } from '../kinds/spec.js';
import { schemaErrorText } from '../kinds/validate.js';
import { groupByTopic, type Logger } from '../transports/kafka.js';
import { valueText, type OutMessage } from '../types.js';
import { errorText } from '../errors.js';

export interface ProducerSources {
  /** Answers a request when it is for an ingest path; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether the producer is connected and nothing is stopping. */
  ready(): boolean;
  /** Stop taking requests (503), finish the ones in flight, stop generating, disconnect. */
  stop(): Promise<void>;
  metrics(pipeline: string): string;
}

interface Route {
  nodeId: string;
  topic: string;
  maxBytes: number;
  key?: KeyFn;
  /** With auth: the header that must carry the secret, and the SHA-256 of what it must hold. */
  auth?: { kind: 'bearer' | 'api-key'; header: string; digest: Buffer };
  limiter?: RateLimiter;
  /** With a schema: the compiled check, once ajv has loaded it (undefined until then). */
  check?: SchemaCheck;
  schemaReady: boolean;
}

interface SchemaCheck {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Per client (by address), a token bucket: `rate` requests a second, a burst of one second's worth.
 * Buckets that have filled up again are forgotten once there are many, so memory stays bounded.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when the request may go ahead, else the seconds until it may. */
  take(client: string): number {
    const t = this.now();
    let b = this.buckets.get(client);
    if (!b) {
      if (this.buckets.size >= 10_000) this.sweep(t);
      this.buckets.set(client, (b = { tokens: this.rate, at: t }));
    }
    b.tokens = Math.min(this.rate, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
  }

  private sweep(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.rate >= this.rate) this.buckets.delete(k);
  }
}

/** Whether a request carries the secret the route wants, compared in constant time. */
function authorized(auth: NonNullable<Route['auth']>, req: IncomingMessage): boolean {
  const raw = req.headers[auth.header];
  let presented = Array.isArray(raw) ? raw[0] : raw;
  if (presented === undefined) return false;
  if (auth.kind === 'bearer') {
    const m = /^Bearer +(.+)$/i.exec(presented.trim());
    if (!m) return false;
    presented = m[1];
  }
  return timingSafeEqual(sha256(presented), auth.digest);
}

/** Largest number of messages in one produce of the ingest batcher. */
const MAX_BATCH = 5000;

/**
 * Produces what concurrent requests hand it in as few sendBatch calls as it
 * can: while one produce is in flight, the next requests queue, then go out
 * together. No timer, so a lone request waits for nothing.
 */
class Batcher {
  private queue: { messages: OutMessage[]; done: (error?: unknown) => void }[] = [];
  private inFlight = false;

  constructor(private readonly producer: Producer) {}

  send(messages: OutMessage[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, done: (e) => (e === undefined ? resolve() : reject(e instanceof Error ? e : new Error(valueText(e)))) });
      void this.kick();
    });
  }

  private async kick(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    this.inFlight = true;
    const items: typeof this.queue = [];
    let count = 0;
    while (this.queue.length && (items.length === 0 || count + this.queue[0].messages.length <= MAX_BATCH)) {
      const item = this.queue.shift()!;
      items.push(item);
      count += item.messages.length;
    }
    try {
      await this.producer.sendBatch({ topicMessages: groupByTopic(items.flatMap((i) => i.messages)), acks: -1 });
      for (const i of items) i.done();
    } catch (e) {
      for (const i of items) i.done(e ?? new Error('produce failed'));
    } finally {
      this.inFlight = false;
      void this.kick();
    }
  }
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body) + '\n');
}

/** What the producer sources count: requests by the status they were answered with, events accepted, events generated. */
class SourceCounts {
  readonly requests = new Map<number, number>();
  events = 0;
  generated = 0;

  count(status: number): void {
    this.requests.set(status, (this.requests.get(status) ?? 0) + 1);
  }

  /** The counts in Prometheus's text format. */
  metrics(pipeline: string): string {
    const p = `pipeline="${pipeline.replace(/["\\\n]/g, '_')}"`;
    const lines = [
      '# HELP pipewright_ingest_requests_total Ingest requests by the status they were answered with.',
      '# TYPE pipewright_ingest_requests_total counter',
    ];
    for (const [status, n] of [...this.requests].sort((a, b) => a[0] - b[0])) lines.push(`pipewright_ingest_requests_total{${p},status="${status}"} ${n}`);
    lines.push(
      '# HELP pipewright_ingest_events_total Events accepted by ingest endpoints and acknowledged by Kafka.',
      '# TYPE pipewright_ingest_events_total counter',
      `pipewright_ingest_events_total{${p}} ${this.events}`,
    );
    lines.push(
      '# HELP pipewright_generated_total Events made by generator sources and acknowledged by Kafka.',
      '# TYPE pipewright_generated_total counter',
      `pipewright_generated_total{${p}} ${this.generated}`,
    );
    return lines.join('\n') + '\n';
  }
}

/**
 * The routes of the pipeline's http-ingest nodes by path, and the schema checks being compiled
 * (a route with a schema is not ready until its check is).
 */
function ingestRoutes(
  spec: GraphSpec,
  fns: GraphFns,
  env: Record<string, string | undefined>,
  log: Logger,
  now?: () => number,
): { routes: Map<string, Route>; compiling: Promise<void>[] } {
  const routes = new Map<string, Route>();
  const compiling: Promise<void>[] = [];
  for (const n of spec.nodes) {
    if (n.kind !== 'http-ingest') continue;
    const { path, topic, maxBytes, auth, tokenEnv, apiKeyHeader, rateLimit, schema } = withDefaults(httpIngest, n.params, { expressions: false });
    if (routes.has(path)) throw new Error(`http-ingest nodes "${routes.get(path)!.nodeId}" and "${n.id}" both take ${path}; give each its own path`);
    const route: Route = { nodeId: n.id, topic, maxBytes, key: fns[n.id]?.key as KeyFn | undefined, schemaReady: true };
    if (auth === 'bearer' || auth === 'api-key') {
      const secret = env[tokenEnv];
      if (!secret) {
        throw new Error(
          `http-ingest node "${n.id}" has auth: ${auth} but the environment variable ${tokenEnv} is not set; set it from the service's Secret (see k8s/secret.example.yaml), or use auth: none`,
        );
      }
      route.auth = { kind: auth, header: auth === 'bearer' ? 'authorization' : apiKeyHeader.toLowerCase(), digest: sha256(secret) };
    }
    if (rateLimit > 0) route.limiter = new RateLimiter(rateLimit, now);
    if (schema !== undefined) {
      route.schemaReady = false;
      compiling.push(
        loadPackage<new (o: Record<string, unknown>) => { compile(schema: unknown): SchemaCheck }>('ajv', `http-ingest node "${n.id}"`)
          .then((Ajv) => {
            route.check = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
            route.schemaReady = true;
          })
          .catch((e) =>
            log.error('the schema of an http-ingest node cannot be used; its endpoint answers 503', {
              node: n.id,
              error: String(e instanceof Error ? e.message : e),
            }),
          ),
      );
    }
    routes.set(path, route);
  }
  return { routes, compiling };
}

/**
 * 413 for a body whose declared length is too large: the rest of the body is read and dropped first, and the
 * answer (which closes the connection) follows, so a client still writing its body sees the 413 instead of a
 * broken pipe.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, error: string, counts: SourceCounts): void {
  counts.count(413);
  const refuse = () => answer(res, 413, { error }, { connection: 'close' });
  if (req.readableEnded) return refuse();
  req.once('end', refuse);
  req.once('close', () => req.readableEnded || res.destroy());
  req.resume();
}

/** Reads an ingest request's events, checks them, produces them and answers 202 once Kafka has them (or says why not). */
async function ingest(route: Route, req: IncomingMessage, res: ServerResponse, batcher: Batcher, counts: SourceCounts, log: Logger): Promise<void> {
  const count = (status: number) => counts.count(status);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > route.maxBytes) {
    refuseTooLarge(req, res, `the request body has ${declared} bytes; at most ${route.maxBytes} are accepted`, counts);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > route.maxBytes) {
      count(413);
      answer(res, 413, { error: `the request body is larger than ${route.maxBytes} bytes` }, { connection: 'close' });
      req.resume();
      return;
    }
    chunks.push(chunk);
  }
  let messages: OutMessage[];
  try {
    const events = parseIngestBody(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
    if (route.check) {
      events.forEach((event, i) => {
        if (!route.check!(event))
          throw new IngestRejection(400, `event ${i + 1} of the request: ${schemaErrorText(route.check!.errors ?? [])}; no event of this request was accepted`);
      });
    }
    messages = ingestMessages(events, route.topic, Date.now(), route.key);
  } catch (e) {
    const status = e instanceof IngestRejection ? e.status : 400;
    count(status);
    answer(res, status, { error: errorText(e) });
    return;
  }
  if (messages.length === 0) {
    count(202);
    answer(res, 202, { accepted: 0 });
    return;
  }
  try {
    await batcher.send(messages);
  } catch (e) {
    log.warn('ingest produce failed', { node: route.nodeId, error: String(e) });
    count(503);
    answer(
      res,
      503,
      { error: `Kafka did not acknowledge the events, so none is accepted; retry: ${String(e instanceof Error ? e.message : e)}` },
      { 'retry-after': '1' },
    );
    return;
  }
  counts.events += messages.length;
  count(202);
  answer(res, 202, { accepted: messages.length });
}

/** Answers a request its route does not take now (not a POST, over the rate, wrong credentials, not ready); returns whether it did. */
function refused(
  route: Route,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  counts: SourceCounts,
  { connected, stopping }: { connected: boolean; stopping: boolean },
): boolean {
  const count = (status: number) => counts.count(status);
  if (req.method !== 'POST') {
    count(405);
    answer(res, 405, { error: `${path} accepts POST only` }, { allow: 'POST' });
    return true;
  }
  if (route.limiter) {
    const wait = route.limiter.take(req.socket.remoteAddress ?? '');
    if (wait > 0) {
      count(429);
      answer(
        res,
        429,
        { error: `more than ${route.limiter.rate} requests per second from this client; retry after ${wait} s` },
        { 'retry-after': String(wait) },
      );
      req.resume();
      return true;
    }
  }
  if (route.auth && !authorized(route.auth, req)) {
    count(401);
    const hint = route.auth.kind === 'bearer' ? 'send the header Authorization: Bearer <token>' : `send the API key in the header ${route.auth.header}`;
    answer(res, 401, { error: `missing or wrong credentials: ${hint}` }, route.auth.kind === 'bearer' ? { 'www-authenticate': 'Bearer' } : {});
    req.resume();
    return true;
  }
  if (!connected || stopping || !route.schemaReady) {
    count(503);
    const why = stopping
      ? 'the service is stopping; retry against another replica'
      : connected
        ? 'not ready: the schema of this endpoint is not loaded'
        : 'not ready: not connected to Kafka yet';
    answer(res, 503, { error: why }, { 'retry-after': '1' });
    req.resume();
    return true;
  }
  return false;
}

/** Starts the producer sources of the pipeline (ingest endpoints and generators), if it has any; undefined when it has none. */
export function startProducerSources(opts: {
  spec: GraphSpec;
  fns: GraphFns;
  kafka: Kafka;
  log: Logger;
  /** The service's consumer group; generators coordinate in groups named after it. */
  groupId?: string;
  env?: Record<string, string | undefined>;
  now?: () => number;
}): ProducerSources | undefined {
  const { spec, fns, kafka, log } = opts;
  const groupId = opts.groupId ?? spec.pipeline;
  const env = opts.env ?? process.env;
  const { routes, compiling } = ingestRoutes(spec, fns, env, log, opts.now);
  const generators = spec.nodes.filter((n) => n.kind === 'generator');
  if (routes.size === 0 && generators.length === 0) return undefined;

  // Kafka's murmur2 partitioner, named so that the key → partition mapping is the simulator's too.
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const batcher = new Batcher(producer);
  let connected = false;
  let stopping = false;
  let inFlight = 0;
  const counts = new SourceCounts();
  const count = (status: number) => counts.count(status);

  const connecting = (async () => {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        await producer.connect();
        connected = true;
        log.info('producer connected', { ingest: [...routes.keys()], generators: generators.map((g) => g.id) });
        return;
      } catch (e) {
        log.warn('producer cannot connect yet; retrying', { error: String(e), attempt });
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  })();

  const loops = generators.map((n) =>
    runGenerator(n, { kafka, log, groupId, isStopping: () => stopping, connecting, onProduced: (k) => (counts.generated += k) }),
  );

  return {
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0];
      const route = routes.get(path);
      if (!route) return false;
      if (refused(route, path, req, res, counts, { connected, stopping })) return true;
      inFlight++;
      ingest(route, req, res, batcher, counts, log)
        .catch((e) => {
          count(500);
          answer(res, 500, { error: String(e) });
        })
        .finally(() => inFlight--);
      return true;
    },
    ready: () => connected && !stopping && [...routes.values()].every((r) => r.schemaReady),
    async stop() {
      stopping = true;
      await connecting;
      await Promise.all(compiling);
      for (let waited = 0; inFlight > 0 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(loops);
      await producer.disconnect();
    },
    metrics: (pipeline) => counts.metrics(pipeline),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A generator source runs on one replica at a time [1]: the replicas join the group
 * `<group>.generator.<node>` on the generator's topic, and the member that is assigned partition 0
 * generates. It produces in transactions with the transactional id `<group>.generator.<node>`, and
 * each transaction also commits how far the sequence has got, as the offset of partition 0 for the
 * group `<group>.generator.<node>.progress`. A new owner's first transaction fences the old owner
 * (whose open transaction is aborted), then it reads that offset and continues the sequence from
 * there: nothing is generated twice or skipped across a handover.
 */
async function runGenerator(
  n: NodeSpec,
  ctx: { kafka: Kafka; log: Logger; groupId: string; isStopping: () => boolean; connecting: Promise<void>; onProduced: (count: number) => void },
): Promise<void> {
  const { kafka, log } = ctx;
  const { topic, rate } = withDefaults(generator, n.params);
  const name = `${ctx.groupId}.generator.${n.id}`;
  const progressGroup = `${name}.progress`;
  let owner = false;
  const member = kafka.consumer({ groupId: name, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
  member.on(member.events.REBALANCING, () => (owner = false));
  member.on(member.events.GROUP_JOIN, ({ payload }) => {
    owner = (payload.memberAssignment[topic] ?? []).includes(0);
    log.info(owner ? 'generating: this replica owns the generator' : 'not generating: another replica owns the generator', { node: n.id });
  });
  await ctx.connecting;
  if (ctx.isStopping()) return;
  const admin = kafka.admin();
  if (!(await joinGeneratorGroup(n, topic, member, admin, log))) return;
  let producer: Producer | undefined;
  let gen: EventGenerator | undefined;
  let began = 0;
  let pending: OutMessage[] = [];
  const release = async () => {
    gen = undefined;
    pending = [];
    await producer?.disconnect().catch(() => {});
    producer = undefined;
  };
  while (!ctx.isStopping()) {
    if (!owner || gen?.done) {
      if (gen && !owner) await release();
      await sleep(100);
      continue;
    }
    let txn: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      if (!producer) {
        producer = kafka.producer({
          transactionalId: name,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          createPartitioner: Partitioners.DefaultPartitioner,
        });
        await producer.connect();
      }
      // The first transaction of a producer fences any other with the same id, and ends its open transaction.
      txn = await producer.transaction();
      if (!gen) {
        const [progress] = await admin.fetchOffsets({ groupId: progressGroup, topics: [topic] });
        const next = Math.max(0, Number(progress.partitions.find((p) => p.partition === 0)?.offset ?? 0));
        gen = new EventGenerator(n.params);
        // Seeded: the events before `next` are made again, and dropped, so that the sequence continues exactly.
        for (let skipped = 0; skipped < next; skipped += 10_000) gen.messages(topic, Math.min(10_000, next - skipped), 0);
        began = Date.now() - (gen.seq / rate) * 1000;
        log.info('generator continues its sequence', { node: n.id, seq: gen.seq });
      }
      // Catch up to where the rate says we should be, a second's worth at most per round.
      const due = Math.min(rate, Math.floor(((Date.now() - began) / 1000) * rate) - gen.seq);
      if (due > 0) pending = pending.concat(gen.messages(topic, due, Date.now()));
      if (pending.length) {
        await txn.sendBatch({ topicMessages: groupByTopic(pending), acks: -1 });
        await txn.sendOffsets({ consumerGroupId: progressGroup, topics: [{ topic, partitions: [{ partition: 0, offset: String(gen.seq) }] }] });
        await txn.commit();
        ctx.onProduced(pending.length);
        pending = [];
      } else await txn.abort();
    } catch (e) {
      // Fenced by a new owner, or the broker failed: start again from what is committed.
      log.warn('generator transaction failed; it starts again from the committed sequence', { node: n.id, error: String(e) });
      if (txn?.isActive()) await txn.abort().catch(() => {});
      await release();
    }
    if (gen?.done) log.info('generator finished', { node: n.id, events: gen.seq });
    await sleep(100);
  }
  await release();
  await Promise.all([member.disconnect().catch(() => {}), admin.disconnect().catch(() => {})]);
}

/** Connects a generator's group member (which only listens for its assignment) and admin client; false, logged and disconnected, when they cannot. */
async function joinGeneratorGroup(n: NodeSpec, topic: string, member: Consumer, admin: Admin, log: Logger): Promise<boolean> {
  try {
    await member.connect();
    await admin.connect();
    await member.subscribe({ topics: [topic] });
    await member.run({ autoCommit: false, eachBatch: async () => {} });
    member.pause([{ topic }]);
    return true;
  } catch (e) {
    log.error('the generator cannot join its group; it does not generate', { node: n.id, error: String(e) });
    await member.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    return false;
  }
}

// [1] Every replica of the service runs the same code; without this, each would generate the
//     whole sequence, and a handover (a replica killed, or scaled in) would repeat or skip part
//     of it. kafkajs has no KIP-447, so the fencing is by transactional id, as Kafka Streams did
//     before it.
