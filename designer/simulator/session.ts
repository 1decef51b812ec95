/**
 * A simulation session: the runtime's Simulator plus what the designer shows
 * of it: per-edge counts, rates and the last events on each edge, node
 * sparklines, lag over time per partition, topic lanes and which key went to
 * which partition. No React and no worker API here, so the worker is a thin
 * message loop around it and the tests drive it directly in Node.
 */
import { simulatorFromPlan, type SimPlan } from '../../codegen/sim-plan.js';
import { changelogTopic, repartitionTopic } from '../../runtime/engine/state.js';
import { applyWindowChangelog, describeWindow, windowStoreView } from '../../runtime/kinds/window.js';
import type { Rec } from '../../runtime/types.js';
import type { Note, SimSnapshot, Simulator } from '../../runtime/simulator/simulator.js';
import type { ClusterSpec, ClusterView } from '../../runtime/simulator/cluster.js';
import type { ExtraGroupSpec, GroupView } from '../../runtime/simulator/readers.js';

export interface SimSettings {
  seed: number;
  replicas: number;
  /** Events each source produces per tick. */
  rate: number;
  /** Most events a replica takes from one partition per tick. */
  batchSize: number;
  /** Other groups reading a topic beside the pipeline's own. */
  groups?: ExtraGroupSpec[];
  /** Brokers with replication (an exercise's set-up); without it, one perfect broker. */
  cluster?: ClusterSpec;
}

export const DEFAULT_SETTINGS: SimSettings = { seed: 1, replicas: 1, rate: 5, batchSize: 10 };

/** How many samples the sparklines and the lag chart keep. */
export const HISTORY = 60;
/** Events kept per edge for the edge inspector. */
export const LAST_EVENTS = 5;
/** Snapshots a session keeps for an exercise's checks (the first one and the latest ones). */
export const RUN_HISTORY = 5000;
/** Distinct keys listed per topic in the key → partition table. */
export const KEYS_SHOWN = 24;

export interface EdgeEvent {
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
  value: string;
  /** A table's delete of the row of `key` (its value is null). */
  deleted?: boolean;
}

export interface EdgeView {
  count: number;
  /** Events per simulated second over the last samples. */
  rate: number;
  last: EdgeEvent[];
}

export interface TopicView {
  name: string;
  role: 'source' | 'sink' | 'dead-letter' | 'internal';
  partitions: { partition: number; endOffset: number; recentKeys: (string | null)[] }[];
  /** Distinct keys and the partition murmur2 put each in, in order of first appearance. */
  keys: { key: string; partition: number }[];
}

/** A window node's state as its changelog shows it: what a teacher points at when windows close. */
export interface WindowView {
  node: string;
  /** "tumbling 1h, grace 10m" and the like. */
  describe: string;
  /** Per partition of the stream the node works on: the largest event time seen, or null before any. */
  watermarks: { partition: number; watermark: number | null }[];
  /** Open windows, earliest first (at most WINDOWS_SHOWN), and how many there are in all. */
  open: { key: string; start: number; end: number; count: number; partition: number }[];
  openCount: number;
  /** Results emitted so far (windows closed), and the last few. */
  closed: number;
  lastClosed: EdgeEvent[];
  /** Events that failed in the node: late ones, mostly. */
  late: number;
}

export const WINDOWS_SHOWN = 40;

export interface SimView {
  tick: number;
  time: number;
  tickMs: number;
  produced: number;
  replayed: number;
  /** Exactly-once: outputs of transactions a crash aborted. */
  aborted: number;
  deadLetters: number;
  generation: number;
  members: { id: string; assigned: string[]; idle: boolean; processed: number; restored: number }[];
  partitions: { topic: string; partition: number; endOffset: number; committed: number; lag: number; owner: string | null }[];
  /** Lag per consumed partition ("topic[p]"), one value per sample, oldest first; `ticks` gives the sample ticks. */
  lag: { ticks: number[]; series: Record<string, number[]> };
  nodes: Record<string, { in: number; out: number; errors: number; spark: number[] }>;
  /** By `${from}\u0000${port}`: every edge leaving that port carries the same events. */
  edges: Record<string, EdgeView>;
  topics: TopicView[];
  notes: Note[];
  windows: WindowView[];
  /** The extra groups (consumer, share, queue) and what each received. */
  groups: GroupView[];
  settings: SimSettings;
  /** Brokers, partition leaders, replicas and ISR, when the run has a cluster. */
  cluster?: ClusterView;
}

export const edgeKey = (from: string, port: string) => `${from}\u0000${port}`;

function preview(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof Uint8Array) text = `<${value.length} bytes>`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

const short = (text: string) => (text.length > 90 ? `${text.slice(0, 89)}…` : text);

function push<T>(list: T[], x: T, max: number): void {
  list.push(x);
  if (list.length > max) list.shift();
}

export class SimSession {
  readonly sim: Simulator;
  private readonly edgeCounts = new Map<string, number>();
  private readonly edgeLast = new Map<string, Rec[]>();
  private readonly edgeRate = new Map<string, { counts: number[]; ticks: number[] }>();
  private readonly spark = new Map<string, { last: number; series: number[] }>();
  private readonly lagTicks: number[] = [];
  private readonly lagSeries = new Map<string, number[]>();
  private readonly readPos = new Map<string, number>();
  private readonly recent = new Map<string, (string | null)[]>();
  private readonly keys = new Map<string, Map<string, number>>();
  /** Window nodes: their changelog's latest value per partition and store key, read as it grows. */
  private readonly windowState = new Map<string, { changelog: string; partitions: Map<number, Map<string, unknown>>; closed: number; late: number }>();
  private readonly extraNotes: Note[] = [];
  /** Nodes that emit updates (see the constructor): results noted so far. */
  private readonly updating = new Map<string, number>();
  /** Per node: the table deletes it emitted, how many a note has told, and the last key deleted. */
  private readonly tableDeletes = new Map<string, { seen: number; noted: number; key: string | null }>();

  /** Every tick's snapshot (the first, then the latest RUN_HISTORY), for an exercise's checks. */
  readonly history: SimSnapshot[] = [];
  /** Simulated time of tick 0. */
  readonly startTime: number;

  private countDelete(node: string, key: string | null): void {
    let d = this.tableDeletes.get(node);
    if (!d) this.tableDeletes.set(node, (d = { seen: 0, noted: 0, key: null }));
    d.seen++;
    d.key = key;
  }

  constructor(
    readonly plan: SimPlan,
    readonly settings: SimSettings = DEFAULT_SETTINGS,
    graph: { readFile?: (path: string) => Promise<Uint8Array> } = {},
    /** What happens to the run as simulated time passes (an exercise's script and a solution's actions: exercise-actions.ts). */
    private readonly script?: { applyDue(sim: Simulator): number },
  ) {
    this.sim = simulatorFromPlan(plan, settings, {
      ...graph,
      onEmit: (node, port, rec) => {
        const k = edgeKey(node, port);
        this.edgeCounts.set(k, (this.edgeCounts.get(k) ?? 0) + 1);
        let last = this.edgeLast.get(k);
        if (!last) this.edgeLast.set(k, (last = []));
        push(last, rec, LAST_EVENTS);
        if (rec.deleted && port === 'out') this.countDelete(node, rec.key);
      },
    });
    for (const n of plan.spec.nodes) {
      if (n.kind === 'window') this.windowState.set(n.id, { changelog: changelogTopic(plan.spec.pipeline, n.id), partitions: new Map(), closed: 0, late: 0 });
      // Nodes whose every result updates the one before it under the same key: aggregates, and windows with emit: changes.
      if (n.kind === 'aggregate' || (n.kind === 'window' && n.params.emit === 'changes')) this.updating.set(n.id, 0);
    }
    this.startTime = this.sim.now;
    this.sample();
    if (this.script?.applyDue(this.sim)) this.afterAction();
  }

  async step(): Promise<void> {
    await this.sim.step();
    if (this.script?.applyDue(this.sim)) this.afterAction();
    this.sample();
  }

  private afterAction(): void {
    this.settings.replicas = this.sim.group.members.length;
    this.settings.rate = this.sim.rate;
    this.sample();
  }

  private record(snap: SimSnapshot): void {
    if (this.history.at(-1)?.tick === snap.tick && this.history.length > 1) this.history.pop();
    this.history.push(snap);
    // The first snapshot stays: checks compare against the start.
    if (this.history.length > RUN_HISTORY) this.history.splice(1, 1);
  }

  async stepOne(): Promise<void> {
    await this.sim.stepOne();
    this.sample();
  }

  setRate(rate: number): void {
    this.sim.rate = Math.max(0, rate);
    this.settings.rate = this.sim.rate;
  }

  addReplica(): void {
    this.sim.addReplica();
    this.settings.replicas = this.sim.group.members.length;
    this.sample();
  }

  removeReplica(): void {
    this.sim.removeReplica();
    this.settings.replicas = this.sim.group.members.length;
    this.sample();
  }

  killReplica(id?: string): void {
    this.sim.killReplica(id);
    this.settings.replicas = this.sim.group.members.length;
    this.sample();
  }

  addGroup(spec: ExtraGroupSpec): void {
    this.sim.addGroup(spec);
    this.settings.groups = this.sim.readers.specs();
  }

  removeGroup(name: string): void {
    this.sim.removeGroup(name);
    this.settings.groups = this.sim.readers.specs();
  }

  addGroupMember(name: string): void {
    this.sim.addGroupMember(name);
    this.settings.groups = this.sim.readers.specs();
  }

  killGroupMember(name: string, memberId?: string): void {
    this.sim.killGroupMember(name, memberId);
    this.settings.groups = this.sim.readers.specs();
  }

  slowGroupMember(name: string, memberId: string, factor: number): void {
    this.sim.slowGroupMember(name, memberId, factor);
  }

  killBroker(id: number): void {
    this.sim.killBroker(id);
    this.sample();
  }

  restartBroker(id: number): void {
    this.sim.restartBroker(id);
    this.sample();
  }

  slowBroker(id: number, factor: number): void {
    this.sim.slowBroker(id, factor);
    this.sample();
  }

  /** Applies acks, min.insync.replicas and unclean election at once; false when the change needs a new run (brokers on or off, their count, the replication factor). */
  setCluster(cluster: ClusterSpec | null): boolean {
    const now = this.sim.cluster?.spec;
    if (!cluster || !now || cluster.brokers !== now.brokers || cluster.replicationFactor !== now.replicationFactor) return !cluster && !now;
    this.sim.setCluster(cluster);
    this.settings.cluster = { ...cluster };
    return true;
  }

  /**
   * The events each source has fed so far, earliest first, at most `max` per
   * source, with the times the simulator stamped them with: the input of a
   * test recorded from this run. `total` counts them all.
   */
  recording(max: number): { inputs: Record<string, { key?: string; value: unknown; timestamp: number }[]>; total: number } {
    const inputs: Record<string, { key?: string; value: unknown; timestamp: number }[]> = {};
    let total = 0;
    for (const f of this.plan.feeds) {
      const all = this.sim.log.hasTopic(f.topic) ? this.sim.log.messages(f.topic) : [];
      total += all.length;
      // Stable: events of one tick keep their order within a partition, and so per key.
      const first = all.sort((a, b) => a.timestamp - b.timestamp).slice(0, max);
      inputs[f.node] = first.map((m) => {
        let value: unknown = m.value;
        if (typeof value === 'string' && f.format !== 'string') {
          try {
            value = JSON.parse(value);
          } catch {
            // kept as the text it is
          }
        }
        return { ...(m.key === null ? {} : { key: m.key }), value, timestamp: m.timestamp };
      });
    }
    return { inputs, total };
  }

  /** Record one point of every time series: node throughput, edge counts for rates, lag per partition. */
  sample(): void {
    const snap = this.sim.snapshot();
    this.record(snap);
    this.watchWindows(snap.tick, snap.nodes);
    this.watchTables(snap.tick);
    for (const [id, s] of Object.entries(snap.nodes)) {
      let sp = this.spark.get(id);
      if (!sp) this.spark.set(id, (sp = { last: 0, series: [] }));
      push(sp.series, s.in - sp.last, HISTORY);
      sp.last = s.in;
    }
    if (this.lagTicks.at(-1) === snap.tick) {
      // Several samples in one tick (a rebalance, then a step): the latest wins.
      this.lagTicks.pop();
      for (const s of this.lagSeries.values()) s.pop();
    }
    push(this.lagTicks, snap.tick, HISTORY);
    for (const p of snap.partitions) {
      const k = `${p.topic}[${p.partition}]`;
      let s = this.lagSeries.get(k);
      if (!s) this.lagSeries.set(k, (s = []));
      while (s.length < this.lagTicks.length - 1) s.unshift(0);
      push(s, p.lag, HISTORY);
    }
    for (const [k, count] of this.edgeCounts) {
      let r = this.edgeRate.get(k);
      if (!r) this.edgeRate.set(k, (r = { counts: [], ticks: [] }));
      if (r.ticks.at(-1) === snap.tick) {
        r.ticks.pop();
        r.counts.pop();
      }
      push(r.counts, count, 11);
      push(r.ticks, snap.tick, 11);
    }
  }

  view(): SimView {
    const snap = this.sim.snapshot();
    const tickMs = this.sim.tickMs;
    const edges: SimView['edges'] = {};
    for (const [k, count] of this.edgeCounts) {
      const r = this.edgeRate.get(k);
      const dt = r && r.ticks.length > 1 ? (r.ticks.at(-1)! - r.ticks[0]) * tickMs : 0;
      const rate = r && dt > 0 ? ((r.counts.at(-1)! - r.counts[0]) * 1000) / dt : 0;
      edges[k] = {
        count,
        rate: Math.round(rate * 10) / 10,
        last: (this.edgeLast.get(k) ?? []).map((rec) => ({
          key: rec.key,
          topic: rec.origin.topic,
          partition: rec.origin.partition,
          offset: rec.origin.offset,
          value: preview(rec.value),
          ...(rec.deleted ? { deleted: true } : {}),
        })),
      };
    }
    const nodes: SimView['nodes'] = {};
    for (const [id, s] of Object.entries(snap.nodes)) nodes[id] = { ...s, spark: [...(this.spark.get(id)?.series ?? [])] };
    const series: Record<string, number[]> = {};
    for (const [k, s] of this.lagSeries) series[k] = [...s];
    return {
      tick: snap.tick,
      time: snap.time,
      tickMs,
      produced: snap.produced,
      replayed: snap.replayed,
      aborted: snap.aborted,
      deadLetters: snap.deadLetters,
      generation: snap.generation,
      members: snap.members,
      partitions: snap.partitions,
      lag: { ticks: [...this.lagTicks], series },
      nodes,
      edges,
      topics: this.topicViews(),
      notes: this.notes(),
      windows: this.windowViews(snap.nodes),
      groups: snap.groups,
      settings: { ...this.settings },
      ...(snap.cluster ? { cluster: snap.cluster } : {}),
    };
  }

  /** The simulator's notes and the session's own (windows), in tick order, the latest 30. */
  private notes(): Note[] {
    const all = [...this.sim.notes.slice(-30), ...this.extraNotes.slice(-30)];
    all.sort((a, b) => a.tick - b.tick);
    return all.slice(-30);
  }

  /** Notes when windows close or events come late, once per tick and node. */
  private watchWindows(tick: number, nodes: Record<string, { errors: number }>): void {
    for (const [id, noted] of this.updating) {
      const emitted = this.edgeCounts.get(edgeKey(id, 'out')) ?? 0;
      if (emitted <= noted) continue;
      const last = this.edgeLast.get(edgeKey(id, 'out'))?.at(-1);
      const n = emitted - noted;
      this.note(
        tick,
        'updated',
        `${id} emitted ${n} updated result${n === 1 ? '' : 's'}${last ? ` (last: ${short(`${last.key ?? ''} → ${preview(last.value)}`)})` : ''}: each replaces the one before it under the same key, so the latest per key is the table.`,
      );
      this.updating.set(id, emitted);
    }
    for (const [id, w] of this.windowState) {
      const closed = this.edgeCounts.get(edgeKey(id, 'out')) ?? 0;
      // With emit: changes, results are updates (noted above), not closed windows.
      if (this.updating.has(id)) w.closed = closed;
      if (closed > w.closed) {
        const last = this.edgeLast.get(edgeKey(id, 'out'))?.at(-1);
        const n = closed - w.closed;
        this.note(
          tick,
          'window-closed',
          `${n} window${n === 1 ? '' : 's'} of ${id} closed: the watermark passed ${n === 1 ? 'its' : 'their'} end plus the grace, so ${n === 1 ? 'its result was' : 'their results were'} emitted${last ? ` (last: ${short(preview(last.value))})` : ''}. A closed window takes no more events.`,
        );
        w.closed = closed;
      }
      const late = nodes[id]?.errors ?? 0;
      if (late > w.late) {
        const n = late - w.late;
        this.note(
          tick,
          'late',
          `${n} event${n === 1 ? '' : 's'} reached ${id} after ${n === 1 ? 'its windows' : 'their windows'} had closed (or could not be windowed) and went to the error port or the dead-letter topic.`,
        );
        w.late = late;
      }
    }
  }

  /** A note when a table (or a table–table join) deleted rows since the last tick. */
  private watchTables(tick: number): void {
    for (const [id, d] of this.tableDeletes) {
      if (d.seen === d.noted) continue;
      const n = d.seen - d.noted;
      d.noted = d.seen;
      const kind = this.plan.spec.nodes.find((x) => x.id === id)?.kind;
      // Filters and maps only pass deletes on; the table (or the join) that made them says so.
      if (kind !== 'table' && kind !== 'join') continue;
      this.note(
        tick,
        'table-delete',
        kind === 'join'
          ? `${id} deleted ${n} joined row${n === 1 ? '' : 's'} (last: ${d.key}): a side's row was deleted, so the joined row goes downstream as a delete, its key with the value null.`
          : `${id} deleted ${n} row${n === 1 ? '' : 's'} (last: ${d.key}): a tombstone (null value) on its topic removes the row; the delete goes on by key with the value null, filters and maps pass it unevaluated, a join no longer finds the row, and a Kafka sink writes a tombstone.`,
      );
    }
  }

  private note(tick: number, kind: Note['kind'], text: string): void {
    push(this.extraNotes, { tick, kind, text }, 100);
  }

  private windowViews(nodes: Record<string, { errors: number }>): WindowView[] {
    const log = this.sim.log;
    return [...this.windowState].map(([id, w]) => {
      const describe = describeWindow(this.plan.spec.nodes.find((n) => n.id === id)!.params);
      const partitions = log.hasTopic(w.changelog) ? log.partitionCount(w.changelog) : 0;
      const watermarks: WindowView['watermarks'] = [];
      const open: WindowView['open'] = [];
      for (let partition = 0; partition < partitions; partition++) {
        let state = w.partitions.get(partition);
        if (!state) w.partitions.set(partition, (state = new Map<string, unknown>()));
        const k = `window\u0000${w.changelog}\u0000${partition}`;
        const from = this.readPos.get(k) ?? 0;
        for (const m of log.read(w.changelog, partition, from)) {
          const key = typeof m.key === 'string' ? m.key : m.key === null ? '' : new TextDecoder().decode(m.key);
          applyWindowChangelog(state, key, m.value);
        }
        this.readPos.set(k, log.endOffset(w.changelog, partition));
        const view = windowStoreView(state);
        watermarks.push({ partition, watermark: view.watermark });
        for (const window of view.open) open.push({ ...window, partition });
      }
      open.sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : 1));
      const lastClosed = (this.edgeLast.get(edgeKey(id, 'out')) ?? []).map((rec) => ({
        key: rec.key,
        topic: rec.origin.topic,
        partition: rec.origin.partition,
        offset: rec.origin.offset,
        value: preview(rec.value),
      }));
      return {
        node: id,
        describe,
        watermarks,
        open: open.slice(0, WINDOWS_SHOWN),
        openCount: open.length,
        closed: w.closed,
        lastClosed,
        late: nodes[id]?.errors ?? 0,
      };
    });
  }

  private topicViews(): TopicView[] {
    const sources = new Set(this.plan.feeds.map((f) => f.topic));
    const dead = this.plan.spec.errors.topic;
    const internal = new Set(
      this.plan.spec.nodes.flatMap((n) => [changelogTopic(this.plan.spec.pipeline, n.id), repartitionTopic(this.plan.spec.pipeline, n.id)]),
    );
    const log = this.sim.log;
    const names = [...new Set([...this.plan.topics.map((t) => t.name), dead])].filter((t) => log.hasTopic(t));
    return names.map((name) => {
      const role: TopicView['role'] = sources.has(name) ? 'source' : name === dead ? 'dead-letter' : internal.has(name) ? 'internal' : 'sink';
      let keys = this.keys.get(name);
      if (!keys) this.keys.set(name, (keys = new Map<string, number>()));
      const partitions = Array.from({ length: log.partitionCount(name) }, (_, partition) => {
        const k = `${name}\u0000${partition}`;
        const end = log.endOffset(name, partition);
        const from = Math.max(this.readPos.get(k) ?? 0, end - 200);
        let recent = this.recent.get(k);
        if (!recent) this.recent.set(k, (recent = []));
        if (from < end) {
          for (const m of log.read(name, partition, from)) {
            const key = m.key === null ? null : typeof m.key === 'string' ? m.key : new TextDecoder().decode(m.key);
            push(recent, key, 8);
            if (key !== null && !keys.has(key) && keys.size < KEYS_SHOWN) keys.set(key, partition);
          }
        }
        this.readPos.set(k, end);
        return { partition, endOffset: end, recentKeys: [...recent] };
      });
      return { name, role, partitions, keys: [...keys].map(([key, partition]) => ({ key, partition })) };
    });
  }
}
