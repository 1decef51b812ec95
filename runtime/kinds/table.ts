import type { Payload, RawMessage, Rec } from '../types.js';
import { parseJson, payloadToString } from './kafka-source.js';
import { defineKind } from './spec.js';

/** A row as it is kept: null deletes it. Throws when the value does not decode. */
function decodeRow(format: unknown, value: Payload): unknown {
  const text = payloadToString(value);
  if (text === null || format === 'string') return text;
  return parseJson(text, 'the row');
}

export const table = defineKind({
  kind: 'table',
  category: 'source',
  title: 'Table',
  summary: 'Read a compacted topic as a table: the latest value per key, and a tombstone deletes the row.',
  docs:
    'Reads `topic` as a table, as a Kafka Streams KTable or a ksqlDB TABLE does: the key is the row key, the latest ' +
    'value per key is the row, and a tombstone (a null value) deletes the row. Every change goes downstream: an ' +
    'update with the new row, a delete as a record with that key and a null value. Filters and maps pass deletes on by ' +
    'key without evaluating their expressions; a filter turns a row it drops into a delete of its key, as a KTable ' +
    'filter does, so a row that stops matching leaves the table downstream (its deletes may name keys downstream ' +
    'never saw, which is harmless for a compacted topic); a Kafka sink writes a ' +
    'delete as a tombstone; a join applies it (see join). Other kinds take events, not changes: put a join between.\n\n' +
    'The consumer group reads the topic like any input, partition by partition, and each replica keeps the rows of ' +
    "the partitions it owns. The topic is its own changelog (Kafka Streams' source-topic changelog): nothing else " +
    'is written, and a replica that is given a partition restores its rows from the topic, from the beginning up to ' +
    "the group's committed offset (read committed), then reads on from there; with `delivery: exactly-once` the " +
    'partition is claimed first, so a transaction of its last owner still committing is in the offset it reads. The ' +
    'topic is compacted (`cleanup.policy=compact`); if the pipeline owns it (`external: false`), it is created so.\n\n' +
    'It is a new kind rather than a mode of `kafka-source` because it means something else downstream: changes, ' +
    'deletes among them, keyed rows, a compacted topic and state restored from it. A `kafka-source` joined in ' +
    '`mode: table` stays a global lookup table that every replica reads in full.',
  params: [
    { name: 'topic', type: 'topic', title: 'Topic', description: 'The compacted topic to read as a table.', required: true, placeholder: 'customers' },
    { name: 'format', type: 'enum', title: 'Format', description: 'How row values are decoded.', enum: ['json', 'string'], default: 'json' },
    {
      name: 'partitions',
      type: 'integer',
      title: 'Partitions',
      description: 'Partitions of the topic; a join with a stream needs the same number on both sides.',
      default: 6,
      min: 1,
      max: 1000,
    },
  ],
  inputs: [],
  outputs: ['out'],
  outputType: { from: 'source' },
  topicParam: 'topic',
  readsExternalTopic: true,
  table: true,
  example: {
    params: { topic: 'customers', format: 'json' },
    events: [
      { key: 'c-1', value: { name: 'Ada', tier: 'gold' } },
      { key: 'c-1', value: { name: 'Ada', tier: 'platinum' } },
      { key: 'c-1', value: null },
    ],
    // Every change goes on: the updates, and the delete as the key with a null value.
    outputs: [
      { key: 'c-1', value: { name: 'Ada', tier: 'gold' } },
      { key: 'c-1', value: { name: 'Ada', tier: 'platinum' } },
      { key: 'c-1', value: null },
    ],
  },
  create({ params, store }) {
    const format = params.format;
    if (!store) throw new Error('a table runs only inside the engine, which gives it the store of its rows');
    // Restoring from the topic: a row that does not decode was dead-lettered when it was read, and changes nothing.
    store.decodeWith((value) => decodeRow(format, value) ?? undefined);
    return {
      decode(messages: RawMessage[], out) {
        for (const m of messages) {
          const base: Rec = { key: null, value: null, timestamp: m.timestamp, headers: m.headers, origin: m.origin, raw: m.value };
          let row: unknown;
          try {
            base.key = payloadToString(m.key);
            if (base.key === null) throw new Error('a table row needs a key, and the message has none');
            row = decodeRow(format, m.value);
          } catch (error) {
            out.fail(base, error);
            continue;
          }
          const rows = store.partition(m.origin.partition);
          const offset = Number(m.origin.offset);
          // A record replayed after a restore is in the rows already; its change still goes downstream.
          if (offset >= rows.position) {
            rows.apply(base.key, row === null ? undefined : row);
            rows.position = offset + 1;
          }
          if (row === null) out.emit('out', { ...base, value: null, deleted: true, table: true });
          else out.emit('out', { ...base, value: row, table: true });
        }
      },
    };
  },
});
