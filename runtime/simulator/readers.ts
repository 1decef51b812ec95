/**
 * Extra readers of a topic beside the pipeline's own consumer group, to put
 * the ways Kafka (and classic brokers) hand records to consumers side by side:
 *
 * - a consumer group: each partition to one member, in order, one committed
 *   offset per partition (committed a tick after processing, as the
 *   pipeline's group does), replay from it after a crash;
 * - a share group (Kafka queues, KIP-932): any member gets any record, each
 *   acquired with a lock for `lockMs` and acknowledged one by one; a record
 *   whose lock runs out (its member died or is too slow) is available again
 *   with its delivery count + 1, and archived after DELIVERY_LIMIT deliveries.
 *   The share-partition start offset (SPSO) is the first record not yet
 *   acknowledged or archived;
 * - a classic queue (JMS, ActiveMQ): one shared queue fed with the topic's
 *   records, no partitions, each message to exactly one consumer, an ack
 *   removes it; a consumer whose connection dropped has its unacknowledged
 *   messages put back at the head of the queue once the broker notices
 *   (after `lockMs`); a slow but live consumer keeps what it prefetched.
 *
 * Readers do no processing of the pipeline: they count and record what they
 * receive (deliveries per record, order per key). Every group reads the
 * topic from the beginning, with state of its own, so one group's crash or
 * slow member never touches another's. No randomness: the pipeline's seeded
 * run is unchanged by adding a reader. Portable (runs in a Web Worker).
 */
import type { MemoryLog } from '../transports/memory.js';
import { roundRobin } from './group.js';

export type GroupType = 'consumer' | 'share' | 'queue';

export interface ExtraGroupSpec {
  name: string;
  type: GroupType;
  topic: string;
  members: number;
  /** share/queue: ms a delivered record stays locked before redelivery */
  lockMs?: number;
  /** records a member handles per tick (its speed) */
  batchSize?: number;
}

export interface GroupMemberView {
  id: string;
  assigned: string[];
  idle: boolean;
  /** Records delivered to this member, redeliveries included. */
  received: number;
  /** Speed factor when not 1 (0: stalled). */
  slow?: number;
  /** Records it holds: delivered, not yet acknowledged (or committed). */
  holding: number;
}

export interface GroupView {
  name: string;
  type: GroupType;
  topic: string;
  members: GroupMemberView[];
  /** For share and queue groups `committed` is the first offset not yet acknowledged (the SPSO), and lag = end - it. */
  partitions: { partition: number; committed: number; endOffset: number; lag: number }[];
  lag: number;
  /** Deliveries, redeliveries included. */
  delivered: number;
  redelivered: number;
  /** Records of a key finished after a later record of the same key. */
  orderBreaks: number;
  /** Records acknowledged (consumer group: committed). */
  acked: number;
  /** Records locked (share) or dispatched and unacknowledged (queue), dead members' included. */
  inFlight: number;
  /** Share group: records given up after DELIVERY_LIMIT deliveries. */
  archived: number;
  lockMs: number;
  batchSize: number;
}

export type ReaderNoteKind = 'group-added' | 'redelivered' | 'order-break' | 'rebalance' | 'group-member';
export type ReaderNote = (kind: ReaderNoteKind, text: string) => void;

/** Kafka's group.share.delivery.count.limit default. */
export const DELIVERY_LIMIT = 5;
export const DEFAULT_LOCK_MS = 500;
export const DEFAULT_GROUP_BATCH = 5;
export const MAX_GROUP_MEMBERS = 20;

/** What each kind of group guarantees, in plain words (the designer shows it beside each group). */
export const GUARANTEES: Record<GroupType, string> = {
  consumer:
    'Consumer group: each partition goes to one member and is read in order, so every event of a key is handled in order by one member; members beyond the partition count are idle. A crash replays from the last committed offset.',
  share:
    'Share group (Kafka queues, KIP-932): any member gets any record, locked while it is handled and acknowledged one by one; a record whose lock runs out (member died or too slow) goes to another member, its delivery count + 1 (archived after 5). More members than partitions all work; no order per key.',
  queue:
    'Classic queue (JMS, ActiveMQ): one shared queue, no partitions; each message goes to exactly one consumer and its acknowledgement removes it. A dropped consumer’s unacknowledged messages are redelivered to others; a slow one keeps what it fetched. No order per key once messages are redelivered.',
};

const TYPE_WORDS: Record<GroupType, string> = { consumer: 'consumer group', share: 'share group', queue: 'queue' };

/** Why a group cannot be added, in words that say what to change; undefined when it can. */
export function groupSpecProblem(spec: ExtraGroupSpec, context: { topics: readonly string[]; taken: readonly string[] }): string | undefined {
  const name = typeof spec.name === 'string' ? spec.name.trim() : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(name))
    return `group name "${String(spec.name)}" is not valid: use 1 to 40 letters, digits, ".", "_" or "-", starting with a letter or digit`;
  if (context.taken.includes(name)) return `a group called "${name}" is already reading; pick another name`;
  if (!['consumer', 'share', 'queue'].includes(spec.type)) return `group type "${String(spec.type)}" is unknown; use consumer, share or queue`;
  if (!context.topics.includes(spec.topic)) return `topic "${String(spec.topic)}" is not in this pipeline; pick one of: ${context.topics.join(', ')}`;
  if (!Number.isInteger(spec.members) || spec.members < 0 || spec.members > MAX_GROUP_MEMBERS)
    return `members must be a whole number from 0 to ${MAX_GROUP_MEMBERS} (got ${String(spec.members)})`;
  if (spec.lockMs !== undefined && (!Number.isFinite(spec.lockMs) || spec.lockMs < 1 || spec.lockMs > 600_000))
    return `lockMs must be from 1 to 600000 milliseconds (got ${String(spec.lockMs)})`;
  if (spec.batchSize !== undefined && (!Number.isInteger(spec.batchSize) || spec.batchSize < 1 || spec.batchSize > 10_000))
    return `batchSize must be a whole number from 1 to 10000 (got ${String(spec.batchSize)})`;
  return undefined;
}

/** A record as readers track it. */
interface Ref {
  partition: number;
  offset: number;
  key: string | null;
}

interface ReaderMember {
  id: string;
  slow: number;
  /** Work carried over between ticks when the speed is fractional. */
  credit: number;
  received: number;
  /** Delivered, not yet processed. */
  held: Ref[];
  /** Processed this tick, acknowledged (or committed) at the start of the next. */
  done: Ref[];
}

const refName = (topic: string, r: Ref) => `${topic}[${r.partition}]@${r.offset}${r.key === null ? '' : ` (key ${r.key})`}`;
const memberId = (seq: number) => (seq <= 26 ? String.fromCharCode(64 + seq) : `M${seq}`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What every kind of reader shares: members, speeds, counters, the order check and the notes of a tick. */
export abstract class Reader {
  readonly members: ReaderMember[] = [];
  readonly lockMs: number;
  readonly batchSize: number;
  delivered = 0;
  redelivered = 0;
  orderBreaks = 0;
  acked = 0;
  archived = 0;
  protected now = 0;
  private memberSeq = 0;
  /** Per key: the highest offset finished so far. */
  private readonly finished = new Map<string, number>();
  private breaks: { ref: Ref; after: number }[] = [];
  private redeliveries: { ref: Ref; to: string; count: number; why: string }[] = [];

  /** Set while the group's first members join: the note that the group was added tells them. */
  protected quiet = false;

  constructor(
    readonly spec: ExtraGroupSpec,
    protected readonly log: MemoryLog,
    private readonly noteTo: ReaderNote,
  ) {
    this.lockMs = spec.lockMs ?? DEFAULT_LOCK_MS;
    this.batchSize = spec.batchSize ?? DEFAULT_GROUP_BATCH;
  }

  protected note(kind: ReaderNoteKind, text: string): void {
    if (!this.quiet) this.noteTo(kind, text);
  }

  /** The group's first members, joining without a note each. */
  start(members: number): void {
    this.quiet = true;
    for (let i = 0; i < members; i++) this.addMember();
    this.quiet = false;
  }

  get name(): string {
    return this.spec.name;
  }

  protected get partitionCount(): number {
    return this.log.partitionCount(this.spec.topic);
  }

  addMember(): string {
    const m: ReaderMember = { id: memberId(++this.memberSeq), slow: 1, credit: 0, received: 0, held: [], done: [] };
    this.members.push(m);
    this.joined(m);
    return m.id;
  }

  /** A crash: the member is gone with what it held; each kind says what becomes of that. */
  kill(id?: string): string | undefined {
    const i = id === undefined ? 0 : this.members.findIndex((m) => m.id === id);
    const m = this.members[i];
    if (!m) return undefined;
    this.members.splice(i, 1);
    this.crashed(m);
    return m.id;
  }

  slowDown(id: string, factor: number): void {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`group "${this.name}" has no member "${id}"`);
    if (!Number.isFinite(factor) || factor < 0) throw new Error(`speed factor must be 0 (stalled) or more (got ${factor})`);
    m.slow = factor;
    const speed = factor === 0 ? 'stalled: it handles nothing' : factor === 1 ? 'back to full speed' : `at ${factor}× speed`;
    this.note('group-member', `Member ${m.id} of ${TYPE_WORDS[this.spec.type]} ${this.name} is ${speed}. ${this.slowMeans()}`);
  }

  step(now: number): void {
    this.now = now;
    this.tick();
    this.flushNotes();
  }

  abstract view(): GroupView;
  protected abstract tick(): void;
  protected abstract joined(m: ReaderMember): void;
  protected abstract crashed(m: ReaderMember): void;
  protected abstract slowMeans(): string;

  /** How many records a member handles this tick. */
  protected capacity(m: ReaderMember): number {
    m.credit = Math.min(m.credit + this.batchSize * m.slow, Math.max(this.batchSize, 1));
    return Math.floor(m.credit);
  }

  /** Move up to the member's capacity from held to done (acknowledged next tick). */
  protected work(m: ReaderMember): void {
    const n = Math.min(this.capacity(m), m.held.length);
    m.done.push(...m.held.splice(0, n));
    m.credit -= n;
  }

  protected delivered1(m: ReaderMember, ref: Ref, count: number, why: string): void {
    this.delivered++;
    m.received++;
    if (count > 1) {
      this.redelivered++;
      this.redeliveries.push({ ref, to: m.id, count, why });
    }
  }

  /** A record finished for the first time: is a later record of its key finished already? */
  protected finish(ref: Ref): void {
    if (ref.key === null) return;
    const k = `${ref.partition}\u0000${ref.key}`;
    const max = this.finished.get(k);
    if (max !== undefined && max > ref.offset) {
      this.orderBreaks++;
      this.breaks.push({ ref, after: max });
    } else this.finished.set(k, ref.offset);
  }

  protected viewOf(partitions: GroupView['partitions'], members: GroupMemberView[], inFlight: number): GroupView {
    return {
      name: this.name,
      type: this.spec.type,
      topic: this.spec.topic,
      members,
      partitions,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
      delivered: this.delivered,
      redelivered: this.redelivered,
      orderBreaks: this.orderBreaks,
      acked: this.acked,
      inFlight,
      archived: this.archived,
      lockMs: this.lockMs,
      batchSize: this.batchSize,
    };
  }

  protected memberView(m: ReaderMember, assigned: string[]): GroupMemberView {
    return {
      id: m.id,
      assigned,
      idle: assigned.length === 0,
      received: m.received,
      ...(m.slow !== 1 ? { slow: m.slow } : {}),
      holding: m.held.length + m.done.length,
    };
  }

  private flushNotes(): void {
    const words = TYPE_WORDS[this.spec.type];
    const more = (n: number) => (n > 1 ? ` (and ${n - 1} more this tick)` : '');
    const [r] = this.redeliveries;
    if (r) {
      const what = this.spec.type === 'consumer' ? `processed again by member ${r.to}` : `redelivered to member ${r.to}`;
      this.note(
        'redelivered',
        `${words} ${this.name}: record ${refName(this.spec.topic, r.ref)} ${what} ${r.why}: delivery ${r.count}${more(this.redeliveries.length)}.`,
      );
    }
    const [b] = this.breaks;
    if (b) {
      this.note(
        'order-break',
        `key ${b.ref.key} out of order in ${words} ${this.name}: offset ${b.ref.offset} after ${b.after}${more(this.breaks.length)}. Records of a key go to any member, so a redelivered or slower one finishes after later ones.`,
      );
    }
    this.redeliveries = [];
    this.breaks = [];
  }
}

/** A consumer group reading one topic: partitions assigned round robin, commits a tick after processing. */
class ConsumerReader extends Reader {
  private assignment = new Map<string, number[]>();
  private readonly position = new Map<string, Map<number, number>>();
  private readonly pending = new Map<string, Map<number, number>>();
  /** Per partition: the highest offset ever processed, to tell replays. */
  private readonly maxSeen = new Map<number, number>();
  private readonly lastOwner = new Map<number, string>();
  generation = 0;

  protected joined(m: ReaderMember): void {
    // The first members join together: one rebalance for them all (start).
    if (!this.quiet) this.rebalance(`member ${m.id} joined ${TYPE_WORDS.consumer} ${this.name}`);
  }

  start(members: number): void {
    super.start(members);
    this.quiet = true;
    this.rebalance('');
    this.quiet = false;
  }

  protected crashed(m: ReaderMember): void {
    const lost = [...(this.pending.get(m.id) ?? [])].reduce((n, [p, next]) => n + next - this.committed(p), 0);
    this.pending.delete(m.id);
    this.position.delete(m.id);
    this.rebalance(
      `member ${m.id} of ${TYPE_WORDS.consumer} ${this.name} crashed with ${plural(lost, 'processed but uncommitted record')}: the partitions' new owners read them again from the last committed offset`,
    );
  }

  protected slowMeans(): string {
    return 'Its partitions fall behind (their lag grows); no other member takes them while it is in the group, and the other groups do not notice.';
  }

  private committed(p: number): number {
    return this.log.committedOffset(this.name, this.spec.topic, p);
  }

  private commit(id: string): void {
    for (const [p, next] of this.pending.get(id) ?? []) {
      this.acked += next - this.committed(p);
      this.log.commit(this.name, this.spec.topic, p, next);
    }
    this.pending.delete(id);
  }

  private rebalance(what: string): void {
    this.generation++;
    for (const m of this.members) this.commit(m.id);
    this.position.clear();
    const tps = Array.from({ length: this.partitionCount }, (_, partition) => ({ topic: this.spec.topic, partition }));
    const plan = roundRobin(
      this.members.map((m) => m.id),
      tps,
    );
    this.assignment = new Map([...plan].map(([id, list]) => [id, list.map((tp) => tp.partition)]));
    const parts = this.members.map(
      (m) =>
        `${m.id}: ${
          this.assignment
            .get(m.id)
            ?.map((p) => `${this.spec.topic}[${p}]`)
            .join(', ') || 'idle'
        }`,
    );
    this.note('rebalance', `${what}. Rebalance of ${this.name} (generation ${this.generation}): ${parts.join('; ') || 'no members left, nothing is read'}.`);
  }

  protected tick(): void {
    for (const m of this.members) this.commit(m.id);
    for (const m of this.members) {
      const owned = this.assignment.get(m.id) ?? [];
      let cap = this.capacity(m);
      const pos = this.position.get(m.id) ?? new Map<number, number>();
      this.position.set(m.id, pos);
      for (let i = 0; i < owned.length && cap > 0; i++) {
        const p = owned[i];
        const from = pos.get(p) ?? this.committed(p);
        const batch = this.log.read(this.spec.topic, p, from, Math.ceil(cap / (owned.length - i)));
        for (const rec of batch) this.handle(m, { partition: p, offset: Number(rec.origin.offset), key: keyText(rec.key) });
        cap -= batch.length;
        m.credit -= batch.length;
        pos.set(p, from + batch.length);
        if (batch.length > 0) {
          let pend = this.pending.get(m.id);
          if (!pend) this.pending.set(m.id, (pend = new Map<number, number>()));
          pend.set(p, from + batch.length);
        }
      }
    }
  }

  private handle(m: ReaderMember, ref: Ref): void {
    const seen = this.maxSeen.get(ref.partition) ?? -1;
    if (ref.offset <= seen)
      this.delivered1(
        m,
        ref,
        2,
        `after member ${this.lastOwner.get(ref.partition) ?? '?'} crashed before committing it (a consumer group replays from the committed offset, in order)`,
      );
    else {
      this.delivered1(m, ref, 1, '');
      this.maxSeen.set(ref.partition, ref.offset);
      this.finish(ref);
    }
    this.lastOwner.set(ref.partition, m.id);
  }

  view(): GroupView {
    const partitions = Array.from({ length: this.partitionCount }, (_, partition) => {
      const endOffset = this.log.endOffset(this.spec.topic, partition);
      const committed = this.committed(partition);
      return { partition, committed, endOffset, lag: endOffset - committed };
    });
    const members = this.members.map((m) => ({
      ...this.memberView(
        m,
        (this.assignment.get(m.id) ?? []).map((p) => `${this.spec.topic}[${p}]`),
      ),
      holding: [...(this.pending.get(m.id) ?? [])].reduce((n, [p, next]) => n + next - this.committed(p), 0),
    }));
    return this.viewOf(
      partitions,
      members,
      members.reduce((n, m) => n + m.holding, 0),
    );
  }
}

export const keyText = (key: string | Uint8Array | null): string | null =>
  key === null ? null : typeof key === 'string' ? key : new TextDecoder().decode(key);

/**
 * Acknowledged records above a low-water mark, per partition: the mark moves
 * over every record finished (acknowledged or archived) from the start.
 */
class Watermarks {
  readonly low: number[];
  private readonly above: Set<number>[];

  constructor(partitions: number) {
    this.low = Array.from({ length: partitions }, () => 0);
    this.above = Array.from({ length: partitions }, () => new Set<number>());
  }

  settle(p: number, offset: number): void {
    this.above[p].add(offset);
    while (this.above[p].delete(this.low[p])) this.low[p]++;
  }
}

/** Kafka's group.share.partition.max.record.locks: records in flight per share-partition. */
export const MAX_RECORD_LOCKS = 2000;

interface Lock {
  ref: Ref;
  state: 'available' | 'acquired' | 'acked' | 'archived';
  count: number;
  member: string;
  expires: number;
  /** Why it is available again: said when it is redelivered. */
  why: string;
}

const byOffset = (a: Ref, b: Ref) => a.partition - b.partition || a.offset - b.offset;

/** A share group (KIP-932): records acquired one by one under a lock, acknowledged, redelivered when the lock runs out. */
class ShareReader extends Reader {
  /** Per share-partition: SPSO, the next offset never acquired, the records in between (in offset order: a Map keeps insertion order), and how many of them are available again. */
  private readonly parts = Array.from({ length: this.partitionCount }, () => ({ spso: 0, next: 0, locks: new Map<number, Lock>(), released: 0 }));
  private turn = 0;

  protected joined(m: ReaderMember): void {
    this.note(
      'group-member',
      `Member ${m.id} joined share group ${this.name}: it takes records from every partition at once, beside the others; no rebalance, and no member is idle however many there are.`,
    );
  }

  protected crashed(m: ReaderMember): void {
    const n = m.held.length + m.done.length;
    this.note(
      'group-member',
      `Member ${m.id} of share group ${this.name} crashed holding ${plural(n, 'record')} it had not acknowledged: they stay locked until the lock runs out (${this.lockMs} ms), then go to other members with their delivery count + 1.`,
    );
  }

  protected slowMeans(): string {
    return `Records it holds past the ${this.lockMs} ms lock go to other members (delivery count + 1); it cannot acknowledge them any more.`;
  }

  protected tick(): void {
    // What members handled last tick is acknowledged first (sent before its lock is checked).
    const done = this.members.flatMap((m) => m.done.splice(0));
    // Acknowledgements of one tick count as simultaneous: in offset order.
    for (const ref of done.sort(byOffset)) {
      const lock = this.parts[ref.partition].locks.get(ref.offset)!;
      lock.state = 'acked';
      this.acked++;
      this.finish(ref);
    }
    this.expire();
    const n = this.members.length;
    for (let i = 0; i < n; i++) {
      const m = this.members[(this.turn + i) % n];
      // Work on what it fetched before, then fetch the next records (handled next tick).
      this.work(m);
      if (m.held.length === 0 && m.slow > 0) this.acquire(m, this.batchSize);
    }
    this.turn++;
  }

  /** Locks that ran out: the record is available again, or archived after DELIVERY_LIMIT deliveries. */
  private expire(): void {
    for (const part of this.parts) {
      for (const lock of part.locks.values()) {
        if (lock.state !== 'acquired' || lock.expires > this.now) continue;
        const holder = this.members.find((m) => m.id === lock.member);
        if (holder) {
          holder.held = holder.held.filter((r) => r.partition !== lock.ref.partition || r.offset !== lock.ref.offset);
          holder.done = holder.done.filter((r) => r.partition !== lock.ref.partition || r.offset !== lock.ref.offset);
        }
        lock.why = holder
          ? `after member ${lock.member} held it past its ${this.lockMs} ms lock (too slow)`
          : `after member ${lock.member} died (its ${this.lockMs} ms lock ran out)`;
        if (lock.count < DELIVERY_LIMIT) {
          lock.state = 'available';
          part.released++;
        } else {
          lock.state = 'archived';
          this.archived++;
          this.note(
            'group-member',
            `share group ${this.name}: record ${refName(this.spec.topic, lock.ref)} archived after ${DELIVERY_LIMIT} deliveries (the delivery count limit): it is skipped, never acknowledged.`,
          );
        }
      }
    }
    this.advance();
  }

  /** The share-partition start offset moves over records acknowledged or archived. */
  private advance(): void {
    for (const part of this.parts) {
      for (let l = part.locks.get(part.spso); l && (l.state === 'acked' || l.state === 'archived'); l = part.locks.get(part.spso)) {
        part.locks.delete(part.spso);
        part.spso++;
      }
    }
  }

  /** Up to `max` records for one member: released ones first (lowest offset), then new ones, partition by partition from a turn of its own. */
  private acquire(m: ReaderMember, max: number): void {
    const p0 = this.members.indexOf(m) + this.turn;
    for (let i = 0; i < this.parts.length && m.held.length < max; i++) {
      const p = (p0 + i) % this.parts.length;
      const part = this.parts[p];
      for (const lock of part.locks.values()) {
        if (m.held.length >= max || part.released === 0) break;
        if (lock.state !== 'available') continue;
        part.released--;
        this.lock(m, lock, lock.why);
      }
      const end = Math.min(this.log.endOffset(this.spec.topic, p), part.spso + MAX_RECORD_LOCKS);
      const fresh = part.next < end ? this.log.read(this.spec.topic, p, part.next, max - m.held.length) : [];
      for (const rec of fresh) {
        const lock: Lock = {
          ref: { partition: p, offset: Number(rec.origin.offset), key: keyText(rec.key) },
          state: 'available',
          count: 0,
          member: '',
          expires: 0,
          why: '',
        };
        part.locks.set(lock.ref.offset, lock);
        this.lock(m, lock, '');
      }
      part.next += fresh.length;
    }
  }

  private lock(m: ReaderMember, lock: Lock, why: string): void {
    lock.state = 'acquired';
    lock.count++;
    lock.member = m.id;
    lock.expires = this.now + this.lockMs;
    m.held.push(lock.ref);
    this.delivered1(m, lock.ref, lock.count, why);
  }

  view(): GroupView {
    const all = Array.from({ length: this.parts.length }, (_, p) => `${this.spec.topic}[${p}]`);
    const partitions = this.parts.map((part, partition) => {
      const endOffset = this.log.endOffset(this.spec.topic, partition);
      return { partition, committed: part.spso, endOffset, lag: endOffset - part.spso };
    });
    let inFlight = 0;
    for (const part of this.parts) for (const l of part.locks.values()) if (l.state === 'acquired') inFlight++;
    return this.viewOf(
      partitions,
      this.members.map((m) => this.memberView(m, all)),
      inFlight,
    );
  }
}

interface QueuedMessage {
  ref: Ref;
  /** Arrival order in the queue. */
  seq: number;
  count: number;
  why: string;
}

/** A classic broker queue (JMS, ActiveMQ) fed with the topic's records: competing consumers, ack removes, redelivery after a dropped connection. */
class QueueReader extends Reader {
  /** How far each partition has been moved into the queue. */
  private readonly fed = Array.from({ length: this.partitionCount }, () => 0);
  private readonly marks = new Watermarks(this.partitionCount);
  private queue: QueuedMessage[] = [];
  /** Where the queue starts in `queue` (taken messages are dropped from the array now and then, not one by one). */
  private head = 0;
  /** Messages put back, delivered before the rest (ActiveMQ keeps them at the head, in their order). */
  private redo: QueuedMessage[] = [];
  private readonly dispatched = new Map<string, QueuedMessage>();
  private orphans: { at: number; from: string; messages: QueuedMessage[] }[] = [];
  private seq = 0;
  private turn = 0;

  protected joined(m: ReaderMember): void {
    this.note('group-member', `Consumer ${m.id} joined queue ${this.name}: it competes with the others for the next messages of the one queue.`);
  }

  protected crashed(m: ReaderMember): void {
    const messages = [...m.held, ...m.done].map((r) => this.dispatched.get(`${r.partition}:${r.offset}`)!);
    this.orphans.push({ at: this.now + this.lockMs, from: m.id, messages });
    this.note(
      'group-member',
      `Consumer ${m.id} of queue ${this.name} dropped with ${plural(messages.length, 'unacknowledged message')}: once the broker notices the connection is gone (${this.lockMs} ms), they go back to the head of the queue, marked redelivered.`,
    );
  }

  protected slowMeans(): string {
    return 'A live consumer keeps the messages it fetched, however slow it is: they wait for it, and the others take the rest of the queue.';
  }

  protected tick(): void {
    this.feed();
    for (const o of this.orphans.filter((x) => x.at <= this.now)) {
      for (const q of o.messages) q.why = `after consumer ${o.from}'s connection dropped`;
      this.redo = [...this.redo, ...o.messages].sort((a, b) => a.seq - b.seq);
    }
    this.orphans = this.orphans.filter((x) => x.at > this.now);
    const done = this.members.flatMap((m) => m.done.splice(0)).map((r) => this.dispatched.get(`${r.partition}:${r.offset}`)!);
    for (const q of done.sort((a, b) => a.seq - b.seq)) {
      this.dispatched.delete(`${q.ref.partition}:${q.ref.offset}`);
      this.marks.settle(q.ref.partition, q.ref.offset);
      this.acked++;
      this.finish(q.ref);
    }
    const n = this.members.length;
    for (let i = 0; i < n; i++) {
      const m = this.members[(this.turn + i) % n];
      this.work(m);
      if (m.held.length === 0 && m.slow > 0) this.dispatch(m);
    }
    this.turn++;
  }

  /** The topic's new records join the queue in the order they were written. */
  private feed(): void {
    const fresh: (QueuedMessage & { t: number })[] = [];
    for (let p = 0; p < this.fed.length; p++) {
      for (const rec of this.log.read(this.spec.topic, p, this.fed[p])) {
        fresh.push({ ref: { partition: p, offset: Number(rec.origin.offset), key: keyText(rec.key) }, seq: 0, count: 0, why: '', t: rec.timestamp });
      }
      this.fed[p] = this.log.endOffset(this.spec.topic, p);
    }
    fresh.sort((a, b) => a.t - b.t || byOffset(a.ref, b.ref));
    for (const { t: _t, ...q } of fresh) this.queue.push({ ...q, seq: this.seq++ });
  }

  /** Up to a prefetch (its batch size) of messages to one consumer: put-back ones first. */
  private dispatch(m: ReaderMember): void {
    const fromRedo = this.redo.splice(0, this.batchSize);
    const fresh = this.queue.slice(this.head, this.head + this.batchSize - fromRedo.length);
    this.head += fresh.length;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const taken = [...fromRedo, ...fresh];
    for (const q of taken) {
      q.count++;
      this.dispatched.set(`${q.ref.partition}:${q.ref.offset}`, q);
      m.held.push(q.ref);
      this.delivered1(m, q.ref, q.count, q.why);
    }
  }

  view(): GroupView {
    const partitions = this.fed.map((_, partition) => {
      const endOffset = this.log.endOffset(this.spec.topic, partition);
      const committed = this.marks.low[partition];
      return { partition, committed, endOffset, lag: endOffset - committed };
    });
    return this.viewOf(
      partitions,
      this.members.map((m) => this.memberView(m, ['queue'])),
      this.dispatched.size,
    );
  }
}

const READERS = { consumer: ConsumerReader, share: ShareReader, queue: QueueReader } as const;

/** The extra groups of a simulation, by name. */
export class Readers {
  private readonly list = new Map<string, Reader>();

  constructor(
    private readonly log: MemoryLog,
    private readonly note: ReaderNote,
    /** The pipeline's own group: no extra group may take its name. */
    private readonly ownGroup: string,
    /** Topics a group may read. */
    private readonly topics: () => string[],
  ) {}

  add(spec: ExtraGroupSpec): void {
    const problem = groupSpecProblem(spec, { topics: this.topics(), taken: [this.ownGroup, ...this.list.keys()] });
    if (problem) throw new Error(`cannot add the group: ${problem}`);
    const clean = { ...spec, name: spec.name.trim() };
    const reader = new READERS[clean.type](clean, this.log, this.note);
    reader.start(clean.members);
    this.list.set(clean.name, reader);
    this.note(
      'group-added',
      `${TYPE_WORDS[clean.type]} ${clean.name} (${plural(clean.members, 'member')}) reads ${clean.topic} from the beginning, on its own: it gets every event, with its own offsets and lag, and the pipeline and the other groups do not notice it. ${GUARANTEES[clean.type]}`,
    );
  }

  remove(name: string): void {
    this.get(name);
    this.list.delete(name);
  }

  addMember(name: string): string {
    return this.get(name).addMember();
  }

  kill(name: string, memberId?: string): string | undefined {
    return this.get(name).kill(memberId);
  }

  slow(name: string, memberId: string, factor: number): void {
    this.get(name).slowDown(memberId, factor);
  }

  step(now: number): void {
    for (const r of this.list.values()) r.step(now);
  }

  views(): GroupView[] {
    return [...this.list.values()].map((r) => r.view());
  }

  /** The groups as they stand (their member counts now), to start a run again with them. */
  specs(): ExtraGroupSpec[] {
    return [...this.list.values()].map((r) => ({ ...r.spec, members: r.members.length }));
  }

  private get(name: string): Reader {
    const r = this.list.get(name);
    if (!r) throw new Error(`there is no group "${name}"; the groups are: ${[...this.list.keys()].join(', ') || 'none'}`);
    return r;
  }
}
