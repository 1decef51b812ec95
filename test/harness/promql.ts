/**
 * The metric names a PromQL expression reads, for tests that check every query against what a
 * service exports. A small reader, not a full parser: it drops string literals, label matchers,
 * ranges and grouping clauses, then keeps the identifiers that are not functions or keywords.
 */
import type { Family } from './exposition.js';

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'atan2']);

export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart();
    const before = bare[m.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // the exponent of a number such as 1e3
    if (KEYWORDS.has(m[0]) || after.startsWith('(')) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Every series name a scrape offers: each family's name, and a histogram's _bucket, _sum and _count. */
export function exportedNames(families: Map<string, Family>): Set<string> {
  const out = new Set<string>();
  for (const f of families.values()) {
    if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(f.name + s);
    else out.add(f.name);
  }
  return out;
}
