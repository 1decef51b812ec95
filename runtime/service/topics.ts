/**
 * Creates a pipeline's topics with the kafkajs admin (`npm run topics` in a
 * generated repository). Existing topics are left as they are. The
 * replication factor is capped at the number of brokers, so the same
 * definitions work on a single local broker and on a production cluster.
 */
import type { TopicDef } from '../types.js';
import { createKafka } from '../transports/kafka.js';
import { checkConnection, ConnectionError } from '../transports/kafka-connection.js';
import { ConfigError, configFromEnv } from './config.js';
import { jsonLogger } from './run.js';


export async function createTopics(pipeline: string, topics: readonly TopicDef[], env = process.env): Promise<void> {
  let config;
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
  const log = jsonLogger(config.logLevel, pipeline);
  const admin = createKafka(config, log).admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    for (const t of topics) if (existing.has(t.name)) log.info('topic exists, left as it is', { topic: t.name });
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: Math.min(t.replicationFactor, brokers.length),
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
      for (const t of missing) log.info('topic created', { topic: t.name, partitions: t.partitions });
    }
  } finally {
    await admin.disconnect();
  }
}
