/**
 * Time for the stateful kinds: durations written as "1h", "15m", "30s" or
 * "250ms" in a pipeline, and event time taken from an expression or from the
 * record's timestamp.
 */
import { recordInfo, valueText, type Rec } from '../types.js';
import type { KindProblem } from './spec.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as "1h", "90s" or "250ms" (a bare number is milliseconds); undefined if it is not one. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
}

/** A problem for each named parameter that is set but not a duration; `positive` ones must also be above zero. */
export function durationProblems(params: Record<string, unknown>, names: readonly string[], positive: readonly string[] = names): KindProblem[] {
  const problems: KindProblem[] = [];
  for (const name of names) {
    const v = params[name];
    if (v === undefined || v === null || v === '') continue;
    const ms = parseDuration(v);
    if (ms === undefined)
      problems.push({
        param: name,
        code: 'PW104',
        message: `"${valueText(v)}" is not a duration`,
        hint: `Write a number with a unit: ms, s, m, h or d, e.g. ${name}: 1h.`,
      });
    else if (positive.includes(name) && ms <= 0)
      problems.push({ param: name, code: 'PW105', message: `${name} must be longer than zero`, hint: `Write e.g. ${name}: 5m.` });
  }
  return problems;
}

export type TimeFn = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

/** Event time in milliseconds: the expression's result (milliseconds, an ISO date or a Date), or the record's timestamp. */
export function eventTime(rec: Rec, fn: TimeFn | undefined): number {
  if (!fn) return rec.timestamp;
  const t = fn(rec.value, rec.key, recordInfo(rec));
  const ms = typeof t === 'number' ? t : t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : NaN;
  if (!Number.isFinite(ms))
    throw new Error(`the time expression gave ${JSON.stringify(t) ?? String(t)}, which is not a time (milliseconds since the epoch or an ISO date)`);
  return ms;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A min-heap of times with a set of keys at each time: what closes (or
 * expires) when the watermark reaches that time. Derived from a store, so it
 * is rebuilt after a restore rather than written to the changelog.
 */
export class DueIndex {
  private readonly heap: number[] = [];
  private readonly at = new Map<number, Set<string>>();

  add(time: number, key: string): void {
    let set = this.at.get(time);
    if (!set) {
      this.at.set(time, (set = new Set()));
      this.push(time);
    }
    set.add(key);
  }

  remove(time: number, key: string): void {
    this.at.get(time)?.delete(key);
  }

  /** Keys due at or before `time`, earliest first; they are removed from the index. */
  *due(time: number): Generator<string> {
    while (this.heap.length > 0 && this.heap[0] <= time) {
      const t = this.pop();
      const set = this.at.get(t);
      this.at.delete(t);
      if (set) yield* set;
    }
  }

  private push(t: number): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (h[parent] <= h[i]) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l] < h[m]) m = l;
        if (r < h.length && h[r] < h[m]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
