/**
 * Entry point: restore the pipeline (shared link, then autosave), start the
 * live validation, preview and autosave, and render.
 */
import '@xyflow/react/dist/style.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { serializePipeline } from '../codegen/serialize.js';
import { autoLayout, fitView, loadPipeline, openYamlText } from './actions.js';
import { startAnalysis, validateNow } from './analysis.js';
import { startTestRuns } from './tests/auto.js';
import { App } from './App.js';
import { getFlow } from './flow-api.js';
import { requestYaml } from './check/client.js';
import { initialPipeline, shareUrl, startAutosave } from './persistence.js';
import { createDesignerStore } from './store/index.js';
import { savedTheme } from './theme.js';
import { savedPanels } from './panel-sizes.js';
import { applySolution, autosaveKey, checkAnswer, routeHash } from './workshop/actions.js';
import { exerciseRefOf } from './workshop/catalog.js';
import { takeLiveToken } from './live/api.js';
import { startLive } from './live/start.js';

// The page's one designer: its store, restored before the first render.
const store = createDesignerStore();
store.getState().setTheme(savedTheme(localStorage));
store.getState().setPanels(savedPanels(localStorage));

const start = initialPipeline(window.location.hash, localStorage);
if (start.origin === 'link') {
  // The link has done its job; later edits autosave, and a reload shows them, not the link again.
  history.replaceState(null, '', window.location.pathname + window.location.search);
}
if (start.pipeline) {
  loadPipeline(store, start.pipeline, { history: false });
  if (start.origin === 'autosave' && start.pipeline.nodes.length > 0 && exerciseRefOf(window.location.hash) === null)
    store.getState().toast('Restored your last session.');
} else if (start.origin === 'link' || start.origin === 'autosave') {
  const why = start.problems.find((p) => p.severity === 'error');
  const what = start.origin === 'link' ? 'The shared link' : 'Your last session';
  store.getState().toast(`${what} could not be read${why ? `: ${why.message} ${why.hint}` : ''}; starting empty.`, 'error');
}

startAnalysis(store);
startTestRuns(store);
startAutosave(store, localStorage, requestYaml, autosaveKey);
// Exercise links (#exercise=<example>/<id>) and the workshop page (#workshop), now and when the hash changes.
routeHash(store, window.location.hash, localStorage);
window.addEventListener('hashchange', () => routeHash(store, window.location.hash, localStorage));
// Opened by `pipewright dev` (with ?token=): talk to the local server. Without it, no request leaves the page.
const liveToken = takeLiveToken(window.location, sessionStorage, (url) => history.replaceState(null, '', url));
if (liveToken) startLive(store, liveToken);

/** A handle for tests and benchmarks: load big pipelines and read state without clicking. */
declare global {
  interface Window {
    __pipewright?: unknown;
  }
}
window.__pipewright = {
  store,
  openYaml: (text: string) => openYamlText(store, text, 'pipeline.yaml'),
  yaml: () => serializePipeline(store.getState().pipeline),
  validateNow: () => validateNow(store),
  fitView: () => fitView(store),
  autoLayout: (options?: { history?: boolean }) => autoLayout(store, options),
  setViewport: (x: number, y: number, zoom: number) => getFlow(store)?.setViewport({ x, y, zoom }),
  shareLink: () => shareUrl(store.getState().pipeline, window.location.href),
  applySolution: () => applySolution(store),
  checkAnswer: () => checkAnswer(store, localStorage),
};

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);
