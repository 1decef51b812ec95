/**
 * One contender of bench/restore.ts: the runtime's own changelog restorer
 * (runtime/transports/restore.ts) bringing the window state of every
 * partition of one changelog topic into memory, as a replica of the
 * generated service does when it is assigned them. Prints `ready` with its
 * RSS once connected, then `done` with the records applied, the seconds
 * taken and the CPU seconds the process used meanwhile (process.cpuUsage), and waits to be killed (the driver reads its peak RSS first).
 *
 * Environment: KAFKA_BROKERS, PIPELINE (the changelog is `<PIPELINE>.w.changelog`), PARTITIONS,
 * EXIT_WHEN_DONE (exit once done, e.g. to profile it with `node --cpu-prof`).
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
const cpu = process.cpuUsage();
const records = (await Promise.all(Array.from({ length: partitions }, (_, p) => restorer.restore(`${pipeline}-in`, p)))).reduce((a, b) => a + b, 0);
const seconds = (performance.now() - began) / 1000;
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ done: true, records, seconds, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
// EXIT_WHEN_DONE=1: exit instead of waiting (so that `node --cpu-prof` writes its profile).
if (process.env.EXIT_WHEN_DONE) process.exit(0);
await new Promise(() => {});
