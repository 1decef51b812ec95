// Restoring window state from a changelog written in transactions (`delivery: exactly-once`), on the
// real broker (test/global-setup.ts), with the runtime's restorer (runtime/transports/restore.ts).
// After its own transaction commits, a replica's state stands just before the transaction's commit
// marker; when it keeps its partition across a rebalance, what is left to read is that marker alone,
// and after a killed owner's transaction is aborted, aborted records and a marker. Neither holds a
// record to apply, and each restore must still finish, at once, with the state as it was; the
// records of a later committed transaction are then applied as usual.
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type GraphSpec } from '../../runtime/engine/graph.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { Metrics } from '../../runtime/service/metrics.js';
import type { Logger } from '../../runtime/transports/kafka.js';
import { ChangelogRestorer } from '../../runtime/transports/restore.js';
import { brokers } from './process.js';

const HOUR = 3_600_000;
const T = Date.UTC(2024, 0, 1, 8);

describe('restoring state from a changelog written in transactions', () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `restore-markers-it-${runId}`;
  const input = `${pipeline}-in`;
  const changelog = `${pipeline}.w.changelog`;
  const spec: GraphSpec = {
    pipeline,
    delivery: 'exactly-once',
    errors: { policy: 'dead-letter', topic: `${pipeline}.dead-letter` },
    nodes: [
      { id: 'src', kind: 'kafka-source', params: { topic: input }, inputs: [] },
      { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
      { id: 'sink', kind: 'kafka-sink', params: { topic: `${pipeline}-out` }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
    ],
  };
  const lines: string[] = [];
  const keep = (msg: string, f?: object) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
  const log: Logger = { info: keep, warn: keep, error: keep, debug: () => {} };
  let kafka: Kafka;
  let admin: Admin;
  let txProducer: Producer;
  let restorer: ChangelogRestorer;
  /** A window record as the window's store writes it: `n` events of `key` in the 08:00 window. */
  const windowRecord = (key: string, n: number) => ({ key: `w\u0000${key}\u0000${T}`, value: JSON.stringify({ k: key, s: T, e: T + HOUR, n }), partition: 0 });

  /** Writes `records` to the changelog in one transaction, committed or aborted; returns the offset of the first. */
  async function transaction(records: { key: string; value: string; partition: number }[], outcome: 'commit' | 'abort'): Promise<number> {
    const txn = await txProducer.transaction();
    const [meta] = await txn.send({ topic: changelog, acks: -1, messages: records });
    await (outcome === 'commit' ? txn.commit() : txn.abort());
    // The coordinator writes the marker after the commit returns: wait until the partition's last
    // stable offset (what the restorer reads up to) is past it.
    const base = Number(meta.baseOffset);
    for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const [o] = await admin.fetchTopicOffsets(changelog);
      if (Number(o.high) >= base + records.length + 1) break;
      if (Date.now() > deadline) throw new Error(`the marker of the transaction at ${base} did not show within 10 s`);
    }
    return base;
  }

  beforeAll(async () => {
    kafka = new Kafka({ clientId: `pw-restore-markers-${runId}`, brokers: brokers().split(','), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: input, numPartitions: 1 },
        { topic: changelog, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    });
    txProducer = kafka.producer({
      transactionalId: `${pipeline}.${input}.0`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await txProducer.connect();
  });

  afterAll(async () => {
    await restorer?.stop().catch(() => {});
    await txProducer?.disconnect();
    await admin?.deleteTopics({ topics: [input, changelog] }).catch(() => {});
    await admin?.disconnect();
  });

  it('finishes a restore whose remaining records are only commit or abort markers and aborted records', async () => {
    // A stall is reported after 5 s (the service's default is 60 s): a restore that cannot finish fails fast.
    const config = configFromEnv(
      { KAFKA_BROKERS: brokers(), KAFKA_GROUP_ID: pipeline, KAFKA_CLIENT_ID: `${pipeline}-a`, RESTORE_STALL_TIMEOUT_MS: '5000' },
      { pipeline },
    );
    const graph = new Graph(spec, {}, { live: true });
    restorer = new ChangelogRestorer(kafka, admin, config, graph, new Metrics(), log, [changelog]);
    await restorer.start();
    // The windows' counts as the state holds them: an event two hours on closes them all.
    const windows = async () => {
      const result = await graph.process(input, [
        { key: 'z', value: '{}', timestamp: T + 2 * HOUR, headers: {}, origin: { topic: input, partition: 0, offset: '1' } },
      ]);
      return result.messages.map((m) => `${String(m.key).split('@')[0]}:${(JSON.parse(String(m.value)) as { count: number }).count}`).sort();
    };

    // The state as another replica left it: two windows, committed.
    await transaction([windowRecord('a', 1), windowRecord('b', 2)], 'commit');
    expect(await restorer.restore(input, 0)).toBe(2);

    // This replica processes an event of window a and commits its state changes in a transaction, as
    // the service does: its state's position is then after its records, before the commit marker.
    const own = await graph.process(input, [{ key: 'a', value: '{}', timestamp: T + 1, headers: {}, origin: { topic: input, partition: 0, offset: '0' } }]);
    expect(own.changelog.length).toBeGreaterThan(0);
    const base = await transaction(
      own.changelog.map((m) => ({ key: String(m.key), value: String(m.value), partition: 0 })),
      'commit',
    );
    graph.changelogWritten(changelog, 0, base, own.changelog.length);
    const began = Date.now();
    expect(await restorer.restore(input, 0)).toBe(0);
    // Not after the stall timeout: the marker was read.
    expect(Date.now() - began).toBeLessThan(4000);

    // A killed owner's transaction, aborted: its records must not count.
    await transaction([windowRecord('b', 99), windowRecord('c', 99)], 'abort');
    expect(await restorer.restore(input, 0)).toBe(0);

    // And a later committed transaction is read as usual.
    await transaction([windowRecord('c', 3)], 'commit');
    expect(await restorer.restore(input, 0)).toBe(1);
    expect(await windows()).toEqual(['a:2', 'b:2', 'c:3']);
  }, 60_000);
});
