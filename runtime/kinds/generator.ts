import { mulberry32 } from '../random.js';
import { keyText, valueText, type OutMessage } from '../types.js';
import { decodingOperator } from './kafka-source.js';
import { defineKind, withDefaults, type KindProblem } from './spec.js';
import { errorText } from '../errors.js';

export { mulberry32 };

interface Ctx {
  random: () => number;
  seq: number;
  now: number;
}
type FieldGen = (ctx: Ctx) => unknown;

const round2 = (x: number) => Math.round(x * 100) / 100;
const num = (s: string) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);

/** The field generators a template can use, with what their arguments must be. */
export const FIELD_GENERATORS: Record<string, { usage: string; make(args: string[]): FieldGen | string }> = {
  seq: {
    usage: 'seq or seq(start): 0, 1, 2, … (or from start)',
    make(args) {
      const start = args.length ? num(args[0]) : 0;
      if (start === undefined || args.length > 1) return 'seq takes at most one number, the first value';
      return (c) => start + c.seq;
    },
  },
  now: { usage: 'now: the event time in milliseconds since the epoch', make: (args) => (args.length ? 'now takes no arguments' : (c) => c.now) },
  iso: { usage: 'iso: the event time as an ISO 8601 text', make: (args) => (args.length ? 'iso takes no arguments' : (c) => new Date(c.now).toISOString()) },
  pick: {
    usage: 'pick(a,b,c): one of the values, each as likely (numbers stay numbers)',
    make(args) {
      if (args.length === 0) return 'pick needs at least one value, e.g. pick(alice,bob)';
      const values = args.map((a) => num(a) ?? a.trim());
      return (c) => values[Math.floor(c.random() * values.length)];
    },
  },
  int: {
    usage: 'int(min,max): a whole number from min to max, both included',
    make(args) {
      const [lo, hi] = args.map(num);
      if (args.length !== 2 || lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi)
        return 'int needs two whole numbers, min ≤ max, e.g. int(1,10)';
      return (c) => lo + Math.floor(c.random() * (hi - lo + 1));
    },
  },
  uniform: {
    usage: 'uniform(min,max): a number between min and max, to two decimals',
    make(args) {
      const [lo, hi] = args.map(num);
      if (args.length !== 2 || lo === undefined || hi === undefined || lo > hi) return 'uniform needs two numbers, min ≤ max, e.g. uniform(1,500)';
      return (c) => round2(lo + c.random() * (hi - lo));
    },
  },
  normal: {
    usage: 'normal(mean,sd): a normally distributed number, to two decimals',
    make(args) {
      const [mean, sd] = args.map(num);
      if (args.length !== 2 || mean === undefined || sd === undefined || sd < 0) return 'normal needs a mean and a standard deviation ≥ 0, e.g. normal(100,15)';
      // Box–Muller; 1 - random() keeps log() away from 0.
      return (c) => round2(mean + sd * Math.sqrt(-2 * Math.log(1 - c.random())) * Math.cos(2 * Math.PI * c.random()));
    },
  },
  bool: {
    usage: 'bool or bool(p): true with probability p (default 0.5)',
    make(args) {
      const p = args.length ? num(args[0]) : 0.5;
      if (p === undefined || p < 0 || p > 1 || args.length > 1) return 'bool takes at most one probability from 0 to 1, e.g. bool(0.1)';
      return (c) => c.random() < p;
    },
  },
  uuid: {
    usage: 'uuid: a random (seeded) UUID',
    make: (args) =>
      args.length
        ? 'uuid takes no arguments'
        : (c) => {
            const hex = Array.from({ length: 32 }, () => Math.floor(c.random() * 16).toString(16));
            hex[12] = '4';
            hex[16] = ((parseInt(hex[16], 16) & 3) | 8).toString(16);
            const h = hex.join('');
            return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
          },
  },
  const: { usage: 'const(text): exactly that text', make: (args) => (c) => (void c, args.join(',')) },
};

const CALL = /^([a-z]+)(?:\((.*)\))?$/s;

/** Compiles a template into one generator; throws with the field's path and how to write it. */
function compile(template: unknown, path: string): FieldGen {
  if (template === null || typeof template === 'number' || typeof template === 'boolean') return () => template;
  if (Array.isArray(template)) {
    const items = template.map((t, i) => compile(t, `${path}[${i}]`));
    return (c) => items.map((g) => g(c));
  }
  if (typeof template === 'object') {
    const fields = Object.entries(template as Record<string, unknown>).map(([k, t]) => [k, compile(t, path ? `${path}.${k}` : k)] as const);
    return (c) => Object.fromEntries(fields.map(([k, g]) => [k, g(c)]));
  }
  const text = valueText(template).trim();
  const m = CALL.exec(text);
  const gen = m ? FIELD_GENERATORS[m[1]] : undefined;
  if (!m || !gen) {
    throw new Error(
      `field "${path}": "${text}" is not a field generator; use one of ${Object.values(FIELD_GENERATORS)
        .map((g) => g.usage.split(':')[0])
        .join(', ')} (const(text) for fixed text)`,
    );
  }
  const args = m[2] === undefined ? [] : m[2].trim() === '' ? [] : m[2].split(',');
  const made = gen.make(args);
  if (typeof made === 'string') throw new Error(`field "${path}": ${made}`);
  return made;
}

export interface GeneratedEvent {
  key: string | null;
  value: unknown;
  timestamp: number;
}

/**
 * Seeded synthetic events from a template. The same parameters give the same
 * sequence of values; only `now`/`iso` follow the clock the caller passes.
 */
export class EventGenerator {
  private readonly make: FieldGen;
  private readonly random: () => number;
  private readonly keyField?: string;
  /** Events made so far. */
  seq = 0;
  readonly count: number;

  /** `params`: a generator node's parameters, as written; the kind's defaults fill in the rest. */
  constructor(params: Readonly<Record<string, unknown>>) {
    const { fields, seed, key, count } = withDefaults(generator, params);
    this.make = compile(fields, '');
    this.random = mulberry32(seed);
    this.keyField = key === undefined || key === '' ? undefined : key;
    this.count = count;
  }

  /** Whether a finite count is used up. */
  get done(): boolean {
    return this.count > 0 && this.seq >= this.count;
  }

  next(now: number): GeneratedEvent {
    const value = this.make({ random: this.random, seq: this.seq, now });
    this.seq++;
    const k = this.keyField && typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[this.keyField] : undefined;
    return { key: keyText(k), value, timestamp: now };
  }

  /** Up to `n` events (fewer when the count runs out) as messages for `topic`, `intervalMs` apart from `now`. */
  messages(topic: string, n: number, now: number, intervalMs = 0): OutMessage[] {
    const out: OutMessage[] = [];
    for (let i = 0; i < n && !this.done; i++) {
      const e = this.next(now + i * intervalMs);
      out.push({ topic, key: e.key, value: JSON.stringify(e.value) ?? 'null', headers: {}, timestamp: e.timestamp });
    }
    return out;
  }
}

/** 2024-01-01T00:00:00Z: the clock of sample events, so that types and docs repeat exactly. */
const SAMPLE_EPOCH = 1704067200000;

export const generator = defineKind({
  kind: 'generator',
  category: 'source',
  title: 'Generator',
  summary: 'Make seeded synthetic events from a template and produce them to a topic, at a steady rate.',
  docs:
    'Builds events from `fields`, a template whose leaves are field generators: `seq`, `seq(start)`, `now` ' +
    '(event time, ms), `iso` (event time as text), `pick(a,b,c)`, `int(min,max)`, `uniform(min,max)`, ' +
    '`normal(mean,sd)`, `bool(p)`, `uuid` and `const(text)`; numbers, booleans, nested mappings and lists are ' +
    'kept as written. For example `fields: { id: seq, user: "pick(alice,bob,carol)", amount: "uniform(1,500)", at: now }`. ' +
    'The same `seed` gives the same events. The service produces them to `topic` at `rate` per second, `count` ' +
    'in all (0: without end), keyed by the field named by `key`, and consumes the topic like a Kafka source, so ' +
    'the rest of the pipeline sees ordinary Kafka events. One replica generates at a time: the one assigned ' +
    'partition 0 of the topic in the group `<group>.generator.<node>`. It produces in Kafka transactions that also ' +
    'record how far the sequence has got, so when it dies or is scaled in, the replica that takes over fences it ' +
    'and continues the sequence exactly, with nothing repeated or skipped. The simulator pulls events from the same generator; tests give ' +
    'their input events as for any source. Event types come from the template, no samples needed.',
  params: [
    { name: 'topic', type: 'topic', title: 'Topic', description: 'The topic the events are produced to and read from.', required: true, placeholder: 'orders' },
    {
      name: 'fields',
      type: 'json',
      title: 'Fields',
      description: 'The event template: field name → generator, constant or nested template.',
      required: true,
      placeholder: 'id: seq, user: "pick(alice,bob)", amount: "uniform(1,500)"',
    },
    { name: 'key', type: 'string', title: 'Key field', description: 'The field whose value becomes the message key; none by default.', placeholder: 'user' },
    { name: 'rate', type: 'integer', title: 'Rate', description: 'Events per second the service produces.', default: 10, min: 1, max: 100000 },
    { name: 'count', type: 'integer', title: 'Count', description: 'How many events in all; 0 for no end.', default: 0, min: 0, max: 1000000000 },
    {
      name: 'seed',
      type: 'integer',
      title: 'Seed',
      description: 'The seed of the random values; the same seed gives the same events.',
      default: 1,
      min: 0,
      max: 4294967295,
    },
    {
      name: 'partitions',
      type: 'integer',
      title: 'Partitions',
      description: 'Partitions of the topic when Pipewright creates it; also the default replica count.',
      default: 1,
      min: 1,
      max: 1000,
    },
  ],
  inputs: [],
  outputs: ['out'],
  outputType: { from: 'source' },
  topicParam: 'topic',
  example: { params: { topic: 'orders', fields: { id: 'seq', user: 'pick(alice,bob,carol)', amount: 'uniform(1,500)', at: 'now' }, key: 'user' } },
  samples(params) {
    try {
      const g = new EventGenerator({ ...params, count: 0 });
      return Array.from({ length: 5 }, (_, i) => g.next(SAMPLE_EPOCH + i * 1000).value);
    } catch {
      return [];
    }
  },
  validate(params) {
    const problems: KindProblem[] = [];
    try {
      new EventGenerator(params);
    } catch (e) {
      problems.push({
        param: 'fields',
        code: 'PW124',
        message: `The template does not work: ${errorText(e)}.`,
        hint: 'Write e.g. fields: { id: seq, user: "pick(alice,bob)", amount: "uniform(1,500)", at: now }.',
      });
    }
    if (params.key !== undefined && !(params.key in params.fields)) {
      problems.push({
        param: 'key',
        code: 'PW125',
        message: `The key field "${params.key}" is not a field of the template.`,
        hint: `Use one of: ${Object.keys(params.fields).join(', ')}.`,
      });
    }
    return problems;
  },
  create() {
    // What comes back from the topic is JSON, read exactly as a Kafka source reads it.
    return decodingOperator('json');
  },
});
