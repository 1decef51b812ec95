/**
 * The store's share of a restore, without Kafka: K window records (default 1,000,000, 6 partitions,
 * an open one-hour window with count and sum, as bench/restore.ts writes them) applied to a window
 * node's store through Graph.applyChangelog in slices of 20,000, as a fetch hands them over, with
 * keys and values as Buffers, as kafkajs gives them. Once with the values as JSON (as changelogs
 * written before the compact form hold them: the baseline) and once in the window's compact form,
 * alternating, each in a fresh graph. Prints CPU seconds (process.cpuUsage) and records per CPU
 * second, and the ratio compact ÷ JSON.
 *
 *   node bin/run-ts.mjs bench/restore-apply.ts [--keys 1000000] [--repeat 2]
 */
import { parseArgs } from 'node:util';
import { Graph } from '../runtime/engine/graph.js';
import { encodeWindow } from '../runtime/engine/window-codec.js';

const { values: flags } = parseArgs({ options: { keys: { type: 'string', default: '1000000' }, repeat: { type: 'string', default: '2' } } });
const KEYS = Number(flags.keys);
const PARTITIONS = 6;
const SLICE = 20_000;
const HOUR = 3_600_000;
const start = Math.floor(Date.now() / HOUR) * HOUR;
const spec = {
  pipeline: 'bench-apply',
  errors: { policy: 'dead-letter' as const, topic: 'bench-apply.dead-letter' },
  nodes: [
    { id: 'src', kind: 'kafka-source', params: { topic: 'in' }, inputs: [] },
    { id: 'w', kind: 'window', params: { size: '1h' }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
  ],
};

type Format = 'json' | 'compact';
function records(format: Format) {
  const parts: { key: Buffer; value: Buffer; offset: string }[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < KEYS; i++) {
    const k = `p-${i}`;
    const w = { k, s: start, e: start + HOUR, n: 1 + (i % 9), sum: 3 * (i % 9) };
    const p = parts[i % PARTITIONS];
    p.push({
      key: Buffer.from(`w\u0000${k}\u0000${start}`),
      value: format === 'json' ? Buffer.from(JSON.stringify(w)) : Buffer.from(encodeWindow(w)!),
      offset: String(p.length),
    });
  }
  return parts;
}

function measure(format: Format): number {
  const parts = records(format);
  const graph = new Graph(spec, { w: { sum: (v: { units: number }) => v.units } }, { live: true });
  const cpu = process.cpuUsage();
  let applied = 0;
  for (let p = 0; p < PARTITIONS; p++)
    for (let i = 0; i < parts[p].length; i += SLICE) applied += graph.applyChangelog('bench-apply.w.changelog', p, parts[p].slice(i, i + SLICE));
  const used = process.cpuUsage(cpu);
  if (applied !== KEYS) throw new Error(`${applied} of ${KEYS} records applied`);
  return (used.user + used.system) / 1e6;
}

const cpu: Record<Format, number[]> = { json: [], compact: [] };
for (let r = 0; r < Number(flags.repeat); r++) {
  for (const format of (r % 2 ? ['compact', 'json'] : ['json', 'compact']) as Format[]) {
    cpu[format].push(measure(format));
    console.info(`${format.padEnd(8)} ${cpu[format].at(-1)!.toFixed(2)} CPU s`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [j, c] = [median(cpu.json), median(cpu.compact)];
console.info(`\n${KEYS} window records applied to the store, medians of ${flags.repeat}`);
console.info(`                    json (baseline)   compact   ratio`);
console.info(`CPU seconds       ${j.toFixed(2).padStart(17)} ${c.toFixed(2).padStart(9)}   ${(c / j).toFixed(2)}`);
console.info(
  `records/CPU s     ${Math.round(KEYS / j)
    .toString()
    .padStart(17)} ${Math.round(KEYS / c)
    .toString()
    .padStart(9)}   ${(j / c).toFixed(2)}`,
);
