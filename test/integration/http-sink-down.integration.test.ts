// The chaos runner's http-sink-down scenario (bench/chaos.ts), shortened, on the test broker: a
// generated source → `http` sink service with `delivery: exactly-once`, three replicas, events
// arriving for 10 s while the webhook answers 503 for 8 s — longer than the replicas' 6 s session, so
// a replica that stopped heartbeating while its slice waited would lose its partitions and process the
// slice again. The webhook must get every event, none of them twice, in order per key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPipeline, runScenario, startWebhook } from '../../bench/chaos-lib.js';
import { brokers } from './process.js';

const settings = { events: 600, keys: 24, replicas: 3, seconds: 10, delivery: 'exactly-once', sessionTimeoutMs: 6000, hookDownMs: 8000 };

describe('http sink, its webhook down for longer than the session', () => {
  const work = mkdtempSync(join(tmpdir(), 'pipewright-http-down-'));
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  beforeAll(async () => {
    webhook = await startWebhook();
  });
  afterAll(async () => {
    await webhook.close();
    if (process.env.PIPEWRIGHT_KEEP_TMP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('exactly-once: every event reaches the webhook once, in order per key', async () => {
    const kafka = new Kafka({ clientId: 'http-down-it', brokers: brokers().split(','), logLevel: logLevel.NOTHING });
    const row = await runScenario({
      settings,
      logDir: work,
      kafka,
      brokers: brokers(),
      serviceDir: await buildPipeline('http-sink', join(work, 'http-sink'), webhook.url, settings.delivery),
      name: 'http-sink',
      scenario: 'http-sink-down',
      hook: webhook.hook,
      brokerPid: () => {
        throw new Error('the test broker is shared: no broker faults here');
      },
      restart: async () => {
        throw new Error('the test broker is shared: no broker faults here');
      },
    });
    expect(row.note).toBe('');
    expect(row.faults).toBe(1);
    expect(row.lost).toBe(0);
    expect(row.duplicated).toBe(0);
    expect(row.orderBreaks).toBe(0);
    expect(row.deadLetters).toBe(0);
  }, 300_000);
});
