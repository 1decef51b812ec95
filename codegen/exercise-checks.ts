/**
 * The automatic checks of workshop exercises: a registry of check kinds, each
 * evaluated on a simulator run (its snapshots, notes and topics) and giving
 * pass or fail with a reason a learner understands. Portable: the catalog
 * test runs them on a headless run in Node, the designer in the simulator's
 * worker on the learner's own session.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { SinkOutput } from '../runtime/kinds/spec.js';
import type { ClusterView } from '../runtime/simulator/cluster.js';
import type { GroupView } from '../runtime/simulator/readers.js';
import type { Note, SimSnapshot } from '../runtime/simulator/simulator.js';

export type { ClusterView, GroupView };
export type RunSnapshot = SimSnapshot;

export interface RunMessage {
  key: string | null;
  /** JSON values parsed; other text as it is. */
  value: unknown;
  partition: number;
  offset: number;
  headers: Record<string, string>;
}

/** What a check sees of a simulator session. */
export interface SimRun {
  /** Oldest first: one per tick (at least the first and the last). */
  snapshots: RunSnapshot[];
  notes: Note[];
  /** Simulated time (ms) of tick 0. */
  startTime: number;
  deadLetterTopic: string;
  /** Every message of a topic, partition by partition; none when the topic does not exist. */
  messages(topic: string): RunMessage[];
  /** What the sinks outside Kafka wrote, by node id. */
  captured: Map<string, SinkOutput[]>;
}

export interface Verdict {
  pass: boolean;
  reason: string;
}

export interface CheckSpec {
  kind: string;
  [param: string]: unknown;
}

export interface CheckKind {
  kind: string;
  /** One line for the exercise format's reference. */
  summary: string;
  /** JSON Schema of the parameters besides `kind`. */
  params: { type: 'object'; properties: Record<string, object>; required?: string[] };
  evaluate(run: SimRun, params: Record<string, unknown>): Verdict;
}

const pass = (reason: string): Verdict => ({ pass: true, reason });
/** A parameter as text (the schema has checked its type), and an optional one. */
const text = (v: unknown): string => (typeof v === 'string' ? v : String(JSON.stringify(v)));
const opt = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const fail = (reason: string): Verdict => ({ pass: false, reason });
const last = (run: SimRun) => run.snapshots[run.snapshots.length - 1];
const seconds = (run: SimRun, s: RunSnapshot) => Math.round((s.time - run.startTime) / 100) / 10;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const listOf = (xs: readonly (string | number)[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const str = { type: 'string', minLength: 1 };
const count = { type: 'integer', minimum: 0 };

/** A field of a value by dotted path (`customer`, `order.id`). */
function field(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function groupOf(s: RunSnapshot, name: string): GroupView | undefined {
  return s.groups?.find((g) => g.name === name);
}

/** The members of the pipeline's own group, or of the named one. */
function membersOf(run: SimRun, name: unknown): { id: string; idle: boolean }[] | string {
  const s = last(run);
  if (typeof name !== 'string') return s.members;
  const g = groupOf(s, name);
  return g ? g.members : `There is no consumer group "${name}" in this simulation.`;
}

function lagOf(run: SimRun, s: RunSnapshot, name: unknown): number | undefined {
  if (typeof name !== 'string') return s.partitions.reduce((n, p) => n + p.lag, 0);
  return groupOf(s, name)?.lag;
}

const lagBelow: CheckKind = {
  kind: 'lag-below',
  summary: "From `within` simulated seconds on, the lag (of the pipeline's group, or of `group`) stays at `max` events or less.",
  params: { type: 'object', properties: { max: count, within: { type: 'number', minimum: 0 }, group: str }, required: ['max', 'within'] },
  evaluate(run, p) {
    const [max, within, group] = [Number(p.max), Number(p.within), opt(p.group)];
    const from = Number(within) * 1000;
    const after = run.snapshots.filter((s) => s.time - run.startTime >= from);
    const who = typeof group === 'string' ? `group ${group}` : 'your group';
    if (after.length === 0) return fail(`The run has lasted ${seconds(run, last(run))} s so far; the lag is judged from ${within} s on. Let it run longer.`);
    for (const s of after) {
      const lag = lagOf(run, s, group);
      if (lag === undefined) return fail(`There is no consumer group "${group}" in this simulation.`);
      if (lag > Number(max)) {
        return fail(
          `The lag of ${who} was ${plural(lag, 'event')} at ${seconds(run, s)} s; the goal is ${max} or less from ${within} s on. Events arrive faster than ${who} processes them.`,
        );
      }
    }
    const worst = Math.max(...after.map((s) => lagOf(run, s, group) ?? 0));
    return pass(`The lag of ${who} stayed at ${plural(worst, 'event')} or less from ${within} s on.`);
  },
};

const noLateEvents: CheckKind = {
  kind: 'no-late-events',
  summary: 'No event reached the window node `node` after its window had closed; `min` (default 1) results were emitted.',
  params: { type: 'object', properties: { node: str, topic: str, min: count }, required: ['node', 'topic'] },
  evaluate(run, p) {
    const [node, topic, min] = [text(p.node), text(p.topic), Number(p.min ?? 1)];
    const stats = last(run).nodes[String(node)];
    if (!stats) return fail(`The pipeline has no node "${node}" (or it has seen no event yet).`);
    if (stats.errors > 0) {
      return fail(
        `${plural(stats.errors, 'event')} reached ${node} after ${stats.errors === 1 ? 'its window' : 'their windows'} had closed (the watermark had passed the window's end plus the grace), so ${stats.errors === 1 ? 'it was' : 'they were'} left out of the results and went to the dead letters.`,
      );
    }
    const results = run.messages(String(topic)).length;
    if (results < Number(min))
      return fail(
        `No late events, but only ${plural(results, 'result')} on ${topic} so far: a window's result comes out only once it closes. Let it run longer, or close windows sooner.`,
      );
    return pass(`Every event reached ${node} in time: ${plural(results, 'result')} on ${topic}, none with an event missing.`);
  },
};

const perKeyCounts: CheckKind = {
  kind: 'per-key-counts',
  summary: 'Every result on `topic` (keyed `<key>` or `<key>@<window>`) has `field` (default count) equal to `expect[key]`, and no other key has results.',
  params: {
    type: 'object',
    properties: { topic: str, field: str, expect: { type: 'object', minProperties: 1, additionalProperties: { type: 'number' } } },
    required: ['topic', 'expect'],
  },
  evaluate(run, p) {
    const [topic, name, expect] = [text(p.topic), opt(p.field) ?? 'count', p.expect];
    const wanted = expect as Record<string, number>;
    const latest = new Map<string, unknown>();
    for (const m of run.messages(String(topic))) if (m.key !== null) latest.set(m.key, m.value);
    const got = new Map<string, unknown[]>();
    for (const [k, v] of latest) {
      const group = k.split('@')[0];
      got.set(group, [...(got.get(group) ?? []), field(v, String(name))]);
    }
    const keys = [...got.keys()];
    const shown = listOf(keys.slice(0, 5)) + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
    for (const [k, n] of Object.entries(wanted)) {
      const values = got.get(k);
      if (!values) return fail(`No result for key "${k}" on ${topic}${keys.length ? `; its results are keyed ${shown}` : ' yet'}.`);
      const wrong = values.find((v) => v !== n);
      if (wrong !== undefined) return fail(`A result for key "${k}" on ${topic} has ${name} ${JSON.stringify(wrong)}; every one should have ${n}.`);
    }
    const extra = keys.filter((k) => !(k in wanted));
    if (extra.length)
      return fail(
        `${topic} has results for ${plural(extra.length, 'key')} that should not be there: ${listOf(extra.slice(0, 5))}${extra.length > 5 ? '…' : ''}.`,
      );
    return pass(
      `Every result on ${topic} has the expected ${name} for its key (${Object.entries(wanted)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')}).`,
    );
  },
};

const keyInOnePartition: CheckKind = {
  kind: 'key-in-one-partition',
  summary: 'Records on `topic` with the same `field` value are all in one partition.',
  params: { type: 'object', properties: { topic: str, field: str }, required: ['topic', 'field'] },
  evaluate(run, p) {
    const [topic, name] = [text(p.topic), text(p.field)];
    const seen = new Map<string, Set<number>>();
    const messages = run.messages(String(topic));
    if (messages.length === 0) return fail(`Nothing has reached ${topic} yet. Let the simulation run.`);
    for (const m of messages) {
      const v = JSON.stringify(field(m.value, String(name)) ?? null);
      seen.set(v, (seen.get(v) ?? new Set()).add(m.partition));
    }
    for (const [v, parts] of seen) {
      if (parts.size > 1) {
        const ps = [...parts].sort((a, b) => a - b);
        return fail(
          `Records with ${name} ${v} are spread over partitions ${listOf(ps)} of ${topic}, so no one consumer sees them all, in order. The record key decides the partition.`,
        );
      }
    }
    return pass(
      `Every ${name} of ${topic} stays in one partition (${plural(seen.size, 'value')} over ${plural(new Set(messages.map((m) => m.partition)).size, 'partition')}).`,
    );
  },
};

const results: CheckKind = {
  kind: 'results',
  summary: 'At least `min` records have reached `topic`.',
  params: { type: 'object', properties: { topic: str, min: { type: 'integer', minimum: 1 } }, required: ['topic', 'min'] },
  evaluate(run, p) {
    const [topic, min] = [text(p.topic), Number(p.min)];
    const n = run.messages(String(topic)).length;
    if (n < Number(min)) return fail(`Only ${plural(n, 'record')} reached ${topic} (at least ${min} wanted): the events that should get through do not.`);
    return pass(`${plural(n, 'record')} reached ${topic}.`);
  },
};

const members: CheckKind = {
  kind: 'members',
  summary: "The group (the pipeline's, or `group`) has between `min` and `max` members.",
  params: { type: 'object', properties: { min: count, max: count, group: str } },
  evaluate(run, p) {
    const [min, max, group] = [Number(p.min ?? 0), Number(p.max ?? Infinity), opt(p.group)];
    const list = membersOf(run, group);
    if (typeof list === 'string') return fail(list);
    const who = typeof group === 'string' ? `Group ${group}` : 'Your group';
    if (list.length < Number(min)) return fail(`${who} has ${plural(list.length, 'member')}; it needs at least ${min}.`);
    if (list.length > Number(max)) return fail(`${who} has ${plural(list.length, 'member')}; it should have at most ${max}.`);
    return pass(`${who} has ${plural(list.length, 'member')}.`);
  },
};

/** The members of the group a check names (the pipeline's without `group`) and the ids of the idle ones, or why there are none. */
function idleMembers(run: SimRun, p: Record<string, unknown>): { list: { idle: boolean }[]; idle: string[] } | string {
  const list = membersOf(run, opt(p.group));
  if (typeof list === 'string') return list;
  return { list, idle: list.filter((m) => m.idle).map((m) => m.id) };
}

const noIdleMember: CheckKind = {
  kind: 'no-idle-member',
  summary: "No member of the group (the pipeline's, or `group`) is idle.",
  params: { type: 'object', properties: { group: str } },
  evaluate(run, p) {
    const members = idleMembers(run, p);
    if (typeof members === 'string') return fail(members);
    const { list, idle } = members;
    if (idle.length) {
      return fail(
        `${listOf(idle)} ${idle.length === 1 ? 'is' : 'are'} idle: a partition is read by one member of a group at a time, and the group has more members than partitions.`,
      );
    }
    return pass(`All ${plural(list.length, 'member')} have partitions to read.`);
  },
};

const memberIdle: CheckKind = {
  kind: 'member-idle',
  summary: "At least one member of the group (the pipeline's, or `group`) is idle.",
  params: { type: 'object', properties: { group: str } },
  evaluate(run, p) {
    const members = idleMembers(run, p);
    if (typeof members === 'string') return fail(members);
    const { list, idle } = members;
    if (idle.length === 0) return fail(`Every one of the ${plural(list.length, 'member')} has a partition: none is idle yet.`);
    return pass(`${listOf(idle)} ${idle.length === 1 ? 'is' : 'are'} idle: there are more members than partitions.`);
  },
};

const noDoubleCounts: CheckKind = {
  kind: 'no-double-counts',
  summary: 'A crash replayed events, and no result on `topic` was written twice (results told apart by the value field `id`).',
  params: { type: 'object', properties: { topic: str, id: str }, required: ['topic', 'id'] },
  evaluate(run, p) {
    const [topic, id] = [text(p.topic), text(p.id)];
    const replayed = last(run).replayed;
    if (replayed === 0) return fail('No crash has replayed events yet: kill a replica while events flow, then check again.');
    const seen = new Map<string, number>();
    for (const m of run.messages(String(topic))) {
      const k = JSON.stringify(field(m.value, String(id)) ?? null);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    const twice = [...seen].filter(([, n]) => n > 1);
    if (twice.length) {
      return fail(
        `${plural(twice.length, 'result')} on ${topic} ${twice.length === 1 ? 'was' : 'were'} written more than once (e.g. ${id} ${twice[0][0]}): the crash replayed events whose results had already been written, and at-least-once writes them again.`,
      );
    }
    return pass(`A crash replayed ${plural(replayed, 'event')}, and every result on ${topic} is there once.`);
  },
};

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();
function schemaCheck(schema: unknown): ValidateFunction {
  const text = JSON.stringify(schema);
  let fn = compiled.get(text);
  if (!fn) compiled.set(text, (fn = (ajv ??= new Ajv({ allErrors: false, strict: false })).compile(schema as object)));
  return fn;
}

const allMalformedDeadLettered: CheckKind = {
  kind: 'all-malformed-dead-lettered',
  summary: 'Every event of the source `topic` that fails `schema` (a JSON Schema), once processed, is in the dead-letter topic, and at least one was.',
  params: { type: 'object', properties: { topic: str, schema: { type: 'object' } }, required: ['topic', 'schema'] },
  evaluate(run, p) {
    const [topic, schema] = [text(p.topic), p.schema];
    const valid = schemaCheck(schema);
    const committed = new Map(
      last(run)
        .partitions.filter((p) => p.topic === topic)
        .map((p) => [p.partition, p.committed]),
    );
    const malformed = run.messages(String(topic)).filter((m) => m.offset < (committed.get(m.partition) ?? 0) && !valid(m.value));
    if (malformed.length === 0) return fail(`No malformed event of ${topic} has been processed yet. Let the simulation run longer.`);
    const dead = new Set(
      run
        .messages(run.deadLetterTopic)
        .map((m) => `${m.headers['pipewright.source.topic']}/${m.headers['pipewright.source.partition']}/${m.headers['pipewright.source.offset']}`),
    );
    const missing = malformed.filter((m) => !dead.has(`${topic}/${m.partition}/${m.offset}`));
    if (missing.length) {
      const m = missing[0];
      return fail(
        `${missing.length} of ${plural(malformed.length, 'malformed event')} of ${topic} ${missing.length === 1 ? 'is' : 'are'} not in the dead-letter topic (first: ${topic}[${m.partition}] offset ${m.offset}, ${JSON.stringify(m.value)}): they went on through the pipeline, or were dropped without a trace.`,
      );
    }
    return pass(
      `All ${plural(malformed.length, 'malformed event')} of ${topic} are in the dead-letter topic ${run.deadLetterTopic}, with the reason in their headers.`,
    );
  },
};

const groupUnaffected: CheckKind = {
  kind: 'group-unaffected',
  summary: 'Your group went through a crash or rebalance, and meanwhile `group` kept up: its lag at most `maxLag` at the end, nothing redelivered to it.',
  params: { type: 'object', properties: { group: str, maxLag: count }, required: ['group', 'maxLag'] },
  evaluate(run, p) {
    const [group, maxLag] = [text(p.group), Number(p.maxLag)];
    const first = run.snapshots[0];
    const end = last(run);
    if (end.generation === first.generation)
      return fail("Nothing has happened to your pipeline's group yet: kill or add a replica while events flow, then check again.");
    const g = groupOf(end, String(group));
    if (!g) return fail(`There is no consumer group "${group}" in this simulation.`);
    if (g.delivered === 0) return fail(`Group ${group} has received nothing yet. Let the simulation run.`);
    if (g.redelivered > 0) return fail(`Group ${group} had ${plural(g.redelivered, 'record')} delivered again.`);
    if (g.lag > Number(maxLag))
      return fail(`Group ${group} is ${plural(g.lag, 'record')} behind (at most ${maxLag} wanted): it does not keep up with the topic.`);
    return pass(
      `Your group rebalanced (generation ${first.generation} → ${end.generation}), and group ${group} kept its own offsets: ${plural(g.delivered, 'record')} delivered, lag ${g.lag}.`,
    );
  },
};

const noDataLost: CheckKind = {
  kind: 'no-data-lost',
  summary: 'A broker was down during the run, writes were acknowledged, and no acknowledged record is missing from the log.',
  params: { type: 'object', properties: {} },
  evaluate(run) {
    const end = last(run);
    if (!end.cluster) return fail('This simulation has a single broker; the exercise needs its cluster set-up.');
    const downs = run.snapshots.flatMap((s) => s.cluster?.brokers.filter((b) => !b.up).map((b) => b.id) ?? []);
    if (downs.length === 0) return fail('No broker has failed yet: let the simulation run until one does, then check again.');
    if (end.cluster.acknowledged === 0) return fail('No write has been acknowledged yet: the producers could not write. Let it run.');
    if (end.cluster.lostRecords > 0) {
      return fail(
        `${plural(end.cluster.lostRecords, 'acknowledged record')} ${end.cluster.lostRecords === 1 ? 'is' : 'are'} no longer in the log: broker ${listOf([...new Set(downs)])} went down holding writes that no other replica had, and they were acknowledged anyway.`,
      );
    }
    return pass(
      `Broker ${listOf([...new Set(downs)])} went down and all ${plural(end.cluster.acknowledged, 'acknowledged write')} survived${end.cluster.refusedWrites ? ` (${end.cluster.refusedWrites} refused while too few replicas were in sync, and retried)` : ''}.`,
    );
  },
};

export const CHECK_KINDS: readonly CheckKind[] = [
  lagBelow,
  noLateEvents,
  perKeyCounts,
  keyInOnePartition,
  results,
  members,
  noIdleMember,
  memberIdle,
  noDoubleCounts,
  allMalformedDeadLettered,
  groupUnaffected,
  noDataLost,
];

export function getCheckKind(kind: string): CheckKind | undefined {
  return CHECK_KINDS.find((k) => k.kind === kind);
}

export interface CheckResult extends Verdict {
  kind: string;
}

/** Every check of an exercise on one run; the exercise passes when all pass. */
export function evaluateChecks(checks: readonly CheckSpec[], run: SimRun): CheckResult[] {
  return checks.map(({ kind, ...params }) => {
    const k = getCheckKind(kind);
    if (!k) return { kind, pass: false, reason: `Unknown check "${kind}".` };
    if (run.snapshots.length === 0) return { kind, pass: false, reason: 'The simulation has not started yet.' };
    try {
      return { kind, ...k.evaluate(run, params) };
    } catch (e) {
      return { kind, pass: false, reason: `The check could not be evaluated: ${e instanceof Error ? e.message : String(e)}` };
    }
  });
}
