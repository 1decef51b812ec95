/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: it throws
 * on any line a Prometheus server would refuse, and checks each histogram as Prometheus reads
 * one (cumulative buckets, increasing bounds, +Inf last and equal to _count).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a sample value: ${JSON.stringify(text)} in ${line}`);
  return Number(text);
}

function parseLabels(body: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in ${line}`);
    const name = body.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in ${line}`);
    if (body[eq + 1] !== '"') throw new Error(`label value not quoted in ${line}`);
    let j = eq + 2;
    let value = '';
    for (; j < body.length && body[j] !== '"'; j++) {
      if (body[j] === '\\') {
        const next = body[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${next} in ${line}`);
      } else value += body[j];
    }
    if (j >= body.length) throw new Error(`unterminated label value in ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in ${line}`);
    labels[name] = value;
    i = j + 1;
    if (body[i] === ',') i++;
    else if (i < body.length) throw new Error(`expected , between labels in ${line}`);
  }
  return labels;
}

/** Families by name, in the order they appear. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  let current: Family | undefined;
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta;
      if (!NAME.test(name)) throw new Error(`bad metric name in ${line}`);
      let f = families.get(name);
      if (!f) {
        if (seen.has(name)) throw new Error(`family ${name} is split in two: ${line}`);
        families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
        seen.add(name);
      } else if (f !== current) throw new Error(`family ${name} is split in two: ${line}`);
      if (what === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type in ${line}`);
        if (f.samples.length) throw new Error(`TYPE after samples: ${line}`);
        f.type = rest as Family['type'];
      } else f.help = rest;
      current = f;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    const sample: Sample = { name, labels: parseLabels(labelText ?? '', line), value: parseValue(valueText, line) };
    const base =
      current &&
      (name === current.name ||
        (current.type === 'histogram' && /_(bucket|sum|count)$/.test(name) && name.replace(/_(bucket|sum|count)$/, '') === current.name))
        ? current
        : undefined;
    if (base) base.samples.push(sample);
    else {
      if (seen.has(name)) throw new Error(`samples of ${name} are not together: ${line}`);
      seen.add(name);
      families.set(name, (current = { name, type: 'untyped', help: '', samples: [sample] }));
    }
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

const seriesKey = (labels: Record<string, string>) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== 'le')
      .sort(([a], [b]) => a.localeCompare(b)),
  );

export interface HistogramSeries {
  labels: Record<string, string>;
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** The series of a histogram family, each with its cumulative buckets, sum and count. */
export function histogramSeries(f: Family): HistogramSeries[] {
  const series = new Map<string, HistogramSeries>();
  const of = (labels: Record<string, string>) => {
    const key = seriesKey(labels);
    let s = series.get(key);
    if (!s) {
      const own = { ...labels };
      delete own.le;
      series.set(key, (s = { labels: own, buckets: [], sum: NaN, count: NaN }));
    }
    return s;
  };
  for (const sample of f.samples) {
    if (sample.name === `${f.name}_bucket`) {
      if (sample.labels.le === undefined) throw new Error(`${f.name}_bucket without le`);
      of(sample.labels).buckets.push({ le: parseValue(sample.labels.le, sample.labels.le), count: sample.value });
    } else if (sample.name === `${f.name}_sum`) of(sample.labels).sum = sample.value;
    else if (sample.name === `${f.name}_count`) of(sample.labels).count = sample.value;
    else throw new Error(`${sample.name} in histogram ${f.name}`);
  }
  return [...series.values()];
}

function checkHistogram(f: Family): void {
  for (const s of histogramSeries(f)) {
    const where = `${f.name}${JSON.stringify(s.labels)}`;
    if (s.buckets.length === 0) throw new Error(`${where}: no buckets`);
    if (Number.isNaN(s.sum) || Number.isNaN(s.count)) throw new Error(`${where}: _sum or _count missing`);
    for (let i = 1; i < s.buckets.length; i++) {
      if (!(s.buckets[i].le > s.buckets[i - 1].le)) throw new Error(`${where}: bucket bounds do not increase at le=${s.buckets[i].le}`);
      if (s.buckets[i].count < s.buckets[i - 1].count) throw new Error(`${where}: bucket counts decrease at le=${s.buckets[i].le}`);
    }
    const last = s.buckets[s.buckets.length - 1];
    if (last.le !== Infinity) throw new Error(`${where}: the last bucket is not +Inf`);
    if (last.count !== s.count) throw new Error(`${where}: +Inf bucket ${last.count} differs from _count ${s.count}`);
  }
}
