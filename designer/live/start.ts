/**
 * Live mode's start: the client, the server's events, and the pipeline file kept in step with the
 * canvas of the designer it is given. main.tsx calls it only when the page was opened with a token;
 * the page has one live connection (one token, one dev server), so one file sync.
 */
import { loadPipeline } from '../actions.js';
import { serializePipeline } from '../../codegen/serialize.js';
import { readYaml } from '../persistence.js';
import type { DesignerStore } from '../store/index.js';
import { LiveClient } from './api.js';
import { refreshStatus, refreshTopics, runReport } from './actions.js';
import { addTail, live, setLive } from './store.js';
import { PipelineSync } from './sync.js';

let sync: PipelineSync | null = null;
const LOST = 'Lost the connection to the dev server; retrying. Is `pipewright dev` still running?';

/** The file sync, when the server has a pipeline file. */
export const liveSync = () => sync;

/** Before a run: the file must hold the canvas. False (with the reason shown) when it cannot. */
export async function saveBeforeRun(): Promise<boolean> {
  if (!sync) return true;
  await sync.save();
  if (sync.conflict) {
    setLive({ error: 'The file on disk changed too: choose which version to keep first.' });
    return false;
  }
  if (sync.dirty) {
    setLive({ error: `The pipeline could not be saved to its file${live().saved?.text ? `: ${live().saved?.text}` : ''}.` });
    return false;
  }
  return true;
}

export function startLive(store: DesignerStore, token: string): () => void {
  const client = new LiveClient(token);
  setLive({ client });
  const stops: (() => void)[] = [];
  void (async () => {
    await refreshStatus();
    void refreshTopics();
    const status = live().status;
    if (!status?.pipelinePath) return;
    sync = new PipelineSync(client, {
      revision: () => store.getState().revision,
      yaml: () => serializePipeline(store.getState().pipeline),
      load: (text) => {
        const opened = readYaml(text);
        if (!opened.pipeline) {
          const why = opened.problems.find((p) => p.severity === 'error');
          store.getState().toast(`The pipeline file could not be read${why ? `: ${why.message} ${why.hint}` : ''}; the canvas keeps its version.`, 'error');
          return false;
        }
        loadPipeline(store, opened.pipeline);
        return true;
      },
      conflict: (conflict) => setLive({ conflict, conflictHidden: false }),
      report: (state, text) => setLive({ saved: { state, text, at: Date.now() } }),
    });
    try {
      await sync.start();
    } catch (e) {
      setLive({ saved: { state: 'error', text: e instanceof Error ? e.message : String(e), at: Date.now() } });
    }
    const s = sync;
    stops.push(store.subscribe((next, prev) => next.revision !== prev.revision && s.edited()));
  })();
  stops.push(
    client.events({
      'pipeline-changed': (d) => void sync?.fileChanged(d.version),
      run: (d) => runReport(d),
      tail: (d) => setLive({ tails: addTail(live().tails, d.topic, d.message) }),
      // EventSource retries by itself; say so meanwhile, and take it back when it is back.
      error: () => setLive({ error: LOST }),
      open: () => live().error === LOST && setLive({ error: null }),
    }),
  );
  return () => {
    for (const stop of stops) stop();
    sync?.stop();
  };
}
