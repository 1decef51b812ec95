/**
 * Creates a pipeline's topics with the kafkajs admin (`npm run topics` in a
 * generated repository). Existing topics are left as they are. Topics marked
 * external belong to someone else: they are never created, only checked to
 * exist with at least the partitions the pipeline expects. The replication
 * factor is capped at the number of brokers (and min.insync.replicas below
 * it), so the same definitions work on a single local broker and on a
 * production cluster.
 */
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import type { TopicDef } from '../types.js';
import { createKafka, type Logger } from '../transports/kafka.js';
import { checkConnection, ConnectionError } from '../transports/kafka-connection.js';
import { ConfigError, configFromEnv, type ServiceConfig } from './config.js';
import { jsonLogger } from './run.js';
import { errorText } from '../errors.js';

/** A problem with the cluster's topics that the user has to fix; printed as one line. */
export class TopicsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicsError';
  }
}

/** The topic as it is created on a cluster of `brokers` brokers. */
export function fitToCluster(t: TopicDef, brokers: number): { replicationFactor: number; config: Record<string, string> } {
  const replicationFactor = Math.max(1, Math.min(t.replicationFactor, brokers));
  const config = { ...t.config };
  const min = Number(config['min.insync.replicas']);
  // Fewer replicas than asked for: keep one spare so that a broker restart does not stop writes.
  if (replicationFactor < t.replicationFactor && Number.isInteger(min))
    config['min.insync.replicas'] = String(Math.max(1, Math.min(min, replicationFactor - 1)));
  return { replicationFactor, config };
}

/** Problems with the external topics, one sentence each: missing, or fewer partitions than the pipeline expects. */
export function externalTopicProblems(external: readonly TopicDef[], partitions: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const t of external) {
    const have = partitions.get(t.name);
    if (have === undefined) {
      problems.push(
        `topic "${t.name}" does not exist; the pipeline reads it but does not own it (external), so it is not created here: ask its owner to create it with ${t.partitions} partitions, or set external: false for it under topics in pipeline.yaml and generate again`,
      );
    } else if (have < t.partitions) {
      problems.push(
        `topic "${t.name}" has ${have} partition(s) but the pipeline expects ${t.partitions}: set partitions: ${have} on the source that reads it in pipeline.yaml and generate again, or ask its owner to add partitions`,
      );
    }
  }
  return problems;
}

/** kafkajs's ConfigResourceTypes.TOPIC; the enum is not an export Node's ES module loader finds in kafkajs. */
export const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/**
 * External topics the pipeline reads as tables that are not compacted, one warning each: with
 * `delete`, rows older than the retention vanish from the topic, and from the table on its next restore.
 */
export function uncompactedTables(external: readonly TopicDef[], policies: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const t of external) {
    if (t.config['cleanup.policy'] !== 'compact') continue;
    const policy = policies.get(t.name);
    if (policy !== undefined && !policy.split(',').includes('compact')) {
      out.push(
        `topic "${t.name}" is read as a table but its cleanup.policy is ${policy}: rows older than its retention will be gone from the table after a restore; ask its owner to set cleanup.policy=compact`,
      );
    }
  }
  return out;
}

export async function ensureTopics(topics: readonly TopicDef[], admin: Admin, log: Logger): Promise<void> {
  const { brokers } = await admin.describeCluster();
  const existing = new Set(await admin.listTopics());
  const external = topics.filter((t) => t.external);
  if (external.length > 0) {
    const present = external.filter((t) => existing.has(t.name)).map((t) => t.name);
    const partitions = new Map<string, number>();
    if (present.length > 0) for (const t of (await admin.fetchTopicMetadata({ topics: present })).topics) partitions.set(t.name, t.partitions.length);
    const problems = externalTopicProblems(external, partitions);
    if (problems.length > 0) throw new TopicsError(problems.join('; '));
    const tables = external.filter((t) => t.config['cleanup.policy'] === 'compact').map((t) => t.name);
    if (tables.length > 0) {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: tables.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['cleanup.policy'] })),
      });
      const policies = new Map(
        described.resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? 'delete']),
      );
      for (const warning of uncompactedTables(external, policies)) log.warn(warning, {});
    }
    for (const t of external) {
      if (partitions.get(t.name)! > t.partitions)
        log.warn('external topic has more partitions than the pipeline expects; replicas beyond the expected count will share them unevenly', {
          topic: t.name,
          partitions: partitions.get(t.name),
          expected: t.partitions,
        });
      else log.info('external topic exists', { topic: t.name, partitions: partitions.get(t.name) });
    }
  }
  const owned = topics.filter((t) => !t.external);
  const missing = owned.filter((t) => !existing.has(t.name));
  for (const t of owned) if (existing.has(t.name)) log.info('topic exists, left as it is', { topic: t.name });
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => {
        const fit = fitToCluster(t, brokers.length);
        return {
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: fit.replicationFactor,
          configEntries: Object.entries(fit.config).map(([name, value]) => ({ name, value })),
        };
      }),
    });
    for (const t of missing) log.info('topic created', { topic: t.name, partitions: t.partitions });
  }
}

/**
 * The configuration from the environment, once Kafka has answered with it;
 * a configuration or connection problem ends the process with one line.
 */
export async function connectedConfig(pipeline: string, env: Record<string, string | undefined>): Promise<ServiceConfig> {
  let config: ServiceConfig;
  try {
    config = configFromEnv(env, { pipeline });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`pipewright: configuration error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  try {
    await checkConnection(config);
  } catch (e) {
    process.stderr.write(`pipewright: cannot connect to Kafka: ${e instanceof ConnectionError ? e.message : String(e)}\n`);
    process.exit(1);
  }
  return config;
}

/**
 * `npm run topics`. With CREATE_EXTERNAL_TOPICS=true (the local broker of
 * docker-compose.yml, which nobody else writes to) the external topics are
 * created too, as the pipeline's own.
 */
export async function createTopics(pipeline: string, topics: readonly TopicDef[], env = process.env): Promise<void> {
  const config = await connectedConfig(pipeline, env);
  const log = jsonLogger(config.logLevel, pipeline);
  const admin = createKafka(config, log).admin();
  const wanted = env.CREATE_EXTERNAL_TOPICS === 'true' ? topics.map((t) => ({ ...t, external: false })) : topics;
  try {
    await admin.connect();
    await ensureTopics(wanted, admin, log);
  } catch (e) {
    const message =
      e instanceof TopicsError
        ? e.message
        : `could not create the topics on ${config.brokers.join(',')}: ${errorText(e)}; check KAFKA_BROKERS and the credentials`;
    process.stderr.write(`pipewright: ${message}\n`);
    process.exitCode = 1;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
