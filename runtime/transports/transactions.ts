/**
 * Exactly-once delivery (`delivery: exactly-once`): each slice of a partition's batch is one Kafka
 * transaction holding its outputs, dead letters, state changes (changelog) and the input offset
 * after it, so that either all of it counts or none does. Consumers inside the pipeline read
 * committed records only (kafkajs's default isolation, read_committed), so an aborted slice is
 * never seen, and replaying it after a crash writes it once.
 *
 * Every input partition has a producer of its own, with the transactional id
 * `<group>.<topic>.<partition>` [1]: when a partition moves to another replica, the new owner's
 * first transaction fences the old owner's producer, and ends its open transaction, so a replica
 * that lost its partition without knowing (a zombie) can commit nothing more.
 *
 * A partition is claimed before its first batch after every rebalance: a new producer is initialised
 * with the partition's transactional id, which fences every other producer with that id and waits
 * until a transaction of theirs that was already committing has finished; only then is the group's
 * committed offset read, and records below it are not processed again [2].
 */
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS, type OutMessage } from '../types.js';
import { sendAll, type Placed } from './kafka.js';

/** How long the broker lets a transaction stay open before it aborts it (kafkajs's default too). */
export const TRANSACTION_TIMEOUT_MS = 60_000;

export class TransactionalProducers {
  private readonly producers = new Map<string, Promise<Producer>>();

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly groupId: string,
  ) {}

  /**
   * Makes this replica the only one that can commit for `topic[partition]` (see above) and returns the
   * group's committed offset of it then, -1 when there is none.
   */
  async claim(topic: string, partition: number): Promise<bigint> {
    await this.drop(topic, partition);
    const producer = await this.producer(topic, partition);
    // kafkajs initialises a transactional id with the first transaction: an empty one, never sent.
    await (await producer.transaction()).abort();
    const [offsets] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    return BigInt(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
  }

  /**
   * Produces `messages` and commits the group's offset `nextOffset` of `topic[partition]` in one
   * transaction. Throws when it cannot commit (the transaction is then aborted, and a fenced
   * producer is dropped, so that the next try starts with a new one).
   */
  async commit(topic: string, partition: number, messages: readonly OutMessage[], nextOffset: string | undefined): Promise<Placed[]> {
    const producer = await this.producer(topic, partition);
    const txn = await producer.transaction();
    try {
      const placed = await sendAll(txn, messages);
      // Without an offset (what a node emits on its clock), the transaction holds outputs and state changes only.
      if (nextOffset !== undefined)
        await txn.sendOffsets({ consumerGroupId: this.groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
      await txn.commit();
      return placed;
    } catch (error) {
      if (txn.isActive()) await txn.abort().catch(() => {});
      await this.drop(topic, partition);
      throw error;
    }
  }

  private producer(topic: string, partition: number): Promise<Producer> {
    const id = `${this.groupId}.${topic}.${partition}`;
    let p = this.producers.get(id);
    if (!p) {
      const producer = this.kafka.producer({
        transactionalId: id,
        idempotent: true,
        maxInFlightRequests: 1,
        // transaction.timeout.ms (the generated README says what it means for a slice and a crash).
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
        allowAutoTopicCreation: false,
        // Kafka's murmur2 partitioner, as the at-least-once producer: the same key, the same partition.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      p = producer.connect().then(() => producer);
      p.catch(() => this.producers.delete(id));
      this.producers.set(id, p);
    }
    return p;
  }

  private async drop(topic: string, partition: number): Promise<void> {
    const id = `${this.groupId}.${topic}.${partition}`;
    const p = this.producers.get(id);
    this.producers.delete(id);
    await p?.then((producer) => producer.disconnect()).catch(() => {});
  }

  async stop(): Promise<void> {
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(all.map((p) => p.then((producer) => producer.disconnect()).catch(() => {})));
  }
}

/**
 * Exactly-once: the dead letters of table rows (a table to join with whose row does not decode).
 * Every replica reads a table in full, from its beginning, outside the consumer group, at every
 * start, so every replica meets every bad row, again after every restart. Each table partition's
 * dead letters are written in a transaction (transactional id `<group>.tables.<topic>.<partition>`)
 * that also commits the offset after the batch for the group `<group>.tables`, which no consumer
 * joins; before that, the partition is claimed as an input partition is (see above), and only the
 * dead letters of rows at or past the offset committed then are written. So each bad row's dead
 * letter is written once, by whichever replica commits first, and never outside a transaction.
 */
export class TableDeadLetters {
  private readonly txns: TransactionalProducers;

  constructor(kafka: Kafka, admin: Admin, groupId: string) {
    this.txns = new TransactionalProducers(kafka, admin, `${groupId}.tables`);
  }

  /** Writes the dead letters `letters` of a batch of `topic[partition]` that ends at `lastOffset`, once. */
  async write(topic: string, partition: number, letters: readonly OutMessage[], lastOffset: string): Promise<void> {
    if (letters.length === 0) return;
    // Replicas that read the same bad row together fence each other; the one fenced claims again,
    // and then finds the other's dead letters committed.
    for (let attempt = 1; ; attempt++) {
      try {
        const committed = await this.txns.claim(topic, partition);
        const fresh = letters.filter((m) => {
          const at = m.headers[DEAD_LETTER_HEADERS.offset];
          return at === undefined || BigInt(at) >= committed;
        });
        if (fresh.length > 0) await this.txns.commit(topic, partition, fresh, String(BigInt(lastOffset) + 1n));
        return;
      } catch (error) {
        if (attempt >= 8) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 400 * attempt));
      }
    }
  }

  async stop(): Promise<void> {
    await this.txns.stop();
  }
}

// [1] kafkajs has no KIP-447 (fencing by consumer group generation), so zombies are fenced as Kafka
//     Streams did before it (exactly_once, not exactly_once_v2): one transactional id per input
//     partition. It costs one producer, and one connection, per owned partition.
// [2] The consumer reads the committed offset when it is assigned the partition, before this replica's
//     producer exists. A replica that lost the partition (its rebalance timeout ran out in a long batch)
//     may then still be committing a transaction whose offsets the consumer did not see; without the
//     claim, its records would be processed again and their outputs written twice.
