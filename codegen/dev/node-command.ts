/**
 * Node only: `pipewright dev [pipeline.yaml] --brokers host:port [--port N] [--host H]`. Reads the
 * connection profile from the environment as the generated service does (configFromEnv), builds
 * the designer when its build is missing or stale, starts the server and prints its URL with the
 * token. Runs until Ctrl-C.
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, configFromEnv, type ServiceConfig } from '../../runtime/service/config.js';
import { ensureDesigner } from './node-build.js';
import { startDevServer } from './node-server.js';
import type { Out } from '../cli.js';

export const DEV_USAGE = `Usage: pipewright dev [pipeline.yaml] --brokers host:port[,host:port...] [--port N] [--host H]
  Live mode: the designer, connected to a Kafka cluster, on http://127.0.0.1:PORT/?token=...
  --brokers  the bootstrap servers (default: KAFKA_BROKERS); TLS and SASL come from the same
             KAFKA_* variables the generated service reads (KAFKA_SSL, KAFKA_SASL_MECHANISM, ...)
  --port     the port to listen on (default: a free one)
  --host     the address to listen on (default 127.0.0.1; anything else exposes the cluster to the network)`;

type Parsed = { config: ServiceConfig; pipelinePath?: string; port: number; host: string } | { error: string };

/** The command line, checked: every mistake is one sentence and the usage. */
export function parseDevArgs(argv: string[], env: NodeJS.ProcessEnv): Parsed {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { brokers: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (args.positionals.length > 1) return { error: `one pipeline file at most, not ${args.positionals.length} (${args.positionals.join(', ')})` };
  const brokers = args.values.brokers ?? env.KAFKA_BROKERS;
  if (!brokers) return { error: 'say which Kafka cluster: --brokers host:port (or set KAFKA_BROKERS)' };
  const port = Number(args.values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) return { error: `--port ${args.values.port} is not a port number (0 to 65535)` };
  const host = args.values.host ?? '127.0.0.1';
  if (isIP(host) === 0 && host !== 'localhost') return { error: `--host ${host} is not an IP address (e.g. 127.0.0.1)` };
  let config: ServiceConfig;
  try {
    config = configFromEnv({ ...env, KAFKA_BROKERS: brokers }, { pipeline: 'pipewright-dev' });
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message.replace(/^KAFKA_BROKERS/, '--brokers').replace(/\.$/, '') };
    throw e;
  }
  const file = args.positionals[0];
  if (file !== undefined) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return { error: `${file}: no such file; create one with pipewright init, or leave it out to browse the cluster only` };
    if (!stat.isFile()) return { error: `${file} is not a file` };
  }
  return { config, port, host, ...(file !== undefined ? { pipelinePath: resolve(file) } : {}) };
}

/**
 * Where runs keep their builds: the user's own cache folder, never a shared temporary one (a build
 * found there is run as it is).
 */
export function devCacheDir(env: NodeJS.ProcessEnv): string {
  return env.PIPEWRIGHT_DEV_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pipewright', 'dev-builds');
}

export async function devCommand(argv: string[], out: Out, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.log(DEV_USAGE);
    return 0;
  }
  const parsed = parseDevArgs(argv, env);
  if ('error' in parsed) {
    out.err(`pipewright dev: ${parsed.error}.\n${DEV_USAGE}`);
    return 2;
  }
  if (parsed.host !== '127.0.0.1' && parsed.host !== 'localhost' && parsed.host !== '::1') {
    out.err(`pipewright dev: listening on ${parsed.host}: anyone who can reach it and has the token can read and write your cluster.`);
  }
  let designerDir: string;
  try {
    designerDir = await ensureDesigner(out.log);
  } catch (e) {
    out.err(`pipewright dev: the designer could not be built: ${(e as Error).message}`);
    return 1;
  }
  let server;
  try {
    server = await startDevServer({ ...parsed, designerDir, cacheDir: devCacheDir(env), log: out.log });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    out.err(
      `pipewright dev: cannot listen on ${parsed.host}:${parsed.port}: ${code === 'EADDRINUSE' ? 'the port is in use; choose another with --port, or leave --port out' : (code ?? (e as Error).message)}.`,
    );
    return 2;
  }
  out.log(`Pipewright dev: ${server.url}`);
  out.log(
    `Kafka: ${parsed.config.brokers.join(',')}${parsed.pipelinePath ? `; pipeline: ${parsed.pipelinePath}` : ''}. Ctrl-C stops (runs still going are stopped too).`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  return 0;
}
