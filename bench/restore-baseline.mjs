// The baseline of bench/restore.ts: the same changelog read by hand with kafkajs into one Map per
// partition, as a minimal, competent restore would: a consumer of its own group subscribed from the
// beginning, the same fetch sizes as the runtime's restorer, every record's value decoded (JSON, or
// the compact form's doubles) into an object and set (null deletes), done when every partition
// reaches the end offset it had at the start.
// Prints `ready`, then `done` with records, seconds and CPU seconds (process.cpuUsage), and waits to be killed.
//
// Environment: KAFKA_BROKERS, PIPELINE, PARTITIONS.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const topic = `${process.env.PIPELINE}.w.changelog`;
const kafka = new Kafka({ clientId: 'bench-restore-baseline', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
const consumer = kafka.consumer({
  groupId: `bench-restore-baseline-${Math.random().toString(36).slice(2)}`,
  maxBytesPerPartition: 256 * 1024,
  maxBytes: 4 * 1024 * 1024,
  maxWaitTimeInMs: 500,
});
const state = new Map();
// A window's compact changelog form (runtime/engine/window-codec.ts): 0, 1, a mask of the numbers after
// start, end and count (bit 0: sum), then little-endian doubles. The benchmark writes start, end, count, sum.
const compact = (b) => ({ s: b.readDoubleLE(3), e: b.readDoubleLE(11), n: b.readDoubleLE(19), sum: b[2] & 1 ? b.readDoubleLE(27) : undefined });
let records = 0;
let began = 0;
let finish;
const finished = new Promise((r) => (finish = r));
const pending = new Set([...ends].filter(([, end]) => end > 0).map(([p]) => p));
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await new Promise((r) => setTimeout(r, 1000));
// Timed from the group join on (the restorer has joined its group before it is timed too): the first fetch is in.
let cpu;
consumer.on(consumer.events.GROUP_JOIN, () => {
  began = performance.now();
  cpu = process.cpuUsage();
});
await consumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    let s = state.get(batch.partition);
    if (!s) state.set(batch.partition, (s = new Map()));
    for (const m of batch.messages) {
      const key = m.key.toString();
      if (m.value === null) s.delete(key);
      else s.set(key, m.value[0] === 0 ? compact(m.value) : JSON.parse(m.value.toString()));
      records++;
    }
    if (Number(batch.lastOffset()) + 1 >= ends.get(batch.partition)) {
      pending.delete(batch.partition);
      if (pending.size === 0) finish();
    }
  },
});
await finished;
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ done: true, records, seconds: (performance.now() - began) / 1000, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
await new Promise(() => {});
