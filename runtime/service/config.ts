/**
 * Service configuration comes from the environment only: the ConfigMap gives
 * the plain settings, the Secret gives credentials. A bad setting stops the
 * service at start-up with a message that names the variable and the fix.
 */
import { readFileSync } from 'node:fs';
import { AWS_REGION_PATTERN, oauthScopes, SASL_MECHANISM_NAMES, SASL_MECHANISMS, type PasswordMechanism, type SaslMechanism } from './connection.js';

export type { SaslMechanism } from './connection.js';

export type SaslConfig =
  | { mechanism: PasswordMechanism; username: string; password: string }
  | { mechanism: 'oauthbearer'; tokenEndpoint: string; clientId: string; clientSecret: string; scope?: string }
  | { mechanism: 'aws-msk-iam'; region: string };

/** PEM texts read from the files KAFKA_SSL_CA, KAFKA_SSL_CERT and KAFKA_SSL_KEY name. */
export interface TlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface ServiceConfig {
  brokers: string[];
  clientId: string;
  groupId: string;
  ssl: boolean;
  /** Custom CA and client certificate; without `ca`, the system's CAs are trusted. */
  tls: TlsConfig;
  sasl?: SaslConfig;
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
  /** /healthz fails when the consumer has not polled or sent a heartbeat for this long. */
  livenessTimeoutMs: number;
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
  /**
   * How long the group waits to hear from a replica before it gives the replica's partitions to the
   * others (Kafka's session.timeout.ms; kafkajs's default 30 s). A replica that died without leaving
   * holds its partitions this long; the broker accepts 6 s at the least (group.min.session.timeout.ms).
   */
  sessionTimeoutMs: number;
  /**
   * The most a fetch of the service's consumer brings per partition (the fetch as a whole: 16 times
   * this). kafkajs decodes a whole fetch into message objects before the first is processed, and
   * those that outlive the young generation are what the heap grows with: 256 kB (against kafkajs's
   * 1 MB) brought the peak of bench/window.ts from 346 to 185 MB per 100k keys above idle. A
   * larger record is still fetched whole.
   */
  fetchMaxPartitionBytes: number;
  /**
   * V8's heap growing factor, in percent over the live heap after a full collection (V8's
   * --heap-growing-percent); 0 leaves V8's own, which lets the heap of a busy service grow to several
   * times what is live before collecting. See bench/README.md ("Where window state's memory goes").
   */
  heapGrowingPercent: number;
  /**
   * How state changes are written to the changelogs (CHANGELOG_VALUES): `compact`, a window's
   * aggregates as doubles, or `json`, every value as JSON as before there was a compact form, for a
   * rolling upgrade from a version that reads only JSON. Both are always read.
   */
  changelogValues: 'compact' | 'json';
  /**
   * Put before the name of every topic the service writes (sinks, dead letters, changelogs,
   * repartition topics; TOPIC_PREFIX), so a trial run (`pipewright dev`) writes to scratch topics
   * while it reads the real inputs. Empty: the names in pipeline.yaml.
   */
  topicPrefix: string;
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
  const sasl = saslFromEnv(env);
  const tls = tlsFromEnv(env);
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL="${logLevel}" is not one of debug, info, warn, error.`);
  }
  return {
    brokers,
    clientId: env.KAFKA_CLIENT_ID || env.HOSTNAME || defaults.pipeline,
    groupId: env.KAFKA_GROUP_ID || defaults.pipeline,
    ssl: sslFromEnv(env, sasl !== undefined || Object.keys(tls).length > 0),
    tls,
    sasl,
    httpPort: int(env, 'PORT', 8080, 1, 65535),
    chunkSize: int(env, 'BATCH_CHUNK_SIZE', 2500, 1, 100000),
    logLevel: logLevel as ServiceConfig['logLevel'],
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 20000, 1000, 600000),
    livenessTimeoutMs: int(env, 'LIVENESS_TIMEOUT_MS', 120000, 1000, 3600000),
    restoreStallTimeoutMs: int(env, 'RESTORE_STALL_TIMEOUT_MS', 60000, 1000, 3600000),
    fetchMaxWaitMs: int(env, 'KAFKA_FETCH_MAX_WAIT_MS', 500, 10, 30000),
    sessionTimeoutMs: int(env, 'KAFKA_SESSION_TIMEOUT_MS', 30000, 6000, 300000),
    fetchMaxPartitionBytes: int(env, 'KAFKA_FETCH_MAX_PARTITION_BYTES', 262144, 1024, 104857600),
    heapGrowingPercent: int(env, 'HEAP_GROWING_PERCENT', 30, 0, 1000),
    changelogValues: changelogValues(env),
    topicPrefix: topicPrefix(env),
  };
}

function changelogValues(env: Env): ServiceConfig['changelogValues'] {
  const v = (env.CHANGELOG_VALUES ?? 'compact').trim().toLowerCase();
  if (v !== 'compact' && v !== 'json') {
    throw new ConfigError(
      `CHANGELOG_VALUES="${env.CHANGELOG_VALUES}" is not one of compact, json (json only while replicas of a version before the compact form still run).`,
    );
  }
  return v;
}

function topicPrefix(env: Env): string {
  const v = (env.TOPIC_PREFIX ?? '').trim();
  if (v !== '' && !/^[A-Za-z0-9._-]{1,100}$/.test(v)) {
    throw new ConfigError(
      `TOPIC_PREFIX="${env.TOPIC_PREFIX}" may hold only letters, digits, ".", "_" and "-" (at most 100), as Kafka topic names do; unset it to write the topics pipeline.yaml names.`,
    );
  }
  return v;
}

function required(env: Env, name: string, why: string): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError(`${name} is not set; ${why}.`);
  return v;
}

function saslFromEnv(env: Env): SaslConfig | undefined {
  const raw = (env.KAFKA_SASL_MECHANISM ?? '').trim().toLowerCase();
  if (!raw) return undefined;
  if (!(raw in SASL_MECHANISMS)) {
    throw new ConfigError(`KAFKA_SASL_MECHANISM="${raw}" is not supported; use one of ${SASL_MECHANISM_NAMES.join(', ')}, or unset it for no SASL.`);
  }
  const mechanism = raw as SaslMechanism;
  if (mechanism === 'oauthbearer') {
    const why = 'KAFKA_SASL_MECHANISM=oauthbearer fetches tokens from the OIDC provider with client credentials';
    const tokenEndpoint = required(env, 'KAFKA_OAUTH_TOKEN_ENDPOINT', `${why}: set it to the provider's token URL (https://...)`);
    let url: URL;
    try {
      url = new URL(tokenEndpoint);
    } catch {
      throw new ConfigError(
        `KAFKA_OAUTH_TOKEN_ENDPOINT="${tokenEndpoint}" is not a URL; set it to the provider's token URL, e.g. https://login.example.com/oauth2/token.`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError(
        `KAFKA_OAUTH_TOKEN_ENDPOINT="${tokenEndpoint}" is not an http(s) URL; set it to the provider's token URL, e.g. https://login.example.com/oauth2/token.`,
      );
    }
    return {
      mechanism,
      tokenEndpoint,
      clientId: required(env, 'KAFKA_OAUTH_CLIENT_ID', `${why}: it comes from the Kafka credentials Secret`),
      clientSecret: required(env, 'KAFKA_OAUTH_CLIENT_SECRET', `${why}: it comes from the Kafka credentials Secret`),
      // Scopes separated by commas (as KEDA reads the same variable) or spaces; the token request joins them with spaces (RFC 6749).
      ...(oauthScopes(env.KAFKA_OAUTH_SCOPE ?? '').length ? { scope: oauthScopes(env.KAFKA_OAUTH_SCOPE!).join(' ') } : {}),
    };
  }
  if (mechanism === 'aws-msk-iam') {
    const region = (env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '').trim();
    if (!AWS_REGION_PATTERN.test(region)) {
      throw new ConfigError(
        `${region ? `AWS_REGION="${region}" is not an AWS region` : 'AWS_REGION is not set'}; KAFKA_SASL_MECHANISM=aws-msk-iam signs tokens for the MSK cluster's region, e.g. AWS_REGION=eu-west-1.`,
      );
    }
    return { mechanism, region };
  }
  const username = env.KAFKA_SASL_USERNAME;
  const password = env.KAFKA_SASL_PASSWORD;
  if (!username || !password) {
    throw new ConfigError(
      `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and ${!username ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD'} is missing; both come from the Kafka credentials Secret.`,
    );
  }
  return { mechanism, username, password };
}

function pemFile(env: Env, name: string, what: string, marker: RegExp): string | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String((e as Error).message);
    throw new ConfigError(`${name}=${file} cannot be read (${reason}); it must name the PEM file of ${what}, mounted from the Kafka TLS Secret.`);
  }
  if (!marker.test(text)) throw new ConfigError(`${name}=${file} is not a PEM file of ${what} (no "-----BEGIN" block of the right kind).`);
  return text;
}

function tlsFromEnv(env: Env): TlsConfig {
  const tls: TlsConfig = {};
  const ca = pemFile(env, 'KAFKA_SSL_CA', "the CA that signed the brokers' certificates", /-----BEGIN CERTIFICATE-----/);
  const cert = pemFile(env, 'KAFKA_SSL_CERT', 'the client certificate', /-----BEGIN CERTIFICATE-----/);
  const key = pemFile(env, 'KAFKA_SSL_KEY', 'the client private key', /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/);
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      `${cert === undefined ? 'KAFKA_SSL_KEY is set without KAFKA_SSL_CERT' : 'KAFKA_SSL_CERT is set without KAFKA_SSL_KEY'}; a client certificate needs both files.`,
    );
  }
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return tls;
}

function sslFromEnv(env: Env, implied: boolean): boolean {
  const raw = (env.KAFKA_SSL ?? '').trim().toLowerCase();
  if (raw === '') return implied;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`KAFKA_SSL="${env.KAFKA_SSL}" is not true or false.`);
}
