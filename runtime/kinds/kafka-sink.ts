import { keyText, recordInfo, valueText } from '../types.js';
import { defineKind, eachRecord } from './spec.js';

type KeyFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

export function encodeValue(format: unknown, value: unknown): string | Uint8Array | null {
  if (value === null) return null;
  if (format === 'bytes' && value instanceof Uint8Array) return value;
  if (format === 'string') return valueText(value);
  return JSON.stringify(value);
}

export const kafkaSink = defineKind({
  kind: 'kafka-sink',
  category: 'sink',
  title: 'Kafka topic',
  summary: 'Produce events to a Kafka topic.',
  docs:
    'Produces every event to `topic`, batched per Kafka batch and acknowledged by all in-sync replicas before ' +
    'the input offsets are committed (at-least-once). The key stays the same unless `key` gives a new one; ' +
    'the partition is chosen by Kafka\'s murmur2 partitioner, so events with the same key stay in order. A table\'s ' +
    'delete (see table) is written as a tombstone: its key with a null value.',
  params: [
    { name: 'topic', type: 'topic', title: 'Topic', description: 'The topic to write.', required: true, placeholder: 'orders-enriched' },
    {
      name: 'key',
      type: 'expression',
      title: 'Key',
      description: 'Optional expression for the message key; leave empty to keep the incoming key.',
      returns: 'key',
      placeholder: 'value.customerId',
    },
    {
      name: 'format',
      type: 'enum',
      title: 'Format',
      description: 'How values are encoded.',
      enum: ['json', 'string', 'bytes'],
      default: 'json',
    },
    {
      name: 'partitions',
      type: 'integer',
      title: 'Partitions',
      description: 'Partitions of the topic when Pipewright creates it.',
      default: 6,
      min: 1,
      max: 1000,
    },
  ],
  inputs: ['in'],
  outputs: [],
  outputType: { from: 'none' },
  topicParam: 'topic',
  example: { params: { topic: 'orders-enriched' } },
  create({ params, fns }) {
    const topic = String(params.topic);
    const format = params.format;
    const keyFn = fns.key as KeyFn | undefined;
    return {
      process(batch, _port, out) {
        eachRecord(batch, out, (rec) => {
          const key = keyFn && !rec.deleted ? keyFn(rec.value, rec.key, recordInfo(rec)) : rec.key;
          out.produce({
            topic,
            key: keyText(key),
            value: encodeValue(format, rec.value),
            headers: rec.headers,
          });
        });
      },
    };
  },
});
