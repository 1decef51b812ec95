import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { Graph, type GraphSpec } from '../engine/graph.js';
import { configFromEnv } from '../service/config.js';
import { Metrics } from '../service/metrics.js';
import { CRASH_RESTART_MS, CRASH_RESTARTS, startKafkaLoop, type Logger } from './kafka.js';

const HOUR = 3_600_000;
const T = Date.UTC(2024, 0, 1);

/**
 * The at-least-once batch loop of a windowed pipeline, with kafkajs replaced by stand-ins that
 * record what is produced and which offsets are resolved. A batch of 8 events in slices of 2 (each
 * event closes the window of the one before) stops after its second slice: the group starts to
 * rebalance (the heartbeat fails), or the replica is stopping (SIGTERM). The two slices have written
 * their window results by then; unless their state changes are saved and their offsets resolved,
 * the partition's next owner processes them again and writes those results a second time.
 */
async function runBatch(stop: 'rebalance' | 'sigterm') {
  const spec: GraphSpec = {
    pipeline: 'loop-test',
    errors: { policy: 'dead-letter', topic: 'loop-test.dead-letter' },
    nodes: [
      { id: 'src', kind: 'kafka-source', params: { topic: 'in' }, inputs: [] },
      { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
      { id: 'sink', kind: 'kafka-sink', params: { topic: 'out' }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
    ],
  };
  const produced: { topic: string; key: string }[] = [];
  const resolved: string[] = [];
  const handlers = new Map<string, ((e: { payload: unknown }) => void)[]>();
  let eachBatch!: (p: EachBatchPayload) => Promise<void>;
  const events = { FETCH: 'fetch', HEARTBEAT: 'heartbeat', REBALANCING: 'rebalancing', STOP: 'stop', GROUP_JOIN: 'group_join', CRASH: 'crash' };
  const consumer = (main: boolean) => ({
    events,
    on: (event: string, h: (e: { payload: unknown }) => void) => {
      if (main) handlers.set(event, [...(handlers.get(event) ?? []), h]);
      else if (event === events.GROUP_JOIN) setTimeout(() => h({ payload: {} }), 0);
      return () => {};
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async (o: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
      if (main) eachBatch = o.eachBatch;
    },
    pause: () => {},
    resume: () => {},
    seek: () => {},
    disconnect: async () => {},
  });
  let offset = 0;
  const kafka = {
    consumer: ({ groupId }: { groupId: string }) => consumer(groupId === 'loop-test'),
    producer: () => ({
      connect: async () => {},
      disconnect: async () => {},
      sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { key: string; partition?: number }[] }[] }) =>
        topicMessages.flatMap((t) => {
          for (const m of t.messages) produced.push({ topic: t.topic, key: m.key });
          const pinned = t.messages.filter((m) => m.partition !== undefined);
          const meta = pinned.length ? [{ topicName: t.topic, partition: pinned[0].partition!, errorCode: 0, baseOffset: String(offset) }] : [];
          offset += pinned.length;
          return meta;
        }),
    }),
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchTopicOffsets: async () => [{ partition: 0, offset: '0', high: '0', low: '0' }],
      describeGroups: async () => ({ groups: [] }),
    }),
  } as unknown as Kafka;
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
  const config = configFromEnv({ KAFKA_BROKERS: '127.0.0.1:9', KAFKA_GROUP_ID: 'loop-test', BATCH_CHUNK_SIZE: '2' }, { pipeline: 'loop-test' });
  await startKafkaLoop({ kafka, graph: new Graph(spec, {}, { live: true }), config, metrics: new Metrics(), log, fromBeginning: true, onFatal: () => {} });
  for (const h of handlers.get(events.GROUP_JOIN) ?? []) h({ payload: { groupId: 'loop-test', memberId: 'm', memberAssignment: { in: [0] } } });

  let beats = 0;
  let running = true;
  const messages = Array.from({ length: 8 }, (_, i) => ({ key: Buffer.from('k'), value: Buffer.from('{}'), timestamp: String(T + i * HOUR), offset: String(i), headers: {} }));
  const outcome = await eachBatch({
    batch: { topic: 'in', partition: 0, messages, highWatermark: '8', offsetLag: () => '0' },
    resolveOffset: (o: string) => resolved.push(o),
    heartbeat: async () => {
      if (++beats === 2) {
        if (stop === 'rebalance') throw new Error('The group is rebalancing, so a rejoin is needed');
        running = false;
      }
    },
    commitOffsetsIfNecessary: async () => {},
    isRunning: () => running,
    isStale: () => false,
  } as unknown as EachBatchPayload).then(
    () => 'done',
    (e: unknown) => String(e),
  );
  return { outcome, produced, resolved };
}

describe('the at-least-once batch loop, cut short', () => {
  for (const stop of ['rebalance', 'sigterm'] as const) {
    it(`${stop}: the slices that wrote outputs have their state saved and their offsets resolved`, async () => {
      const { outcome, produced, resolved } = await runBatch(stop);
      expect(outcome).toBe(stop === 'rebalance' ? 'Error: The group is rebalancing, so a rejoin is needed' : 'done');
      // Two slices ran: events 0–3; the windows of events 0, 1 and 2 closed.
      expect(produced.filter((m) => m.topic === 'out')).toHaveLength(3);
      expect(produced.filter((m) => m.topic === 'loop-test.w.changelog').length).toBeGreaterThan(0);
      expect(resolved.at(-1)).toBe('3');
    });
  }
});

/** A stateless pipeline's loop on stand-ins: how often its consumer was started, and what was fatal. */
async function crashingLoop() {
  const spec: GraphSpec = {
    pipeline: 'crash-test',
    errors: { policy: 'dead-letter', topic: 'crash-test.dead-letter' },
    nodes: [
      { id: 'src', kind: 'kafka-source', params: { topic: 'in' }, inputs: [] },
      { id: 'sink', kind: 'kafka-sink', params: { topic: 'out' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
    ],
  };
  const handlers = new Map<string, ((e: { payload: unknown }) => void)[]>();
  const events = { FETCH: 'fetch', HEARTBEAT: 'heartbeat', REBALANCING: 'rebalancing', STOP: 'stop', GROUP_JOIN: 'group_join', CRASH: 'crash' };
  const seen = { runs: 0, fatal: [] as unknown[] };
  const kafka = {
    consumer: () => ({
      events,
      on: (event: string, h: (e: { payload: unknown }) => void) => {
        handlers.set(event, [...(handlers.get(event) ?? []), h]);
        return () => {};
      },
      connect: async () => {},
      subscribe: async () => {},
      run: async () => void seen.runs++,
      disconnect: async () => {},
    }),
    producer: () => ({ connect: async () => {}, disconnect: async () => {}, sendBatch: async () => [] }),
    admin: () => ({ connect: async () => {}, disconnect: async () => {} }),
  } as unknown as Kafka;
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
  const config = configFromEnv({ KAFKA_BROKERS: '127.0.0.1:9', KAFKA_GROUP_ID: 'crash-test' }, { pipeline: 'crash-test' });
  const loop = await startKafkaLoop({ kafka, graph: new Graph(spec, {}, { live: true }), config, metrics: new Metrics(), log, fromBeginning: true, onFatal: (e) => seen.fatal.push(e) });
  const crash = (error: Error) => {
    for (const h of handlers.get(events.CRASH) ?? []) h({ payload: { error, groupId: 'crash-test', restart: false } });
  };
  return { loop, seen, crash };
}

const named = (name: string, message: string, cause?: Error) => Object.assign(new Error(message), { name, cause });
/** What the consumer crashes with when a broker restart outlasts its retries (as a service's log shows it). */
const coordinatorNotFound = () => named('KafkaJSNonRetriableError', 'Failed to find group coordinator', named('KafkaJSGroupCoordinatorNotFound', 'Failed to find group coordinator'));

describe('a consumer that kafkajs gives up on', () => {
  afterEach(() => vi.useRealTimers());

  it('is started again when the brokers could not be reached (a broker restart), instead of stopping the service', async () => {
    const { seen, crash } = await crashingLoop();
    expect(seen.runs).toBe(1);
    vi.useFakeTimers();
    crash(coordinatorNotFound());
    await vi.advanceTimersByTimeAsync(CRASH_RESTART_MS + 100);
    expect(seen.runs).toBe(2);
    expect(seen.fatal).toEqual([]);
  });

  it('stops the service on any other crash, and after too many restarts in a row', async () => {
    const other = await crashingLoop();
    other.crash(named('KafkaJSNonRetriableError', 'Topic authorization failed'));
    expect(other.seen.fatal).toHaveLength(1);
    expect(other.seen.runs).toBe(1);

    const { seen, crash } = await crashingLoop();
    vi.useFakeTimers();
    for (let i = 0; i <= CRASH_RESTARTS; i++) {
      crash(coordinatorNotFound());
      await vi.advanceTimersByTimeAsync(CRASH_RESTART_MS + 100);
    }
    expect(seen.runs).toBe(1 + CRASH_RESTARTS);
    expect(seen.fatal).toHaveLength(1);
  });

  it('is not started again once the service stops', async () => {
    const { loop, seen, crash } = await crashingLoop();
    vi.useFakeTimers();
    crash(coordinatorNotFound());
    await loop.stop();
    await vi.advanceTimersByTimeAsync(CRASH_RESTART_MS + 100);
    expect(seen.runs).toBe(1);
    expect(seen.fatal).toEqual([]);
  });
});
