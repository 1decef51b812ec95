// The small subset of the chaos runner (bench/chaos.ts) that runs with every `npm test`, on the
// test broker: generated services of the runner's stateless and windowed pipelines, three
// replicas each, events arriving for 12 s while one replica is SIGKILLed mid-batch three times
// (a replacement starts at once); and 1% poison pills through the stateless one. Nothing may be
// lost, per-key order must hold, every window result must be exact, and every poison pill must be
// in the dead-letter topic. The faults that need a broker of their own (restart, pause) and the
// full matrix run on demand: node bin/run-ts.mjs bench/chaos.ts (figures in bench/README.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPipeline, runScenario, type PipelineName, type ScenarioName } from '../../bench/chaos-lib.js';
import { brokers } from './process.js';

const settings = { events: 1200, keys: 24, replicas: 3, seconds: 12, delivery: 'at-least-once' };

describe('chaos subset on the test broker', () => {
  const work = mkdtempSync(join(tmpdir(), 'pipewright-chaos-it-'));
  const kafka = new Kafka({ clientId: 'chaos-it', brokers: brokers().split(','), logLevel: logLevel.NOTHING });
  const built = new Map<PipelineName, Promise<string>>();
  const build = (name: PipelineName) => {
    if (!built.has(name)) built.set(name, buildPipeline(name, join(work, name), 'http://127.0.0.1:9/unused', settings.delivery));
    return built.get(name)!;
  };
  const run = async (name: PipelineName, scenario: ScenarioName) =>
    runScenario({
      settings,
      logDir: work,
      kafka,
      brokers: brokers(),
      serviceDir: await build(name),
      name,
      scenario,
      hook: { down: false, bodies: [] },
      brokerPid: () => {
        throw new Error('the test broker is shared: no broker faults here');
      },
      restart: async () => {
        throw new Error('the test broker is shared: no broker faults here');
      },
    });

  afterAll(() => {
    if (process.env.PIPEWRIGHT_KEEP_TMP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('stateless: three SIGKILLs mid-stream lose nothing and keep per-key order', async () => {
    const row = await run('stateless', 'kill');
    expect(row.note).toBe('');
    expect(row.faults).toBe(3);
    expect(row.lost).toBe(0);
    expect(row.orderBreaks).toBe(0);
    expect(row.deadLetters).toBe(0);
  }, 600_000);

  it('windowed: three SIGKILLs mid-stream, every window result exact', async () => {
    const row = await run('windowed', 'kill');
    expect(row.note).toBe('');
    expect(row.faults).toBe(3);
    expect(row.lost).toBe(0);
    const [exact, of] = row.exactWindows.split('/').map(Number);
    expect(of).toBeGreaterThan(0);
    expect(exact).toBe(of);
  }, 600_000);

  it('stateless: 1% poison pills all go to the dead-letter topic, and nothing else is lost', async () => {
    const row = await run('stateless', 'poison');
    expect(row.note).toBe('');
    expect(row.deadLetters).toBe(12);
    expect(row.lost).toBe(0);
    expect(row.orderBreaks).toBe(0);
  }, 600_000);
});
