/**
 * One contender of bench/restore.ts: the runtime's own changelog restorer
 * (runtime/transports/restore.ts) bringing the window state of every
 * partition of one changelog topic into memory, as a replica of the
 * generated service does when it is assigned them. Prints `ready` with its
 * RSS once connected, then `done` with the records applied and the seconds
 * taken, and waits to be killed (the driver reads its peak RSS first).
 *
 * Environment: KAFKA_BROKERS, PIPELINE (the changelog is `<PIPELINE>.w.changelog`), PARTITIONS.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Graph } from '../runtime/engine/graph.js';
import { configFromEnv } from '../runtime/service/config.js';
import { tuneHeap } from '../runtime/service/run.js';
import { Metrics } from '../runtime/service/metrics.js';
import { ChangelogRestorer } from '../runtime/transports/restore.js';

const pipeline = process.env.PIPELINE!;
const partitions = Number(process.env.PARTITIONS);
const spec = {
  pipeline,
  errors: { policy: 'dead-letter' as const, topic: `${pipeline}.dead-letter` },
  nodes: [
    { id: 'src', kind: 'kafka-source', params: { topic: `${pipeline}-in` }, inputs: [] },
    { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
  ],
};
const quiet = { info() {}, warn() {}, debug() {}, error: (msg: string, f?: object) => process.stderr.write(`${msg} ${JSON.stringify(f)}\n`) };
const config = configFromEnv(process.env, { pipeline });
// As the service does at start-up.
tuneHeap(config);
const kafka = new Kafka({ clientId: 'bench-restore', brokers: config.brokers, logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const graph = new Graph(spec, { w: { sum: (v: { units: number }) => v.units } }, { live: true });
const metrics = new Metrics();
const restorer = new ChangelogRestorer(kafka, admin, config, graph, metrics, quiet, [`${pipeline}.w.changelog`]);
await restorer.start();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await new Promise((r) => setTimeout(r, 1000));
const began = performance.now();
const records = (await Promise.all(Array.from({ length: partitions }, (_, p) => restorer.restore(`${pipeline}-in`, p)))).reduce((a, b) => a + b, 0);
const seconds = (performance.now() - began) / 1000;
process.stdout.write(`${JSON.stringify({ done: true, records, seconds })}\n`);
await new Promise(() => {});
