/**
 * Node only: what `pipewright dev` asks the cluster: its status, topics with offsets and
 * configs, consumer groups with lag, the last messages of a partition decoded, tailing, and the
 * admin changes the designer may make with confirmation. The connection is the generated
 * service's own (configFromEnv, connectionOptions), so what works here works there.
 */
import { randomBytes } from 'node:crypto';
import { AssignerProtocol, Kafka, logLevel, type Admin, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import type { ServiceConfig } from '../../runtime/service/config.js';
import { TOPIC_RESOURCE } from '../../runtime/service/topics.js';
import { connectionOptions, explainConnectionError } from '../../runtime/transports/kafka-connection.js';
import { isTopicName } from '../names.js';
import { HttpError } from './node-http.js';
import { valueText } from '../../runtime/types.js';

export type Format = 'json' | 'string' | 'bytes';
export interface Message {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
  decodeError?: string;
}

const CONNECTION_HINT = 'check --brokers and the KAFKA_* settings (TLS, SASL) in the environment; the server keeps running, so fix them and reload';

/** A topic name from a request, or a 400 that says what a topic name is. */
export function topicName(value: unknown, what = 'topic'): string {
  if (typeof value !== 'string' || !isTopicName(value))
    throw new HttpError(400, `${what} must be a Kafka topic name (letters, digits, ".", "_", "-", at most 200)`);
  return value;
}

export function format(value: unknown): Format {
  if (value === undefined || value === null || value === '') return 'json';
  if (value === 'json' || value === 'string' || value === 'bytes') return value;
  throw new HttpError(400, `format must be json, string or bytes, not ${JSON.stringify(valueText(value)).slice(0, 40)}`);
}

function headersOf(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {}))
    out[k] = Array.isArray(v) ? v.map(String).join(',') : v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return out;
}

/** A message as the designer shows it: the value decoded as asked, or why it could not be. */
export function decode(partition: number, m: KafkaMessage, as: Format): Message {
  const base = {
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key ? m.key.toString('utf8') : null,
    headers: headersOf(m.headers),
  };
  if (!m.value) return { ...base, value: null };
  if (as === 'bytes') return { ...base, value: m.value.toString('base64') };
  const text = m.value.toString('utf8');
  if (as === 'string') return { ...base, value: text };
  try {
    return { ...base, value: JSON.parse(text) };
  } catch (e) {
    return { ...base, value: text, decodeError: `not JSON (${(e as Error).message}); shown as text` };
  }
}

export class DevKafka {
  readonly kafka: Kafka;
  private admin: Promise<Admin> | undefined;

  constructor(readonly config: ServiceConfig) {
    this.kafka = new Kafka({
      clientId: 'pipewright-dev',
      brokers: config.brokers,
      ...connectionOptions(config),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5_000,
      requestTimeout: 15_000,
      retry: { retries: 1, initialRetryTime: 300 },
    });
  }

  /** A connected admin client; a failed connection is forgotten, so the next call tries again. */
  async connected(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    try {
      return await this.admin;
    } catch (e) {
      this.admin = undefined;
      throw this.unreachable(e);
    }
  }

  unreachable(e: unknown): HttpError {
    return new HttpError(503, explainConnectionError(e, this.config), CONNECTION_HINT);
  }

  /** Runs an admin call; a lost connection is a 503 with the reason, an unknown topic a 404. */
  async call<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = await this.connected();
    try {
      return await fn(admin);
    } catch (e) {
      if (e instanceof HttpError) throw e;
      const type = (e as { type?: string }).type;
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION') throw new HttpError(404, 'no such topic', 'check the name, or create the topic');
      if (/Connection|ECONNREFUSED|ETIMEDOUT|NumberOfRetriesExceeded|not connected/i.test(`${(e as Error).name} ${(e as Error).message}`)) {
        await this.reset();
        throw this.unreachable(e);
      }
      throw new HttpError(502, `Kafka refused: ${(e as Error).message}`);
    }
  }

  private async reset(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => {});
  }

  async status(): Promise<{ connected: boolean; clusterId?: string; error?: string; hint?: string }> {
    try {
      const cluster = await this.call((a) => a.describeCluster());
      return { connected: true, clusterId: cluster.clusterId };
    } catch (e) {
      const err = e instanceof HttpError ? e : this.unreachable(e);
      return { connected: false, error: err.message, hint: err.hint };
    }
  }

  async topics(): Promise<TopicInfo[]> {
    const meta = await this.call((a) => a.fetchTopicMetadata());
    return Promise.all(meta.topics.sort((x, y) => x.name.localeCompare(y.name)).map((t) => this.describe(t.name, t.partitions)));
  }

  async topic(name: string): Promise<TopicInfo & { configs: Record<string, string> }> {
    const meta = await this.call((a) => a.fetchTopicMetadata({ topics: [name] }));
    const info = await this.describe(name, meta.topics[0].partitions);
    const described = await this.call((a) => a.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name }], includeSynonyms: false }));
    const configs: Record<string, string> = {};
    for (const c of described.resources[0]?.configEntries ?? []) configs[c.configName] = c.configValue;
    return { ...info, configs };
  }

  private async describe(name: string, partitions: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[]): Promise<TopicInfo> {
    const offsets = await this.call((a) => a.fetchTopicOffsets(name)).catch(() => []);
    const at = new Map(offsets.map((o) => [o.partition, o]));
    return {
      name,
      internal: name.startsWith('__'),
      partitions: partitions
        .map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          low: Number(at.get(p.partitionId)?.low ?? 0),
          high: Number(at.get(p.partitionId)?.high ?? 0),
        }))
        .sort((x, y) => x.partition - y.partition),
    };
  }

  /** End offsets per partition, in partition order. */
  async endOffsets(topic: string): Promise<number[]> {
    const offsets = await this.call((a) => a.fetchTopicOffsets(topic));
    return offsets.sort((x, y) => x.partition - y.partition).map((o) => Number(o.high));
  }

  async groups(only?: string[]): Promise<GroupInfo[]> {
    const ids = only ?? (await this.call((a) => a.listGroups())).groups.map((g) => g.groupId);
    if (ids.length === 0) return [];
    const described = await this.call((a) => a.describeGroups(ids));
    const ends = new Map<string, Promise<number[]>>();
    const endOf = (topic: string) => {
      if (!ends.has(topic))
        ends.set(
          topic,
          this.endOffsets(topic).catch(() => []),
        );
      return ends.get(topic)!;
    };
    return Promise.all(
      described.groups
        .sort((x, y) => x.groupId.localeCompare(y.groupId))
        .map(async (g) => {
          const committed = await this.call((a) => a.fetchOffsets({ groupId: g.groupId })).catch(() => []);
          const offsets = [];
          for (const t of committed) {
            const end = await endOf(t.topic);
            for (const p of t.partitions) {
              const c = Number(p.offset);
              const e = end[p.partition] ?? 0;
              offsets.push({ topic: t.topic, partition: p.partition, committed: c, end: e, lag: c < 0 ? e : Math.max(0, e - c) });
            }
          }
          return {
            groupId: g.groupId,
            state: g.state,
            protocolType: g.protocolType,
            members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: assignmentOf(m.memberAssignment) })),
            offsets,
          };
        }),
    );
  }

  /** The last `limit` messages of one partition, oldest first. */
  async lastMessages(topic: string, partition: number, limit: number, as: Format): Promise<Message[]> {
    const offsets = await this.call((a) => a.fetchTopicOffsets(topic));
    const p = offsets.find((o) => o.partition === partition);
    if (!p) throw new HttpError(404, `topic ${topic} has no partition ${partition}`, `its partitions are 0 to ${offsets.length - 1}`);
    const to = Number(p.high);
    const from = Math.max(Number(p.low), to - limit);
    return (await this.read(topic, [{ partition, from, to }])).map((m) => decode(m.partition, m.message, as));
  }

  /** The last messages of a topic, about `limit` spread over its partitions, oldest first per partition. */
  async sample(topic: string, limit: number, as: Format): Promise<Message[]> {
    const offsets = await this.call((a) => a.fetchTopicOffsets(topic));
    const per = Math.max(1, Math.ceil(limit / Math.max(1, offsets.length)));
    const ranges = offsets.map((o) => ({ partition: o.partition, from: Math.max(Number(o.low), Number(o.high) - per), to: Number(o.high) }));
    return (await this.read(topic, ranges)).slice(0, limit).map((m) => decode(m.partition, m.message, as));
  }

  /**
   * Reads offsets [from, to) of the given partitions with a consumer of its own (a group of one
   * that never commits, deleted afterwards). Stops when every range is read, or after 15 s with
   * what it has.
   */
  async read(topic: string, ranges: { partition: number; from: number; to: number }[]): Promise<{ partition: number; message: KafkaMessage }[]> {
    const wanted = ranges.filter((r) => r.to > r.from);
    if (wanted.length === 0) return [];
    await this.connected();
    const out: { partition: number; message: KafkaMessage }[] = [];
    const left = new Map(wanted.map((r) => [r.partition, r]));
    const groupId = `pipewright-dev-read-${randomBytes(6).toString('hex')}`;
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100, sessionTimeout: 10_000, retry: { retries: 1 } });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 15_000);
        const done = () => left.size === 0 && (clearTimeout(timer), resolve());
        consumer
          .connect()
          .then(() => consumer.subscribe({ topic, fromBeginning: false }))
          .then(() =>
            consumer.run({
              autoCommit: false,
              eachBatch: async ({ batch }) => {
                const r = left.get(batch.partition);
                if (!r) return;
                for (const m of batch.messages) if (Number(m.offset) >= r.from && Number(m.offset) < r.to) out.push({ partition: batch.partition, message: m });
                // The range's last offset read (a transaction's commit marker may hold it: the batch's last offset counts).
                if (batch.messages.some((m) => Number(m.offset) >= r.to - 1) || Number(batch.lastOffset()) >= r.to - 1) left.delete(batch.partition);
                done();
              },
            }),
          )
          .then(() => {
            for (const r of wanted) consumer.seek({ topic, partition: r.partition, offset: String(r.from) });
          })
          .catch(reject);
      });
    } catch (e) {
      throw this.unreachable(e);
    } finally {
      await consumer.disconnect().catch(() => {});
      await this.call((a) => a.deleteGroups([groupId])).catch(() => {});
    }
    return out.sort((a, b) => a.partition - b.partition || Number(a.message.offset) - Number(b.message.offset));
  }

  /**
   * Follows a topic from its end as it is now, so nothing written after this resolves is missed
   * while the consumer joins; each message goes to `onMessage` until `stop`.
   */
  async tail(topic: string, onMessage: (m: Message) => void): Promise<{ stop: () => Promise<void> }> {
    const ends = await this.call((a) => a.fetchTopicOffsets(topic));
    const groupId = `pipewright-dev-tail-${randomBytes(6).toString('hex')}`;
    const consumer: Consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachMessage: async ({ partition, message }) => onMessage(decode(partition, message, 'json')) });
    for (const e of ends) consumer.seek({ topic, partition: e.partition, offset: e.high });
    return {
      stop: async () => {
        await consumer.disconnect().catch(() => {});
        await this.call((a) => a.deleteGroups([groupId])).catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    await this.reset();
  }
}

export interface TopicInfo {
  name: string;
  internal: boolean;
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[]; low: number; high: number }[];
}

export interface GroupInfo {
  groupId: string;
  state: string;
  protocolType: string;
  members: { memberId: string; clientId: string; host: string; assignment: { topic: string; partitions: number[] }[] }[];
  offsets: { topic: string; partition: number; committed: number; end: number; lag: number }[];
}

function assignmentOf(buffer: Buffer): { topic: string; partitions: number[] }[] {
  if (!buffer || buffer.length === 0) return [];
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
    return Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
  } catch {
    return [];
  }
}
