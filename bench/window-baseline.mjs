// The baseline of bench/window.ts: the hourly-orders aggregation written by hand as a minimal,
// competent kafkajs loop that keeps the same guarantees as the generated service:
//   - tumbling one-hour windows of event time (the record timestamp) per key, count and sum of units;
//   - a watermark per partition; a window is emitted when the watermark passes its end;
//   - every changed window is written to a compacted changelog topic after the outputs and before
//     the offsets are committed, so that a replica that dies loses no window (no restore code here:
//     the benchmark never kills it);
//   - eachBatch without auto-resolve, one sendBatch per batch (acks -1), then resolve and commit.
// Plain JavaScript run by node itself.
//
// Environment: KAFKA_BROKERS, GROUP_ID, INPUT_TOPIC, OUTPUT_TOPIC, CHANGELOG_TOPIC.
import kafkajs from 'kafkajs';
import { exitOnSigterm, requiredEnv, sendInRequests } from './baseline-kit.mjs';

const { Kafka, Partitioners, logLevel } = kafkajs;
const env = (name) => requiredEnv('window baseline', name);
const HOUR = 3_600_000;
const kafka = new Kafka({ clientId: 'bench-window-baseline', brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.WARN });
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId: env('GROUP_ID'), allowAutoTopicCreation: false });
const outputTopic = env('OUTPUT_TOPIC');
const changelogTopic = env('CHANGELOG_TOPIC');

/** partition → { watermark, windows: Map<key@start, {key, start, count, sum}>, byStart: Map<start, Set<key@start>> } */
const state = new Map();

consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  process.stdout.write(`${JSON.stringify({ msg: 'joined consumer group', assignment: payload.memberAssignment })}\n`);
});
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [env('INPUT_TOPIC')], fromBeginning: true });
await consumer.run({
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
    if (!isRunning() || isStale()) return;
    let s = state.get(batch.partition);
    if (!s) state.set(batch.partition, (s = { watermark: -Infinity, windows: new Map(), byStart: new Map() }));
    const outputs = [];
    const changed = new Map();
    for (const m of batch.messages) {
      const order = JSON.parse(m.value.toString());
      const t = Number(m.timestamp);
      const key = m.key.toString();
      if (t > s.watermark) s.watermark = t;
      const start = Math.floor(t / HOUR) * HOUR;
      if (start + HOUR <= s.watermark) continue; // late
      const id = `${key}@${start}`;
      let w = s.windows.get(id);
      if (!w) {
        s.windows.set(id, (w = { key, start, count: 0, sum: 0 }));
        let ids = s.byStart.get(start);
        if (!ids) s.byStart.set(start, (ids = new Set()));
        ids.add(id);
      }
      w.count++;
      w.sum += order.units;
      changed.set(id, w);
    }
    for (const [start, ids] of s.byStart) {
      if (start + HOUR > s.watermark) continue;
      s.byStart.delete(start);
      for (const id of ids) {
        const w = s.windows.get(id);
        s.windows.delete(id);
        changed.set(id, null);
        const startIso = new Date(w.start).toISOString();
        outputs.push({
          key: `${w.key}@${startIso}`,
          value: JSON.stringify({ key: w.key, windowStart: startIso, windowEnd: new Date(w.start + HOUR).toISOString(), count: w.count, sum: w.sum }),
        });
      }
    }
    await sendInRequests(producer, outputTopic, outputs);
    const log = [...changed].map(([id, w]) => ({ key: id, value: w === null ? null : JSON.stringify(w), partition: batch.partition }));
    log.push({ key: 'watermark', value: String(s.watermark), partition: batch.partition });
    await sendInRequests(producer, changelogTopic, log);
    resolveOffset(batch.lastOffset());
    await heartbeat();
    await commitOffsetsIfNecessary();
  },
});

exitOnSigterm(consumer, producer);
