/** Helpers shared by the Kafka benchmarks (bench/window.ts, bench/join.ts). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Admin, ITopicConfig } from 'kafkajs';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/integration/process.js';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** `KAFKA_BROKERS`, or the local broker of scripts/kafka-broker.mjs, started or reused. */
export async function brokers(): Promise<string> {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  const { startBroker } = (await import(new URL('../scripts/kafka-broker.mjs', import.meta.url).href)) as {
    startBroker: (o: object) => Promise<{ brokers: string }>;
  };
  return (await startBroker({})).brokers;
}

/** VmHWM (peak RSS) and VmRSS of a process, in kB. */
export function procStatus(pid: number): { hwmKb: number; rssKb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN);
  return { hwmKb: kb('VmHWM'), rssKb: kb('VmRSS') };
}

const CLOCK_TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout) > 0 ? Number(r.stdout) : 100;
})();

/** CPU time (user + system) a live process has used so far, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Generates a pipeline with the CLI into `serviceDir` and builds it, with the repository's node_modules symlinked. */
export async function buildGenerated(pipelineYaml: string, serviceDir: string): Promise<void> {
  const gen = spawn(process.execPath, ['bin/pipewright.mjs', 'generate', pipelineYaml, '-o', serviceDir], { cwd: repoRoot, stdio: 'inherit' });
  if ((await new Promise((r) => gen.on('exit', r))) !== 0) throw new Error(`${pipelineYaml} did not generate`);
  symlinkSync(join(repoRoot, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
  const tsc = spawn(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: serviceDir, stdio: 'inherit' });
  if ((await new Promise((r) => tsc.on('exit', r))) !== 0) throw new Error('the generated service did not build');
}

/**
 * Creates the topics that do not exist yet and waits until each shows all its partitions. On a busy
 * broker a fresh topic can take a moment to have leaders and show in the metadata; kafkajs's own
 * wait for leaders then fails, so this waits instead, and retries what failed, for up to a minute.
 */
export async function createTopics(admin: Admin, topics: (ITopicConfig & { numPartitions: number })[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((x) => !existing.has(x.topic));
      if (missing.length) await admin.createTopics({ waitForLeaders: false, topics: missing });
      for (const x of topics) {
        const offsets = await admin.fetchTopicOffsets(x.topic);
        if (offsets.length !== x.numPartitions) throw new Error(`${x.topic} has ${offsets.length} partitions so far`);
      }
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Starts the built generated service of `serviceDir` under its own topics and group. The pipeline's
 * names are fixed in its built graph (dist/src/pipeline.js), so each start writes the pristine
 * build's text with every name of `renames` replaced (as a JSON string, so one name never matches
 * part of another). The service listens on a free port and logs warnings only.
 */
export async function startGenerated(
  serviceDir: string,
  pristine: string,
  renames: Record<string, string>,
  env: Record<string, string>,
): Promise<ChildProcess> {
  let graph = pristine;
  for (const [from, to] of Object.entries(renames)) graph = graph.replaceAll(JSON.stringify(from), JSON.stringify(to));
  writeFileSync(join(serviceDir, 'dist/src/pipeline.js'), graph);
  return spawn(process.execPath, ['dist/src/main.js'], {
    cwd: serviceDir,
    env: { ...process.env, PORT: String(await freePort()), LOG_LEVEL: 'warn', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Measures every contender `repeat` times, reversing their order every other repetition so neither always goes first. */
export async function alternating<C, M>(contenders: readonly C[], repeat: number, measure: (c: C) => Promise<M>): Promise<M[]> {
  const results: M[] = [];
  for (let r = 0; r < repeat; r++) {
    for (const c of r % 2 ? [...contenders].reverse() : contenders) {
      results.push(await measure(c));
      console.info(JSON.stringify(results.at(-1)));
    }
  }
  return results;
}

/** The median of one figure over the measurements of one contender. */
export function medianOf<M extends { contender: string }>(results: readonly M[], contender: string, figure: keyof M): number {
  const xs = results
    .filter((x) => x.contender === contender)
    .map((x) => Number(x[figure]))
    .sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}
