/**
 * Node only: the `pipewright dev` server. Serves the designer's build at / and the live-mode API
 * under /api/ (docs/DEV-API.md) on 127.0.0.1 by default. Every request passes the Host and Origin
 * checks, every /api/ request the token; no user string reaches a shell or a path but the one
 * pipeline file's.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { ServiceConfig } from '../../runtime/service/config.js';
import { allowedHosts, EventHub, guard, HttpError, readJson, sendError, sendJson, type Guard } from './node-http.js';
import { DevKafka, format, topicName } from './node-kafka.js';
import type { Log } from './node-build.js';
import { PipelineFile } from './node-pipeline.js';
import { Runs } from './node-runs.js';
import { shapeDifferences } from '../infer.js';
import { valueText } from '../../runtime/types.js';

export interface DevOptions {
  config: ServiceConfig;
  /** The pipeline file the designer edits; none: the pipeline endpoints answer 404. */
  pipelinePath?: string;
  host: string;
  /** 0: a free port. */
  port: number;
  /** The designer's build folder; null serves no designer (the API alone). */
  designerDir: string | null;
  /** Where built services are kept, one folder per content hash. */
  cacheDir: string;
  log: Log;
  /** A fixed token, for tests; else 32 random bytes. */
  token?: string;
}

export interface DevServer {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

interface Ctx {
  req: IncomingMessage;
  url: URL;
  parts: string[];
  method: string;
}

const int = (v: string | null, name: string, min: number, max: number, fallback?: number): number => {
  if ((v === null || v === '') && fallback !== undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}`);
  return n;
};

const confirmed = (body: Record<string, unknown>, what: string) => {
  if (body.confirm !== true) throw new HttpError(409, `${what} changes the cluster; send confirm: true to do it`, 'ask the user first');
};

export async function startDevServer(opts: DevOptions): Promise<DevServer> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const kafka = new DevKafka(opts.config);
  const hub = new EventHub();
  const pipeline = opts.pipelinePath ? new PipelineFile(resolve(opts.pipelinePath)) : undefined;
  pipeline?.watch((version) => hub.send('pipeline-changed', { version }));
  const runs = new Runs({ kafka, pipeline, cacheDir: opts.cacheDir, log: opts.log, onStatus: (view) => hub.send('run', view) });
  const tails = new Map<string, Promise<{ stop: () => Promise<void> }>>();
  const g: Guard = { token, hosts: new Set() };
  const api = new Api(kafka, hub, pipeline, runs, tails);

  const server = createServer((req, res) => void handle(req, res));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
      guard(req, url, g, isApi, url.pathname === '/api/events');
      if (!isApi) return serveStatic(opts.designerDir, url.pathname, req, res);
      const parts = url.pathname
        .split('/')
        .slice(2)
        .map((p) => {
          try {
            return decodeURIComponent(p);
          } catch {
            throw new HttpError(400, 'the path is not valid URL encoding');
          }
        });
      if (parts[0] === 'events' && req.method === 'GET') return hub.open(res);
      sendJson(res, 200, await api.route({ req, url, parts, method: req.method ?? 'GET' }));
    } catch (e) {
      sendError(res, e);
    }
  };
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok());
  });
  const port = (server.address() as { port: number }).port;
  for (const h of allowedHosts(opts.host, port)) g.hosts.add(h);
  const shown = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const origin = `http://${shown}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      pipeline?.close();
      hub.close();
      await runs.close();
      await Promise.all(
        [...tails.values()].map((t) =>
          t.then(
            (x) => x.stop(),
            () => undefined,
          ),
        ),
      );
      await closeServer(server);
      await kafka.close();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}

class Api {
  constructor(
    private readonly kafka: DevKafka,
    private readonly hub: EventHub,
    private readonly pipeline: PipelineFile | undefined,
    private readonly runs: Runs,
    private readonly tails: Map<string, Promise<{ stop: () => Promise<void> }>>,
  ) {}

  async route(c: Ctx): Promise<unknown> {
    const [head, id, sub] = c.parts;
    const key = `${c.method} ${head}${id !== undefined ? '/:id' : ''}${sub !== undefined ? `/${sub}` : ''}`;
    switch (key) {
      case 'GET status':
        return { brokers: this.kafka.config.brokers, pipelinePath: this.pipeline?.path ?? null, ...(await this.kafka.status()) };
      case 'GET topics':
        return { topics: await this.kafka.topics() };
      case 'POST topics':
        return this.createTopic(await readJson(c.req));
      case 'GET topics/:id':
        return this.kafka.topic(topicName(id));
      case 'GET topics/:id/messages': {
        const q = c.url.searchParams;
        return {
          messages: await this.kafka.lastMessages(
            topicName(id),
            int(q.get('partition'), 'partition', 0, 100_000, 0),
            int(q.get('limit'), 'limit', 1, 500, 20),
            format(q.get('format')),
          ),
        };
      }
      case 'GET groups':
        return { groups: await this.kafka.groups() };
      case 'POST groups/:id/reset':
        return this.resetGroup(id, await readJson(c.req));
      case 'POST sample':
        return this.sample(await readJson(c.req));
      case 'GET pipeline':
        return this.readPipeline();
      case 'PUT pipeline': {
        const body = await readJson(c.req);
        return this.file().write(body.text, body.baseVersion);
      }
      case 'POST runs':
        return this.runs.start(await readJson(c.req));
      case 'GET runs/:id':
        return this.runs.get(id).view();
      case 'DELETE runs/:id':
        return this.runs.stop(id, c.url.searchParams.get('deleteTopics') === 'true');
      case 'POST tail':
        return this.tail(await readJson(c.req));
      case 'DELETE tail/:id':
        return this.untail(topicName(id));
      default:
        throw new HttpError(404, `no API ${c.method} /api/${c.parts.join('/').slice(0, 100)}`, 'see docs/DEV-API.md');
    }
  }

  private file(): PipelineFile {
    if (!this.pipeline) throw new HttpError(404, 'no pipeline file', 'start pipewright dev with the pipeline file: pipewright dev pipeline.yaml');
    return this.pipeline;
  }

  private async readPipeline() {
    const { text, version } = this.file().read();
    const checked = text.trim() ? await this.file().check(text) : { problems: [] };
    return { text, version, path: this.file().path, problems: checked.problems };
  }

  private async createTopic(body: Record<string, unknown>) {
    const name = topicName(body.name, 'name');
    const partitions = int(body.partitions === undefined ? '1' : valueText(body.partitions), 'partitions', 1, 10_000);
    const rf = body.replicationFactor === undefined ? undefined : int(valueText(body.replicationFactor), 'replicationFactor', 1, 100);
    confirmed(body, `creating topic ${name}`);
    const created = await this.kafka.call((a) =>
      a.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: partitions, ...(rf ? { replicationFactor: rf } : {}) }] }),
    );
    if (!created) throw new HttpError(409, `topic ${name} exists already`);
    return { created: name };
  }

  private async resetGroup(groupId: string, body: Record<string, unknown>) {
    if (!groupId || groupId.length > 255) throw new HttpError(400, 'the group id must be 1 to 255 characters');
    const topic = topicName(body.topic);
    if (body.to !== 'earliest' && body.to !== 'latest') throw new HttpError(400, 'to must be earliest or latest');
    confirmed(body, `resetting group ${groupId} on ${topic}`);
    const [group] = await this.kafka.groups([groupId]);
    if (group && group.members.length > 0)
      throw new HttpError(
        409,
        `group ${groupId} has ${group.members.length} active member(s)`,
        'stop its consumers (or the run) first; Kafka resets only an empty group',
      );
    // Real offsets rather than kafkajs's -1 for "latest", so the group's lag reads right at once.
    const ends = await this.kafka.call((a) => a.fetchTopicOffsets(topic));
    const partitions = ends.map((o) => ({ partition: o.partition, offset: body.to === 'earliest' ? o.low : o.high }));
    await this.kafka.call((a) => a.setOffsets({ groupId, topic, partitions }));
    return { reset: true, groupId, topic, to: body.to };
  }

  private async sample(body: Record<string, unknown>) {
    const topic = topicName(body.topic);
    const limit = int(body.limit === undefined ? '20' : valueText(body.limit), 'limit', 1, 500);
    const as = format(body.format);
    const messages = await this.kafka.sample(topic, limit, as);
    // A message the source could not decode would become a sample of the wrong shape: it is left out, and said.
    const undecoded = messages.filter((m) => m.decodeError !== undefined);
    const events = messages.filter((m) => m.decodeError === undefined).map((m) => ({ key: m.key, value: m.value }));
    const left = undecoded.length
      ? [
          `${undecoded.length} of the ${messages.length} messages are not ${as} and were left out (the first at partition ${undecoded[0].partition}, offset ${undecoded[0].offset})`,
        ]
      : [];
    const checked = this.pipeline ? await this.pipeline.check() : undefined;
    const sources = (checked?.pipeline?.nodes ?? []).filter((n) => n.params.topic === topic && (n.samples?.length ?? 0) > 0);
    const shape = sources.length
      ? shapeDifferences(
          sources.flatMap((n) => n.samples!.map((s) => s.value)),
          events.map((e) => e.value),
        )
      : [];
    const mismatch = [...left, ...shape];
    return mismatch.length ? { events, mismatch } : { events };
  }

  private async tail(body: Record<string, unknown>) {
    const topic = topicName(body.topic);
    if (body.from !== undefined && body.from !== 'end') throw new HttpError(400, "from must be 'end' (tailing starts at the end of the topic)");
    if (!this.tails.has(topic)) {
      const started = this.kafka.tail(topic, (message) => this.hub.send('tail', { topic, message }));
      this.tails.set(topic, started);
      started.catch(() => this.tails.delete(topic));
      await started;
    }
    return { tailing: topic };
  }

  private async untail(topic: string) {
    const t = this.tails.get(topic);
    if (!t) throw new HttpError(404, `topic ${topic} is not tailed`);
    this.tails.delete(topic);
    await (await t).stop();
    return { tailing: false, topic };
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** A file of the designer's build; the page itself for anything else without an extension. Never outside the build. */
function serveStatic(root: string | null, pathname: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'only GET here');
  if (!root) throw new HttpError(404, 'this server has no designer build; the API is under /api/');
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'the path is not valid URL encoding');
  }
  if (rel.includes('\0') || rel.split(/[\\/]/).includes('..')) throw new HttpError(403, 'the path leaves the designer folder');
  const base = realpathSync(root);
  let file = resolve(base, '.' + (rel === '/' ? '/index.html' : rel));
  let stat = statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) {
    if (extname(rel) !== '') throw new HttpError(404, 'no such file');
    file = join(base, 'index.html');
    stat = statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) throw new HttpError(404, 'the designer build has no index.html');
  }
  const real = realpathSync(file);
  if (!real.startsWith(base + sep)) throw new HttpError(403, 'the path leaves the designer folder');
  res.writeHead(200, {
    'content-type': TYPES[extname(real)] ?? 'application/octet-stream',
    'content-length': stat.size,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(real).pipe(res);
}
