// Integration test of the generated service's probes against the real broker from
// test/global-setup.ts: /readyz answers 200 only once the replica is a member of its consumer
// group; /healthz stays 200 while an idle consumer keeps polling, and turns 503 when the consumer
// is stuck in a batch (here: an HTTP sink whose endpoint takes the request and never answers), so
// Kubernetes restarts it. The pipeline turns deploy.monitoring on, and the running service's /metrics
// must serve every metric its generated alerts and dashboard query.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXTERNAL_METRICS } from '../../codegen/monitoring.js';
import { parseExposition } from '../harness/exposition.js';
import { exportedNames, metricNames } from '../harness/promql.js';
import { brokers, createExternalTopics, freePort, mustRun, repoRoot, waitFor } from './process.js';

const LIVENESS_TIMEOUT_MS = 4000;

describe('generated service probes: readiness follows group membership, liveness catches a stuck consumer', () => {
  const runId = randomUUID().slice(0, 8);
  const name = `probes-it-${runId}`;
  const topic = `probes-in-${runId}`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-probes-it-'));
  const held: IncomingMessage[] = [];
  let hang: Server;
  let child: ChildProcess | undefined;
  const output: string[] = [];
  let port: number;

  const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;

  beforeAll(async () => {
    // An endpoint that takes every request and never answers.
    hang = createServer((req) => void held.push(req));
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/hook`;
    writeFileSync(
      join(work, 'pipeline.yaml'),
      [
        'version: 1',
        `pipeline: ${name}`,
        'kafka: { replicationFactor: 1 }',
        'deploy: { monitoring: true }',
        'nodes:',
        `  - { id: in, kind: kafka-source, topic: ${topic}, partitions: 2, start: latest }`,
        `  - { id: out, kind: http-sink, input: in, url: "${url}", timeoutMs: 60000, retries: 10, backoffMs: 10000 }`,
        '',
      ].join('\n'),
    );
    const dir = join(work, 'service');
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', join(work, 'pipeline.yaml'), '-o', dir], { cwd: repoRoot, timeoutMs: 60_000 });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await mustRun(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 120_000 });
    const env = { ...process.env, KAFKA_BROKERS: brokers(), LIVENESS_TIMEOUT_MS: String(LIVENESS_TIMEOUT_MS) };
    // The input topic is read, not owned: its owner creates it, as in production.
    await createExternalTopics(dir);
    await mustRun(process.execPath, ['dist/src/topics.js'], { cwd: dir, env, timeoutMs: 60_000 });
    port = await freePort();
    child = spawn(process.execPath, ['dist/src/main.js'], { cwd: dir, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(`[stderr] ${d}`));
  }, 240_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    for (const req of held) req.socket.destroy();
    await new Promise((resolve) => hang?.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  const logs = () => output.join('');

  it('is ready only as a member of the group, and alive while idle', async () => {
    await waitFor('the HTTP server', 60_000, async () => (await get('/healthz').catch(() => 0)) !== 0, logs);
    await waitFor('/readyz 200', 90_000, async () => (await get('/readyz')) === 200, logs);
    // Ready implies joined: the join was logged before readiness could be seen.
    expect(logs()).toMatch(/"msg":"joined consumer group"/);
    // Idle for more than twice the bound: the consumer keeps polling, so it stays alive.
    const idleUntil = Date.now() + 2 * LIVENESS_TIMEOUT_MS + 1000;
    while (Date.now() < idleUntil) {
      expect(await get('/healthz')).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 200_000);

  it('serves, in the text format, every metric its generated alerts and dashboard query', async () => {
    const dir = join(work, 'service');
    const rule = parseYaml(readFileSync(join(dir, 'k8s/monitoring/prometheusrule.yaml'), 'utf8')) as {
      spec: { groups: { rules: { alert: string; expr: string }[] }[] };
    };
    const dashboard = JSON.parse(readFileSync(join(dir, 'k8s/monitoring/dashboard.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const queries = [
      ...rule.spec.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel ${p.title}`, expr: t.expr }))),
    ];
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    // Strict: a line Prometheus would refuse, or a histogram it would misread, throws here.
    const families = parseExposition(await res.text());
    const served = exportedNames(families);
    const read = queries.flatMap(({ where, expr }) => metricNames(expr).map((name) => ({ where, name })));
    expect(read.length).toBeGreaterThan(20);
    for (const { where, name } of read) expect(served.has(name) || (EXTERNAL_METRICS as readonly string[]).includes(name), `${where} reads ${name}`).toBe(true);
    // The standard process metrics are this process's.
    expect(families.get('process_resident_memory_bytes')!.samples[0].value).toBeGreaterThan(10 * 1024 * 1024);
    expect(families.get('nodejs_version_info')!.samples[0].labels.version).toMatch(/^v\d+\./);
    // Before the first record, every node already has its latency series.
    const nodes = new Set(families.get('pipewright_node_duration_seconds')!.samples.map((x) => x.labels.node));
    expect([...nodes].sort()).toEqual(['in', 'out']);
  }, 60_000);

  it('turns /healthz to 503 when the consumer is stuck in a batch', async () => {
    const kafka = new Kafka({ clientId: `probes-it-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: JSON.stringify({ n: 1 }) }] });
    await producer.disconnect();
    await waitFor('the sink to call the endpoint', 60_000, () => held.length > 0, logs);
    expect(await get('/healthz')).toBe(200);
    await waitFor('/healthz 503', 60_000, async () => (await get('/healthz')) === 503, logs);
  }, 120_000);
});
