/**
 * Node only: trial runs of the pipeline from `pipewright dev`. A run generates and builds the
 * service (once per content), creates its scratch topics (TOPIC_PREFIX: every topic the service
 * writes, under `pwdev-<runId>-`), and starts 1 to 8 replicas in a consumer group of its own.
 * Its status comes from the replicas' /readyz and /metrics and the group's offsets; stopping
 * sends SIGTERM, deletes the group and, when asked, the scratch topics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { graphSpec } from '../graph-spec.js';
import { topicDefs } from '../topics.js';
import { prefixedTopicName } from '../../runtime/service/topic-prefix.js';
import { ensureTopics, TopicsError } from '../../runtime/service/topics.js';
import type { TopicDef } from '../../runtime/types.js';
import type { Pipeline } from '../pipeline.js';
import { buildService, type Log } from './node-build.js';
import { HttpError } from './node-http.js';
import type { DevKafka } from './node-kafka.js';
import type { Checked, PipelineFile } from './node-pipeline.js';

export type RunStatus = 'building' | 'starting' | 'running' | 'stopped' | 'failed';
type Counts = { in: number; out: number; errors: number };

interface Replica {
  id: number;
  port: number;
  child: ChildProcess;
  output: string[];
  ready: boolean;
  exited: boolean;
  exit: Promise<void>;
}

export interface RunView {
  runId: string;
  status: RunStatus;
  error?: string;
  group: string;
  prefix: string;
  replicas: { id: number; pid: number | null; ready: boolean }[];
  nodes: Record<string, Counts>;
  rates: Record<string, { in: number; out: number }>;
  lag: { topic: string; partition: number; lag: number }[];
  deadLetters: number;
  outputs: { topic: string; endOffsets: number[] }[];
}

class Run {
  status: RunStatus = 'building';
  error?: string;
  replicas: Replica[] = [];
  nodes: Record<string, Counts> = {};
  rates: Record<string, { in: number; out: number }> = {};
  lag: RunView['lag'] = [];
  deadLetters = 0;
  outputs: RunView['outputs'] = [];
  /** Topics this run created under its prefix. */
  scratch: string[] = [];
  outputTopics: string[] = [];
  /** Every topic the run reads or writes. */
  topics: string[] = [];
  stopping = false;
  private lastPoll = 0;

  constructor(
    readonly runId: string,
    readonly group: string,
    readonly prefix: string,
  ) {}

  fail(error: string): void {
    if (this.status === 'stopped') return;
    this.status = 'failed';
    this.error = error;
  }

  view(): RunView {
    const { runId, status, error, group, prefix, nodes, rates, lag, deadLetters, outputs } = this;
    return {
      runId,
      status,
      ...(error ? { error } : {}),
      group,
      prefix,
      replicas: this.replicas.map((r) => ({ id: r.id, pid: r.child.pid ?? null, ready: r.ready })),
      nodes,
      rates,
      lag,
      deadLetters,
      outputs,
    };
  }

  /** Node counts summed over the replicas, and per-second rates since the last poll. */
  absorb(metrics: string[]): void {
    const nodes: Record<string, Counts> = {};
    let dead = 0;
    for (const text of metrics) {
      for (const m of text.matchAll(/^pipewright_node_(in|out|errors)_total\{[^}]*node="([^"]*)"[^}]*\} (\S+)$/gm)) {
        const c = (nodes[m[2]] ??= { in: 0, out: 0, errors: 0 });
        c[m[1] as keyof Counts] += Number(m[3]);
      }
      for (const m of text.matchAll(/^pipewright_dead_letters_total\{[^}]*\} (\S+)$/gm)) dead += Number(m[1]);
    }
    const now = Date.now();
    const seconds = this.lastPoll ? (now - this.lastPoll) / 1000 : 0;
    this.rates = Object.fromEntries(
      Object.entries(nodes).map(([id, c]) => [
        id,
        seconds > 0
          ? { in: Math.max(0, (c.in - (this.nodes[id]?.in ?? 0)) / seconds), out: Math.max(0, (c.out - (this.nodes[id]?.out ?? 0)) / seconds) }
          : { in: 0, out: 0 },
      ]),
    );
    this.lastPoll = now;
    this.nodes = nodes;
    this.deadLetters = dead;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

const topicsGone = (gone: string[]) =>
  `topic ${gone.join(', ')} no longer exists (deleted while the run was going); stop the run, recreate the topic or let the next run create it, and start again`;

const lastLines = (r: Replica) => r.output.join('').split('\n').filter(Boolean).slice(-5).join('\n');

export interface RunsOptions {
  kafka: DevKafka;
  pipeline: PipelineFile | undefined;
  cacheDir: string;
  log: Log;
  /** Called with a run's status every second while it is active. */
  onStatus: (view: RunView) => void;
}

export class Runs {
  private readonly runs = new Map<string, Run>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: RunsOptions) {
    this.timer = setInterval(() => void this.pollAll(), 1000);
    this.timer.unref();
  }

  get(id: string): Run {
    const run = this.runs.get(id);
    if (!run) throw new HttpError(404, `no run ${id.slice(0, 40)}`, 'GET /api/runs/:id takes the runId POST /api/runs gave');
    return run;
  }

  /** Checks the request and the pipeline, then builds and starts in the background. */
  async start(body: Record<string, unknown>): Promise<{ runId: string; group: string; prefix: string }> {
    const replicas = body.replicas ?? 1;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > 8)
      throw new HttpError(400, 'replicas must be a whole number from 1 to 8');
    if (body.prefix !== undefined && (typeof body.prefix !== 'string' || !/^[A-Za-z0-9._-]{1,60}$/.test(body.prefix))) {
      throw new HttpError(400, 'prefix may hold only letters, digits, ".", "_" and "-" (at most 60)');
    }
    if (!this.opts.pipeline) throw new HttpError(404, 'no pipeline file', 'start pipewright dev with the pipeline file: pipewright dev pipeline.yaml');
    const checked = await this.opts.pipeline.check();
    if (!checked.pipeline || checked.errors > 0) {
      throw new HttpError(
        422,
        `the pipeline has ${checked.errors} error(s); fix them before a run`,
        checked.problems.find((p) => p.severity === 'error')?.text,
        { problems: checked.problems },
      );
    }
    const real = body.writeToRealTopics === true;
    if (real && body.confirm !== true) {
      const written = topicDefs(checked.pipeline)
        .filter((t) => !t.external)
        .map((t) => t.name);
      throw new HttpError(
        409,
        `writeToRealTopics writes the pipeline's own topics (${written.join(', ')}) instead of scratch copies`,
        'send confirm: true with writeToRealTopics to do so',
      );
    }
    const runId = randomBytes(4).toString('hex');
    const run = new Run(runId, `pipewright-dev-${checked.pipeline.name}-${runId}`, real ? '' : (body.prefix ?? `pwdev-${runId}-`));
    this.runs.set(runId, run);
    void this.launch(run, checked, replicas).catch((e: unknown) => run.fail(e instanceof Error ? e.message : String(e)));
    return { runId, group: run.group, prefix: run.prefix };
  }

  private async launch(run: Run, checked: Checked, replicas: number): Promise<void> {
    const p = checked.pipeline!;
    const built = await buildService(p, checked.files, this.opts.cacheDir, this.opts.log);
    if (run.stopping) return;
    run.status = 'starting';
    await this.createTopics(run, p);
    const config = this.opts.kafka.config;
    for (let id = 0; id < replicas && !run.stopping; id++) {
      const port = await freePort();
      const env = {
        ...process.env,
        KAFKA_BROKERS: config.brokers.join(','),
        KAFKA_GROUP_ID: run.group,
        KAFKA_CLIENT_ID: `${run.group}-${id}`,
        TOPIC_PREFIX: run.prefix,
        PORT: String(port),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      };
      const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: built.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const r: Replica = { id, port, child, output: [], ready: false, exited: false, exit: Promise.resolve() };
      const keep = (d: string) => (r.output.push(d), r.output.length > 200 && r.output.splice(0, 100));
      child.stdout.setEncoding('utf8').on('data', keep);
      child.stderr.setEncoding('utf8').on('data', keep);
      r.exit = new Promise((resolve) =>
        child.on('exit', (code, signal) => {
          r.exited = true;
          r.ready = false;
          resolve();
          if (run.stopping) return;
          // A replica that stops because one of its topics was deleted says so in its own words; the
          // deleted topic is the cause the user can act on, so it is the one the run reports.
          void this.goneTopics(run)
            .catch(() => [])
            .then((gone) => {
              if (!run.stopping) run.fail(gone.length ? topicsGone(gone) : `replica ${id} exited (${signal ?? `code ${code}`}):\n${lastLines(r)}`);
            });
        }),
      );
      run.replicas.push(r);
    }
  }

  /** The run's topics: those it writes under its prefix (created), those it only reads (must exist). */
  private async createTopics(run: Run, p: Pipeline): Promise<void> {
    const spec = graphSpec(p);
    const defs: TopicDef[] = topicDefs(p).map((t) => {
      const name = prefixedTopicName(spec, run.prefix, t.name);
      return name !== t.name ? { ...t, name, external: false } : run.prefix ? { ...t, external: true } : t;
    });
    run.topics = defs.map((t) => t.name);
    // Only what this run creates is its to delete: a prefixed topic that exists already is left alone.
    const before = new Set(await this.opts.kafka.call((a) => a.listTopics()));
    run.scratch = run.prefix ? defs.filter((t) => t.name.startsWith(run.prefix) && !t.external && !before.has(t.name)).map((t) => t.name) : [];
    run.outputTopics = p.nodes.filter((n) => n.kind === 'kafka-sink').map((n) => prefixedTopicName(spec, run.prefix, String(n.params.topic)));
    const quiet = () => undefined;
    const admin = await this.opts.kafka.connected();
    // A missing input topic is the user's to fix, in ensureTopics' words; anything else is Kafka's.
    await ensureTopics(defs, admin, { debug: quiet, info: quiet, warn: quiet, error: quiet }).catch((e: unknown) => {
      throw e instanceof TopicsError ? e : new Error(`could not create the run's topics: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private async pollAll(): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.status === 'stopped' || (run.status === 'failed' && run.replicas.every((r) => r.exited))) continue;
      await this.poll(run).catch(() => undefined);
      this.opts.onStatus(run.view());
    }
  }

  private async poll(run: Run): Promise<void> {
    if (run.replicas.length === 0) return;
    const texts: string[] = [];
    for (const r of run.replicas.filter((x) => !x.exited)) {
      const base = `http://127.0.0.1:${r.port}`;
      r.ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(800) }).then(
        (res) => res.ok,
        () => false,
      );
      const text = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(800) }).then(
        (res) => (res.ok ? res.text() : ''),
        () => '',
      );
      if (text) texts.push(text);
    }
    if (texts.length) run.absorb(texts);
    if (run.status === 'starting' && run.replicas.length > 0 && run.replicas.every((r) => r.ready)) run.status = 'running';
    const [group] = await this.opts.kafka.groups([run.group]).catch(() => []);
    if (group) run.lag = group.offsets.map(({ topic, partition, lag }) => ({ topic, partition, lag }));
    const existing = new Set(await this.opts.kafka.call((a) => a.listTopics()));
    const gone = run.topics.filter((t) => !existing.has(t));
    if (gone.length && (run.status === 'running' || run.status === 'starting')) run.fail(topicsGone(gone));
    const outputs: RunView['outputs'] = [];
    for (const topic of run.outputTopics.filter((t) => existing.has(t)))
      outputs.push({ topic, endOffsets: await this.opts.kafka.endOffsets(topic).catch(() => []) });
    run.outputs = outputs;
  }

  private async goneTopics(run: Run): Promise<string[]> {
    const existing = new Set(await this.opts.kafka.call((a) => a.listTopics()));
    return run.topics.filter((t) => !existing.has(t));
  }

  /** SIGTERM to every replica (SIGKILL after 30 s), then the group deleted, and the scratch topics when asked. */
  async stop(id: string, deleteTopics: boolean): Promise<{ stopped: true; groupDeleted: boolean; topicsDeleted: string[] }> {
    const run = this.get(id);
    run.stopping = true;
    for (const r of run.replicas) if (!r.exited) r.child.kill('SIGTERM');
    const killer = setTimeout(() => run.replicas.forEach((r) => r.exited || r.child.kill('SIGKILL')), 30_000);
    await Promise.all(run.replicas.map((r) => r.exit));
    clearTimeout(killer);
    run.status = 'stopped';
    this.opts.onStatus(run.view());
    const kafka = this.opts.kafka;
    const groupDeleted = await kafka
      .call((a) => a.deleteGroups([run.group]))
      .then(
        (res) => res.every((g) => !g.error || (g.error as { type?: string }).type === 'GROUP_ID_NOT_FOUND'),
        () => false,
      );
    let topicsDeleted: string[] = [];
    if (deleteTopics && run.scratch.length) {
      const existing = new Set(await kafka.call((a) => a.listTopics()).catch(() => [] as string[]));
      topicsDeleted = run.scratch.filter((t) => existing.has(t));
      if (topicsDeleted.length) await kafka.call((a) => a.deleteTopics({ topics: topicsDeleted })).catch(() => (topicsDeleted = []));
    }
    return { stopped: true, groupDeleted, topicsDeleted };
  }

  /** Stops every run still going (the server is closing); their groups and topics stay. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const run of this.runs.values()) {
      run.stopping = true;
      for (const r of run.replicas) if (!r.exited) r.child.kill('SIGTERM');
    }
    await Promise.all([...this.runs.values()].flatMap((run) => run.replicas.map((r) => r.exit)));
  }
}
