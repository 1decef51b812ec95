#!/usr/bin/env node
// A Schema Registry with the Confluent-compatible API, for local development
// and tests: Apicurio Registry with in-memory storage (H2), built from Maven
// Central jars. No Docker.
//
//   node scripts/schema-registry.mjs start [--port N]
//       Without --port: 18081, or the next free port above it.
//   node scripts/schema-registry.mjs stop
//   node scripts/schema-registry.mjs status
//
// `start` prints `SCHEMA_REGISTRY_URL=http://127.0.0.1:<port>/apis/ccompat/v7`
// on stdout (progress goes to stderr), the URL a pipeline's service takes in
// SCHEMA_REGISTRY_URL, and is idempotent: a healthy registry started earlier
// by this script is reused. Its schemas live in memory only: they are gone
// when it stops. State lives in .cache/schema-registry/state.json, its log in
// .cache/schema-registry/registry.log.
//
// Programmatic use (see test/integration/process.ts):
//   import { startRegistry } from './scripts/schema-registry.mjs'
//   const { url, stop } = await startRegistry({})
//
// Why it is built here: Confluent's own registry is not published on Maven
// Central, and Apicurio's is published there as a Quarkus application jar
// that is not packaged to run. So the first `start` writes a small Maven
// project, .cache/schema-registry/<version>/build/pom.xml, that depends on
// io.apicurio:apicurio-registry-app and packages it with the
// quarkus-maven-plugin into a runnable application,
// .cache/schema-registry/<version>/app/quarkus-run.jar (about a minute and a
// half on a cold Maven repository; later starts take about 10 s). The pom
// says what it changes and why; nothing from Apicurio is kept in this
// repository.
//
// Version: APICURIO_VERSION below, the only place it is set. Of the
// apicurio-registry-app versions on Maven Central, these cannot be built from
// Central alone:
//   3.3.3: io.quarkus:quarkus-smallrye-health-parent:3.33.3.1 is not there.
//   3.3.2, 3.0.9: their parent pom io.apicurio:apicurio-registry is not there.
//   2.6.13.Final: apicurio-registry-schema-util-provider and
//          apicurio-common-app-components 0.2.7.Final are not there.
//   2.5.11.Final: io.apicurio:apicurio-registry-utils-kafka:2.5.11.Final is not there.
//   2.4.2.Final: builds, with the two substitutions its pom explains. Chosen.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const APICURIO_VERSION = '2.4.2.Final';
/** The Quarkus version apicurio-registry 2.4.2.Final is built with (quarkus.version in its parent pom). */
const QUARKUS_VERSION = '2.16.4.Final';
export const DEFAULT_PORT = 18081;
/** Where the Confluent-compatible API answers. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, '..');
const cacheDir = path.join(repoRoot, '.cache', 'schema-registry');
const stateFile = path.join(cacheDir, 'state.json');
const logFile = path.join(cacheDir, 'registry.log');

/** An error whose message is meant for people; the CLI prints it without a stack. */
export class RegistryError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RegistryError';
  }
}

const defaultLog = (msg) => process.stderr.write(`[schema-registry] ${msg}\n`);

// ---------------------------------------------------------------------------
// Prerequisites

function checkJava() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new RegistryError(
      'Java is required to run the Schema Registry but `java` was not found on PATH.\n' +
        'Install a Java 17+ runtime, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless',
    );
  }
  const out = `${r.stderr}${r.stdout}`;
  const m = out.match(/version "(\d+)(?:\.(\d+))?/);
  let major = m ? Number(m[1]) : NaN;
  if (major === 1 && m[2]) major = Number(m[2]);
  if (!(major >= 17)) {
    throw new RegistryError(
      `The Schema Registry is run with Java 17 or newer here, found: ${out.split('\n')[0].trim()}\n` +
        'Install a newer runtime, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless',
    );
  }
}

function checkMaven() {
  const r = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new RegistryError(
      `Maven is needed once to build Apicurio Registry ${APICURIO_VERSION} from Maven Central, but \`mvn\` was not found on PATH.\n` +
        'Install it, e.g. on Debian/Ubuntu: apt-get install -y maven',
    );
  }
}

// ---------------------------------------------------------------------------
// The application

/** The Maven project that packages apicurio-registry-app into a runnable Quarkus application. */
function pomXml() {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!--
  Written by scripts/schema-registry.mjs: packages Apicurio Registry ${APICURIO_VERSION}
  (in-memory storage, H2) into a runnable Quarkus application (target/quarkus-app),
  from Maven Central alone:

    mvn -B -q package -Dquarkus.package.type=fast-jar

  io.apicurio:apicurio-registry-app is the application itself, published
  unpackaged: its classes are unpacked into this project's classes, and its
  dependencies come from its pom (a dependency of type pom). Two of them are
  not on Maven Central, and are replaced by what is:
  - com.github.everit-org.json-schema:org.everit.json.schema:1.14.2 (served by
    jitpack.io) by com.github.erosb:everit-json-schema:1.14.2, the same library
    (package org.everit.json.schema) under the coordinates its author publishes
    on Central;
  - io.apicurio:apicurio-common-app-components-config-index-deployment:0.1.18.Final,
    the build step of a Quarkus extension, by 0.1.10.Final, with the extension's
    runtime at 0.1.10.Final too: its runtime class is the same in both.
-->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.pipewright.tools</groupId>
  <artifactId>schema-registry</artifactId>
  <version>0</version>

  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <apicurio.version>${APICURIO_VERSION}</apicurio.version>
    <quarkus.version>${QUARKUS_VERSION}</quarkus.version>
  </properties>

  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-bom</artifactId>
        <version>\${quarkus.version}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
      <dependency>
        <groupId>io.apicurio</groupId>
        <artifactId>apicurio-common-app-components-config-index</artifactId>
        <version>0.1.10.Final</version>
      </dependency>
    </dependencies>
  </dependencyManagement>

  <dependencies>
    <dependency>
      <groupId>io.apicurio</groupId>
      <artifactId>apicurio-registry-app</artifactId>
      <version>\${apicurio.version}</version>
      <type>pom</type>
      <exclusions>
        <exclusion>
          <groupId>com.github.everit-org.json-schema</groupId>
          <artifactId>org.everit.json.schema</artifactId>
        </exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>com.github.erosb</groupId>
      <artifactId>everit-json-schema</artifactId>
      <version>1.14.2</version>
    </dependency>
  </dependencies>

  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
        <executions>
          <execution>
            <id>unpack-registry-app</id>
            <phase>process-classes</phase>
            <goals>
              <goal>unpack</goal>
            </goals>
            <configuration>
              <artifactItems>
                <artifactItem>
                  <groupId>io.apicurio</groupId>
                  <artifactId>apicurio-registry-app</artifactId>
                  <version>\${apicurio.version}</version>
                  <type>jar</type>
                </artifactItem>
              </artifactItems>
              <outputDirectory>\${project.build.outputDirectory}</outputDirectory>
              <excludes>META-INF/maven/**</excludes>
            </configuration>
          </execution>
        </executions>
      </plugin>
      <plugin>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-maven-plugin</artifactId>
        <version>\${quarkus.version}</version>
        <executions>
          <execution>
            <goals>
              <goal>build</goal>
            </goals>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

function appDir(version = APICURIO_VERSION) {
  return path.join(cacheDir, version, 'app');
}

function appComplete(dir) {
  return fs.existsSync(path.join(dir, '.complete')) && fs.existsSync(path.join(dir, 'quarkus-run.jar'));
}

async function ensureApp(log) {
  const dir = appDir();
  if (appComplete(dir)) return dir;
  checkMaven();
  const build = path.join(cacheDir, APICURIO_VERSION, `build-${process.pid}`);
  fs.rmSync(build, { recursive: true, force: true });
  fs.mkdirSync(build, { recursive: true });
  fs.writeFileSync(path.join(build, 'pom.xml'), pomXml());
  log(`Building Apicurio Registry ${APICURIO_VERSION} from Maven Central jars (first run only)…`);
  const started = Date.now();
  const args = ['-B', '-q', 'package', '-Dquarkus.package.type=fast-jar'];
  const output = [];
  const code = await new Promise((resolve) => {
    const child = spawn('mvn', args, { cwd: build, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    const tick = setInterval(() => log(`  … still building (${Math.round((Date.now() - started) / 1000)}s)`), 10_000);
    child.on('error', () => {
      clearInterval(tick);
      resolve(-1);
    });
    child.on('close', (c) => {
      clearInterval(tick);
      resolve(c);
    });
  });
  const text = Buffer.concat(output).toString('utf8');
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'build.log'), text);
  const built = path.join(build, 'target', 'quarkus-app');
  if (code !== 0 || !fs.existsSync(path.join(built, 'quarkus-run.jar'))) {
    const errors = text.split('\n').filter((l) => l.startsWith('[ERROR]')).slice(0, 6);
    throw new RegistryError(
      `Could not build Apicurio Registry ${APICURIO_VERSION} with Maven (exit code ${code}).\n` +
        `Command: mvn ${args.join(' ')} (in ${path.relative(repoRoot, build)}; whole output in ${path.relative(repoRoot, path.join(cacheDir, 'build.log'))})\n` +
        `${(errors.length ? errors : text.trim().split('\n').slice(-15)).join('\n')}`,
    );
  }
  fs.writeFileSync(path.join(built, '.complete'), `${APICURIO_VERSION}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(built, dir);
  } catch (err) {
    // Another process finished the same build first: use its copy.
    if (!appComplete(dir)) throw err;
  }
  fs.rmSync(build, { recursive: true, force: true });
  log(`Built in ${((Date.now() - started) / 1000).toFixed(1)}s into ${path.relative(repoRoot, dir)}`);
  return dir;
}

// ---------------------------------------------------------------------------
// State

function readState() {
  try {
    return JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    return null;
  }
}

function writeState(state) {
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

function pidAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) still answers kill(0).
  try {
    if (/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
  } catch {
    // no /proc: trust kill(0)
  }
  return true;
}

/** True when pid is alive and (where /proc exists) is the registry this state describes. */
function isOurRegistry(state) {
  if (!state || !pidAlive(state.pid)) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${state.pid}/cmdline`, 'utf8');
    return cmd.includes('quarkus-run.jar') && cmd.includes(cacheDir);
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------
// Health

function portOpen(port, host = HOST, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const urlOf = (port) => `http://${HOST}:${port}${CCOMPAT_PATH}`;

/** The Confluent-compatible API answers GET /subjects with a JSON array. */
async function answers(port) {
  try {
    const res = await fetch(`${urlOf(port)}/subjects`, { signal: AbortSignal.timeout(3000) });
    return res.ok && Array.isArray(await res.json());
  } catch {
    return false;
  }
}

async function healthy(state) {
  return isOurRegistry(state) && (await answers(state.port));
}

function logTail(lines = 30) {
  try {
    return fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitUntilReady({ child, port, deadline }) {
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  while (Date.now() < deadline) {
    if (exited) {
      throw new RegistryError(
        `The Schema Registry exited during startup (code ${exited.code}, signal ${exited.signal}).\n` +
          `Last lines of ${path.relative(repoRoot, logFile)}:\n${logTail()}`,
      );
    }
    if (await answers(port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new RegistryError(
    `The Schema Registry did not answer GET ${CCOMPAT_PATH}/subjects within ${READY_TIMEOUT_MS / 1000}s.\n` +
      `Last lines of ${path.relative(repoRoot, logFile)}:\n${logTail()}`,
  );
}

// ---------------------------------------------------------------------------
// Start / stop

async function choosePort(port, explicit, log) {
  if (!(await portOpen(port))) return port;
  if (explicit) {
    throw new RegistryError(`Port ${port} on ${HOST} is already in use by another program, so the Schema Registry cannot start there. Stop that program or pass another --port N.`);
  }
  for (let p = port + 1; p < port + 50; p++) {
    if (!(await portOpen(p))) {
      log(`Port ${port} is in use by another program; using ${p} instead.`);
      return p;
    }
  }
  throw new RegistryError(`No free port found on ${HOST} from ${port} to ${port + 49}; pass --port N.`);
}

async function killAndWait(pid, timeoutMs) {
  const signal = (sig) => {
    // The registry is started detached, as the leader of its own process group.
    try {
      process.kill(-pid, sig);
      return;
    } catch {
      // not a group leader: signal the process alone
    }
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (!pidAlive(pid)) return 'SIGTERM';
  signal('SIGKILL');
  const killDeadline = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 100));
  return 'SIGKILL';
}

function versionBanner() {
  return `Apicurio Registry ${APICURIO_VERSION} (in-memory storage; Confluent-compatible API at ${CCOMPAT_PATH})`;
}

/** Stops the registry recorded in .cache/schema-registry/state.json, if any. Returns true when one was running. */
export async function stopRegistry({ log = defaultLog } = {}) {
  const state = readState();
  if (!state) {
    log('No Schema Registry started by this script is recorded; nothing to stop.');
    return false;
  }
  let wasRunning = false;
  if (isOurRegistry(state)) {
    wasRunning = true;
    log(`Stopping the Schema Registry (pid ${state.pid}, port ${state.port})…`);
    const how = await killAndWait(state.pid, STOP_TIMEOUT_MS);
    if (how === 'SIGKILL') log(`It did not stop within ${STOP_TIMEOUT_MS / 1000}s of SIGTERM; killed it.`);
  } else {
    log(`Schema Registry pid ${state.pid} is not running; cleaning up its state.`);
  }
  fs.rmSync(stateFile, { force: true });
  if (wasRunning) log('Schema Registry stopped (its schemas are gone with it).');
  return wasRunning;
}

/** Describes the recorded registry: { running, healthy, pid, port, url, version }. */
export async function registryStatus() {
  const state = readState();
  if (!state) return { running: false, healthy: false };
  const running = isOurRegistry(state);
  return { ...state, running, healthy: running && (await answers(state.port)), url: urlOf(state.port) };
}

/**
 * Starts the registry (or reuses a healthy one started earlier by this script). Resolves to
 * { url, port, version, reused, stop() }; `url` is what SCHEMA_REGISTRY_URL takes; stop() only
 * stops a registry that this call started, so a reused one keeps running.
 */
export async function startRegistry({ port, log = defaultLog } = {}) {
  const requestedPort = port === undefined || port === null ? undefined : Number(port);
  if (requestedPort !== undefined && !(Number.isInteger(requestedPort) && requestedPort > 0 && requestedPort < 65536)) {
    throw new RegistryError(`Invalid port: ${port}`);
  }
  const t0 = Date.now();
  log(versionBanner());

  const previous = readState();
  if (previous) {
    if (await healthy(previous)) {
      if (requestedPort !== undefined && previous.port !== requestedPort) {
        throw new RegistryError(
          `A Schema Registry from this script is already running on port ${previous.port} (pid ${previous.pid}); ` +
            `run \`node scripts/schema-registry.mjs stop\` before starting one on port ${requestedPort}.`,
        );
      }
      log(`Reusing the running Schema Registry (pid ${previous.pid}) at ${urlOf(previous.port)}.`);
      return { url: urlOf(previous.port), port: previous.port, version: previous.version, reused: true, stop: async () => {} };
    }
    // Stale or not answering: clean it up before starting a new one.
    await stopRegistry({ log });
  }

  checkJava();
  const registryPort = await choosePort(requestedPort ?? DEFAULT_PORT, requestedPort !== undefined, log);
  const app = await ensureApp(log);

  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(logFile, '');
  const out = fs.openSync(logFile, 'a');
  const args = [
    '-Xms64m',
    '-Xmx512m',
    '-Djava.awt.headless=true',
    `-Dquarkus.http.host=${HOST}`,
    `-Dquarkus.http.port=${registryPort}`,
    '-jar',
    path.join(app, 'quarkus-run.jar'),
  ];
  const child = spawn('java', args, { cwd: cacheDir, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const spawnError = await new Promise((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(null));
  });
  if (spawnError) throw new RegistryError(`Could not start java: ${spawnError.message}`);
  const state = {
    pid: child.pid,
    port: registryPort,
    version: APICURIO_VERSION,
    logFile: path.relative(repoRoot, logFile),
    startedAt: new Date().toISOString(),
  };
  writeState(state);
  log(`Started the Schema Registry (pid ${child.pid}); waiting until it answers…`);
  try {
    await waitUntilReady({ child, port: registryPort, deadline: Date.now() + READY_TIMEOUT_MS });
  } catch (err) {
    await stopRegistry({ log: () => {} });
    throw err;
  }
  child.unref();
  const url = urlOf(registryPort);
  log(`Schema Registry ready at ${url} in ${((Date.now() - t0) / 1000).toFixed(1)}s (log: ${state.logFile}).`);
  return { url, port: registryPort, version: APICURIO_VERSION, reused: false, stop: () => stopRegistry({ log }) };
}

// ---------------------------------------------------------------------------
// CLI

function usage() {
  return [
    'Usage: node scripts/schema-registry.mjs <command>',
    `  start [--port N]   start a Schema Registry (default port ${DEFAULT_PORT}), or reuse the running one`,
    '  stop               stop it (its schemas, kept in memory, are gone)',
    '  status             tell whether it is running',
  ].join('\n');
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === 'start') {
    let port;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a === '--port') port = rest[++i];
      else if (a.startsWith('--port=')) port = a.slice('--port='.length);
      else throw new RegistryError(`Unknown option: ${a}\n${usage()}`);
    }
    if (port !== undefined && !/^\d+$/.test(String(port))) throw new RegistryError(`Invalid port: ${port}`);
    const { url } = await startRegistry({ port });
    process.stdout.write(`SCHEMA_REGISTRY_URL=${url}\n`);
    return 0;
  }
  if (cmd === 'stop') {
    await stopRegistry();
    return 0;
  }
  if (cmd === 'status') {
    const s = await registryStatus();
    defaultLog(versionBanner());
    if (!s.running) {
      process.stdout.write('Schema Registry: not running\n');
      return 1;
    }
    process.stdout.write(
      `Schema Registry: ${s.healthy ? 'running' : 'running but NOT answering'} ` +
        `(Apicurio Registry ${s.version}, pid ${s.pid}, since ${s.startedAt})\nSCHEMA_REGISTRY_URL=${s.url}\n`,
    );
    return s.healthy ? 0 : 1;
  }
  process.stderr.write(`${usage()}\n`);
  return cmd === undefined || cmd === '--help' || cmd === '-h' ? 0 : 2;
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof RegistryError) process.stderr.write(`[schema-registry] Error: ${err.message}\n`);
      else process.stderr.write(`[schema-registry] Unexpected error: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
