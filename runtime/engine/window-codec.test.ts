/**
 * The compact changelog form of windows: what a window writes, that a new
 * owner restores the same windows from it, and that changelogs written as
 * JSON (by every Pipewright before the compact form) still restore, alone or
 * mixed with compact records.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type NodeSpec } from './graph.js';
import { decodeWindow, encodeWindow, isCompact, readChangelogValue, type WindowValue } from './window-codec.js';
import { MemoryLog, drain, restoreFromLog } from '../transports/memory.js';

const T = Date.UTC(2024, 0, 1, 8, 0);
const HOUR = 3_600_000;
const CHANGELOG = 'p.w.changelog';

function spec(params: Record<string, unknown>) {
  const nodes: NodeSpec[] = [
    { id: 'src', kind: 'kafka-source', params: { topic: 'in' }, inputs: [] },
    { id: 'w', kind: 'window', params: { size: '1h', ...params }, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
    { id: 'sink', kind: 'kafka-sink', params: { topic: 'out' }, inputs: [{ port: 'in', from: 'w', fromPort: 'out' }] },
  ];
  return { pipeline: 'p', errors: { policy: 'dead-letter' as const, topic: 'p.dead-letter' }, nodes };
}
const units = (v: unknown) => (v as { units: number }).units;
const fns = { w: { sum: units, avg: units, min: units, max: units } };
const ALL = { sum: 'value.units', avg: 'value.units', min: 'value.units', max: 'value.units' };

function setup() {
  const log = new MemoryLog();
  for (const t of ['in', 'out', CHANGELOG, 'p.dead-letter']) log.createTopic(t, 1);
  const send = (events: [string, number][], t: number) =>
    log.produce(events.map(([key, n]) => ({ topic: 'in', key, value: JSON.stringify({ units: n }), headers: {}, timestamp: t })));
  const results = () => Object.fromEntries(log.messages('out').map((m) => [m.key, JSON.parse(String(m.value)) as Record<string, unknown>]));
  const writeChangelog = (records: { key: string; value: string | Uint8Array | null }[]) =>
    log.produce(records.map((r) => ({ topic: CHANGELOG, partition: 0, key: r.key, value: r.value, headers: {} })));
  return { log, send, results, writeChangelog };
}
/** A value as JSON bytes, as kafkajs hands a changelog value over. */
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const at = (key: string, t = T) => `${key}@${new Date(t).toISOString()}`;
const storeKey = (key: string, start = T) => `w\u0000${key}\u0000${start}`;

describe('the compact form of a window', () => {
  const windows: WindowValue[] = [
    { k: 'a', s: T, e: T + HOUR, n: 1 },
    { k: 'a', s: T, e: T + HOUR, n: 3, sum: 7.25 },
    { k: 'b', s: -HOUR, e: 0, n: 2, a: -1.5, max: 1e300 },
    { k: 'é/ü', s: T, e: T + HOUR, n: 12, sum: 0.1 + 0.2, a: 4, min: -0.5, max: Number.MAX_SAFE_INTEGER + 2 },
    { k: 'c', s: T, e: T + HOUR, n: 5, min: 3 },
  ];

  it('decodes to the window it encoded, every number exact', () => {
    for (const w of windows) {
      const bytes = encodeWindow(w)!;
      expect(isCompact(bytes)).toBe(true);
      expect(decodeWindow(storeKey(w.k, w.s), bytes)).toEqual(w);
      expect(readChangelogValue(storeKey(w.k, w.s), bytes)).toEqual(w);
    }
  });

  it('is left to JSON for a collect list or a number that is not one', () => {
    expect(encodeWindow({ k: 'a', s: T, e: T + HOUR, n: 1, c: [1] })).toBeUndefined();
    expect(encodeWindow({ k: 'a', s: T, e: T + HOUR, n: 1, sum: NaN })).toBeUndefined();
    expect(encodeWindow({ k: 'a', s: T, e: T + HOUR, n: 1, sum: '3' as unknown as number })).toBeUndefined();
  });

  it('refuses, saying why, bytes it cannot read', () => {
    const good = encodeWindow({ k: 'a', s: T, e: T + HOUR, n: 1, sum: 2 })!;
    const newer = Uint8Array.from(good);
    newer[1] = 2;
    expect(() => decodeWindow(storeKey('a'), newer)).toThrow(/format \(2\).*newer/);
    expect(() => decodeWindow(storeKey('a'), good.subarray(0, good.length - 1))).toThrow(/damaged/);
  });

  it('is what a window writes to its changelog, and a new owner restores the same windows from it', async () => {
    const { log, send, results } = setup();
    const a = new Graph(spec(ALL), fns);
    send(
      [
        ['a', 2],
        ['b', -1],
        ['a', 5.5],
      ],
      T,
    );
    send([['a', 1]], T + 1000);
    await drain(a, log, 'p');
    const values = log
      .messages(CHANGELOG)
      .filter((m) => String(m.key).startsWith('w\u0000'))
      .map((m) => m.value);
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(isCompact(v)).toBe(true);

    const b = new Graph(spec(ALL), fns);
    expect(await restoreFromLog(b, log, 'in', 0)).toBe(log.endOffset(CHANGELOG, 0));
    send([['a', 100]], T + HOUR);
    await drain(b, log, 'p');
    expect(results()[at('a')]).toMatchObject({ count: 3, sum: 8.5, min: 1, max: 5.5 });
    expect(results()[at('a')].avg).toBeCloseTo(8.5 / 3, 12);
    expect(results()[at('b')]).toMatchObject({ count: 1, sum: -1, avg: -1, min: -1, max: -1 });
  });

  it('is written as JSON with changelogValues json (a rolling upgrade from a version that reads only JSON)', async () => {
    const { log, send } = setup();
    const a = new Graph(spec(ALL), fns, { changelogValues: 'json' });
    send([['a', 2]], T);
    await drain(a, log, 'p');
    const windows = log.messages(CHANGELOG).filter((m) => String(m.key).startsWith('w\u0000'));
    expect(windows.length).toBeGreaterThan(0);
    for (const m of windows) expect(JSON.parse(String(m.value))).toMatchObject({ k: 'a', s: T, e: T + HOUR, n: 1, sum: 2 });
  });

  it('restores a changelog written as JSON, as windows wrote it before, and one that mixes both forms', async () => {
    const { log, send, results, writeChangelog } = setup();
    writeChangelog([
      // As a window wrote its changelog before the compact form: JSON, the record key in `k`.
      { key: 'wm', value: json(T + 10) },
      { key: storeKey('old'), value: json({ k: 'old', s: T, e: T + HOUR, n: 4, sum: 10, a: 10, min: 1, max: 4 }) },
      { key: storeKey('gone'), value: json({ k: 'gone', s: T, e: T + HOUR, n: 1, sum: 1, a: 1, min: 1, max: 1 }) },
      { key: storeKey('gone'), value: null },
      // A key written as JSON, then compact (a replica of this version took over), and the reverse.
      { key: storeKey('up'), value: json({ k: 'up', s: T, e: T + HOUR, n: 1, sum: 1, a: 1, min: 1, max: 1 }) },
      { key: storeKey('up'), value: encodeWindow({ k: 'up', s: T, e: T + HOUR, n: 2, sum: 3, a: 3, min: 1, max: 2 })! },
      { key: storeKey('down'), value: encodeWindow({ k: 'down', s: T, e: T + HOUR, n: 9, sum: 9, a: 9, min: 1, max: 1 })! },
      { key: storeKey('down'), value: json({ k: 'down', s: T, e: T + HOUR, n: 2, sum: 5, a: 5, min: 2, max: 3 }) },
    ]);
    const g = new Graph(spec(ALL), fns);
    expect(await restoreFromLog(g, log, 'in', 0)).toBe(8);
    send(
      [
        ['old', 6],
        ['up', 4],
      ],
      T + 20,
    );
    send([['x', 0]], T + HOUR);
    await drain(g, log, 'p');
    const r = results();
    expect(r[at('old')]).toMatchObject({ count: 5, sum: 16, avg: 16 / 5, min: 1, max: 6 });
    expect(r[at('up')]).toMatchObject({ count: 3, sum: 7, min: 1, max: 4 });
    expect(r[at('down')]).toMatchObject({ count: 2, sum: 5, avg: 2.5, min: 2, max: 3 });
    expect(r[at('gone')]).toBeUndefined();
  });

  it('restores compact windows written with other aggregates than the pipeline has now', async () => {
    const { log, send, results, writeChangelog } = setup();
    writeChangelog([
      // Written when the window also kept min and max, read by one that keeps only the sum.
      { key: storeKey('a'), value: encodeWindow({ k: 'a', s: T, e: T + HOUR, n: 2, sum: 3, min: 1, max: 2 })! },
      // Written with count only, read by one that now sums too.
      { key: storeKey('b'), value: encodeWindow({ k: 'b', s: T, e: T + HOUR, n: 4 })! },
    ]);
    const g = new Graph(spec({ sum: 'value.units' }), { w: { sum: units } });
    await restoreFromLog(g, log, 'in', 0);
    send(
      [
        ['a', 10],
        ['b', 5],
      ],
      T + 1,
    );
    send([['x', 0]], T + HOUR);
    await drain(g, log, 'p');
    expect(results()[at('a')]).toEqual({ key: 'a', windowStart: new Date(T).toISOString(), windowEnd: new Date(T + HOUR).toISOString(), count: 3, sum: 13 });
    expect(results()[at('b')]).toMatchObject({ count: 5, sum: 5 });
  });

  it('stops a restore at a value it cannot read, naming the changelog, partition and offset', async () => {
    const { log, writeChangelog } = setup();
    const newer = Uint8Array.from(encodeWindow({ k: 'a', s: T, e: T + HOUR, n: 1 })!);
    newer[1] = 9;
    writeChangelog([
      { key: 'wm', value: JSON.stringify(T) },
      { key: storeKey('a'), value: newer },
    ]);
    const g = new Graph(spec({ sum: 'value.units' }), { w: { sum: units } });
    await expect(restoreFromLog(g, log, 'in', 0)).rejects.toThrow(/p\.w\.changelog\[0\] at offset 1: .*format \(9\)/);
  });
});
