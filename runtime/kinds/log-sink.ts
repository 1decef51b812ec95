import { host } from './host.js';
import { defineKind } from './spec.js';

export const logSink = defineKind({
  kind: 'log-sink',
  category: 'sink',
  title: 'Log',
  summary: 'Write every event to standard output as one JSON line.',
  docs:
    'Writes each event as a JSON line on standard output, where `kubectl logs` and any log collector pick it up. ' +
    'With `include: record` the line carries the key, timestamp and source topic, partition and offset with the ' +
    "value; with `include: value` only the value. The write is synchronous, so a batch's offsets commit after " +
    'its lines are written. In the simulator and in tests the lines are collected instead and can be expected ' +
    'like the events of a topic.',
  params: [
    {
      name: 'include',
      type: 'enum',
      title: 'Include',
      description: 'What each line holds: the whole record (key, timestamp, origin, value) or the value alone.',
      enum: ['record', 'value'],
      default: 'record',
    },
  ],
  inputs: ['in'],
  outputs: [],
  outputType: { from: 'none' },
  example: { params: { include: 'value' }, input: { orderId: 1 }, output: { orderId: 1 } },
  create({ params, nodeId, capture }) {
    const whole = params.include !== 'value';
    const write = (line: string) => {
      const stdout = host.process?.stdout;
      if (stdout) stdout.write(line + '\n');
      else host.console.log(line);
    };
    return {
      process(batch) {
        for (const rec of batch) {
          const value = whole
            ? {
                node: nodeId,
                key: rec.key,
                timestamp: Number.isFinite(rec.timestamp) ? new Date(rec.timestamp).toISOString() : null,
                topic: rec.origin.topic,
                partition: rec.origin.partition,
                offset: rec.origin.offset,
                value: rec.value,
              }
            : rec.value;
          if (capture) capture({ key: rec.key, value });
          else write(JSON.stringify(value) ?? 'null');
        }
      },
    };
  },
});
