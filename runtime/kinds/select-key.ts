import { recordInfo, valueText, type Payload, type Rec } from '../types.js';
import { defineKind, eachRecord } from './spec.js';

type KeyFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

/** Headers that travel through the repartition topic and are taken off again when it is read back. */
const SOURCE = 'pipewright.repartition.source';
const SEQ = 'pipewright.repartition.seq';
const FORMAT = 'pipewright.repartition.format';

const decoder = new TextDecoder();
const text = (p: Payload) => (p === null ? null : typeof p === 'string' ? p : decoder.decode(p));

export const selectKey = defineKind({
  kind: 'select-key',
  category: 'transform',
  title: 'Select key',
  summary: 'Give each event a new key, repartitioning so that each key lands in the partition that owns it.',
  docs:
    "Evaluates `key` for every event and re-keys it, as Kafka Streams' `selectKey` does. Because a key decides the " +
    'partition, the events are written under their new key to the internal topic `<pipeline>.<node>.repartition` ' +
    "(created with the other topics) and read back by the service's consumer group; every node after this one reads " +
    'from there, so a window, join or dedupe after it sees all events of a key in one partition, on one replica. ' +
    'Values keep their type. If a replica dies after writing to the repartition topic but before committing, the ' +
    'replayed events are recognised by their source offset and dropped when read back, so nothing is counted twice. ' +
    'An expression that throws or returns null or undefined sends the event to the error port.',
  params: [
    {
      name: 'key',
      type: 'expression',
      title: 'Key',
      description: 'A TypeScript expression giving the new key (text or a number).',
      required: true,
      returns: 'key',
      placeholder: 'value.productId',
    },
    {
      name: 'partitions',
      type: 'integer',
      title: 'Partitions',
      description: 'Partitions of the repartition topic; left out, the partitions of the input topic.',
      min: 1,
      max: 1000,
    },
  ],
  inputs: ['in'],
  outputs: ['out'],
  outputType: { from: 'input' },
  repartitions: true,
  // The store remembers, per source partition, the last offset read back, to drop replays.
  stateful: () => true,
  example: { params: { key: 'value.customer' }, input: { customer: 'c-7', amount: 5 }, output: { customer: 'c-7', amount: 5 } },
  create({ fns, repartitionTopic, store }) {
    const keyFn = fns.key as KeyFn;
    if (!repartitionTopic || !store) throw new Error('select-key runs only inside the engine, which gives it its topic and store');
    return {
      process(batch, _port, out) {
        // Events that one input record became (a flat-map before, say) are numbered in order.
        const seen = new Map<string, number>();
        eachRecord(batch, out, (rec) => {
          const key = keyFn(rec.value, rec.key, recordInfo(rec));
          if (key === null || key === undefined) throw new Error(`the key expression returned ${String(key)}`);
          const o = rec.origin;
          const at = `${o.topic}\u0000${o.partition}\u0000${o.offset}`;
          const index = seen.get(at) ?? 0;
          seen.set(at, index + 1);
          const bytes = rec.value instanceof Uint8Array;
          const value = bytes ? (rec.value as Uint8Array) : JSON.stringify(rec.value);
          if (value === undefined) throw new Error('the value cannot be written as JSON');
          out.produce({
            topic: repartitionTopic,
            key: valueText(key),
            value,
            timestamp: rec.timestamp,
            headers: { ...rec.headers, [SOURCE]: `${o.topic}/${o.partition}`, [SEQ]: `${o.offset}.${index}`, ...(bytes ? { [FORMAT]: 'bytes' } : {}) },
          });
        });
      },
      decode(messages, out) {
        for (const m of messages) {
          const headers = { ...m.headers };
          const source = headers[SOURCE];
          const seq = headers[SEQ];
          const format = headers[FORMAT];
          delete headers[SOURCE];
          delete headers[SEQ];
          delete headers[FORMAT];
          const rec: Rec = { key: text(m.key), value: null, timestamp: m.timestamp, headers, origin: m.origin, raw: m.value };
          if (source !== undefined && seq !== undefined) {
            const [offset, index] = seq.split('.').map(Number);
            const state = store.partition(m.origin.partition);
            const last = state.get(source) as [number, number] | undefined;
            // A replay of records already read back: the writer died before it committed.
            if (last && (offset < last[0] || (offset === last[0] && index <= last[1]))) continue;
            state.put(source, [offset, index]);
          }
          try {
            if (format === 'bytes') rec.value = typeof m.value === 'string' ? new TextEncoder().encode(m.value) : m.value;
            else rec.value = JSON.parse(text(m.value) ?? 'null');
          } catch (error) {
            out.fail(rec, error);
            continue;
          }
          out.emit('out', rec);
        }
      },
    };
  },
});
