import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
  const messages = Array.from({ length: 8 }, (_, i) => ({
    key: Buffer.from('k'),
    value: Buffer.from('{}'),
    timestamp: String(T + i * HOUR),
    offset: String(i),
    headers: {},
  }));
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
  const loop = await startKafkaLoop({
    kafka,
    graph: new Graph(spec, {}, { live: true }),
    config,
    metrics: new Metrics(),
    log,
    fromBeginning: true,
    onFatal: (e) => seen.fatal.push(e),
  });
  const crash = (error: Error) => {
    for (const h of handlers.get(events.CRASH) ?? []) h({ payload: { error, groupId: 'crash-test', restart: false } });
  };
  return { loop, seen, crash };
}

const named = (name: string, message: string, cause?: Error) => Object.assign(new Error(message), { name, cause });
/** What the consumer crashes with when a broker restart outlasts its retries (as a service's log shows it). */
const coordinatorNotFound = () =>
  named('KafkaJSNonRetriableError', 'Failed to find group coordinator', named('KafkaJSGroupCoordinatorNotFound', 'Failed to find group coordinator'));

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

/** The webhook of the loops below: every request it answered 2xx, in order; 503 while `down()` says so. */
const webhook = { down: () => false, answered: [] as { key: string; seq: number; idempotencyKey: string }[] };
let hookServer: Server;
let hookUrl: string;

/**
 * A source → `http-sink` pipeline's batch loop in either delivery mode, on kafkajs stand-ins, posting
 * to a real local webhook. `failCommits`: how many of the next commits fail (exactly-once: the
 * transaction's, as when its producer is fenced; at-least-once: the group's offset commit, as when the
 * member's session ran out); `failBeats`: how many of the next heartbeats fail (the group rebalancing).
 * `beats` counts the heartbeats the loop sent.
 */
async function webhookLoop(delivery: 'at-least-once' | 'exactly-once', sink: Record<string, unknown>) {
  const spec: GraphSpec = {
    pipeline: 'hook-test',
    delivery,
    errors: { policy: 'dead-letter', topic: 'hook-test.dead-letter' },
    nodes: [
      { id: 'src', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
      { id: 'hook', kind: 'http-sink', params: { url: hookUrl, timeoutMs: 1000, ...sink }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
    ],
  };
  const state = { failCommits: 0, failBeats: 0, beats: 0, deadLetters: 0, committed: '-1', offsetInTransaction: '-1' };
  const failCommit = async () => {
    if (state.failCommits > 0 && state.failCommits--) throw new Error('The coordinator is not aware of this member');
  };
  const commitTransaction = async () => {
    await failCommit();
    state.committed = state.offsetInTransaction;
  };
  const handlers = new Map<string, ((e: { payload: unknown }) => void)[]>();
  let eachBatch!: (p: EachBatchPayload) => Promise<void>;
  const events = {
    FETCH: 'fetch',
    HEARTBEAT: 'heartbeat',
    REBALANCING: 'rebalancing',
    STOP: 'stop',
    GROUP_JOIN: 'group_join',
    CRASH: 'crash',
    COMMIT_OFFSETS: 'commit_offsets',
  };
  const sendBatch = async ({ topicMessages }: { topicMessages: { topic: string; messages: unknown[] }[] }) => {
    for (const t of topicMessages) if (t.topic === 'hook-test.dead-letter') state.deadLetters += t.messages.length;
    return [];
  };
  const kafka = {
    consumer: () => ({
      events,
      on: (event: string, h: (e: { payload: unknown }) => void) => {
        handlers.set(event, [...(handlers.get(event) ?? []), h]);
        return () => {};
      },
      connect: async () => {},
      subscribe: async () => {},
      run: async (o: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => void (eachBatch = o.eachBatch),
      disconnect: async () => {},
    }),
    producer: () => ({
      connect: async () => {},
      disconnect: async () => {},
      sendBatch,
      transaction: async () => ({
        sendBatch,
        sendOffsets: async ({ topics }: { topics: { partitions: { offset: string }[] }[] }) =>
          void (state.offsetInTransaction = topics[0].partitions[0].offset),
        commit: commitTransaction,
        abort: async () => {},
        isActive: () => true,
      }),
    }),
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchOffsets: async () => [{ topic: 'in', partitions: [{ partition: 0, offset: state.committed }] }],
    }),
  } as unknown as Kafka;
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
  const config = configFromEnv({ KAFKA_BROKERS: '127.0.0.1:9', KAFKA_GROUP_ID: 'hook-test' }, { pipeline: 'hook-test' });
  await startKafkaLoop({ kafka, graph: new Graph(spec, {}, { live: true }), config, metrics: new Metrics(), log, fromBeginning: true, onFatal: () => {} });
  /** The member joins the group (again), with partition 0. */
  const join = () => {
    for (const h of handlers.get(events.GROUP_JOIN) ?? []) h({ payload: { groupId: 'hook-test', memberId: 'm', memberAssignment: { in: [0] } } });
  };
  join();
  /** One batch of `partition 0`: 3 keys × `perKey` events, offsets in the order they arrived. */
  const batch = (perKey: number) => {
    const messages = Array.from({ length: 3 * perKey }, (_, i) => {
      const key = ['a', 'b', 'c'][i % 3];
      return {
        key: Buffer.from(key),
        value: Buffer.from(JSON.stringify({ key, seq: Math.floor(i / 3) })),
        timestamp: String(T),
        offset: String(i),
        headers: {},
      };
    });
    return eachBatch({
      batch: { topic: 'in', partition: 0, messages, highWatermark: String(messages.length), offsetLag: () => '0' },
      resolveOffset: () => {},
      heartbeat: async () => {
        state.beats++;
        if (state.failBeats > 0 && state.failBeats--) throw new Error('The group is rebalancing, so a rejoin is needed');
      },
      commitOffsetsIfNecessary: delivery === 'at-least-once' ? failCommit : async () => {},
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  };
  return { state, batch, join };
}

describe('the batch loop with a webhook sink', () => {
  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (webhook.down()) return void res.writeHead(503).end('down');
        webhook.answered.push({ ...(JSON.parse(body) as { key: string; seq: number }), idempotencyKey: String(req.headers['idempotency-key']) });
        setTimeout(() => res.writeHead(200).end('ok'), Math.random() * 5);
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    hookServer.closeAllConnections();
    await new Promise((r) => hookServer.close(r));
  });
  const answeredTwice = () => {
    const keys = webhook.answered.map((a) => a.idempotencyKey);
    return keys.filter((k, i) => keys.indexOf(k) !== i);
  };
  const seqsOf = (key: string) => webhook.answered.filter((a) => a.key === key).map((a) => a.seq);

  for (const delivery of ['at-least-once', 'exactly-once'] as const) {
    it(`${delivery}: a slice processed again after its commit failed does not send again what the webhook answered`, async () => {
      Object.assign(webhook, { down: () => false, answered: [] });
      const { state, batch } = await webhookLoop(delivery, { retries: 0 });
      state.failCommits = 1;
      await expect(batch(4)).rejects.toThrow(/not aware of this member/);
      expect(webhook.answered).toHaveLength(12);
      // kafkajs hands the batch over again, from the offset last committed.
      await batch(4);
      expect(answeredTwice()).toEqual([]);
      for (const key of ['a', 'b', 'c']) expect(seqsOf(key)).toEqual([0, 1, 2, 3]);
    });

    it(`${delivery}: the group hears from the replica while a slice waits for the webhook to come back`, async () => {
      // The webhook answers 503 until the loop has sent the group a heartbeat, and the sink retries meanwhile.
      const { state, batch } = await webhookLoop(delivery, { retries: 8, backoffMs: 50 });
      Object.assign(webhook, { down: () => state.beats === 0, answered: [] });
      await batch(1);
      expect(state.deadLetters).toBe(0);
      expect(webhook.answered.map((a) => a.key).sort()).toEqual(['a', 'b', 'c']);
    });

    it(`${delivery}: a rebalance while a slice waits for the webhook lets the slice finish first; processed again, it sends nothing twice`, async () => {
      const { state, batch, join } = await webhookLoop(delivery, { retries: 8, backoffMs: 50 });
      Object.assign(webhook, { down: () => state.beats === 0, answered: [] });
      state.failBeats = 1;
      await expect(batch(3)).rejects.toThrow(/rebalancing/);
      expect(webhook.answered).toHaveLength(9);
      // The member joins again with the partition, and kafkajs hands the batch over again.
      join();
      await batch(3);
      expect(answeredTwice()).toEqual([]);
      for (const key of ['a', 'b', 'c']) expect(seqsOf(key)).toEqual([0, 1, 2]);
    });
  }
});
