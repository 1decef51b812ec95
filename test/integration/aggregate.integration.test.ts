// The unwindowed word count (examples/word-count-table: flat-map → select-key → aggregate count →
// a compacted table topic) generated with the CLI and run as two replicas on the test broker. Lines
// arrive in three phases; in the middle one, replica a is SIGKILLed while it processes and a
// replacement starts, as Kubernetes would. The aggregate emits at most once per word per 4 s
// (emitInterval), so the latest counts of the first half that a replica holds back when it dies are
// only in its changelog's marks, and the new owner must emit them. At
// the end, the latest count of every word on the output topic is the number of times the word was
// sent: nothing lost, nothing counted twice. The service runs from its generated TypeScript
// sources (tsx), without `npm run build`, to stay fast; test/integration/exported-repos builds it.
// Last, new words arrive and both replicas get SIGTERM as soon as the words are processed, within
// the interval: the counts they hold are emitted on the way out.
// At-least-once by default; AGGREGATE_IT_DELIVERY=exactly-once runs the same with transactions
// (and the output read committed), on demand: another 30 s (the kill is not timed to a transaction).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { brokers, cleanUpRun, createExternalTopics, freePort, mustRun, repoRoot, startReplica, waitFor, type Replica } from './process.js';

const RUN_TS = join(repoRoot, 'bin', 'run-ts.mjs');
const DELIVERY = process.env.AGGREGATE_IT_DELIVERY === 'exactly-once' ? 'exactly-once' : 'at-least-once';

const WORDS = Array.from({ length: 30 }, (_, i) => `w${i.toString(36)}${'kafka'[i % 5]}`);

describe(`generated word count as a table, ${DELIVERY}: two replicas, one SIGKILLed mid-stream`, () => {
  const runId = randomUUID().slice(0, 8);
  const pipeline = `wct-it-${runId}`;
  const input = `wct-in-${runId}`;
  const output = `wct-out-${runId}`;
  const work = mkdtempSync(join(tmpdir(), 'pipewright-aggregate-'));
  const serviceDir = join(work, 'service');
  const kafka = new Kafka({ clientId: `pw-aggregate-${runId}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
  let admin: Admin | undefined;
  const replicas: Replica[] = [];
  let topics: string[] = [];
  const diagnostics = () => replicas.map((r) => `--- ${r.name} ---\n${r.output.join('').split('\n').slice(-15).join('\n')}`).join('\n');

  afterAll(() => cleanUpRun({ replicas, admin, group: pipeline, topics: [...topics, input, output], work }));

  it('ends with the exact count of every word as the latest value of its key', async () => {
    admin = kafka.admin();
    await admin.connect();
    const doc = parseDocument(readFileSync(join(repoRoot, 'examples', 'word-count-table', 'pipeline.yaml'), 'utf8'));
    doc.set('pipeline', pipeline);
    (doc.get('nodes') as { items: unknown[] }).items.forEach((_, i) => {
      const kind = doc.getIn(['nodes', i, 'kind']);
      if (kind === 'kafka-source') doc.setIn(['nodes', i, 'topic'], input);
      if (kind === 'kafka-sink') doc.setIn(['nodes', i, 'topic'], output);
      if (kind === 'aggregate') doc.setIn(['nodes', i, 'emitInterval'], '4s');
    });
    doc.delete('tests');
    doc.set('delivery', DELIVERY);
    const file = join(work, 'pipeline.yaml');
    writeFileSync(file, doc.toString());
    await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', serviceDir], { cwd: repoRoot, timeoutMs: 120_000 });
    symlinkSync(join(repoRoot, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
    // A replica that died holds its partitions for the session timeout: the least a broker accepts.
    const env = {
      ...process.env,
      KAFKA_BROKERS: brokers(),
      KAFKA_GROUP_ID: pipeline,
      LOG_LEVEL: 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    await createExternalTopics(serviceDir);
    const out = await mustRun(process.execPath, [RUN_TS, 'src/topics.ts'], { cwd: serviceDir, env, timeoutMs: 60_000 });
    topics = [...out.matchAll(/"topic":"([^"]+)"/g)].map((m) => m[1]);
    // The output topic is a table: compacted.
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: output, configNames: ['cleanup.policy'] }] });
    expect(described.resources[0].configEntries[0].configValue).toBe('compact');

    const start = async (name: string) =>
      replicas.push(
        startReplica(name, serviceDir, { ...env, PORT: String(await freePort()), KAFKA_CLIENT_ID: `${pipeline}-${name}` }, [RUN_TS, 'src/main.ts']),
      );
    await start('a');
    await start('b');
    await waitFor(
      'a stable group of two replicas',
      60_000,
      async () => {
        const { groups } = await admin!.describeGroups([pipeline]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
      },
      diagnostics,
    );

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    /** Everything sent so far is processed: the group's offsets are committed up to the end of the input and repartition topics. */
    const processed = async () => {
      for (const topic of [input, `${pipeline}.by-word.repartition`]) {
        const ends = await admin!.fetchTopicOffsets(topic);
        const [committed] = await admin!.fetchOffsets({ groupId: pipeline, topics: [topic] });
        // Exactly-once, an internal topic's committed offsets stop before the commit markers.
        const slack = DELIVERY === 'exactly-once' && topic !== input ? 4 : 0;
        if (ends.some((e) => Number(committed.partitions.find((p) => p.partition === e.partition)?.offset ?? -1) < Number(e.high) - slack)) return false;
      }
      return true;
    };
    const truth = new Map<string, number>();
    let n = 0;
    /** Ten batches of 30 lines of words from `vocabulary`. */
    const phase = async (vocabulary: string[], batches = 10) => {
      for (let batch = 0; batch < batches; batch++) {
        const messages = Array.from({ length: 30 }, () => {
          const words = Array.from({ length: 2 + (n % 5) }, (_, j) => vocabulary[(n * 7 + j * 11) % vocabulary.length]);
          n++;
          for (const w of words) truth.set(w, (truth.get(w) ?? 0) + 1);
          // Mixed case and punctuation: the example lower-cases and splits on non-word characters.
          return { key: `line-${n}`, value: `${words.join(' ').toUpperCase()}!` };
        });
        await producer.send({ topic: input, acks: -1, messages });
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const early = WORDS.slice(0, 15);
    const late = WORDS.slice(15);
    await phase(WORDS);
    // The early words for the last time; once they are processed, replica a dies within the emit
    // interval: the latest counts of the early words it owns are held back, in its changelog's marks only.
    await phase(early, 3);
    await waitFor('the early words to be processed', 30_000, processed);
    const victim = replicas[0];
    victim.child.kill('SIGKILL');
    await victim.exit;
    await start('a2');
    // Mid-stream for the other words: they keep arriving while the group rebalances.
    await phase(late);

    const latest = new Map<string, number>();
    const verifier = kafka.consumer({ groupId: `${pipeline}-verify`, allowAutoTopicCreation: false });
    await verifier.connect();
    await verifier.subscribe({ topics: [output], fromBeginning: true });
    await verifier.run({
      eachMessage: async ({ message }) => {
        const v = JSON.parse(message.value!.toString()) as { key: string; count: number };
        expect(v.key).toBe(message.key!.toString());
        latest.set(v.key, v.count);
      },
    });
    const same = () => latest.size === truth.size && [...truth].every(([w, c]) => latest.get(w) === c);
    const shown = () => `${JSON.stringify(Object.fromEntries(latest))}\nwanted ${JSON.stringify(Object.fromEntries(truth))}\n${diagnostics()}`;
    try {
      await waitFor('the latest count of every word to be exact', 90_000, same, shown);
      expect(victim.exited).toBe(true);
      // New words, then SIGTERM as soon as they are processed, well within the interval: the
      // replicas emit what they hold before they leave, and nothing is left to emit them later.
      await phase(
        Array.from({ length: 10 }, (_, i) => `fresh${i}`),
        2,
      );
      await producer.disconnect();
      await waitFor('the new words to be processed', 30_000, processed);
      const live = replicas.filter((r) => !r.exited);
      for (const r of live) r.child.kill('SIGTERM');
      await Promise.all(live.map((r) => r.exit));
      await waitFor('the counts held at SIGTERM', 20_000, same, shown);
      // Settled: no later count changes it (a count twice would overwrite an exact one).
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await verifier.disconnect();
    }
    expect(Object.fromEntries(latest)).toEqual(Object.fromEntries(truth));
    const dead = (await admin.fetchTopicOffsets(`${pipeline}.dead-letter`)).reduce((s, o) => s + Number(o.high), 0);
    expect(dead).toBe(0);
  }, 240_000);
});
