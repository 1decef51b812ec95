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
  let session: SimSession | undefined;
  let load: Extract<Command, { type: 'load' }> | undefined;
  let running = false;
  let speed: Speed = 10;
  let chain: Promise<unknown> = Promise.resolve();
  let lastPost = 0;
  let loopId = 0;
  // Throughput over the last second of wall time.
  let meter = { at: now(), tick: 0, produced: 0 };
  let measured = { ticksPerSecond: 0, eventsPerSecond: 0 };

  const enqueue = (fn: () => unknown) => {
    chain = chain.then(fn).catch((e: unknown) => {
      running = false;
      post({ type: 'error', message: errorText(e) });
    });
    return chain;
  };

  const postView = () => {
    if (!session) return;
    lastPost = now();
    const t = now();
    const view = session.view();
    if (t - meter.at >= 1000 || !running) {
      if (t - meter.at >= 250) {
        measured = {
          ticksPerSecond: Math.round(((view.tick - meter.tick) * 1000) / (t - meter.at)),
          eventsPerSecond: Math.round(((view.produced - meter.produced) * 1000) / (t - meter.at)),
        };
      }
      meter = { at: t, tick: view.tick, produced: view.produced };
    }
    post({ type: 'view', view, status: { running, speed, ...measured } });
  };

  const start = (settings: SimSettings, files: PipelineFiles) => {
    if (!load) return;
    session = new SimSession(load.plan, settings, {
      readFile: async (path) => {
        const bytes = files[path];
        if (!bytes) throw new Error(`the pipeline file ${path} is not attached`);
        return bytes;
      },
    }, new Script(load.script ?? []));
    meter = { at: now(), tick: 0, produced: 0 };
  };

  const loop = async (id: number) => {
    while (running && id === loopId && session) {
      const s = session;
      await enqueue(async () => {
        if (!running || id !== loopId || s !== session) return;
        const began = now();
        if (speed === 0) {
          do await s.step();
          while (now() - began < SLICE_MS);
        } else {
          await s.step();
        }
        if (s.sim.produced >= MAX_EVENTS) {
          running = false;
          postView();
          post({ type: 'error', message: `paused after ${s.sim.produced.toLocaleString('en')} events: the in-memory log keeps them all. Reset to start again.` });
          return;
        }
        if (now() - lastPost >= 1000 / VIEWS_PER_SECOND) postView();
      });
      if (speed === 0) await yieldToEvents();
      else await new Promise((r) => setTimeout(r, 1000 / speed));
    }
  };

  const play = () => {
    if (running || !session) return;
    running = true;
    meter = { at: now(), tick: session.sim.tick, produced: session.sim.produced };
    void loop(++loopId);
  };

  listen((c) => {
    switch (c.type) {
      case 'load':
        void enqueue(() => {
          load = c;
          running = false;
          speed = c.speed;
          start({ ...c.settings }, c.files);
          postView();
        });
        return;
      case 'play':
        void enqueue(() => {
          play();
          postView();
        });
        return;
      case 'pause':
        running = false;
        void enqueue(postView);
        return;
      case 'record':
        void enqueue(() => session && post({ type: 'recording', ...session.recording(c.max) }));
        return;
      case 'check':
        void enqueue(async () => {
          if (!session) return;
          running = false;
          const results = await checkSession(session, c.checks, c.seconds);
          postView();
          post({ type: 'checked', results });
        });
        return;
      case 'stop':
        running = false;
        session = undefined;
        return;
      case 'speed':
        speed = Math.max(0, c.speed);
        void enqueue(postView);
        return;
      default:
        void enqueue(async () => {
          if (!session) return;
          if (c.type === 'step') {
            running = false;
            await session.step();
          } else if (c.type === 'step-one') {
            running = false;
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
            const before = load;
            load = { ...load, settings: { ...load.settings, cluster: c.cluster ?? undefined } };
            try {
              start({ ...session.settings, ...load.settings }, load.files);
            } catch (e) {
              load = before;
              throw e;
            }
          }
          else if (c.type === 'reset' && load) {
            const wasRunning = running;
            running = false;
            // The groups added while it ran stay, with their members.
            start({ ...session.settings, ...load.settings, rate: session.settings.rate, seed: c.seed ?? session.settings.seed, groups: session.sim.readers.specs() }, load.files);
            if (wasRunning) play();
          } else groupCommand(session, c);
          postView();
        });
    }
  });
}
