// Vitest global setup: makes a Kafka broker available to the tests.
//
// - KAFKA_BROKERS set (e.g. by .ci/run, or `export KAFKA_BROKERS=...` after
//   `npm run kafka:start`): used as is, nothing is started or stopped here.
// - KAFKA_BROKERS unset: a single-node broker is started with
//   scripts/kafka-broker.mjs (or a healthy one it started earlier is reused)
//   and stopped again in teardown if this setup started it.
//
// Tests read the address with `inject('kafkaBrokers')` from 'vitest' or from
// process.env.KAFKA_BROKERS.
//
// A broker started by scripts/kafka-broker.mjs also has secured listeners
// (SASL_SSL SCRAM-SHA-512, mTLS, OAUTHBEARER); they are given as
// `inject('kafkaSecure')` when the broker in use has them. The connection
// tests start a second broker for them otherwise (test/integration/process.ts).
import type { TestProject } from 'vitest/node';
import type { SecureListeners } from './integration/process.js';
import { errorText } from '../runtime/errors.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    kafkaSecure: SecureListeners | null;
    /** Unique per test run: the browser tests build the designer once for it (test/e2e/harness.ts). */
    designerBuildId: string;
  }
}

type StartedBroker = { brokers: string; reused: boolean; secure?: SecureListeners; stop: () => Promise<unknown> };
type BrokerScript = {
  startBroker: (options: { port?: number }) => Promise<StartedBroker>;
  brokerStatus: () => Promise<{ healthy: boolean; brokers?: string; secure?: SecureListeners }>;
};

// The broker script is plain JavaScript without type declarations.
const brokerScript = new URL('../scripts/kafka-broker.mjs', import.meta.url).href;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide('designerBuildId', `${process.pid}-${Date.now()}`);
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    project.provide('kafkaBrokers', fromEnv);
    // When KAFKA_BROKERS is the broker the script started, its secured listeners are known.
    const { brokerStatus } = (await import(brokerScript)) as BrokerScript;
    const status = await brokerStatus().catch(() => undefined);
    project.provide('kafkaSecure', (status?.healthy && status.brokers === fromEnv && status.secure) || null);
    return async () => {};
  }

  let broker: StartedBroker;
  try {
    const { startBroker } = (await import(brokerScript)) as BrokerScript;
    broker = await startBroker({});
  } catch (err) {
    const reason = errorText(err);
    throw new Error(
      `The tests need a Kafka broker, and starting one failed.\n${reason}\n` +
        'Either fix the problem above, or point the tests at a running broker with KAFKA_BROKERS=host:port.',
      { cause: err },
    );
  }
  process.env.KAFKA_BROKERS = broker.brokers;
  project.provide('kafkaBrokers', broker.brokers);
  project.provide('kafkaSecure', broker.secure ?? null);

  return async () => {
    // stop() is a no-op for a broker that was already running before the tests.
    if (!broker.reused) await broker.stop();
    delete process.env.KAFKA_BROKERS;
  };
}
