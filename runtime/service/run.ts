/**
 * The service shell of a generated Pipewright service: configuration from
 * the environment, the consumer group, /healthz /readyz /metrics, and a
 * graceful shutdown on SIGTERM that finishes the batch in flight, commits and
 * exits well inside the pod's termination grace period.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { Graph, type GraphFns, type GraphSpec } from '../engine/graph.js';
import { createKafka, startKafkaLoop, type KafkaLoop, type Logger } from '../transports/kafka.js';
import { checkConnection, ConnectionError } from '../transports/kafka-connection.js';
import { ConfigError, configFromEnv, type ServiceConfig } from './config.js';
import { escapeLabel, Metrics } from './metrics.js';
import { ProcessMetrics } from './process-metrics.js';
import { startProducerSources, type ProducerSources } from './producer-sources.js';
import { errorText } from '../errors.js';
import { prefixTopics } from './topic-prefix.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export function jsonLogger(level: ServiceConfig['logLevel'], pipeline: string): Logger {
  const write =
    (lvl: keyof typeof LEVELS) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS[lvl] < LEVELS[level]) return;
      process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: lvl, pipeline, msg, ...fields }) + '\n');
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export interface RunOptions {
  spec: GraphSpec;
  fns: GraphFns;
  /** Whether a new consumer group starts at the earliest offset. */
  fromBeginning: boolean;
  env?: Record<string, string | undefined>;
}

export async function runService(opts: RunOptions): Promise<void> {
  const config = configOrExit(opts.env ?? process.env, opts.spec.pipeline);
  const log = jsonLogger(config.logLevel, opts.spec.pipeline);
  opts = { ...opts, spec: prefixTopics(opts.spec, config.topicPrefix) };
  const metrics = new Metrics();
  // The pipeline label on every series, as on the service's own: sums by pipeline count each pod once.
  const processMetrics = new ProcessMetrics(`pipeline="${escapeLabel(opts.spec.pipeline)}"`);
  const graph = new Graph(opts.spec, opts.fns, {
    live: true,
    changelogValues: config.changelogValues,
    onNodeTime: (node, seconds) => metrics.observeNode(node, seconds),
  });
  let loop: KafkaLoop | undefined;
  let producerSources: ProducerSources | undefined;
  let stopping = false;
  // A pipeline of an http-ingest node alone consumes nothing: it is ready once it can produce.
  const consumes = graph.sourceTopics.length > 0;

  const server = startHttp(config.httpPort, {
    ready: () => !stopping && (!consumes || loop?.joined === true) && (producerSources?.ready() ?? true),
    // Until the consumer runs (models, tables and the connection load first) the startup probe waits.
    alive: () => loop === undefined || stopping || Date.now() - loop.lastProgress <= config.livenessTimeoutMs,
    metrics: async () =>
      metrics.render(graph.stats, opts.spec.pipeline) + (producerSources?.metrics(opts.spec.pipeline) ?? '') + (await processMetrics.render()),
    handle: (req, res) => producerSources?.handle(req, res) ?? false,
  });

  await listeningOrExit(server, config.httpPort, log);

  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { reason });
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting without waiting further', { timeoutMs: config.shutdownTimeoutMs });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      // Ingest first: stop taking requests and answer the ones in flight before the consumer goes.
      await producerSources?.stop();
      await loop?.stop();
      await graph.close();
    } catch (e) {
      log.error('error during shutdown', { error: String(e) });
      code = code || 1;
    }
    server.close();
    log.info('stopped', { consumed: metrics.consumed, produced: metrics.produced, deadLetters: metrics.deadLetters });
    process.exit(code);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));

  if (!(await preflight(graph, config, log))) {
    await shutdown('start-up failed', 1);
    return;
  }
  const kafka = createKafka(config, log);
  log.info('starting', { brokers: config.brokers, groupId: config.groupId, topics: graph.sourceTopics });
  try {
    producerSources = startProducerSources({ spec: opts.spec, fns: opts.fns, kafka, log, groupId: config.groupId });
  } catch (e) {
    log.error('the pipeline cannot start', { error: String(e instanceof Error ? e.message : e) });
    await shutdown('start-up failed', 1);
    return;
  }
  if (!consumes) return;
  try {
    loop = await startKafkaLoop({
      kafka,
      graph,
      config,
      metrics,
      log,
      fromBeginning: opts.fromBeginning,
      onFatal: (error) => void shutdown(`consumer failed: ${String(error)}`, 1),
    });
  } catch (e) {
    log.error('could not start the consumer group', { error: String(e), hint: 'check KAFKA_BROKERS, credentials, and that the topics exist (npm run topics)' });
    await shutdown('start-up failed', 1);
  }
}

/** Loads the models and checks the connection to Kafka before anything is consumed; false, with the reason in one line, when the pipeline cannot start. */
async function preflight(graph: Graph, config: ServiceConfig, log: Logger): Promise<boolean> {
  // Models load before the group is joined: one that cannot load stops here, not mid-stream.
  try {
    await graph.start();
  } catch (e) {
    log.error('the pipeline cannot start', {
      error: String(e instanceof Error ? e.message : e),
      hint: 'fix the model file or endpoint named above and start again',
    });
    return false;
  }
  // A wrong password, an untrusted certificate or an unreachable broker stops here, in one line.
  try {
    await checkConnection(config);
  } catch (e) {
    process.stderr.write(`pipewright: cannot connect to Kafka: ${e instanceof ConnectionError ? e.message : String(e)}\n`);
    return false;
  }
  return true;
}

/** The service's configuration from the environment, with the heap tuned to it; a configuration error exits with one line. */
function configOrExit(env: Record<string, string | undefined>, pipeline: string): ServiceConfig {
  try {
    const config = configFromEnv(env, { pipeline });
    tuneHeap(config);
    return config;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`pipewright: configuration error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** Waits for the HTTP server to listen: a port in use or not allowed stops the service here, with one line that says what to do. */
async function listeningOrExit(server: Server, port: number, log: Logger): Promise<void> {
  try {
    await listening(server);
  } catch (e) {
    log.error('the service cannot start', { error: listenError(e, port) });
    server.close(() => undefined);
    process.exit(1);
  }
}

/**
 * Collect sooner: V8 lets the heap of a busy service grow to several times what is live (the
 * decoded fetches and outputs in flight outlive the young generation) before a full collection.
 * With 30% and 256 kB fetches, bench/window.ts peaked at 62 MB per 100k keys above idle instead of
 * 346 (see bench/README.md). V8 reads the factor at each collection, so it applies from here on.
 */
export function tuneHeap(config: Pick<ServiceConfig, 'heapGrowingPercent'>): void {
  if (config.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
}

/** Resolves once the server listens; rejects with the listen error (EADDRINUSE, EACCES). */
function listening(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
}

/** What went wrong when listening, in one sentence with the fix. */
export function listenError(e: unknown, port: number): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'EADDRINUSE') return `port ${port} is already in use by another process; stop that process or set PORT to a free port`;
  if (code === 'EACCES') return `port ${port} needs privileges this process does not have; set PORT to a port above 1023`;
  return `cannot listen on port ${port}: ${errorText(e)}; set PORT to another port`;
}

function startHttp(
  port: number,
  probes: { ready: () => boolean; alive: () => boolean; metrics: () => Promise<string>; handle: (req: IncomingMessage, res: ServerResponse) => boolean },
): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (probes.handle(req, res)) return;
    if (path === '/healthz') {
      const alive = probes.alive();
      res.writeHead(alive ? 200 : 503, { 'content-type': 'text/plain' }).end(alive ? 'ok\n' : 'stuck: no poll or heartbeat within LIVENESS_TIMEOUT_MS\n');
    } else if (path === '/readyz') {
      const ready = probes.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      probes.metrics().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(e)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  server.listen(port);
  return server;
}
