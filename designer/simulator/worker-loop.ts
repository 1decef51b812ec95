/**
 * The worker's loop, apart from the worker globals so a test can drive it.
 * Commands and ticks run one after another on one promise chain: a replica
 * is never killed in the middle of a tick.
 */
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import { type Command, type Report, type Speed, VIEWS_PER_SECOND } from './protocol.js';
import { Script } from '../../codegen/exercise-actions.js';
import { checkSession } from './check-run.js';
import { SimSession, type SimSettings } from './session.js';
import { errorText } from '../../runtime/errors.js';

/** At full speed the loop runs ticks for this long before it lets messages in. */
const SLICE_MS = 40;

/**
 * The in-memory log keeps every event, so a run stops itself here rather
 * than let the tab run out of memory; Reset starts again.
 */
export const MAX_EVENTS = 3_000_000;

const now = () => performance.now();
/**
 * A timer, not a message to ourselves: a MessageChannel loop can starve the
 * timers (Node runs port messages ahead of them), and the nested-timer clamp
 * of 4 ms costs little against a slice of SLICE_MS.
 */
const yieldToEvents = () => new Promise<void>((r) => setTimeout(r, 0));

/** The commands of the extra groups (others are ignored here). */
function groupCommand(session: SimSession, c: Command): void {
  if (c.type === 'add-group') session.addGroup(c.spec);
  else if (c.type === 'remove-group') session.removeGroup(c.name);
  else if (c.type === 'add-group-member') session.addGroupMember(c.name);
  else if (c.type === 'kill-group-member') session.killGroupMember(c.name, c.id);
  else if (c.type === 'slow-group-member') session.slowGroupMember(c.name, c.id, c.factor);
}

export function serveSimulator(post: (r: Report) => void, listen: (handler: (c: Command) => void) => void): void {
  const worker = new SimulatorLoop(post);
  listen((c) => worker.command(c));
}

/** The simulator a worker runs: its session, whether and how fast it runs, and the chain its commands and ticks go on. */
class SimulatorLoop {
  private session: SimSession | undefined;
  private load: Extract<Command, { type: 'load' }> | undefined;
  private running = false;
  private speed: Speed = 10;
  private chain: Promise<unknown> = Promise.resolve();
  private lastPost = 0;
  private loopId = 0;
  // Throughput over the last second of wall time.
  private meter = { at: now(), tick: 0, produced: 0 };
  private measured = { ticksPerSecond: 0, eventsPerSecond: 0 };

  constructor(private readonly post: (r: Report) => void) {}

  /** Runs `fn` after everything queued before it; an error pauses the run and is reported. */
  private enqueue(fn: () => unknown): Promise<unknown> {
    this.chain = this.chain.then(fn).catch((e: unknown) => {
      this.running = false;
      this.post({ type: 'error', message: errorText(e) });
    });
    return this.chain;
  }

  /** Posts the session's view, with the status and the throughput measured since the last second. */
  private postView(): void {
    const { session } = this;
    if (!session) return;
    this.lastPost = now();
    const t = now();
    const view = session.view();
    if (t - this.meter.at >= 1000 || !this.running) {
      if (t - this.meter.at >= 250) {
        this.measured = {
          ticksPerSecond: Math.round(((view.tick - this.meter.tick) * 1000) / (t - this.meter.at)),
          eventsPerSecond: Math.round(((view.produced - this.meter.produced) * 1000) / (t - this.meter.at)),
        };
      }
      this.meter = { at: t, tick: view.tick, produced: view.produced };
    }
    this.post({ type: 'view', view, status: { running: this.running, speed: this.speed, ...this.measured } });
  }

  /** Starts a new session of the loaded plan. */
  private start(settings: SimSettings, files: PipelineFiles): void {
    if (!this.load) return;
    this.session = new SimSession(
      this.load.plan,
      settings,
      {
        readFile: async (path) => {
          const bytes = files[path];
          if (!bytes) throw new Error(`the pipeline file ${path} is not attached`);
          return bytes;
        },
      },
      new Script(this.load.script ?? []),
    );
    this.meter = { at: now(), tick: 0, produced: 0 };
  }

  /** Runs ticks while the run `id` plays: at full speed a slice of ticks between messages, else one tick per 1/speed s. */
  private async loop(id: number): Promise<void> {
    while (this.running && id === this.loopId && this.session) {
      const s = this.session;
      await this.enqueue(async () => {
        if (!this.running || id !== this.loopId || s !== this.session) return;
        const began = now();
        if (this.speed === 0) {
          do await s.step();
          while (now() - began < SLICE_MS);
        } else {
          await s.step();
        }
        if (s.sim.produced >= MAX_EVENTS) {
          this.running = false;
          this.postView();
          this.post({
            type: 'error',
            message: `paused after ${s.sim.produced.toLocaleString('en')} events: the in-memory log keeps them all. Reset to start again.`,
          });
          return;
        }
        if (now() - this.lastPost >= 1000 / VIEWS_PER_SECOND) this.postView();
      });
      if (this.speed === 0) await yieldToEvents();
      else await new Promise((r) => setTimeout(r, 1000 / this.speed));
    }
  }

  private play(): void {
    if (this.running || !this.session) return;
    this.running = true;
    this.meter = { at: now(), tick: this.session.sim.tick, produced: this.session.sim.produced };
    void this.loop(++this.loopId);
  }

  /** One command from the page. */
  command(c: Command): void {
    switch (c.type) {
      case 'load':
        void this.enqueue(() => {
          this.load = c;
          this.running = false;
          this.speed = c.speed;
          this.start({ ...c.settings }, c.files);
          this.postView();
        });
        return;
      case 'play':
        void this.enqueue(() => {
          this.play();
          this.postView();
        });
        return;
      case 'pause':
        this.running = false;
        void this.enqueue(() => this.postView());
        return;
      case 'record':
        void this.enqueue(() => this.session && this.post({ type: 'recording', ...this.session.recording(c.max) }));
        return;
      case 'check':
        void this.enqueue(async () => {
          if (!this.session) return;
          this.running = false;
          const results = await checkSession(this.session, c.checks, c.seconds);
          this.postView();
          this.post({ type: 'checked', results });
        });
        return;
      case 'stop':
        this.running = false;
        this.session = undefined;
        return;
      case 'speed':
        this.speed = Math.max(0, c.speed);
        void this.enqueue(() => this.postView());
        return;
      default:
        void this.enqueue(async () => {
          if (!this.session) return;
          await this.sessionCommand(this.session, c);
          this.postView();
        });
    }
  }

  /** A command that acts on the running session: stepping, the rate, replicas, brokers, the cluster, a reset, the groups. */
  private async sessionCommand(session: SimSession, c: Command): Promise<void> {
    const { load } = this;
    if (c.type === 'step') {
      this.running = false;
      await session.step();
    } else if (c.type === 'step-one') {
      this.running = false;
      await session.stepOne();
    } else if (c.type === 'rate') session.setRate(c.rate);
    else if (c.type === 'add-replica') session.addReplica();
    else if (c.type === 'remove-replica') session.removeReplica();
    else if (c.type === 'kill-replica') session.killReplica(c.id);
    else if (c.type === 'kill-broker') session.killBroker(c.id);
    else if (c.type === 'restart-broker') session.restartBroker(c.id);
    else if (c.type === 'slow-broker') session.slowBroker(c.id, c.factor);
    else if (c.type === 'set-cluster' && load && !session.setCluster(c.cluster)) {
      // A new broker count or replication factor is a new run, kept by Reset; a bad one leaves the run as it was.
      this.load = { ...load, settings: { ...load.settings, cluster: c.cluster ?? undefined } };
      try {
        this.start({ ...session.settings, ...this.load.settings }, this.load.files);
      } catch (e) {
        this.load = load;
        throw e;
      }
    } else if (c.type === 'reset' && load) {
      const wasRunning = this.running;
      this.running = false;
      // The groups added while it ran stay, with their members.
      this.start(
        { ...session.settings, ...load.settings, rate: session.settings.rate, seed: c.seed ?? session.settings.seed, groups: session.sim.readers.specs() },
        load.files,
      );
      if (wasRunning) this.play();
    } else groupCommand(session, c);
  }
}
