/**
 * Start-up on the real broker, as a user meets it: `npm run topics` of a
 * generated repository checks the topic it reads but does not own (missing,
 * too few partitions, then fine), creates its own topics with their settings
 * capped to the single test broker; and the service refuses bad
 * configuration (a port in use, a missing variable) with one line and exit 1,
 * never a stack trace.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { brokers, freePort, mustRun, repoRoot, run } from './process.js';

const runId = randomUUID().slice(0, 8);
const name = `startup-it-${runId}`;
const input = `orders-startup-it-${runId}`;
const output = `large-orders-startup-it-${runId}`;
const deadLetters = `${name}.dead-letter`;

/** Kafka's DescribeConfigs source of a setting made on the topic itself. */
const TOPIC_CONFIG = 1;

/** Lines a Node stack trace has; none may reach the user. */
const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe('start-up of a generated repository on the real broker', () => {
  const work = mkdtempSync(join(tmpdir(), 'pipewright-startup-it-'));
  let dir: string;
  let admin: Admin;
  let env: NodeJS.ProcessEnv;
  const topics = () => run(process.execPath, ['dist/src/topics.js'], { cwd: dir, env, timeoutMs: 60_000 });

  beforeAll(async () => {
    admin = new Kafka({ clientId: `pw-startup-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR }).admin();
    await admin.connect();
    const doc = parseDocument(readFileSync(join(repoRoot, 'examples/large-orders/pipeline.yaml'), 'utf8'));
    doc.set('pipeline', name);
    doc.setIn(['nodes', 0, 'topic'], input);
    const sink = (doc.toJS().nodes as { kind: string }[]).findIndex((n) => n.kind === 'kafka-sink');
    doc.setIn(['nodes', sink, 'topic'], output);
    // Replication factor 3 and the default min.insync.replicas 2: on one broker, both are capped.
    doc.set('topics', doc.createNode({ [output]: { retention: '1d', cleanup: 'delete' } }));
    const file = join(work, 'pipeline.yaml');
    writeFileSync(file, doc.toString());
    dir = join(work, 'service');
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', dir], { cwd: repoRoot, timeoutMs: 60_000 });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await mustRun(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 120_000 });
    env = { ...process.env, KAFKA_BROKERS: brokers(), LOG_LEVEL: 'info' };
  }, 240_000);

  afterAll(async () => {
    if (admin) {
      await admin.deleteTopics({ topics: [input, output, deadLetters] }).catch(() => {});
      await admin.disconnect();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('npm run topics: a missing external topic stops it with what to do, and creates nothing', async () => {
    const r = await topics();
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain(`pipewright: topic "${input}" does not exist; the pipeline reads it but does not own it (external)`);
    expect(r.output).toContain('set external: false for it under topics in pipeline.yaml');
    expect(r.output).not.toMatch(STACK);
    const existing = await admin.listTopics();
    for (const t of [input, output, deadLetters]) expect(existing, t).not.toContain(t);
  }, 90_000);

  it('npm run topics: an external topic with fewer partitions than the pipeline expects stops it', async () => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 2, replicationFactor: 1 }] });
    const r = await topics();
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain(`pipewright: topic "${input}" has 2 partition(s) but the pipeline expects 6: set partitions: 2 on the source`);
    expect(r.output).not.toMatch(STACK);
    expect(await admin.listTopics()).not.toContain(output);
  }, 90_000);

  it('npm run topics: with the external topic in place, creates only its own topics, with their settings fitted to the cluster', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: input, count: 6 }] });
    const r = await topics();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`"msg":"external topic exists","topic":"${input}","partitions":6`);
    expect(r.output).toContain(`"msg":"topic created","topic":"${output}"`);
    expect(r.output).not.toContain(`"msg":"topic created","topic":"${input}"`);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [output, deadLetters, input].map((topic) => ({
        type: 2,
        name: topic,
        configNames: ['min.insync.replicas', 'retention.ms', 'cleanup.policy'],
      })),
    });
    const byTopic = Object.fromEntries(
      configs.resources.map((res) => [
        res.resourceName,
        Object.fromEntries(res.configEntries.map((c) => [c.configName, { value: c.configValue, topicLevel: Number(c.configSource) === TOPIC_CONFIG }])),
      ]),
    );
    // One broker: replication factor 3 becomes 1 and min.insync.replicas 2 becomes 1, so writes with acks=all succeed.
    expect(byTopic[output]['min.insync.replicas']).toEqual({ value: '1', topicLevel: true });
    expect(byTopic[output]['retention.ms']).toEqual({ value: '86400000', topicLevel: true });
    expect(byTopic[output]['cleanup.policy']).toEqual({ value: 'delete', topicLevel: true });
    expect(byTopic[deadLetters]['min.insync.replicas']).toEqual({ value: '1', topicLevel: true });
    // The external topic is its owner's: nothing of ours was set on it.
    for (const c of ['min.insync.replicas', 'retention.ms', 'cleanup.policy']) expect(byTopic[input][c].topicLevel, c).toBe(false);
    const meta = await admin.fetchTopicMetadata({ topics: [output] });
    expect(meta.topics[0].partitions[0].replicas).toHaveLength(1);

    // Running it again leaves everything as it is.
    const again = await topics();
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`"msg":"topic exists, left as it is","topic":"${output}"`);
  }, 90_000);

  it('the service on a port in use: one line that names the port and the fix, exit 1, no stack trace', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, resolve));
    try {
      const r = await run(process.execPath, ['dist/src/main.js'], { cwd: dir, env: { ...env, PORT: String(port), KAFKA_GROUP_ID: name }, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(1);
      expect(r.output).toContain(`port ${port} is already in use by another process; stop that process or set PORT to a free port`);
      expect(r.output).not.toContain('EADDRINUSE');
      expect(r.output).not.toMatch(STACK);
      expect(
        r.output
          .trim()
          .split('\n')
          .filter((l) => l.includes('"level":"error"')),
      ).toHaveLength(1);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 90_000);

  it('the service and npm run topics without KAFKA_BROKERS: one line that says what to set, exit 1', async () => {
    const { KAFKA_BROKERS: _unset, ...rest } = env;
    void _unset;
    for (const script of ['dist/src/main.js', 'dist/src/topics.js']) {
      const r = await run(process.execPath, [script], { cwd: dir, env: { ...rest, PORT: String(await freePort()) }, timeoutMs: 60_000 });
      expect(r.code, `${script}: ${r.output}`).toBe(1);
      expect(r.output.trim()).toBe(
        'pipewright: configuration error: KAFKA_BROKERS is not set. Set it to the bootstrap servers, for example KAFKA_BROKERS=localhost:9092.',
      );
    }
  }, 90_000);
});
