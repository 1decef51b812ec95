// The baseline of bench/join.ts: the stream–table enrichment written by hand as a minimal,
// competent kafkajs loop:
//   - the table topic is read in full first, outside the consumer group (a consumer of its own,
//     never committing), into a Map of key → parsed row, and followed afterwards;
//   - then the order stream: eachBatch without auto-resolve, each event gets `customer` (the row of
//     its `customerId`, or null), one sendBatch (acks -1) per 2,000 events of the batch (a whole
//     fetched batch of enriched events exceeds what the broker takes in one request), then
//     resolveOffset, heartbeat, commitOffsetsIfNecessary.
// Plain JavaScript run by node itself.
//
// Environment: KAFKA_BROKERS, GROUP_ID, INPUT_TOPIC, TABLE_TOPIC, OUTPUT_TOPIC.
import kafkajs from 'kafkajs';
import { exitOnSigterm, requiredEnv, sendInRequests } from './baseline-kit.mjs';

const { Kafka, Partitioners, logLevel } = kafkajs;
const env = (name) => requiredEnv('join baseline', name);
const kafka = new Kafka({ clientId: 'bench-join-baseline', brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.WARN });
const admin = kafka.admin();
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
const tableConsumer = kafka.consumer({ groupId: `${env('GROUP_ID')}.table`, allowAutoTopicCreation: false });
const consumer = kafka.consumer({ groupId: env('GROUP_ID'), allowAutoTopicCreation: false });
const tableTopic = env('TABLE_TOPIC');
const outputTopic = env('OUTPUT_TOPIC');

/** customer key → row */
const table = new Map();

// Load the table: every partition up to the end offset it has now, before the stream starts.
await admin.connect();
const pending = new Map();
for (const o of await admin.fetchTopicOffsets(tableTopic)) if (Number(o.high) > Number(o.low)) pending.set(o.partition, Number(o.high));
await admin.disconnect();
let loaded;
const ready = new Promise((resolve) => (loaded = resolve));
if (pending.size === 0) loaded();
await tableConsumer.connect();
await tableConsumer.subscribe({ topics: [tableTopic], fromBeginning: true });
await tableConsumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    for (const m of batch.messages) {
      const key = m.key.toString();
      if (m.value === null) table.delete(key);
      else table.set(key, JSON.parse(m.value.toString()));
    }
    const end = pending.get(batch.partition);
    if (end !== undefined && Number(batch.lastOffset()) + 1 >= end) {
      pending.delete(batch.partition);
      if (pending.size === 0) loaded();
    }
  },
});
await ready;
process.stdout.write(`${JSON.stringify({ msg: 'table loaded', rows: table.size })}\n`);

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [env('INPUT_TOPIC')], fromBeginning: true });
await consumer.run({
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
    if (!isRunning() || isStale()) return;
    const messages = batch.messages.map((m) => {
      const order = JSON.parse(m.value.toString());
      order.customer = table.get(order.customerId) ?? null;
      return { key: m.key, value: JSON.stringify(order) };
    });
    await sendInRequests(producer, outputTopic, messages);
    resolveOffset(batch.lastOffset());
    await heartbeat();
    await commitOffsetsIfNecessary();
  },
});

exitOnSigterm(consumer, tableConsumer, producer);
