/**
 * The kafkajs adapter: the only file of the runtime that knows kafkajs. It
 * follows the kafkajs guide for a consume → produce loop: eachBatch without
 * auto-resolve; every output of a slice is produced in one sendBatch and
 * acknowledged (acks=-1) before the slice's offsets are resolved; heartbeats
 * between slices; stop as soon as the consumer is stopping or the batch stale.
 */
import { Kafka, logLevel as KafkaLogLevel, type Consumer, type KafkaMessage, type Producer, type TopicMessages } from 'kafkajs';
import type { Graph } from '../engine/graph.js';
import type { ServiceConfig } from '../service/config.js';
import type { Metrics } from '../service/metrics.js';
import type { OutMessage, RawMessage } from '../types.js';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export function createKafka(config: ServiceConfig, log: Logger): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl
      ? config.sasl.mechanism === 'plain'
        ? { mechanism: 'plain', username: config.sasl.username, password: config.sasl.password }
        : config.sasl.mechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username: config.sasl.username, password: config.sasl.password }
          : { mechanism: 'scram-sha-512', username: config.sasl.username, password: config.sasl.password }
      : undefined,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const fields = { ...rest, namespace: entry.namespace };
      if (entry.level <= KafkaLogLevel.ERROR) log.error(message, fields);
      else log.warn(message, fields);
    },
  });
}

export function toRaw(topic: string, partition: number, m: KafkaMessage): RawMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  return {
    key: m.key,
    value: m.value,
    timestamp: Number(m.timestamp),
    headers,
    origin: { topic, partition, offset: m.offset },
  };
}

export function groupByTopic(messages: readonly OutMessage[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const m of messages) {
    let t = byTopic.get(m.topic);
    if (!t) byTopic.set(m.topic, (t = { topic: m.topic, messages: [] }));
    t.messages.push({
      key: m.key,
      value: m.value === null ? null : typeof m.value === 'string' ? m.value : Buffer.from(m.value),
      headers: m.headers,
      partition: m.partition,
      timestamp: m.timestamp === undefined ? undefined : String(m.timestamp),
    });
  }
  return [...byTopic.values()];
}

export interface KafkaLoop {
  consumer: Consumer;
  producer: Producer;
  /** Partitions assigned to this member at the last rebalance. */
  assignment: Record<string, number[]>;
  joined: boolean;
  stop(): Promise<void>;
}

export async function startKafkaLoop(opts: {
  kafka: Kafka;
  graph: Graph;
  config: ServiceConfig;
  metrics: Metrics;
  log: Logger;
  fromBeginning: boolean;
  onFatal: (error: unknown) => void;
}): Promise<KafkaLoop> {
  const { kafka, graph, config, metrics, log } = opts;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: config.groupId, allowAutoTopicCreation: false });
  const loop: KafkaLoop = {
    consumer,
    producer,
    assignment: {},
    joined: false,
    async stop() {
      // consumer.disconnect() stops fetching, waits for the batch in flight
      // (which commits what it resolved), then leaves the group.
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    loop.joined = true;
    loop.assignment = payload.memberAssignment;
    log.info('joined consumer group', { groupId: payload.groupId, memberId: payload.memberId, assignment: payload.memberAssignment });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.error('consumer crashed', { error: String(payload.error), restart: payload.restart });
    if (!payload.restart) opts.onFatal(payload.error);
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: graph.sourceTopics, fromBeginning: opts.fromBeginning });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const messages = batch.messages;
      for (let start = 0; start < messages.length; start += config.chunkSize) {
        if (!isRunning() || isStale()) break;
        const slice = messages.slice(start, start + config.chunkSize);
        const began = performance.now();
        const result = await graph.process(
          batch.topic,
          slice.map((m) => toRaw(batch.topic, batch.partition, m)),
        );
        if (result.messages.length > 0) {
          await producer.sendBatch({ topicMessages: groupByTopic(result.messages), acks: -1 });
        }
        // State changes only after the outputs are acknowledged (see engine/state.ts).
        if (result.changelog.length > 0) {
          await producer.sendBatch({ topicMessages: groupByTopic(result.changelog), acks: -1 });
        }
        // Only now are this slice's outputs acknowledged: its offsets may be committed.
        resolveOffset(slice[slice.length - 1].offset);
        metrics.batches++;
        metrics.consumed += slice.length;
        metrics.produced += result.messages.length;
        metrics.deadLetters += result.deadLetters;
        metrics.skipped += result.skipped;
        metrics.batchSeconds += (performance.now() - began) / 1000;
        await heartbeat();
      }
      metrics.lag.set(`${batch.topic}\u0000${batch.partition}`, Number(batch.offsetLag()));
      await commitOffsetsIfNecessary();
    },
  });
  return loop;
}
