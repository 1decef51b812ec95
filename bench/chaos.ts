/**
 * Chaos runner: generated services on a Kafka broker of their own, with faults injected while
 * events flow, and a table of what came out. Run on demand:
 *
 *   node bin/run-ts.mjs bench/chaos.ts [--pipelines stateless,windowed,joined,branch-window]
 *       [--scenarios kill,rolling,broker-restart,broker-pause,http-sink-down,postgres-sink-down,poison]
 *       [--delivery at-least-once|exactly-once] [--events 6000] [--replicas 3]
 *
 * The broker is not the shared one: scripts/kafka-broker.mjs starts one on another port with its
 * state in a folder of its own (PIPEWRIGHT_KAFKA_HOME), because two scenarios restart and pause it.
 * Each pipeline is generated with the CLI and built once; each scenario gets fresh topics and a
 * fresh group (names rewritten in the built graph), `--replicas` replicas, and `--events` events
 * over `--keys` keys, produced at a steady rate while the fault happens:
 *
 *   kill            SIGKILL one replica mid-batch, 3 times (a replacement starts at once)
 *   rolling         SIGTERM every replica in turn, starting its replacement and waiting until it
 *                   is ready before the next, twice over
 *   broker-restart  restart the broker (clean shutdown, same data) 3 times per pipeline
 *   broker-pause    SIGSTOP the broker for 20 s, then SIGCONT
 *   http-sink-down  (stateless pipeline with an HTTP sink) the webhook answers 503 for 30 s
 *   postgres-sink-down  (source → postgres sink, on the PostgreSQL at 127.0.0.1:5432, user postgres)
 *                   for 30 s the sink's role may not INSERT or UPDATE the table, and its
 *                   connections are terminated every 2 s; the rows are read from the table afterwards
 *   poison          1% of the events are not JSON: they must all be in the dead-letter topic
 *
 * Every event carries an id and a per-key sequence number; the expected outputs are computed here.
 * Columns: events in; outputs (messages on the output topic, or webhook calls); lost (expected
 * outputs missing: an event's output, or a window result missing or short); dup (outputs written
 * more than once: an event's output seen twice, or a window result written again); order (per key,
 * an output whose sequence number is lower than the one before it); windows (exact window results
 * of expected); dlq (dead letters, expected for poison only); recover s (longest time from the end
 * of a fault until the group committed progress again); dup absorbed (sinks outside Kafka: of the
 * duplicates, the upserts that rewrote a row already written, or the webhook requests whose
 * Idempotency-Key had already been answered). For the postgres sink, lost and dup are read from
 * the table: an event without its row is lost, and each upsert of a row already written counts as
 * a duplicate (the table still holds one row per event, by its primary key).
 * The table is printed and written as JSON to bench/results/.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { buildPipeline, runScenario, startWebhook, type PipelineName, type Row, type ScenarioName } from './chaos-lib.js';
import { repoRoot } from './common.js';

const { values: flags } = parseArgs({
  options: {
    pipelines: { type: 'string', default: 'stateless,windowed,joined,branch-window' },
    scenarios: { type: 'string', default: 'kill,rolling,broker-restart,broker-pause,http-sink-down,postgres-sink-down,poison' },
    delivery: { type: 'string', default: 'at-least-once' },
    events: { type: 'string', default: '6000' },
    keys: { type: 'string', default: '40' },
    replicas: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '40' },
    port: { type: 'string', default: '34592' },
  },
});
const EVENTS = Number(flags.events);
const KEYS = Number(flags.keys);
const REPLICAS = Number(flags.replicas);
const SECONDS = Number(flags.seconds);
const DELIVERY = flags.delivery;

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'pipewright-chaos-broker-'));
  process.env.PIPEWRIGHT_KAFKA_HOME = home;
  const brokerScript = (await import(new URL('../scripts/kafka-broker.mjs', import.meta.url).href)) as {
    startBroker(o: { port: number; log?: (m: string) => void }): Promise<{ brokers: string; stop(): Promise<unknown> }>;
    restartBroker(o?: { signal?: string; log?: (m: string) => void }): Promise<{ pid: number }>;
  };
  const quiet = () => {};
  const broker = await brokerScript.startBroker({ port: Number(flags.port), log: quiet });
  const brokerPid = () => (JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as { pid: number }).pid;
  console.info(`chaos broker at ${broker.brokers} (state in ${home})`);
  const kafka = new Kafka({ clientId: 'chaos', brokers: broker.brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 5000 } });

  // The webhook of the http-sink pipeline: records every body it accepts; down while `hook.down` is set.
  const { hook, url: webhook, close: closeWebhook } = await startWebhook();

  const work = mkdtempSync(join(tmpdir(), 'pipewright-chaos-'));
  console.info(`builds and replica logs in ${work}`);
  const rows: Row[] = [];
  const pipelines = flags.pipelines.split(',') as PipelineName[];
  const scenarios = flags.scenarios.split(',') as ScenarioName[];
  const built = new Map<PipelineName, string>();
  const build = async (name: PipelineName) => {
    if (!built.has(name)) built.set(name, await buildPipeline(name, join(work, name), webhook, DELIVERY));
    return built.get(name)!;
  };
  const settings = { events: EVENTS, keys: KEYS, replicas: REPLICAS, seconds: SECONDS, delivery: DELIVERY };
  // Stopped from outside: the broker of its own goes too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void broker.stop().finally(() => process.exit(1)));

  try {
    for (const scenario of scenarios) {
      const names =
        scenario === 'http-sink-down'
          ? (['http-sink'] as PipelineName[])
          : scenario === 'postgres-sink-down'
            ? (['postgres-sink'] as PipelineName[])
            : pipelines;
      for (const name of names) {
        const serviceDir = await build(name);
        const row = await runScenario({
          settings,
          logDir: work,
          kafka,
          brokers: broker.brokers,
          serviceDir,
          name,
          scenario,
          hook,
          brokerPid,
          restart: () => brokerScript.restartBroker({ log: quiet }),
        });
        rows.push(row);
        console.info(JSON.stringify(row));
      }
    }
  } finally {
    await closeWebhook();
    await broker.stop();
  }
  printTable(rows);
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench/results', `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ events: EVENTS, keys: KEYS, replicas: REPLICAS, rows }, null, 2),
  );
}

function printTable(rows: Row[]) {
  const cols: [string, (r: Row) => string][] = [
    ['pipeline', (r) => r.pipeline],
    ['scenario', (r) => r.scenario],
    ['delivery', (r) => r.delivery],
    ['faults', (r) => String(r.faults)],
    ['events in', (r) => String(r.eventsIn)],
    ['outputs', (r) => String(r.outputs)],
    ['lost', (r) => String(r.lost)],
    ['dup', (r) => String(r.duplicated)],
    ['order', (r) => String(r.orderBreaks)],
    ['windows exact', (r) => r.exactWindows],
    ['dlq', (r) => String(r.deadLetters)],
    // No committed progress after the last fault: the stream was over by then.
    ['recover s', (r) => (Number.isFinite(r.recoverSeconds) ? r.recoverSeconds.toFixed(1) : '(stream over)')],
    ['dup absorbed', (r) => (r.absorbed === undefined ? '' : String(r.absorbed))],
    ['mid-txn kills', (r) => (r.delivery === 'exactly-once' && r.scenario === 'kill' ? String(r.midTransaction) : '')],
    ['note', (r) => r.note],
  ];
  console.info(`\n| ${cols.map((c) => c[0]).join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.info(`| ${cols.map((c) => c[1](r)).join(' | ')} |`);
}

await main();
