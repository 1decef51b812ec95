#!/usr/bin/env node
/**
 * `npm test`: every check and test, in two lanes that run side by side.
 *
 * - **integration** (real Kafka, generated services, Chromium) spends most of its time waiting on
 *   the broker and on child processes, one file at a time; its output streams as it comes.
 * - **checks**: the type check, ESLint, then the unit tests (CPU-bound). Its output is kept and
 *   printed in one block when the lane ends, so the two lanes' lines do not interleave.
 *
 * Run one after the other, the lanes took about 20 minutes on a 2-core machine; side by side, the
 * checks fit into the integration lane's waiting. Every step runs even when an earlier one failed,
 * so one run reports every failure; the exit code is 1 when any step failed.
 * `npm test -- --sequential` runs the lanes one after the other (to read a flaky test in quiet).
 */
import { spawn } from 'node:child_process';

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;

const lanes = {
  checks: [
    ['type check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
    ['lint', bin('eslint'), ['.']],
    ['unit tests', bin('vitest'), ['run', '--project', 'unit']],
  ],
  integration: [['integration tests', bin('vitest'), ['run', '--project', 'integration']]],
};

/** Runs one step; its output goes to `out` (a stream or an array of chunks). */
function step([label, command, args], out) {
  const started = Date.now();
  const write = (text) => (Array.isArray(out) ? out.push(text) : out.write(text));
  write(`\n== ${label}: ${[command.split('/').pop(), ...args].join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    child.stdout.on('data', (d) => write(d.toString()));
    child.stderr.on('data', (d) => write(d.toString()));
    child.on('error', (e) => {
      write(`could not start ${label}: ${e.message}\n`);
      resolve({ label, ok: false, seconds: (Date.now() - started) / 1000 });
    });
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - started) / 1000;
      write(`== ${label}: ${code === 0 ? 'passed' : `FAILED (${signal ?? `exit code ${code}`})`} in ${seconds.toFixed(0)} s\n`);
      resolve({ label, ok: code === 0, seconds });
    });
  });
}

async function lane(steps, out) {
  const results = [];
  for (const s of steps) results.push(await step(s, out));
  return results;
}

const sequential = process.argv.includes('--sequential');
const started = Date.now();
let results;
if (sequential) {
  results = [...(await lane(lanes.checks, process.stdout)), ...(await lane(lanes.integration, process.stdout))];
} else {
  const kept = [];
  const checks = lane(lanes.checks, kept).then((r) => {
    process.stdout.write(`\n======== checks lane (type check, lint, unit tests) ========${kept.join('')}\n======== end of checks lane ========\n`);
    return r;
  });
  results = (await Promise.all([checks, lane(lanes.integration, process.stdout)])).flat();
}

const failed = results.filter((r) => !r.ok);
process.stdout.write(`\n== summary (${((Date.now() - started) / 1000).toFixed(0)} s in all${sequential ? ', sequential' : ', two lanes side by side'})\n`);
for (const r of results) process.stdout.write(`   ${r.ok ? 'passed' : 'FAILED'}  ${r.label} (${r.seconds.toFixed(0)} s)\n`);
process.exitCode = failed.length ? 1 : 0;
