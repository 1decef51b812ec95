#!/usr/bin/env node
// Single-node Apache Kafka broker (KRaft, combined broker + controller) for
// local development and tests, run from Maven Central jars. No Docker.
//
//   node scripts/kafka-broker.mjs start [--port N]
//       Uses ports N to N+4. Without --port: 19092 to 19096, or the next free
//       block above them if another program holds one of them.
//   node scripts/kafka-broker.mjs stop
//   node scripts/kafka-broker.mjs status
//
// Listeners, all on 127.0.0.1:
//   N     PLAINTEXT                      (KAFKA_BROKERS; what most tests use)
//   N+1   the KRaft controller
//   N+2   SASL_SSL, SCRAM-SHA-512        (user and password in state.json)
//   N+3   SSL with client certificates required (mTLS)
//   N+4   SASL_SSL, OAUTHBEARER with Kafka's unsecured JWS validator: any
//         unsigned JWT with `sub` and `exp` is accepted. For tests only.
// The TLS listeners use a CA, a broker certificate (for 127.0.0.1 and
// localhost) and a client certificate that `start` makes with openssl in the
// broker's data folder; their paths are in state.json (`secure`).
//
// `start` prints `KAFKA_BROKERS=127.0.0.1:<port>` on stdout (progress goes to
// stderr) and is idempotent: a healthy broker started earlier by this script
// is reused. State lives in .cache/kafka/state.json, jars in
// .cache/kafka/<version>/libs (downloaded once with Maven, see
// scripts/kafka/pom.xml), the broker's log in .cache/kafka/broker.log.
// PIPEWRIGHT_KAFKA_HOME=<folder> keeps state.json and broker.log there
// instead, so a second broker can run next to the first (jars are shared).
//
// Programmatic use (see test/global-setup.ts):
//   import { startBroker } from './scripts/kafka-broker.mjs'
//   const { brokers, stop } = await startBroker({ port: 19092 })
//
// Kafka version: pinned by KAFKA_VERSION below, the only place it is set
// (scripts/kafka/pom.xml receives it as -Dkafka.version).
// Compatibility with the Node client kafkajs 2.2.4, tested here with a smoke
// test (admin createTopics with 3 partitions, 30 keyed messages produced,
// consumed in a consumer group with offset commit, per-key order checked):
//   4.4.0 (newest release): OK. Chosen. Note: its kafka-tools-api artifact
//          cannot be resolved from Maven Central; the broker does not need it
//          (console tools only), so the pom excludes it.
//   4.3.1: OK too.
// Kafka 4 dropped old protocol versions (KIP-896: e.g. Produce v0-2,
// JoinGroup v0-1), but kafkajs negotiates versions with ApiVersions and uses
// newer ones for every API above, so no fallback to 3.9.x is needed.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as service from './service-process.mjs';

export const KAFKA_VERSION = '4.4.0';
export const KAFKA_COMPAT_NOTE = 'tested with kafkajs 2.2.4: OK';
export const DEFAULT_PORT = 19092;

const HOST = service.HOST;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, '..');
const pomFile = path.join(scriptDir, 'kafka', 'pom.xml');
const cacheDir = path.join(repoRoot, '.cache', 'kafka');
const homeDir = process.env.PIPEWRIGHT_KAFKA_HOME ? path.resolve(process.env.PIPEWRIGHT_KAFKA_HOME) : cacheDir;
const stateFile = path.join(homeDir, 'state.json');
const logFile = path.join(homeDir, 'broker.log');
const stateStore = service.stateFileAt(stateFile);
/** Ports from the broker's own: controller, SCRAM, mTLS, OAUTHBEARER. */
const PORT_SPAN = 5;
const SCRAM_USER = 'pipewright';

/** An error whose message is meant for people; the CLI prints it without a stack. */
export class BrokerError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BrokerError';
  }
}

const defaultLog = service.prefixedLog('kafka');
const fail = (message) => new BrokerError(message);

// ---------------------------------------------------------------------------
// Prerequisites

function checkJava() {
  service.requireJava({
    missing:
      'Java is required to run the Kafka broker but `java` was not found on PATH.\n' +
      'Install a Java 17+ runtime, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless',
    tooOld: (found) =>
      `Apache Kafka ${KAFKA_VERSION} needs Java 17 or newer, found: ${found}\n` +
      'Install a newer runtime, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless',
    fail,
  });
}

function checkMaven() {
  service.requireMaven({
    missing:
      `Maven is needed once to download the Apache Kafka ${KAFKA_VERSION} jars, but \`mvn\` was not found on PATH.\n` +
      'Install it, e.g. on Debian/Ubuntu: apt-get install -y maven',
    fail,
  });
}

// ---------------------------------------------------------------------------
// Jars

function libsDir(version = KAFKA_VERSION) {
  return path.join(cacheDir, version, 'libs');
}

function libsComplete(dir) {
  return fs.existsSync(path.join(dir, '.complete')) && fs.readdirSync(dir).some((f) => f.startsWith('kafka_2.13-'));
}

async function ensureJars(log) {
  const dir = libsDir();
  if (libsComplete(dir)) return dir;
  checkMaven();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`Downloading Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run only)…`);
  const started = Date.now();
  const args = [
    '-B',
    '-q',
    '-f',
    pomFile,
    'dependency:copy-dependencies',
    `-Dkafka.version=${KAFKA_VERSION}`,
    `-DoutputDirectory=${tmp}`,
    '-DincludeScope=runtime',
  ];
  const { code, output } = await service.runMaven({
    args,
    cwd: repoRoot,
    tick: () => {
      const n = fs.existsSync(tmp) ? fs.readdirSync(tmp).length : 0;
      log(`  … still downloading (${Math.round((Date.now() - started) / 1000)}s, ${n} jars so far)`);
    },
    tickMs: 5000,
  });
  if (code !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const text = output.trim().split('\n').slice(-15).join('\n');
    throw new BrokerError(
      `Could not download the Apache Kafka ${KAFKA_VERSION} jars with Maven (exit code ${code}).\n` + `Command: mvn ${args.join(' ')}\n${text}`,
    );
  }
  fs.writeFileSync(path.join(tmp, '.complete'), `${KAFKA_VERSION}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, dir);
  } catch (err) {
    // Another process finished the same download first: use its copy.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!libsComplete(dir)) throw err;
  }
  const jars = fs.readdirSync(dir).filter((f) => f.endsWith('.jar')).length;
  log(`Downloaded ${jars} jars in ${((Date.now() - started) / 1000).toFixed(1)}s to ${path.relative(repoRoot, dir)}`);
  return dir;
}

// ---------------------------------------------------------------------------
// State

/** True when pid is alive and (where /proc exists) is the broker this state describes. */
function isOurBroker(state) {
  return Boolean(state) && service.runsWith(state.pid, ['kafka.Kafka', state.dataDir]);
}

// ---------------------------------------------------------------------------
// Health

async function loadKafkajs() {
  try {
    const require = createRequire(path.join(repoRoot, 'package.json'));
    const resolved = require.resolve('kafkajs');
    const mod = await import(pathToFileURL(resolved).href);
    return mod.Kafka ? mod : mod.default;
  } catch {
    return null;
  }
}

/** Metadata and group-coordinator round trips with kafkajs, when it is installed. */
async function metadataOk(kafkajs, port) {
  const { Kafka, logLevel } = kafkajs;
  const kafka = new Kafka({
    clientId: 'pipewright-broker-check',
    brokers: [`${HOST}:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (!(cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== undefined)) return false;
    // Finding a group coordinator creates and loads __consumer_offsets; until
    // that is done, the first consumer group of a test would be told the
    // coordinator is unavailable or loading.
    await admin.describeGroups(['pipewright-broker-check']);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function logSaysStarted() {
  try {
    return /Kafka Server started/.test(fs.readFileSync(logFile, 'utf8'));
  } catch {
    return false;
  }
}

async function healthy(state, kafkajs) {
  if (!isOurBroker(state)) return false;
  if (!(await service.portOpen(state.port))) return false;
  if (kafkajs) return metadataOk(kafkajs, state.port);
  return true;
}

// ---------------------------------------------------------------------------
// Config

function randomClusterId() {
  // Kafka's Uuid: 16 random bytes, URL-safe base64 without padding. Like
  // Kafka's own generator, avoid ids starting with '-' (read as an option).
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * A test CA, a broker certificate for 127.0.0.1 and localhost, and a client
 * certificate for the mTLS listener, made with openssl in `dir`. Keys are
 * unencrypted PKCS#8 PEM, which Kafka reads as a PEM keystore.
 */
function makeTls(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name) => path.join(dir, name);
  const openssl = (args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new BrokerError(
        `openssl is needed to make the test certificates of the TLS listeners, and \`openssl ${args[0]}\` failed: ` +
          `${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0]}\nInstall it, e.g. on Debian/Ubuntu: apt-get install -y openssl`,
      );
    }
  };
  const days = '3650';
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', days, '-subj', '/CN=Pipewright test CA']);
  const leaf = (name, cn, ext) => {
    fs.writeFileSync(f(`${name}.ext`), `${ext}\n`);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`]);
    openssl([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      '-days',
      days,
      '-extfile',
      f(`${name}.ext`),
    ]);
  };
  leaf('broker', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  leaf('client', 'pipewright-client', 'extendedKeyUsage=clientAuth');
  // Kafka's PEM keystore: the private key followed by the certificate chain.
  fs.writeFileSync(f('broker.pem'), fs.readFileSync(f('broker.key'), 'utf8') + fs.readFileSync(f('broker.crt'), 'utf8'));
  return { ca: f('ca.crt'), clientCert: f('client.crt'), clientKey: f('client.key'), brokerKeystore: f('broker.pem') };
}

function serverProperties({ port, dataDir, tls }) {
  const controllerPort = port + 1;
  const scram = `${HOST}:${port + 2}`;
  const mtls = `${HOST}:${port + 3}`;
  const oauth = `${HOST}:${port + 4}`;
  return [
    '# Written by scripts/kafka-broker.mjs: single-node KRaft broker for development and tests.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort},SCRAM://${scram},MTLS://${mtls},OAUTH://${oauth}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port},SCRAM://${scram},MTLS://${mtls},OAUTH://${oauth}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SCRAM:SASL_SSL,MTLS:SSL,OAUTH:SASL_SSL',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    // TLS: the test CA signs the broker's certificate and is the only CA trusted for client certificates.
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${tls.brokerKeystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${tls.ca}`,
    'listener.name.mtls.ssl.client.auth=required',
    'listener.name.scram.sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.scram.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER',
    'listener.name.oauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
    'listener.name.oauth.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler',
    `log.dirs=${path.join(dataDir, 'data')}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

function log4jProperties() {
  return [
    '# Written by scripts/kafka-broker.mjs. Everything goes to stdout, which is the broker log file.',
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = STDOUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.out.ref = STDOUT',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.clients.name = org.apache.kafka.clients',
    'logger.clients.level = WARN',
    'logger.config.name = org.apache.kafka.common.config.AbstractConfig',
    'logger.config.level = WARN',
    '',
  ].join('\n');
}

function javaBaseArgs(libs, log4jFile) {
  return [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    '-cp',
    `${libs}${path.sep}*`,
  ];
}

// ---------------------------------------------------------------------------
// Start / stop

/**
 * The broker needs `port` to `port + 4` (see the listeners above). An
 * explicitly requested port must be free with the four after it; otherwise,
 * when one of the defaults is taken by another program, the next free block
 * above them is used.
 */
function choosePort(port, explicit, log) {
  return service.choosePort({
    port,
    span: PORT_SPAN,
    explicit,
    attempts: 19,
    log,
    inUse:
      `One of the ports ${port} to ${port + PORT_SPAN - 1} on ${HOST} is already in use by another program, so the Kafka broker ` +
      `cannot start there. Stop that program or pass another --port N.`,
    moved: (p) => `One of the ports ${port} to ${port + PORT_SPAN - 1} is in use by another program; using ${p} to ${p + PORT_SPAN - 1} instead.`,
    noneFree: `No ${PORT_SPAN} free ports in a row found on ${HOST} from ${port} on; pass --port N.`,
    fail,
  });
}

/** What a client needs to reach the secured listeners; recorded in state.json. */
function secureListeners(port, tls, scramPassword) {
  return {
    scram: { brokers: `${HOST}:${port + 2}`, mechanism: 'scram-sha-512', username: SCRAM_USER, password: scramPassword },
    mtls: { brokers: `${HOST}:${port + 3}` },
    oauthbearer: { brokers: `${HOST}:${port + 4}` },
    ca: tls.ca,
    clientCert: tls.clientCert,
    clientKey: tls.clientKey,
  };
}

function versionBanner() {
  return `Apache Kafka ${KAFKA_VERSION} (KRaft, single node; ${KAFKA_COMPAT_NOTE})`;
}

function waitUntilReady({ child, port, kafkajs, deadline }) {
  const tail = () => `Last lines of ${path.relative(repoRoot, logFile)}:\n${service.logTail(logFile)}`;
  return service.waitUntilReady({
    child,
    deadline,
    ready: async () => logSaysStarted() && (await service.portOpen(port)) && (!kafkajs || (await metadataOk(kafkajs, port))),
    exited: (code, signal) => `The Kafka broker exited during startup (code ${code}, signal ${signal}).\n${tail()}`,
    timedOut: () => `The Kafka broker did not become ready within ${READY_TIMEOUT_MS / 1000}s.\n${tail()}`,
    fail,
  });
}

/**
 * Stops the broker recorded in .cache/kafka/state.json, if any, and removes
 * its data. Returns true when a broker was running.
 */
export async function stopBroker({ log = defaultLog } = {}) {
  const state = stateStore.read();
  if (!state) {
    log('No Kafka broker started by this script is recorded; nothing to stop.');
    return false;
  }
  let wasRunning = false;
  if (isOurBroker(state)) {
    wasRunning = true;
    log(`Stopping Kafka broker (pid ${state.pid}, port ${state.port})…`);
    const how = await service.killAndWait(state.pid, STOP_TIMEOUT_MS);
    if (how === 'SIGKILL') log(`Broker did not stop within ${STOP_TIMEOUT_MS / 1000}s of SIGTERM; killed it.`);
  } else {
    log(`Kafka broker pid ${state.pid} is not running; cleaning up its state.`);
  }
  if (state.dataDir) fs.rmSync(state.dataDir, { recursive: true, force: true });
  stateStore.clear();
  if (wasRunning) log('Kafka broker stopped.');
  return wasRunning;
}

/**
 * Restarts the recorded broker on its own data: stops it (SIGTERM, a clean shutdown, or
 * `signal: 'SIGKILL'`, a crash) and starts the same broker again, so its topics, committed
 * offsets and groups survive, as a broker restart in a cluster would. Used by bench/chaos.ts
 * on a broker of its own (PIPEWRIGHT_KAFKA_HOME); returns once the broker is ready again.
 */
export async function restartBroker({ signal = 'SIGTERM', log = defaultLog } = {}) {
  const state = stateStore.read();
  if (!state || !isOurBroker(state)) throw new BrokerError('No running Kafka broker started by this script is recorded; start one first.');
  if (signal === 'SIGKILL') {
    try {
      process.kill(-state.pid, 'SIGKILL');
    } catch {
      process.kill(state.pid, 'SIGKILL');
    }
    for (let i = 0; i < 100 && service.pidAlive(state.pid); i++) await new Promise((r) => setTimeout(r, 100));
  } else await service.killAndWait(state.pid, STOP_TIMEOUT_MS);
  const libs = await ensureJars(log);
  // A fresh log: readiness is read from it.
  fs.writeFileSync(logFile, '');
  const child = service.spawnDetached(
    [...javaBaseArgs(libs, path.join(state.dataDir, 'log4j2.properties')), 'kafka.Kafka', path.join(state.dataDir, 'server.properties')],
    {
      cwd: state.dataDir,
      logFile,
    },
  );
  stateStore.write({ ...state, pid: child.pid, startedAt: new Date().toISOString() });
  await waitUntilReady({ child, port: state.port, kafkajs: await loadKafkajs(), deadline: Date.now() + READY_TIMEOUT_MS });
  child.unref();
  return { pid: child.pid };
}

/** Describes the recorded broker: { running, healthy, pid, port, brokers, version, dataDir }. */
export async function brokerStatus() {
  const state = stateStore.read();
  if (!state) return { running: false, healthy: false };
  const running = isOurBroker(state);
  const kafkajs = running ? await loadKafkajs() : null;
  const ok = running && (await healthy(state, kafkajs));
  return { ...state, running, healthy: ok, brokers: `${HOST}:${state.port}` };
}

/**
 * The broker this script started earlier, when it is still healthy: its details (it keeps running
 * when the caller stops); undefined when there is none. A stale or unhealthy one is stopped first.
 */
async function reuseRunning(requestedPort, kafkajs, log) {
  const previous = stateStore.read();
  if (previous) {
    if (await healthy(previous, kafkajs)) {
      if (requestedPort !== undefined && previous.port !== requestedPort) {
        throw new BrokerError(
          `A Kafka broker from this script is already running on port ${previous.port} (pid ${previous.pid}); ` +
            `run \`node scripts/kafka-broker.mjs stop\` before starting one on port ${requestedPort}.`,
        );
      }
      if (previous.version !== KAFKA_VERSION) {
        log(`Note: the running broker is Kafka ${previous.version}, not ${KAFKA_VERSION}; stop it to switch.`);
      }
      const brokers = `${HOST}:${previous.port}`;
      log(`Reusing the running Kafka broker (pid ${previous.pid}) at ${brokers}.`);
      return { brokers, port: previous.port, version: previous.version, secure: previous.secure, reused: true, stop: async () => {} };
    }
    // Stale or unhealthy: clean it up before starting a new one.
    await stopBroker({ log });
  }
  return undefined;
}

/** Formats the KRaft storage of a new broker with its SCRAM user; removes the data folder and throws when that fails. */
function formatStorage({ libs, log4jFile, propsFile, dataDir, clusterId, scramPassword }) {
  const fmt = spawnSync(
    'java',
    [
      ...javaBaseArgs(libs, log4jFile),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
      '--add-scram',
      `SCRAM-SHA-512=[name=${SCRAM_USER},password=${scramPassword}]`,
    ],
    { encoding: 'utf8' },
  );
  fs.appendFileSync(logFile, `${fmt.stdout ?? ''}${fmt.stderr ?? ''}`);
  if (fmt.error || fmt.status !== 0) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new BrokerError(`Formatting the KRaft storage failed (exit code ${fmt.status}).\n${`${fmt.stdout}${fmt.stderr}`.trim()}`);
  }
}

/**
 * Starts the broker (or reuses a healthy one started earlier by this script).
 * Resolves to { brokers, port, version, secure, reused, stop() }; `secure`
 * describes the secured listeners (undefined for a broker started by an older
 * version of this script); stop() only stops a broker that this call started,
 * so a reused one keeps running.
 */
export async function startBroker({ port, log = defaultLog } = {}) {
  const requestedPort = port === undefined || port === null ? undefined : Number(port);
  if (requestedPort !== undefined && !(Number.isInteger(requestedPort) && requestedPort > 0 && requestedPort < 65535)) {
    throw new BrokerError(`Invalid port: ${port}`);
  }
  const wantPort = requestedPort ?? DEFAULT_PORT;
  const t0 = Date.now();
  log(versionBanner());

  const kafkajs = await loadKafkajs();
  const reused = await reuseRunning(requestedPort, kafkajs, log);
  if (reused) return reused;

  checkJava();
  const brokerPort = await choosePort(wantPort, requestedPort !== undefined, log);
  const libs = await ensureJars(log);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewright-kafka-'));
  const propsFile = path.join(dataDir, 'server.properties');
  const log4jFile = path.join(dataDir, 'log4j2.properties');
  let tls;
  try {
    tls = makeTls(path.join(dataDir, 'tls'));
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const scramPassword = randomBytes(12).toString('base64url');
  fs.writeFileSync(propsFile, serverProperties({ port: brokerPort, dataDir, tls }));
  fs.writeFileSync(log4jFile, log4jProperties());
  fs.mkdirSync(homeDir, { recursive: true });
  fs.writeFileSync(logFile, '');

  const clusterId = randomClusterId();
  formatStorage({ libs, log4jFile, propsFile, dataDir, clusterId, scramPassword });

  const child = service.spawnDetached([...javaBaseArgs(libs, log4jFile), 'kafka.Kafka', propsFile], { cwd: dataDir, logFile });
  const spawnError = await service.spawnError(child);
  if (spawnError) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new BrokerError(`Could not start java: ${spawnError.message}`);
  }
  const state = {
    pid: child.pid,
    port: brokerPort,
    controllerPort: brokerPort + 1,
    dataDir,
    version: KAFKA_VERSION,
    clusterId,
    logFile: path.relative(repoRoot, logFile),
    secure: secureListeners(brokerPort, tls, scramPassword),
    startedAt: new Date().toISOString(),
  };
  stateStore.write(state);
  log(`Started Kafka broker (pid ${child.pid}); waiting until it is ready…`);

  try {
    await waitUntilReady({ child, port: brokerPort, kafkajs, deadline: Date.now() + READY_TIMEOUT_MS });
  } catch (err) {
    await stopBroker({ log: () => {} });
    throw err;
  }
  child.unref();
  const brokers = `${HOST}:${brokerPort}`;
  log(`Kafka broker ready at ${brokers} in ${((Date.now() - t0) / 1000).toFixed(1)}s (log: ${state.logFile}).`);
  return {
    brokers,
    port: brokerPort,
    version: KAFKA_VERSION,
    secure: state.secure,
    reused: false,
    stop: () => stopBroker({ log }),
  };
}

// ---------------------------------------------------------------------------
// CLI

function usage() {
  return [
    'Usage: node scripts/kafka-broker.mjs <command>',
    '  start [--port N]   start a single-node Kafka broker (default port 19092), or reuse the running one',
    '  stop               stop it and delete its data',
    '  status             tell whether it is running',
  ].join('\n');
}

service.runCli({
  moduleUrl: import.meta.url,
  prefix: 'kafka',
  ErrorClass: BrokerError,
  usage,
  banner: versionBanner,
  title: 'Kafka broker',
  start: async (port) => `KAFKA_BROKERS=${(await startBroker({ port })).brokers}`,
  stop: () => stopBroker(),
  status: brokerStatus,
  describe: (s) => `Kafka ${s.version}`,
  envLine: (s) => `KAFKA_BROKERS=${s.brokers}`,
});
