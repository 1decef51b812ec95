// What scripts/kafka-broker.mjs and scripts/schema-registry.mjs share: each
// runs a Java service for development and tests, built from Maven Central
// jars, as a detached process recorded in a state file, with its output in a
// log file, and a `start|stop|status` command line. The messages stay each
// script's own: they are passed in here.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';

/** Progress for people, on stderr, each line tagged with the script's prefix (e.g. `[kafka]`). */
export const prefixedLog = (prefix) => (msg) => process.stderr.write(`[${prefix}] ${msg}\n`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Prerequisites

/**
 * Throws `fail(missing)` when `java` is not on PATH, and `fail(tooOld(firstLine))` when it is
 * older than Java 17 (`firstLine`: the first line of `java -version`).
 */
export function requireJava({ missing, tooOld, fail }) {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw fail(missing);
  const out = `${r.stderr}${r.stdout}`;
  const m = out.match(/version "(\d+)(?:\.(\d+))?/);
  let major = m ? Number(m[1]) : NaN;
  if (major === 1 && m[2]) major = Number(m[2]);
  if (!(major >= 17)) throw fail(tooOld(out.split('\n')[0].trim()));
}

/** Throws `fail(missing)` when `mvn` is not on PATH. */
export function requireMaven({ missing, fail }) {
  const r = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw fail(missing);
}

/**
 * Runs `mvn args` in `cwd`, calling `tick()` every `tickMs` while it runs. Resolves to its exit
 * code (-1 when it could not be started) and its stdout and stderr, interleaved.
 */
export async function runMaven({ args, cwd, tick, tickMs }) {
  const output = [];
  const code = await new Promise((resolve) => {
    const child = spawn('mvn', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    const timer = setInterval(tick, tickMs);
    child.on('error', () => {
      clearInterval(timer);
      resolve(-1);
    });
    child.on('close', (c) => {
      clearInterval(timer);
      resolve(c);
    });
  });
  return { code, output: Buffer.concat(output).toString('utf8') };
}

// ---------------------------------------------------------------------------
// State and log files

/** The JSON state file of a service: read (null when absent or unreadable), write, clear. */
export function stateFileAt(file) {
  return {
    read() {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        return null;
      }
    },
    write(state) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
    },
    clear() {
      fs.rmSync(file, { force: true });
    },
  };
}

/** The last `lines` lines of a log file, or `(no log)`. */
export function logTail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------
// Processes

export function pidAlive(pid) {
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

/**
 * True when `pid` is alive and (where /proc exists) its command line contains every one of
 * `marks`: the process a state file recorded, not another that got its pid since.
 */
export function runsWith(pid, marks) {
  if (!pidAlive(pid)) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return marks.every((m) => cmd.includes(m));
  } catch {
    return true;
  }
}

/**
 * Starts `java args` in `cwd`, detached (the leader of its own process group, so it outlives the
 * script and stops with its children), its stdout and stderr appended to `logFile`.
 */
export function spawnDetached(args, { cwd, logFile }) {
  const out = fs.openSync(logFile, 'a');
  const child = spawn('java', args, { cwd, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  return child;
}

/** Resolves to the error that kept `child` from starting, or null once it runs. */
export function spawnError(child) {
  return new Promise((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(null));
  });
}

/**
 * Sends SIGTERM to the process group of `pid` (or to the process alone when it leads none), waits
 * up to `timeoutMs` for it to exit, then sends SIGKILL. Resolves to the signal that ended it.
 */
export async function killAndWait(pid, timeoutMs) {
  const signal = (sig) => {
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
  while (pidAlive(pid) && Date.now() < deadline) await sleep(200);
  if (!pidAlive(pid)) return 'SIGTERM';
  signal('SIGKILL');
  const killDeadline = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < killDeadline) await sleep(100);
  return 'SIGKILL';
}

/**
 * Polls `ready()` every 250 ms until it is true. Throws `fail(exited(code, signal))` when `child`
 * exits first, and `fail(timedOut())` at `deadline`.
 */
export async function waitUntilReady({ child, deadline, ready, exited, timedOut, fail }) {
  let exit = null;
  child.once('exit', (code, signal) => {
    exit = { code, signal };
  });
  while (Date.now() < deadline) {
    if (exit) throw fail(exited(exit.code, exit.signal));
    if (await ready()) return;
    await sleep(250);
  }
  throw fail(timedOut());
}

// ---------------------------------------------------------------------------
// Ports

export function portOpen(port, host = HOST, timeoutMs = 1000) {
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

/**
 * A block of `span` free ports on HOST starting at `port`. When one of them is taken: an
 * `explicit` port fails with `fail(inUse)`; otherwise the next `attempts` blocks above are tried
 * (`log(moved(p))` for the one used) before failing with `fail(noneFree)`.
 */
export async function choosePort({ port, span = 1, explicit, attempts, log, inUse, moved, noneFree, fail }) {
  const free = async (p) => {
    for (let i = 0; i < span; i++) if (await portOpen(p + i)) return false;
    return true;
  };
  if (await free(port)) return port;
  if (explicit) throw fail(inUse);
  for (let k = 1; k <= attempts; k++) {
    const p = port + k * span;
    if (await free(p)) {
      log(moved(p));
      return p;
    }
  }
  throw fail(noneFree);
}

// ---------------------------------------------------------------------------
// Command line

/**
 * The `start [--port N] | stop | status` command line, run when `moduleUrl` is the script node
 * was started with. `start(port)` resolves to the `NAME=value` line it prints on stdout;
 * `status()` to { running, healthy, pid, startedAt, version, ... }, printed as
 * `<title>: running (<describe(s)>, pid P, since T)` and `envLine(s)`. Errors of class
 * `ErrorClass` are printed without a stack; any error exits with 1.
 */
export function runCli({ moduleUrl, prefix, ErrorClass, usage, banner, title, start, stop, status, describe, envLine }) {
  const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
  if (!invokedDirectly) return;
  const log = prefixedLog(prefix);
  const main = async ([cmd, ...rest]) => {
    if (cmd === 'start') {
      let port;
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (a === '--port') port = rest[++i];
        else if (a.startsWith('--port=')) port = a.slice('--port='.length);
        else throw new ErrorClass(`Unknown option: ${a}\n${usage()}`);
      }
      if (port !== undefined && !/^\d+$/.test(String(port))) throw new ErrorClass(`Invalid port: ${port}`);
      process.stdout.write(`${await start(port)}\n`);
      return 0;
    }
    if (cmd === 'stop') {
      await stop();
      return 0;
    }
    if (cmd === 'status') {
      const s = await status();
      log(banner());
      if (!s.running) {
        process.stdout.write(`${title}: not running\n`);
        return 1;
      }
      process.stdout.write(
        `${title}: ${s.healthy ? 'running' : 'running but NOT answering'} ` + `(${describe(s)}, pid ${s.pid}, since ${s.startedAt})\n${envLine(s)}\n`,
      );
      return s.healthy ? 0 : 1;
    }
    process.stderr.write(`${usage()}\n`);
    return cmd === undefined || cmd === '--help' || cmd === '-h' ? 0 : 2;
  };
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof ErrorClass) process.stderr.write(`[${prefix}] Error: ${err.message}\n`);
      else process.stderr.write(`[${prefix}] Unexpected error: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
