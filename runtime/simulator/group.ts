/**
 * A consumer group as the simulator shows it: members join, leave or crash,
 * and every change rebalances the topic-partitions across the live members
 * with the generated service's own assigner (co-partitioned: partition n of
 * every topic goes to the same member, so state that joins two topics, or a
 * topic and its repartition topic, stays on one replica). For one topic it
 * is kafkajs's round robin. A member with nothing assigned is idle, as an
 * extra consumer is on a real broker.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface Member {
  id: string;
  /** The order members joined in; ids sort by it, as kafkajs sorts member ids. */
  seq: number;
  assigned: TopicPartition[];
}

export const tpKey = (tp: TopicPartition) => `${tp.topic}[${tp.partition}]`;

/** Round robin over topic-partitions sorted by topic then partition, members sorted by id. */
export function roundRobin(memberIds: readonly string[], tps: readonly TopicPartition[]): Map<string, TopicPartition[]> {
  const members = [...memberIds].sort();
  const sorted = [...tps].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  const out = new Map(members.map((m) => [m, [] as TopicPartition[]]));
  if (members.length === 0) return out;
  sorted.forEach((tp, i) => out.get(members[i % members.length])!.push(tp));
  return out;
}

/**
 * Partition n of every topic to the n-th member (mod the member count), members sorted by id: what
 * coPartitionedAssigner in runtime/transports/kafka.ts does on a real broker.
 */
export function coPartitioned(memberIds: readonly string[], tps: readonly TopicPartition[]): Map<string, TopicPartition[]> {
  const members = [...memberIds].sort();
  const sorted = [...tps].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  const out = new Map(members.map((m) => [m, [] as TopicPartition[]]));
  if (members.length === 0) return out;
  for (const tp of sorted) out.get(members[tp.partition % members.length])!.push(tp);
  return out;
}

export class ConsumerGroup {
  readonly members: Member[] = [];
  generation = 0;
  private nextSeq = 1;

  constructor(
    readonly groupId: string,
    /** The topic-partitions the group consumes, read at every rebalance. */
    readonly topicPartitions: () => TopicPartition[],
  ) {}

  join(): Member {
    const seq = this.nextSeq++;
    // Zero-padded so that sorting ids sorts by join order.
    const member: Member = { id: `replica-${String(seq).padStart(3, '0')}`, seq, assigned: [] };
    this.members.push(member);
    this.rebalance();
    return member;
  }

  /** A clean leave or a crash: either way the member's partitions move. */
  remove(id: string): Member | undefined {
    const i = this.members.findIndex((m) => m.id === id);
    if (i < 0) return undefined;
    const [gone] = this.members.splice(i, 1);
    this.rebalance();
    return gone;
  }

  owner(tp: TopicPartition): Member | undefined {
    return this.members.find((m) => m.assigned.some((a) => a.topic === tp.topic && a.partition === tp.partition));
  }

  rebalance(): void {
    this.generation++;
    const plan = coPartitioned(
      this.members.map((m) => m.id),
      this.topicPartitions(),
    );
    for (const m of this.members) m.assigned = plan.get(m.id) ?? [];
  }
}
