// The baseline of bench/service.ts: the large-orders pipeline written by hand as a minimal, competent
// kafkajs consume → produce loop, the way the kafkajs documentation describes it:
//   - eachBatch with eachBatchAutoResolve: false;
//   - the whole fetched batch is filtered and mapped, then produced with ONE sendBatch (acks: -1);
//   - only after that acknowledgement is the batch's last offset resolved and committed;
//   - a value that is not JSON goes to a dead-letter topic, so both sides do the same work.
// Plain JavaScript run by node itself, so that its memory and start-up carry no TypeScript loader.
//
// Environment: KAFKA_BROKERS, GROUP_ID, INPUT_TOPIC, OUTPUT_TOPIC, DEAD_LETTER_TOPIC.
// Prints one JSON line {"msg":"joined consumer group",...} when it has joined; exits 0 on SIGTERM.
import kafkajs from 'kafkajs';
import { exitOnSigterm, requiredEnv } from './baseline-kit.mjs';

const { Kafka, Partitioners, logLevel } = kafkajs;
const env = (name) => requiredEnv('baseline', name);
const brokers = env('KAFKA_BROKERS').split(',');
const groupId = env('GROUP_ID');
const inputTopic = env('INPUT_TOPIC');
const outputTopic = env('OUTPUT_TOPIC');
const deadLetterTopic = env('DEAD_LETTER_TOPIC');

const kafka = new Kafka({ clientId: 'bench-baseline', brokers, logLevel: logLevel.WARN });
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });

consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  process.stdout.write(`${JSON.stringify({ msg: 'joined consumer group', assignment: payload.memberAssignment })}\n`);
});

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [inputTopic], fromBeginning: true });
await consumer.run({
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
    if (!isRunning() || isStale()) return;
    const outputs = [];
    const deadLetters = [];
    for (const m of batch.messages) {
      let order;
      try {
        order = JSON.parse(m.value.toString());
      } catch (e) {
        deadLetters.push({
          key: m.key,
          value: m.value,
          headers: { ...m.headers, error: String(e.message), 'source.partition': String(batch.partition), 'source.offset': m.offset },
        });
        continue;
      }
      if (order.amount >= 100) {
        const out = {
          orderId: order.orderId,
          customer: order.customer,
          amount: order.amount,
          total: Math.round(order.amount * 1.21 * 100) / 100,
          sentAt: order.sentAt,
        };
        outputs.push({ key: m.key, value: JSON.stringify(out), headers: m.headers });
      }
    }
    const topicMessages = [];
    if (outputs.length) topicMessages.push({ topic: outputTopic, messages: outputs });
    if (deadLetters.length) topicMessages.push({ topic: deadLetterTopic, messages: deadLetters });
    if (topicMessages.length) await producer.sendBatch({ topicMessages, acks: -1 });
    resolveOffset(batch.lastOffset());
    await heartbeat();
    await commitOffsetsIfNecessary();
  },
});

exitOnSigterm(consumer, producer);
