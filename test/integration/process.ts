/**
 * What the real-Kafka integration tests share: the broker's address, child
 * processes with their output kept for failure messages, and free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { parse as parseYaml } from 'yaml';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { errorText } from '../../runtime/errors.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The broker of the global setup, or KAFKA_BROKERS when it is set. */
export function brokers(): string {
  const value = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS;
  if (!value) throw new Error('No Kafka broker: run with the global setup (test/global-setup.ts) or set KAFKA_BROKERS=host:port.');
  return value;
}

export interface Ran {
  code: number | null;
  output: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Runs a command to its end (killed at the time limit) and gives its exit code and output. */
export function run(cmd: string, args: string[], opts: RunOptions): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** Like run, but a non-zero exit fails with the end of the command's output. */
export async function mustRun(cmd: string, args: string[], opts: RunOptions): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}:\n${r.output.slice(-4000)}`);
  return r.output;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Polls `probe` until it gives a value (anything but undefined or false), or
 * fails after `timeoutMs` with what it waited for, the probe's last error and
 * the diagnostics (e.g. the services' output).
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  diagnostics = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${errorText(lastError)})` : ''}\n${diagnostics()}`);
}

/** The secured listeners of a test broker, as scripts/kafka-broker.mjs records them in its state.json. */
export interface SecureListeners {
  scram: { brokers: string; mechanism: 'scram-sha-512'; username: string; password: string };
  mtls: { brokers: string };
  oauthbearer: { brokers: string };
  /** PEM files: the CA that signed the broker's certificate, and a client certificate and key it signed. */
  ca: string;
  clientCert: string;
  clientKey: string;
}

/**
 * The broker's secured listeners (SASL_SSL SCRAM-SHA-512, mTLS, OAUTHBEARER).
 * When the broker in use has none (it was not started by scripts/kafka-broker.mjs,
 * or by an older version of it), a second broker is started for them with its
 * state in .cache/kafka-secure, or reused if one runs there; `stop` stops it
 * again only if it was started here.
 */
export async function secureListeners(): Promise<{ secure: SecureListeners; stop: () => Promise<void> }> {
  const provided = inject('kafkaSecure');
  if (provided) return { secure: provided, stop: async () => {} };
  const home = join(repoRoot, '.cache', 'kafka-secure');
  const script = (command: string) =>
    run(process.execPath, ['scripts/kafka-broker.mjs', command], { cwd: repoRoot, env: { ...process.env, PIPEWRIGHT_KAFKA_HOME: home }, timeoutMs: 300_000 });
  const reused = (await script('status')).code === 0;
  if (!reused) {
    const started = await script('start');
    if (started.code !== 0) throw new Error(`The connection tests need a broker with TLS and SASL listeners, and starting one failed:\n${started.output}`);
  }
  const state = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as { secure: SecureListeners };
  return { secure: state.secure, stop: async () => void (reused ? undefined : await script('stop')) };
}

/**
 * Creates the topics a generated repository reads but does not own (external in its
 * topics/topics.yaml), with the partitions it expects, as their owner would before
 * `npm run topics`, which only checks them. Topics that exist are left as they are.
 */
export async function createExternalTopics(serviceDir: string): Promise<string[]> {
  const listed = (
    parseYaml(readFileSync(join(serviceDir, 'topics/topics.yaml'), 'utf8')) as { topics: { name: string; partitions: number; external?: boolean }[] }
  ).topics;
  const external = listed.filter((t) => t.external);
  if (external.length === 0) return [];
  const admin = new Kafka({ clientId: 'pw-external-topics', brokers: brokers().split(','), logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = external.filter((t) => !existing.has(t.name));
    if (missing.length)
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
  return external.map((t) => t.name);
}

/** A replica of a generated service, its output kept for failure messages. */
export interface Replica {
  name: string;
  child: ChildProcess;
  output: string[];
  exit: Promise<unknown>;
  exited: boolean;
}

/** Starts a replica in `cwd` with `node <args>` (the built service by default). */
export function startReplica(name: string, cwd: string, env: NodeJS.ProcessEnv, args: string[] = ['dist/src/main.js']): Replica {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Replica = { name, child, output: [], exited: false, exit: undefined as never };
  child.stdout.setEncoding('utf8').on('data', (d: string) => r.output.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => r.output.push(`[stderr] ${d}`));
  r.exit = new Promise((resolve) => child.on('exit', (code, signal) => ((r.exited = true), resolve({ code, signal }))));
  return r;
}

/**
 * After a run: replicas still alive are killed, the group (and its `-verify` reader) and the
 * topics deleted, the admin disconnected, and the work folder removed unless PIPEWRIGHT_KEEP_TMP=1.
 */
export async function cleanUpRun(run: { replicas: Replica[]; admin?: Admin; group: string; topics: string[]; work: string }): Promise<void> {
  for (const r of run.replicas) if (!r.exited) r.child.kill('SIGKILL');
  await Promise.all(run.replicas.map((r) => r.exit));
  if (run.admin) {
    await run.admin.deleteGroups([run.group, `${run.group}-verify`]).catch(() => {});
    await run.admin.deleteTopics({ topics: [...new Set(run.topics)] }).catch(() => {});
    await run.admin.disconnect();
  }
  if (process.env.PIPEWRIGHT_KEEP_TMP !== '1') rmSync(run.work, { recursive: true, force: true });
}

/**
 * A Schema Registry with the Confluent-compatible API: SCHEMA_REGISTRY_URL when it is set (as
 * .ci/run sets it), else the one scripts/schema-registry.mjs runs, started here (about 10 s; the
 * first time, a build of a minute or two) or reused if it runs already. `stop` stops it again
 * only if it was started here. Only the tests that need a registry pay for it.
 */
export async function schemaRegistry(): Promise<{ url: string; stop: () => Promise<void> }> {
  const given = process.env.SCHEMA_REGISTRY_URL?.trim();
  if (given) return { url: given.replace(/\/+$/, ''), stop: async () => {} };
  const script = (command: string) => run(process.execPath, ['scripts/schema-registry.mjs', command], { cwd: repoRoot, timeoutMs: 600_000 });
  const status = await script('status');
  const reused = status.code === 0;
  const started = reused ? status : await script('start');
  const url = /^SCHEMA_REGISTRY_URL=(.+)$/m.exec(started.output)?.[1];
  if (started.code !== 0 || !url) throw new Error(`The test needs a Schema Registry, and starting one failed:\n${started.output}`);
  return { url, stop: async () => void (reused ? undefined : await script('stop')) };
}
