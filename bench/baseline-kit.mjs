// What the hand-written kafkajs baselines of the benchmarks (baseline.mjs, join-baseline.mjs,
// window-baseline.mjs) share: none of it is part of the work they are measured on.

/** The value of a required environment variable; exits with code 2, saying which, when it is not set. */
export function requiredEnv(program, name) {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`${program}: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
}

/** Produces in requests of at most 2,000 messages: a whole fetched batch's outputs can exceed what a broker takes in one record batch. */
export async function sendInRequests(producer, topic, messages) {
  for (let i = 0; i < messages.length; i += 2000) {
    await producer.sendBatch({ topicMessages: [{ topic, messages: messages.slice(i, i + 2000) }], acks: -1 });
  }
}

/** On SIGTERM: disconnects the clients and exits 0. */
export function exitOnSigterm(...clients) {
  process.once('SIGTERM', async () => {
    for (const c of clients) await c.disconnect();
    process.exit(0);
  });
}
