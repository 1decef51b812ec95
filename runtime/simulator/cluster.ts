/**
 * Brokers and replication for the simulator, for teaching: 1 to 5 brokers,
 * and for every partition of the topics the sources write, a replica set
 * (the replication factor), a leader, followers that fetch from it once a
 * tick, the in-sync replicas (ISR), a high watermark, min.insync.replicas
 * and the producer's acks. Brokers can be killed and restarted: leaders
 * fail over to an in-sync follower, a partition without a live in-sync
 * replica goes offline (or, with unclean leader election, is led by an
 * out-of-sync replica, and the acknowledged records only the old leader had
 * are lost).
 *
 * The log the consumers read is the leader's: a MemoryLog whose reads stop
 * at the high watermark. Followers are tracked by how far their copy
 * reaches (their log-end offset); a replica's copy is always a prefix of the
 * leader's log, except a dead one's after an unclean election, which it
 * truncates when it comes back. The topics the pipeline itself writes
 * (sinks, changelogs, repartition topics) stay on one perfect broker.
 * Portable: no Node and no DOM.
 */
import { MemoryLog, type StoredMessage } from '../transports/memory.js';
import type { OutMessage, RawMessage } from '../types.js';

export interface ClusterSpec {
  /** 1..5 */
  brokers: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  acks: 'all' | '1' | '0';
  uncleanLeaderElection: boolean;
  /** Ticks a follower may go without catching up before it drops out of the ISR (replica.lag.time.max.ms); 5 unless set. */
  replicaLagTicks?: number;
}

export type ClusterNoteKind = 'leader-elected' | 'under-replicated' | 'write-refused' | 'data-lost' | 'broker-down' | 'broker-up';

export interface ClusterPartitionView {
  topic: string;
  partition: number;
  leader: number | null;
  replicas: number[];
  isr: number[];
  underReplicated: boolean;
  offline: boolean;
  highWatermark: number;
  /** The leader's log-end offset: records past the high watermark are not replicated to the whole ISR yet. */
  logEndOffset: number;
  /** How far each replica's copy reaches, in the order of `replicas`. */
  replicaEnds: number[];
  /** Records the producer holds for this partition, waiting to be (re)sent. */
  backlog: number;
}

export interface ClusterView {
  spec: Required<ClusterSpec>;
  /** slow: the share of ticks the broker's followers fetch on (1 unless slowed; 0 stalled). */
  brokers: { id: number; up: boolean; slow?: number }[];
  partitions: ClusterPartitionView[];
  /** Records the producer was told were written (acks=0: as soon as sent). */
  acknowledged: number;
  /** Records a broker refused at least once with NotEnoughReplicas (acks=all, ISR below min.insync.replicas). */
  refusedWrites: number;
  /** Acknowledged records that are no longer in the log (truncated after a leader change). */
  lostRecords: number;
  /** Records waiting in the producer, over all partitions. */
  backlog: number;
}

export interface ClusterEvents {
  note(kind: ClusterNoteKind, text: string): void;
  /** A partition's log was cut back to `end` (consumers past it start again from there). */
  truncated(topic: string, partition: number, end: number): void;
}

interface Replica {
  broker: number;
  /** How far this replica's copy reaches. */
  end: number;
  lastCaughtUp: number;
  /** A dead replica's copy diverged from the leader's here: it truncates to it when it comes back. */
  truncateTo?: number;
}

interface PartitionReplicas {
  topic: string;
  partition: number;
  label: string;
  replicas: Replica[];
  leader: number | null;
  isr: Set<number>;
  hw: number;
  /** Records the producer still has to (re)send, in order. */
  backlog: OutMessage[];
  /** acks=all: records written and not yet acknowledged, by offset. */
  unacked: Map<number, OutMessage>;
  /** acks=all: records written whose acknowledgement failed (the producer sent them again), by offset. */
  failed: Set<number>;
  refusing: 'offline' | 'not-enough-replicas' | null;
}

const ACKS = ['all', '1', '0'] as const;

/** The spec with its defaults, or an error that says what is wrong and how to fix it. */
export function checkClusterSpec(spec: ClusterSpec): Required<ClusterSpec> {
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (!int(spec.brokers) || spec.brokers < 1 || spec.brokers > 5)
    throw new Error(`cluster.brokers is ${String(spec.brokers)}; the simulator runs 1 to 5 brokers`);
  if (!int(spec.replicationFactor) || spec.replicationFactor < 1 || spec.replicationFactor > spec.brokers) {
    throw new Error(`cluster.replicationFactor is ${String(spec.replicationFactor)}; it must be between 1 and the broker count (${spec.brokers})`);
  }
  if (!int(spec.minInsyncReplicas) || spec.minInsyncReplicas < 1 || spec.minInsyncReplicas > spec.replicationFactor) {
    throw new Error(
      `cluster.minInsyncReplicas is ${String(spec.minInsyncReplicas)}; it must be between 1 and the replication factor (${spec.replicationFactor})`,
    );
  }
  if (!ACKS.includes(spec.acks)) throw new Error(`cluster.acks is ${JSON.stringify(spec.acks)}; use "all", "1" or "0"`);
  if (typeof spec.uncleanLeaderElection !== 'boolean') throw new Error('cluster.uncleanLeaderElection must be true or false');
  const lag = spec.replicaLagTicks ?? 5;
  if (!int(lag) || lag < 1) throw new Error(`cluster.replicaLagTicks is ${String(spec.replicaLagTicks)}; use a whole number of ticks, at least 1`);
  return { ...spec, replicaLagTicks: lag };
}

/** "7", "7–9", "3, 7–9". */
export function offsetRanges(offsets: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < offsets.length;) {
    let j = i;
    while (j + 1 < offsets.length && offsets[j + 1] === offsets[j] + 1) j++;
    out.push(i === j ? String(offsets[i]) : `${offsets[i]}–${offsets[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class ClusterLog extends MemoryLog {
  spec: Required<ClusterSpec>;
  readonly brokers: { id: number; up: boolean; slow: number }[];
  acknowledged = 0;
  refusedWrites = 0;
  lostRecords = 0;
  private tick = 0;
  private topicCount = 0;
  private readonly parts = new Map<string, PartitionReplicas[]>();
  private readonly refused = new WeakSet<OutMessage>();

  constructor(
    spec: ClusterSpec,
    /** The topics that are replicated: those the sources write. */
    private readonly replicated: readonly string[],
    private readonly events: ClusterEvents,
  ) {
    super();
    this.spec = checkClusterSpec(spec);
    this.brokers = Array.from({ length: this.spec.brokers }, (_, i) => ({ id: i + 1, up: true, slow: 1 }));
  }

  override createTopic(name: string, partitions: number): void {
    const created = !this.hasTopic(name);
    super.createTopic(name, partitions);
    if (!created || !this.replicated.includes(name)) return;
    const { brokers, replicationFactor } = this.spec;
    const t = this.topicCount++;
    // Replicas spread round the brokers, each partition starting one further on, as Kafka places them.
    this.parts.set(
      name,
      Array.from({ length: partitions }, (_, partition) => {
        const replicas = Array.from({ length: replicationFactor }, (_, j) => ({ broker: ((t + partition + j) % brokers) + 1, end: 0, lastCaughtUp: 0 }));
        const isr = new Set(replicas.map((r) => r.broker));
        return {
          topic: name,
          partition,
          label: `${name}-${partition}`,
          replicas,
          leader: replicas[0].broker,
          isr,
          hw: 0,
          backlog: [],
          unacked: new Map(),
          failed: new Set(),
          refusing: null,
        };
      }),
    );
  }

  /** Writes to the replicated topics go to their partition's leader under the producer's acks; others as before. */
  override produce(messages: readonly OutMessage[]): { topic: string; partition: number; offset: number }[] {
    const plain: OutMessage[] = [];
    const touched = new Set<PartitionReplicas>();
    for (const m of messages) {
      const parts = this.parts.get(m.topic);
      if (!parts) {
        plain.push(m);
        continue;
      }
      const p = parts[m.partition ?? this.partitionFor(m)];
      // The producer keeps order per partition: behind anything it still has to send there.
      p.backlog.push({ ...m, partition: p.partition });
      touched.add(p);
    }
    const placed = [...touched].flatMap((p) => this.flush(p));
    return [...placed, ...super.produce(plain)];
  }

  /** Consumers read from the leader, and only up to the high watermark. */
  override read(topic: string, partition: number, from: number, max = Infinity): RawMessage[] {
    const p = this.parts.get(topic)?.[partition];
    if (!p) return super.read(topic, partition, from, max);
    if (p.leader === null) return [];
    return super.read(topic, partition, from, Math.max(0, Math.min(max, p.hw - from)));
  }

  /** What a consumer sees as the end of a replicated partition: its high watermark. */
  override endOffset(topic: string, partition: number): number {
    const p = this.parts.get(topic)?.[partition];
    return p ? p.hw : super.endOffset(topic, partition);
  }

  /** One tick of replication: the producer retries, followers fetch, the ISR and the high watermark move, acks=all writes are answered. */
  replicate(tick: number): void {
    this.tick = tick;
    for (const p of this.all()) {
      this.flush(p);
      if (p.leader === null) continue;
      const end = super.endOffset(p.topic, p.partition);
      for (const r of p.replicas) {
        if (r.broker === p.leader || this.fetches(r.broker)) {
          r.end = end;
          r.lastCaughtUp = tick;
          if (!p.isr.has(r.broker)) {
            p.isr.add(r.broker);
            this.events.note('under-replicated', `Broker ${r.broker} caught up on ${p.label} and is back in sync (ISR ${this.isrText(p)}).`);
          }
        } else if (p.isr.has(r.broker) && tick - r.lastCaughtUp > this.spec.replicaLagTicks) {
          p.isr.delete(r.broker);
          this.events.note(
            'under-replicated',
            `Broker ${r.broker} has not caught up on ${p.label} for ${this.spec.replicaLagTicks} ticks (${this.brokerState(r.broker)}), so it drops out of the ISR: ${p.label} is under-replicated (ISR ${this.isrText(p)} of replicas ${p.replicas.map((x) => x.broker).join(', ')}).`,
          );
        }
      }
      p.hw = Math.max(p.hw, Math.min(...p.replicas.filter((r) => p.isr.has(r.broker)).map((r) => r.end)));
      this.answerAcks(p);
    }
  }

  killBroker(id: number): void {
    const b = this.broker(id);
    if (!b.up) return;
    b.up = false;
    const leads = this.all().filter((p) => p.leader === id);
    const follows = this.all().filter((p) => p.leader !== id && p.replicas.some((r) => r.broker === id));
    this.events.note(
      'broker-down',
      `Broker ${id} died. It led ${plural(leads.length, 'partition')} and followed ${follows.length}` +
        (leads.length ? ': those it led need a new leader' : '') +
        (follows.length
          ? `${leads.length ? ';' : ':'} its follower copies stop fetching and drop out of the ISR after ${this.spec.replicaLagTicks} ticks`
          : '') +
        '.',
    );
    for (const p of leads) this.failOver(p, id);
  }

  restartBroker(id: number): void {
    const b = this.broker(id);
    if (b.up) return;
    b.up = true;
    const cut: string[] = [];
    for (const p of this.all()) {
      const r = p.replicas.find((x) => x.broker === id);
      if (!r) continue;
      if (r.truncateTo !== undefined) {
        cut.push(
          `it truncated ${p.label} from offset ${r.end} to ${r.truncateTo}, dropping ${plural(r.end - r.truncateTo, 'record')} the new leader never had`,
        );
        r.end = r.truncateTo;
        r.truncateTo = undefined;
      }
    }
    this.events.note(
      'broker-up',
      `Broker ${id} came back${cut.length ? `: ${cut.join('; ')}` : ''}. Its copies fetch from their leaders and rejoin the ISR once caught up.`,
    );
    for (const p of this.all()) if (p.leader === null) this.electOffline(p);
  }

  /** factor: the share of ticks the broker's followers fetch on (0 stalled, 1 normal). */
  slowBroker(id: number, factor: number): void {
    if (!(factor >= 0 && factor <= 1)) throw new Error(`a broker's speed is a share of ticks between 0 (stalled) and 1 (normal), not ${factor}`);
    this.broker(id).slow = factor;
  }

  /** acks, min.insync.replicas, unclean election and the lag time change at once; brokers and replication factor need a new run. */
  setCluster(change: Partial<ClusterSpec>): void {
    const next = checkClusterSpec({ ...this.spec, ...change });
    if (next.brokers !== this.spec.brokers || next.replicationFactor !== this.spec.replicationFactor) {
      throw new Error('the broker count and the replication factor are fixed while a simulation runs; reset it to change them');
    }
    this.spec = next;
    if (next.uncleanLeaderElection) for (const p of this.all()) if (p.leader === null) this.electOffline(p);
  }

  view(): ClusterView {
    const partitions = this.all().map((p) => ({
      topic: p.topic,
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas.map((r) => r.broker),
      isr: p.replicas.map((r) => r.broker).filter((b) => p.isr.has(b)),
      underReplicated: p.replicas.some((r) => !p.isr.has(r.broker)),
      offline: p.leader === null,
      highWatermark: p.hw,
      logEndOffset: super.endOffset(p.topic, p.partition),
      replicaEnds: p.replicas.map((r) => r.end),
      backlog: p.backlog.length,
    }));
    return {
      spec: { ...this.spec },
      brokers: this.brokers.map((b) => ({ id: b.id, up: b.up, ...(b.slow === 1 ? {} : { slow: b.slow }) })),
      partitions,
      acknowledged: this.acknowledged,
      refusedWrites: this.refusedWrites,
      lostRecords: this.lostRecords,
      backlog: partitions.reduce((n, p) => n + p.backlog, 0),
    };
  }

  private all(): PartitionReplicas[] {
    return [...this.parts.values()].flat();
  }

  private broker(id: number) {
    const b = this.brokers.find((x) => x.id === id);
    if (!b) throw new Error(`there is no broker ${id}; the brokers are 1 to ${this.brokers.length}`);
    return b;
  }

  private fetches(id: number): boolean {
    const b = this.broker(id);
    return b.up && Math.floor(this.tick * b.slow) > Math.floor((this.tick - 1) * b.slow);
  }

  private brokerState(id: number): string {
    const b = this.broker(id);
    return !b.up ? 'it is down' : b.slow === 0 ? 'it is stalled' : 'it is slow';
  }

  private isrText(p: PartitionReplicas): string {
    return p.isr.size ? [...p.isr].sort().join(', ') : 'empty';
  }

  /** Sends what the producer holds for a partition, in order, as far as the leader takes it. */
  private flush(p: PartitionReplicas): { topic: string; partition: number; offset: number }[] {
    const placed: { topic: string; partition: number; offset: number }[] = [];
    while (p.backlog.length > 0) {
      const why = p.leader === null ? 'offline' : this.spec.acks === 'all' && p.isr.size < this.spec.minInsyncReplicas ? 'not-enough-replicas' : null;
      if (why) {
        this.refuse(p, why);
        return placed;
      }
      const m = p.backlog.shift()!;
      const [at] = super.produce([m]);
      if (this.spec.acks === 'all') p.unacked.set(at.offset, m);
      else this.acknowledged++;
      placed.push(at);
    }
    if (p.refusing) {
      this.events.note('write-refused', `${p.label} takes writes again: the producer's waiting records are sent.`);
      p.refusing = null;
    }
    return placed;
  }

  private refuse(p: PartitionReplicas, why: 'offline' | 'not-enough-replicas'): void {
    if (why === 'not-enough-replicas') {
      for (const m of p.backlog) {
        if (this.refused.has(m)) continue;
        this.refused.add(m);
        this.refusedWrites++;
      }
    }
    if (p.refusing === why) return;
    p.refusing = why;
    this.events.note(
      'write-refused',
      why === 'offline'
        ? `${p.label} has no leader, so the producer cannot send to it: it keeps its records and retries, and the source backs up (${plural(p.backlog.length, 'record')} waiting).`
        : `NotEnoughReplicas: ${p.label} has ${plural(p.isr.size, 'in-sync replica')} (ISR ${this.isrText(p)}), fewer than min.insync.replicas=${this.spec.minInsyncReplicas}, so with acks=all the leader refuses writes. The producer retries and the source backs up (${plural(p.backlog.length, 'record')} waiting) until a follower is back in sync.`,
    );
  }

  /** acks=all: a write below the high watermark is answered, with an error when the ISR shrank below min.insync.replicas meanwhile. */
  private answerAcks(p: PartitionReplicas): void {
    const retry: OutMessage[] = [];
    for (const [offset, m] of p.unacked) {
      if (offset >= p.hw) continue;
      p.unacked.delete(offset);
      if (p.isr.size >= this.spec.minInsyncReplicas) this.acknowledged++;
      else {
        p.failed.add(offset);
        retry.push(m);
      }
    }
    if (retry.length === 0) return;
    p.backlog.unshift(...retry);
    this.events.note(
      'write-refused',
      `NotEnoughReplicasAfterAppend: ${plural(retry.length, 'record')} reached ${p.label}, but the ISR shrank to ${this.isrText(p)}, below min.insync.replicas=${this.spec.minInsyncReplicas}, before they were acknowledged; the producer sends them again (the log may hold them twice).`,
    );
  }

  /** The leader `from` is gone: an in-sync follower takes over, or, with unclean election, any live replica; else the partition is offline. */
  private failOver(p: PartitionReplicas, from: number): void {
    const live = p.replicas.filter((r) => r.broker !== from && this.broker(r.broker).up);
    const inSync = live.find((r) => p.isr.has(r.broker));
    if (inSync) {
      p.isr.delete(from);
      this.elect(p, inSync, `broker ${from} died: partition ${p.label} lost its leader; broker ${inSync.broker} (in sync) is the new leader`);
    } else if (this.spec.uncleanLeaderElection && live[0]) {
      this.elect(
        p,
        live[0],
        `broker ${from} died: partition ${p.label} lost its leader and no in-sync replica is alive; with unclean leader election, broker ${live[0].broker} (out of sync, its copy ends at offset ${live[0].end}) is the new leader`,
        true,
      );
    } else {
      p.leader = null;
      this.events.note(
        'leader-elected',
        `broker ${from} died: partition ${p.label} lost its leader and no in-sync replica is alive, so it is offline${this.spec.uncleanLeaderElection ? '' : ' (unclean leader election is off: it waits for an in-sync replica to come back)'}.`,
      );
    }
  }

  /** An offline partition gets a leader when an in-sync replica is back, or, with unclean election, any live replica. */
  private electOffline(p: PartitionReplicas): void {
    const live = p.replicas.filter((r) => this.broker(r.broker).up);
    const inSync = live.find((r) => p.isr.has(r.broker));
    if (inSync) this.elect(p, inSync, `partition ${p.label} was offline; broker ${inSync.broker} (in sync) is back and leads it`);
    else if (this.spec.uncleanLeaderElection && live[0]) {
      this.elect(
        p,
        live[0],
        `partition ${p.label} was offline; with unclean leader election, broker ${live[0].broker} (out of sync, its copy ends at offset ${live[0].end}) leads it`,
        true,
      );
    }
  }

  private elect(p: PartitionReplicas, r: Replica, text: string, unclean = false): void {
    p.leader = r.broker;
    if (unclean) p.isr = new Set([r.broker]);
    this.events.note('leader-elected', `${text}.`);
    const end = super.endOffset(p.topic, p.partition);
    if (r.end < end) this.truncateLog(p, r, end, unclean);
    p.hw = Math.min(p.hw, r.end);
  }

  /** The new leader's copy is shorter than the log: the rest is gone. Acknowledged records there are lost; unacknowledged ones the producer sends again. */
  private truncateLog(p: PartitionReplicas, leader: Replica, end: number, unclean: boolean): void {
    const from = leader.end;
    const removed: StoredMessage[] = this.truncate(p.topic, p.partition, from);
    const lost: number[] = [];
    const retry: OutMessage[] = [];
    removed.forEach((_, i) => {
      const offset = from + i;
      const m = p.unacked.get(offset);
      if (m) retry.push(m);
      else if (!p.failed.has(offset)) lost.push(offset);
      p.unacked.delete(offset);
      p.failed.delete(offset);
    });
    p.backlog.unshift(...retry);
    for (const x of p.replicas) {
      if (x.end <= from) continue;
      if (this.broker(x.broker).up) x.end = from;
      else x.truncateTo = Math.min(x.truncateTo ?? from, from);
    }
    this.lostRecords += lost.length;
    this.events.truncated(p.topic, p.partition, from);
    if (lost.length > 0) {
      this.events.note(
        'data-lost',
        `${plural(lost.length, 'record')} of ${p.label} lost, offsets ${offsetRanges(lost)}: the producer was told they were written (acks=${this.spec.acks === 'all' ? 'all' : this.spec.acks}), but they had not reached broker ${leader.broker} when it became leader${unclean ? ' by unclean election, out of sync' : ''}, so its log (ending at ${from}) replaces them${end > from ? `; new records take offsets ${from} on` : ''}.`,
      );
    }
    if (retry.length > 0)
      this.events.note(
        'write-refused',
        `${plural(retry.length, 'record')} of ${p.label} were never acknowledged (acks=all) and are gone with the old leader's log; the producer sends them again, so nothing acknowledged is lost.`,
      );
  }
}
