/**
 * Service configuration comes from the environment only: the ConfigMap gives
 * the plain settings, the Secret gives credentials. A bad setting stops the
 * service at start-up with a message that names the variable and the fix.
 */

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface ServiceConfig {
  brokers: string[];
  clientId: string;
  groupId: string;
  ssl: boolean;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  httpPort: number;
  /**
   * Largest slice of a fetched batch processed before offsets are resolved and a heartbeat is sent.
   * Each slice waits for one produce acknowledgement, so small slices cost round trips; but kafkajs
   * groups a send's messages per partition by copying arrays (quadratic in messages per send), so
   * very large ones cost CPU. 2,500 measured best in bench/service.ts (see bench/README.md).
   */
  chunkSize: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  shutdownTimeoutMs: number;
  /**
   * How long a restore of state from a changelog may go without receiving a record before the
   * service gives up on it (the batch fails and is retried). There is no limit on a restore's length.
   */
  restoreStallTimeoutMs: number;
  /**
   * How long the broker may hold a fetch when there is nothing to read (Kafka's fetch.max.wait.ms,
   * 500 ms there too). Stopping, and joining a rebalance, wait for the fetch in flight, so an idle
   * replica stops within about this (per consumer) instead of kafkajs's default 5 s.
   */
  fetchMaxWaitMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}="${raw}" is not a whole number from ${min} to ${max}; unset it to use ${fallback}.`);
  }
  return n;
}

export function configFromEnv(env: Env, defaults: { pipeline: string }): ServiceConfig {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    throw new ConfigError('KAFKA_BROKERS is not set. Set it to the bootstrap servers, for example KAFKA_BROKERS=localhost:9092.');
  }
  for (const b of brokers) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b)) {
      throw new ConfigError(`KAFKA_BROKERS entry "${b}" is not host:port. Use a comma-separated list such as broker-1:9092,broker-2:9092.`);
    }
  }
  let sasl: ServiceConfig['sasl'];
  const mechanism = (env.KAFKA_SASL_MECHANISM ?? '').toLowerCase();
  if (mechanism) {
    if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
      throw new ConfigError(`KAFKA_SASL_MECHANISM="${mechanism}" is not supported; use plain, scram-sha-256 or scram-sha-512.`);
    }
    const username = env.KAFKA_SASL_USERNAME;
    const password = env.KAFKA_SASL_PASSWORD;
    if (!username || !password) {
      throw new ConfigError('KAFKA_SASL_MECHANISM is set but KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is missing; both come from the Kafka credentials Secret.');
    }
    sasl = { mechanism, username, password };
  }
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL="${logLevel}" is not one of debug, info, warn, error.`);
  }
  return {
    brokers,
    clientId: env.KAFKA_CLIENT_ID || env.HOSTNAME || defaults.pipeline,
    groupId: env.KAFKA_GROUP_ID || defaults.pipeline,
    ssl: env.KAFKA_SSL === 'true' || (sasl !== undefined && env.KAFKA_SSL !== 'false'),
    sasl,
    httpPort: int(env, 'PORT', 8080, 1, 65535),
    chunkSize: int(env, 'BATCH_CHUNK_SIZE', 2500, 1, 100000),
    logLevel: logLevel as ServiceConfig['logLevel'],
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 20000, 1000, 600000),
    restoreStallTimeoutMs: int(env, 'RESTORE_STALL_TIMEOUT_MS', 60000, 1000, 3600000),
    fetchMaxWaitMs: int(env, 'KAFKA_FETCH_MAX_WAIT_MS', 500, 10, 30000),
  };
}
