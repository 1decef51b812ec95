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

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as service from './service-process.mjs';

export const APICURIO_VERSION = '2.4.2.Final';
/** The Quarkus version apicurio-registry 2.4.2.Final is built with (quarkus.version in its parent pom). */
const QUARKUS_VERSION = '2.16.4.Final';
export const DEFAULT_PORT = 18081;
/** Where the Confluent-compatible API answers. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

const HOST = service.HOST;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, '..');
const cacheDir = path.join(repoRoot, '.cache', 'schema-registry');
const stateFile = path.join(cacheDir, 'state.json');
const logFile = path.join(cacheDir, 'registry.log');
const stateStore = service.stateFileAt(stateFile);

/** An error whose message is meant for people; the CLI prints it without a stack. */
export class RegistryError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RegistryError';
  }
}

const defaultLog = service.prefixedLog('schema-registry');
const fail = (message) => new RegistryError(message);

// ---------------------------------------------------------------------------
// Prerequisites

function checkJava() {
  service.requireJava({
    missing:
      'Java is required to run the Schema Registry but `java` was not found on PATH.\n' +
      'Install a Java 17+ runtime, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless',
    tooOld: (found) =>
      `The Schema Registry is run with Java 17 or newer here, found: ${found}\n` +
      'Install a newer runtime, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless',
    fail,
  });
}

function checkMaven() {
  service.requireMaven({
    missing:
      `Maven is needed once to build Apicurio Registry ${APICURIO_VERSION} from Maven Central, but \`mvn\` was not found on PATH.\n` +
      'Install it, e.g. on Debian/Ubuntu: apt-get install -y maven',
    fail,
  });
}

// ---------------------------------------------------------------------------
// The application

/** The Maven project that packages apicurio-registry-app into a runnable Quarkus application. */
// eslint-disable-next-line max-lines-per-function -- one template of the pom.xml, read as the file it writes
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
  const { code, output: text } = await service.runMaven({
    args,
    cwd: build,
    tick: () => log(`  … still building (${Math.round((Date.now() - started) / 1000)}s)`),
    tickMs: 10_000,
  });
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'build.log'), text);
  const built = path.join(build, 'target', 'quarkus-app');
  if (code !== 0 || !fs.existsSync(path.join(built, 'quarkus-run.jar'))) {
    const errors = text
      .split('\n')
      .filter((l) => l.startsWith('[ERROR]'))
      .slice(0, 6);
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

/** True when pid is alive and (where /proc exists) is the registry this state describes. */
function isOurRegistry(recorded) {
  return Boolean(recorded) && service.runsWith(recorded.pid, ['quarkus-run.jar', cacheDir]);
}

// ---------------------------------------------------------------------------
// Health

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

function waitUntilReady({ child, port, deadline }) {
  const tail = () => `Last lines of ${path.relative(repoRoot, logFile)}:\n${service.logTail(logFile)}`;
  return service.waitUntilReady({
    child,
    deadline,
    ready: () => answers(port),
    exited: (code, signal) => `The Schema Registry exited during startup (code ${code}, signal ${signal}).\n${tail()}`,
    timedOut: () => `The Schema Registry did not answer GET ${CCOMPAT_PATH}/subjects within ${READY_TIMEOUT_MS / 1000}s.\n${tail()}`,
    fail,
  });
}

// ---------------------------------------------------------------------------
// Start / stop

function choosePort(port, explicit, log) {
  return service.choosePort({
    port,
    explicit,
    attempts: 49,
    log,
    inUse: `Port ${port} on ${HOST} is already in use by another program, so the Schema Registry cannot start there. Stop that program or pass another --port N.`,
    moved: (p) => `Port ${port} is in use by another program; using ${p} instead.`,
    noneFree: `No free port found on ${HOST} from ${port} to ${port + 49}; pass --port N.`,
    fail,
  });
}

function versionBanner() {
  return `Apicurio Registry ${APICURIO_VERSION} (in-memory storage; Confluent-compatible API at ${CCOMPAT_PATH})`;
}

/** Stops the registry recorded in .cache/schema-registry/state.json, if any. Returns true when one was running. */
export async function stopRegistry({ log = defaultLog } = {}) {
  const state = stateStore.read();
  if (!state) {
    log('No Schema Registry started by this script is recorded; nothing to stop.');
    return false;
  }
  let wasRunning = false;
  if (isOurRegistry(state)) {
    wasRunning = true;
    log(`Stopping the Schema Registry (pid ${state.pid}, port ${state.port})…`);
    const how = await service.killAndWait(state.pid, STOP_TIMEOUT_MS);
    if (how === 'SIGKILL') log(`It did not stop within ${STOP_TIMEOUT_MS / 1000}s of SIGTERM; killed it.`);
  } else {
    log(`Schema Registry pid ${state.pid} is not running; cleaning up its state.`);
  }
  stateStore.clear();
  if (wasRunning) log('Schema Registry stopped (its schemas are gone with it).');
  return wasRunning;
}

/** Describes the recorded registry: { running, healthy, pid, port, url, version }. */
export async function registryStatus() {
  const state = stateStore.read();
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

  const previous = stateStore.read();
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
  const args = [
    '-Xms64m',
    '-Xmx512m',
    '-Djava.awt.headless=true',
    `-Dquarkus.http.host=${HOST}`,
    `-Dquarkus.http.port=${registryPort}`,
    '-jar',
    path.join(app, 'quarkus-run.jar'),
  ];
  const child = service.spawnDetached(args, { cwd: cacheDir, logFile });
  const spawnError = await service.spawnError(child);
  if (spawnError) throw new RegistryError(`Could not start java: ${spawnError.message}`);
  const state = {
    pid: child.pid,
    port: registryPort,
    version: APICURIO_VERSION,
    logFile: path.relative(repoRoot, logFile),
    startedAt: new Date().toISOString(),
  };
  stateStore.write(state);
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

service.runCli({
  moduleUrl: import.meta.url,
  prefix: 'schema-registry',
  ErrorClass: RegistryError,
  usage,
  banner: versionBanner,
  title: 'Schema Registry',
  start: async (port) => `SCHEMA_REGISTRY_URL=${(await startRegistry({ port })).url}`,
  stop: () => stopRegistry(),
  status: registryStatus,
  describe: (s) => `Apicurio Registry ${s.version}`,
  envLine: (s) => `SCHEMA_REGISTRY_URL=${s.url}`,
});
