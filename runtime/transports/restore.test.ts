import { describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { Graph, type GraphSpec } from '../engine/graph.js';
import { configFromEnv } from '../service/config.js';
import { Metrics } from '../service/metrics.js';
import type { Logger } from './kafka.js';
import { ChangelogRestorer } from './restore.js';

/**
 * A broker restart crashes the restorer's own consumer too; while kafkajs starts it again, seeking
 * it throws an error kafkajs marks as not to be retried. A restore that meets it must fail with an
 * error kafkajs retries: it reaches the service's consumer through eachBatch, and a non-retriable
 * one there makes kafkajs give that consumer up, which stops the service.
 */
describe('a restore while the changelog reader is not running', () => {
  it('fails with an error kafkajs retries, not one that gives the service’s consumer up', async () => {
    const spec: GraphSpec = {
      pipeline: 'restore-test',
      delivery: 'exactly-once',
      errors: { policy: 'dead-letter', topic: 'restore-test.dead-letter' },
      nodes: [
        { id: 'src', kind: 'kafka-source', params: { topic: 'in' }, inputs: [] },
        { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
        { id: 'sink', kind: 'kafka-sink', params: { topic: 'out' }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
      ],
    };
    const notRunning = () => {
      throw Object.assign(new Error('Consumer group was not initialized, consumer#run must be called first'), {
        name: 'KafkaJSNonRetriableError',
        retriable: false,
      });
    };
    const consumer = {
      events: { GROUP_JOIN: 'group_join', CRASH: 'crash' },
      on: (event: string, h: () => void) => {
        if (event === 'group_join') setTimeout(h, 0);
        return () => {};
      },
      connect: async () => {},
      subscribe: async () => {},
      run: async () => {},
      disconnect: async () => {},
      pause: () => {},
      seek: notRunning,
      resume: notRunning,
    };
    const admin = { fetchTopicOffsets: async () => [{ partition: 0, offset: '10', high: '10', low: '0' }] } as unknown as Admin;
    const log: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
    const config = configFromEnv({ KAFKA_BROKERS: '127.0.0.1:9', KAFKA_GROUP_ID: 'restore-test' }, { pipeline: 'restore-test' });
    const graph = new Graph(spec, {}, { live: true });
    const restorer = new ChangelogRestorer({ consumer: () => consumer } as unknown as Kafka, admin, config, graph, new Metrics(), log, [
      'restore-test.w.changelog',
    ]);
    await restorer.start();
    const error = await restorer.restore('in', 0).then(
      () => undefined,
      (e: unknown) => e as { retriable?: boolean; message: string },
    );
    expect(error?.message).toMatch(/changelog reader is not running/);
    expect(error?.retriable).not.toBe(false);
  });
});
