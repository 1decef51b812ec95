#!/usr/bin/env node
/**
 * `npm test`: every check and test — the type check, ESLint, Prettier's check, the unit tests, then the integration
 * tests (real Kafka, generated services, Chromium; one file at a time). Every step runs even when
 * an earlier one failed, so one run reports every failure; a summary lists each step with its time,
 * and the exit code is 1 when any step failed.
 *
 * `npm test -- --lanes` runs the integration tests beside the other steps, whose output is then
 * printed in one block when they end. That pays only with cores to spare: on a 2-core machine both
 * lanes are short of CPU and the run took longer than one step after the other (about 28 minutes
 * against 21), so it is not the default.
 */
import { spawn } from 'node:child_process';

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;

const lanes = {
  checks: [
    ['type check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
    ['lint', bin('eslint'), ['.']],
    ['format check', bin('prettier'), ['--check', '**/*.{ts,tsx,js,mjs}']],
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

const sequential = !process.argv.includes('--lanes');
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
