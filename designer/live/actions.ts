/**
 * What the live panels do: each reads the stores when it runs (the live store of the page, and the
 * store of the designer it acts on, which it is given), asks the server, and puts the answer
 * (or the failure, in plain words) where the panels show it. Anything that writes to the cluster
 * outside the run's scratch prefix asks first, saying what will be written.
 */
import { shapeDifferences } from '../../codegen/infer.js';
import { deadLetterTopic, type Pipeline } from '../../codegen/pipeline.js';
import { getKind } from '../../runtime/kinds/registry.js';
import type { DesignerStore } from '../store/index.js';
import { LiveError, type LiveClient, type MessageFormat } from './api.js';
import { live, setLive, type Confirm } from './store.js';
import { nextLiveView } from './view.js';

const client = (): LiveClient => {
  const c = live().client;
  if (!c) throw new Error('not in live mode');
  return c;
};
const words = (e: unknown) => (e instanceof LiveError ? e.text : e instanceof Error ? e.message : String(e));

/** Run `fn`; a failure lands in the panel's error line instead of escaping. */
async function guarded<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    const out = await fn();
    return out;
  } catch (e) {
    setLive({ error: words(e) });
    return undefined;
  }
}

export const ask = (confirm: Confirm | null) => setLive({ confirm });

export async function refreshStatus(): Promise<void> {
  const status = await guarded(() => client().status());
  if (status) setLive({ status });
}

export async function refreshTopics(): Promise<void> {
  const topics = await guarded(() => client().topics());
  if (topics) setLive({ topics, error: null });
  const open = live().topic;
  if (open) await openTopic(open.name);
}

export async function openTopic(name: string): Promise<void> {
  const topic = await guarded(() => client().topic(name));
  if (!topic) return;
  const keep = live().peek?.topic === name;
  setLive({ topic, error: null, ...(keep ? {} : { peek: null }) });
}

export async function refreshGroups(): Promise<void> {
  const groups = await guarded(() => client().groups());
  if (groups) setLive({ groups, error: null });
}

export async function peek(topic: string, partition: number, limit: number, format: MessageFormat = 'json'): Promise<void> {
  const messages = await guarded(() => client().peek(topic, partition, limit, format));
  if (messages) setLive({ peek: { topic, partition, limit, messages }, error: null });
}

/** Retry a request the server refused for want of a confirmation, after the user said yes. */
function confirming(title: string, lines: string[], label: string, testId: string, run: () => Promise<unknown>, then?: () => void): void {
  ask({
    title,
    lines,
    testId,
    actions: [
      {
        label,
        danger: true,
        run: async () => {
          ask(null);
          if ((await guarded(run)) !== undefined) then?.();
        },
      },
    ],
  });
}

export function createTopic(name: string, partitions: number): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name))
    return setLive({ error: `“${name}” is not a valid topic name: use letters, digits, “.”, “_” and “-” (at most 249).` });
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000) return setLive({ error: 'Partitions must be a whole number from 1 to 1000.' });
  confirming(
    'Create a topic on the cluster?',
    [`Creates topic “${name}” with ${partitions} partition${partitions === 1 ? '' : 's'} on ${live().status?.brokers.join(', ') ?? 'the cluster'}.`],
    'Create topic',
    'live-confirm-create-topic',
    () => client().createTopic(name, partitions, true),
    () => void refreshTopics(),
  );
}

export function resetOffsets(group: string, topic: string, to: 'earliest' | 'latest'): void {
  confirming(
    'Reset the group’s offsets?',
    [
      `Commits new offsets for group “${group}” on every partition of “${topic}”: the ${to} offset of each.`,
      to === 'earliest' ? 'The group reads the topic again from the start: its outputs are written again.' : 'The group skips what it has not read yet.',
      'The group must have no active members.',
    ],
    `Reset to ${to}`,
    'live-confirm-reset',
    () => client().resetOffsets(group, topic, to, true),
    () => void refreshGroups(),
  );
}

/** Topics a Kafka sink of the pipeline writes, then its dead-letter topic. */
export function writtenTopics(p: Pipeline): string[] {
  const out: string[] = [];
  for (const n of p.nodes) {
    const kind = getKind(n.kind);
    if (kind?.category !== 'sink' || !kind.topicParam) continue;
    const t = n.params[kind.topicParam];
    if (typeof t === 'string' && t && !out.includes(t)) out.push(t);
  }
  if (p.errors.policy === 'dead-letter') out.push(deadLetterTopic(p));
  return out;
}

/** A topic's name in the running run: under its prefix unless it writes to the real topics. */
export const runTopic = (name: string) => `${live().run?.prefix ?? ''}${name}`;

/** Fill a Kafka source's samples from the messages on its topic, with what differs from the samples it had. */
export async function sampleFromTopic(store: DesignerStore, nodeId: string, limit = 20): Promise<{ count: number; mismatch: string[] } | undefined> {
  const node = store.getState().pipeline.nodes.find((n) => n.id === nodeId);
  const kind = node && getKind(node.kind);
  const topic = kind?.topicParam ? node?.params[kind.topicParam] : undefined;
  if (!node || typeof topic !== 'string' || !topic) {
    setLive({ error: 'Set the source’s topic first.' });
    return undefined;
  }
  // Decoded as the source decodes them.
  const format = node.params.format === 'string' || node.params.format === 'bytes' ? node.params.format : 'json';
  const answer = await guarded(() => client().sample(topic, limit, format));
  if (!answer) return undefined;
  if (answer.events.length === 0) {
    setLive({ error: `Topic “${topic}” has no messages to sample yet; produce some, then sample again.` });
    return undefined;
  }
  // Against the samples on the canvas (the server compares with the file's, which may be older); the same words either way.
  const before = node.samples?.map((s) => s.value) ?? [];
  const here = before.length
    ? shapeDifferences(
        before,
        answer.events.map((e) => e.value),
      )
    : [];
  const mismatch = [...new Set([...here, ...(answer.mismatch ?? [])])];
  store.getState().setSamples(
    nodeId,
    answer.events.map((e) => (e.key === null || e.key === undefined ? { value: e.value } : { key: e.key, value: e.value })),
  );
  setLive({ error: null });
  return { count: answer.events.length, mismatch };
}

export interface RunOptions {
  replicas: number;
  prefix?: string;
  real: boolean;
}

/** Save the canvas to the file (the run builds from the file), then start the run; asks before writing to real topics. */
export async function startRun(store: DesignerStore, options: RunOptions, saveFirst: () => Promise<boolean>): Promise<void> {
  if (!(await saveFirst())) return;
  const { replicas, prefix, real } = options;
  const begin = async (confirm: boolean): Promise<void> => {
    try {
      const run = await client().startRun({ replicas, ...(prefix ? { prefix } : {}), ...(real ? { writeToRealTopics: true, confirm } : {}) });
      groupAt = 0;
      setLive({ run, runStatus: null, runView: null, runGroup: null, error: null, tab: 'run' });
      const status = await guarded(() => client().run(run.runId));
      if (status) runReport(status);
    } catch (e) {
      if (e instanceof LiveError && e.status === 409 && !confirm) return askRealTopics(store, e.text, () => begin(true));
      setLive({ error: words(e) });
    }
  };
  if (real) return askRealTopics(store, undefined, () => begin(true));
  await begin(false);
}

function askRealTopics(store: DesignerStore, serverSays: string | undefined, go: () => Promise<void>): void {
  const topics = writtenTopics(store.getState().pipeline);
  ask({
    title: 'Write to the real topics?',
    testId: 'live-confirm-real-topics',
    lines: [
      ...(serverSays ? [serverSays] : []),
      `The run writes to these topics without a prefix, where other consumers read them: ${topics.join(', ') || 'none'}.`,
      'Topics it needs that do not exist are created.',
    ],
    actions: [{ label: 'Write to real topics', danger: true, run: () => (ask(null), go()) }],
  });
}

/** A run report (SSE or poll) for the run on screen. */
export function runReport(status: { runId: string } & Parameters<typeof nextLiveView>[1]): void {
  const s = live();
  if (!s.run || s.run.runId !== status.runId) return;
  setLive({ runStatus: status, runView: nextLiveView(s.runView, status, Date.now()) });
  if (Date.now() - groupAt > GROUP_EVERY_MS) {
    groupAt = Date.now();
    void refreshRunGroup(s.run.group);
  }
}

/** The run's group as the groups panel shows it (committed offsets, owners), a few seconds old at most. */
const GROUP_EVERY_MS = 5000;
let groupAt = 0;
async function refreshRunGroup(group: string): Promise<void> {
  const groups = await client()
    .groups()
    .catch(() => undefined);
  if (groups && live().run?.group === group) setLive({ runGroup: groups.find((g) => g.groupId === group) ?? null });
}

/** Stop asks whether to delete the run's scratch topics. */
export function stopRun(store: DesignerStore): void {
  const run = live().run;
  if (!run) return;
  const scratch = run.prefix ? (live().runStatus?.outputs.map((o) => o.topic) ?? []).filter((t) => t.startsWith(run.prefix)) : [];
  const stop = (deleteTopics: boolean) => async () => {
    ask(null);
    const done = await guarded(() => client().stopRun(run.runId, deleteTopics));
    if (!done) return;
    for (const t of Object.keys(live().tails)) if (t.startsWith(run.prefix)) void untail(t);
    setLive({ run: null, runStatus: null, runView: null, runGroup: null });
    store
      .getState()
      .toast(
        `Run stopped; its consumer group ${done.groupDeleted ? 'is deleted' : 'could not be deleted'}${done.topicsDeleted.length ? `, and ${done.topicsDeleted.length} scratch topic${done.topicsDeleted.length === 1 ? '' : 's'} deleted` : ''}.`,
        done.groupDeleted ? 'info' : 'error',
      );
  };
  ask({
    title: 'Stop the run?',
    testId: 'live-confirm-stop',
    lines: [
      `Stops ${live().runStatus?.replicas.length ?? ''} replica(s) and deletes the run’s consumer group “${run.group}”.`,
      run.prefix
        ? `Delete its scratch topics too (everything under “${run.prefix}”${scratch.length ? `: ${scratch.join(', ')}` : ''})? Keep them to read them after the run.`
        : 'The run wrote to the real topics; they are kept.',
    ],
    actions: run.prefix
      ? [
          { label: 'Stop and delete scratch topics', danger: true, run: stop(true) },
          { label: 'Stop, keep topics', run: stop(false) },
        ]
      : [{ label: 'Stop', danger: true, run: stop(false) }],
  });
}

export async function tail(topic: string): Promise<void> {
  if (topic in live().tails) return;
  setLive({ tails: { ...live().tails, [topic]: [] } });
  const ok = await guarded(() => client().tail(topic));
  if (ok === undefined) {
    const { [topic]: _, ...rest } = live().tails;
    setLive({ tails: rest });
  }
}

export async function untail(topic: string): Promise<void> {
  const { [topic]: _, ...rest } = live().tails;
  setLive({ tails: rest });
  await guarded(() => client().untail(topic));
}
