/**
 * `npm run produce-samples` in a generated repository: sends the sample
 * events of pipeline.yaml to the topics of their sources, keyed and encoded
 * as the pipeline's tests feed them, so that a local run has something to do.
 * KAFKA_BROKERS defaults to the host listener of docker-compose.yml.
 */
import { Partitioners } from 'kafkajs';
import { encode, type TestCase } from '../testing.js';
import { createKafka } from '../transports/kafka.js';
import { jsonLogger } from './run.js';
import { connectedConfig } from './topics.js';
import { errorText } from '../errors.js';
import { isRegistryFormat } from '../kinds/schema-registry.js';

/** Where docker-compose.yml's Kafka listens for clients on the host. */
export const LOCAL_BROKERS = 'localhost:9092';

/** The messages of one source's samples, in order: key, the value as the source reads it, headers and event time when the sample gives them. */
export function sampleMessages(
  input: TestCase['input'][number],
): { key: string | null; value: string | null; headers?: Record<string, string>; timestamp?: string }[] {
  return input.events.map((e) => ({
    key: e.key ?? null,
    value: encode(input.format, e.value),
    ...(e.headers ? { headers: e.headers } : {}),
    ...(e.timestamp !== undefined ? { timestamp: String(e.timestamp) } : {}),
  }));
}

export async function produceSamples(pipeline: string, samples: TestCase['input'], env: Record<string, string | undefined> = process.env): Promise<void> {
  if (samples.length === 0) {
    process.stdout.write('pipeline.yaml has no sample events: add samples to a source and generate again.\n');
    return;
  }
  const config = await connectedConfig(pipeline, { ...env, KAFKA_BROKERS: env.KAFKA_BROKERS || LOCAL_BROKERS });
  const log = jsonLogger(config.logLevel, pipeline);
  const producer = createKafka(config, log).producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await producer.connect();
    for (const input of samples) {
      if (isRegistryFormat(input.format)) {
        // JSON on such a topic would only reach the dead-letter topic.
        process.stdout.write(
          `skipped ${input.topic}: its source reads ${input.format} through a Schema Registry; produce its samples with a Schema Registry client\n`,
        );
        continue;
      }
      await producer.send({ topic: input.topic, acks: -1, messages: sampleMessages(input) });
      process.stdout.write(`sent ${input.events.length} sample event(s) to ${input.topic} on ${config.brokers.join(',')}\n`);
    }
  } catch (e) {
    process.stderr.write(
      `pipewright: could not send the samples to ${config.brokers.join(',')}: ${errorText(e)}; start Kafka and create the topics first (docker compose up)\n`,
    );
    process.exitCode = 1;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
