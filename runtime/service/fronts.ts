/**
 * The parts of a service that produce rather than consume: http-ingest
 * endpoints (Kafka as the buffer in front of workers) and generator sources.
 * Node only. Both produce with acks=all before they count anything as done:
 * an ingest request is answered 202 only after Kafka has its events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { GraphFns, GraphSpec } from '../engine/graph.js';
import { EventGenerator } from '../kinds/generator.js';
import { IngestRejection, ingestMessages, parseIngestBody, type KeyFn } from '../kinds/http-ingest.js';
import { groupByTopic, type Logger } from '../transports/kafka.js';
import type { OutMessage } from '../types.js';

export interface Fronts {
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
      this.queue.push({ messages, done: (e) => (e === undefined ? resolve() : reject(e)) });
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

/** Starts the ingest endpoints and generators of the pipeline, if it has any; undefined when it has none. */
export function startFronts(opts: { spec: GraphSpec; fns: GraphFns; kafka: Kafka; log: Logger }): Fronts | undefined {
  const { spec, fns, kafka, log } = opts;
  const routes = new Map<string, Route>();
  for (const n of spec.nodes) {
    if (n.kind !== 'http-ingest') continue;
    const path = String(n.params.path ?? '/events');
    if (routes.has(path)) throw new Error(`http-ingest nodes "${routes.get(path)!.nodeId}" and "${n.id}" both take ${path}; give each its own path`);
    routes.set(path, { nodeId: n.id, topic: String(n.params.topic), maxBytes: Number(n.params.maxBytes ?? 1048576), key: fns[n.id]?.key as KeyFn | undefined });
  }
  const generators = spec.nodes.filter((n) => n.kind === 'generator');
  if (routes.size === 0 && generators.length === 0) return undefined;

  // Kafka's murmur2 partitioner, named so that the key → partition mapping is the simulator's too.
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const batcher = new Batcher(producer);
  let connected = false;
  let stopping = false;
  let inFlight = 0;
  const counts = { requests: new Map<number, number>(), events: 0, generated: 0 };
  const count = (status: number) => counts.requests.set(status, (counts.requests.get(status) ?? 0) + 1);

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

  async function ingest(route: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > route.maxBytes) {
      count(413);
      // Answer at once and close the connection after the answer; the rest of the body is read and dropped, so
      // the client sees the 413 instead of a reset.
      answer(res, 413, { error: `the request body has ${declared} bytes; at most ${route.maxBytes} are accepted` }, { connection: 'close' });
      req.resume();
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
      messages = ingestMessages(events, route.topic, Date.now(), route.key);
    } catch (e) {
      const status = e instanceof IngestRejection ? e.status : 400;
      count(status);
      answer(res, status, { error: e instanceof Error ? e.message : String(e) });
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
      answer(res, 503, { error: `Kafka did not acknowledge the events, so none is accepted; retry: ${String(e instanceof Error ? e.message : e)}` }, { 'retry-after': '1' });
      return;
    }
    counts.events += messages.length;
    count(202);
    answer(res, 202, { accepted: messages.length });
  }

  const loops = generators.map(async (n) => {
    const gen = new EventGenerator(n.params);
    const topic = String(n.params.topic);
    const rate = Number(n.params.rate ?? 10);
    await connecting;
    const began = Date.now();
    let pending: OutMessage[] = [];
    while (!stopping && !(gen.done && pending.length === 0)) {
      // Catch up to where the rate says we should be, a second's worth at most per round.
      const due = Math.min(rate, Math.floor(((Date.now() - began) / 1000) * rate) - gen.seq);
      if (due > 0) pending = pending.concat(gen.messages(topic, due, Date.now()));
      if (pending.length) {
        try {
          await producer.sendBatch({ topicMessages: groupByTopic(pending), acks: -1 });
          counts.generated += pending.length;
          pending = [];
        } catch (e) {
          log.warn('generator produce failed; retrying', { node: n.id, error: String(e) });
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (gen.done) log.info('generator finished', { node: n.id, events: gen.seq });
  });

  return {
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0];
      const route = routes.get(path);
      if (!route) return false;
      if (req.method !== 'POST') {
        count(405);
        answer(res, 405, { error: `${path} accepts POST only` }, { allow: 'POST' });
        return true;
      }
      if (!connected || stopping) {
        count(503);
        answer(res, 503, { error: stopping ? 'the service is stopping; retry against another replica' : 'not ready: not connected to Kafka yet' }, { 'retry-after': '1' });
        req.resume();
        return true;
      }
      inFlight++;
      ingest(route, req, res)
        .catch((e) => {
          count(500);
          answer(res, 500, { error: String(e) });
        })
        .finally(() => inFlight--);
      return true;
    },
    ready: () => connected && !stopping,
    async stop() {
      stopping = true;
      await connecting;
      for (let waited = 0; inFlight > 0 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(loops);
      await producer.disconnect();
    },
    metrics(pipeline) {
      const p = `pipeline="${pipeline.replace(/["\\\n]/g, '_')}"`;
      const lines = ['# HELP pipewright_ingest_requests_total Ingest requests by the status they were answered with.', '# TYPE pipewright_ingest_requests_total counter'];
      for (const [status, n] of [...counts.requests].sort((a, b) => a[0] - b[0])) lines.push(`pipewright_ingest_requests_total{${p},status="${status}"} ${n}`);
      lines.push('# HELP pipewright_ingest_events_total Events accepted by ingest endpoints and acknowledged by Kafka.', '# TYPE pipewright_ingest_events_total counter', `pipewright_ingest_events_total{${p}} ${counts.events}`);
      lines.push('# HELP pipewright_generated_total Events made by generator sources and acknowledged by Kafka.', '# TYPE pipewright_generated_total counter', `pipewright_generated_total{${p}} ${counts.generated}`);
      return lines.join('\n') + '\n';
    },
  };
}
