/**
 * What the toolbar, the keyboard and the dialogs do, on the designer whose
 * store they are given. Each reads the store with getState() when it runs,
 * so no component re-renders to offer them.
 */
import type { Problem } from '../codegen/errors.js';
import type { Pipeline } from '../codegen/pipeline.js';
import { serializePipeline } from '../codegen/serialize.js';
import { getKind } from '../runtime/kinds/registry.js';
import { exampleFiles, type Example } from './examples.js';
import type { PipelineFiles } from '../runtime/kinds/spec.js';
import { canvasElement, getFlow, NODE_SIZE } from './flow-api.js';
import { layoutPipeline } from './layout.js';
import { clearSpot, isBlank } from './graph/ops.js';
import { currentProblems, rememberOpenedText } from './analysis.js';
import { checkText, requestGenerate } from './check/client.js';
import { readYaml, shareUrl } from './persistence.js';
import type { DesignerStore } from './store/index.js';
import { errorText } from '../runtime/errors.js';

export function download(name: string, data: Uint8Array | string, type: string): void {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file name from the pipeline name, which validation keeps to [a-z0-9-]; anything else falls back. */
function baseName(p: Pipeline): string {
  return /^[a-z0-9-]{1,40}$/.test(p.name) ? p.name : 'pipeline';
}

export function exportYaml(store: DesignerStore): void {
  const p = store.getState().pipeline;
  download(`${baseName(p)}.yaml`, serializePipeline(p), 'application/yaml');
}

/**
 * Export and Share on a pipeline with errors ask first (the exported repository would not build);
 * true when they did, and the dialog now decides.
 */
async function askFirst(store: DesignerStore, action: 'zip' | 'link'): Promise<boolean> {
  const errors = (await currentProblems(store)).filter((p) => p.severity === 'error').length;
  // A valid pipeline's own tests count too: a repo whose npm test fails is not ready either.
  const failingTests = errors === 0 ? (await currentTestProblems(store)).length : 0;
  if (errors + failingTests === 0) return false;
  store.getState().setDialog({ type: 'export-anyway', action, errors: errors + failingTests, failingTests });
  return true;
}

/** The failing tests of the pipeline as it is now, running them first if their last run is older. */
async function currentTestProblems(store: DesignerStore): Promise<Problem[]> {
  const s = store.getState();
  if (s.testsFor !== s.structure || s.testsRunning) await s.runTests();
  const after = store.getState();
  return after.testsFor === after.structure ? after.testProblems : [];
}

/** The export dialog's default: close it and show the problems. */
export function showProblems(store: DesignerStore): void {
  const s = store.getState();
  s.setDialog(null);
  s.setBottomTab('problems');
}

export async function exportZip(store: DesignerStore, { anyway = false } = {}): Promise<boolean> {
  if (!anyway && (await askFirst(store, 'zip'))) return false;
  const s = store.getState();
  // The generator runs in the check worker, with the TypeScript compiler it needs.
  let out, zip;
  try {
    ({ outcome: out, zip } = await requestGenerate(s.pipeline, s.files, true));
  } catch (e) {
    s.toast(`Generation failed: ${errorText(e)}`, 'error');
    return false;
  }
  if (!out.files || !zip) {
    const first = out.problems.find((p) => p.severity === 'error');
    s.toast(out.crash ? `Generation failed: ${out.crash}` : `Fix the problems first${first ? `: ${first.message}` : '.'}`, 'error');
    s.setBottomTab('problems');
    return false;
  }
  download(`${baseName(s.pipeline)}.zip`, zip, 'application/zip');
  s.toast(`Exported ${Object.keys(out.files).length + Object.keys(out.binary).length} files.`);
  return true;
}

/** Open YAML text; on failure the canvas is left as it was and a dialog lists what is wrong. */
export function openYamlText(store: DesignerStore, text: string, fileName: string, files: PipelineFiles = {}): boolean {
  const s = store.getState();
  const opened = readYaml(text);
  if (!opened.pipeline) {
    s.setDialog({ type: 'open-failed', file: fileName, problems: opened.problems });
    // The page reads only the file's shape; the check worker lists everything `pipewright validate` would.
    checkText(text, (problems) => {
      const d = store.getState().dialog;
      if (d?.type === 'open-failed' && d.file === fileName && d.problems === opened.problems) s.setDialog({ ...d, problems });
    });
    return false;
  }
  loadPipeline(store, opened.pipeline, { files });
  // Until the first edit, the problems are those of the file as written, with its lines and columns.
  rememberOpenedText(store, text);
  s.toast(`Opened ${fileName}.`);
  void currentProblems(store).then((problems) => {
    const errors = problems.filter((p) => p.severity === 'error').length;
    if (errors && store.getState().problems === problems) s.toast(`${fileName} has ${errors} problem${errors > 1 ? 's' : ''}; see Problems.`, 'error');
  });
  return true;
}

export async function openYamlFile(store: DesignerStore, file: File): Promise<boolean> {
  return openYamlText(store, await file.text(), file.name);
}

/** Replace the canvas with a pipeline; the previous one stays one undo away. */
export function loadPipeline(store: DesignerStore, p: Pipeline, { history = true, files }: { history?: boolean; files?: PipelineFiles } = {}): void {
  store.getState().load(p, { history, files });
  if (p.nodes.some((n) => !n.position)) void autoLayout(store, { history: false });
  else requestAnimationFrame(() => fitView(store));
}

export async function openExample(store: DesignerStore, example: Example): Promise<void> {
  const s = store.getState();
  const hadContent = !isBlank(s.pipeline);
  const { pipeline } = readYaml(example.text);
  const files = pipeline ? await exampleFiles(example, pipeline) : {};
  if (!openYamlText(store, example.text, `examples/${example.slug}/pipeline.yaml`, files)) return;
  s.setDialog(null);
  if (hadContent) s.toast(`Opened ${example.slug}. The previous pipeline is one undo away (Ctrl+Z).`);
}

export async function autoLayout(store: DesignerStore, { history = true } = {}): Promise<void> {
  const s = store.getState();
  const before = s.pipeline;
  const positions = await layoutPipeline(before, s.measured);
  // Only apply if nothing else changed the pipeline meanwhile.
  if (store.getState().pipeline !== before) return;
  store.getState().applyPositions(positions, { history });
  requestAnimationFrame(() => fitView(store));
}

export function fitView(store: DesignerStore): void {
  void getFlow(store)?.fitView({ padding: 0.15, duration: 0, maxZoom: 1.2 });
}

/**
 * Click-to-add: the new node goes to the right of the last node added, so a
 * pipeline typed in from the keyboard reads left to right; the first goes in
 * the middle of the view. The view follows a node that lands out of sight.
 */
export function addNodeFromPalette(store: DesignerStore, kind: string): string | undefined {
  if (!getKind(kind)) return undefined;
  const s = store.getState();
  const flow = getFlow(store);
  const pane = canvasElement(store)?.getBoundingClientRect();
  const last = s.pipeline.nodes[s.pipeline.nodes.length - 1];
  let at: { x: number; y: number };
  if (last?.position) {
    const size = s.measured[last.id] ?? NODE_SIZE;
    at = { x: last.position.x + size.width + 60, y: last.position.y };
  } else {
    const c = flow && pane ? flow.screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 }) : { x: 0, y: 0 };
    at = { x: c.x - NODE_SIZE.width / 2, y: c.y - NODE_SIZE.height / 2 };
  }
  at = clearSpot(s.pipeline, s.measured, at, NODE_SIZE);
  const id = s.addNode(kind, at);
  revealNodes(store, [id]);
  return id;
}

/** When any of these nodes is out of sight, pan (keeping the zoom) so that their middle is in the middle of the view. */
export function revealNodes(store: DesignerStore, ids: readonly string[]): void {
  const s = store.getState();
  const flow = getFlow(store);
  const pane = canvasElement(store)?.getBoundingClientRect();
  if (!flow || !pane) return;
  const wanted = new Set(ids);
  const boxes = s.pipeline.nodes.filter((n) => wanted.has(n.id) && n.position).map((n) => ({ ...n.position!, ...(s.measured[n.id] ?? NODE_SIZE) }));
  if (boxes.length === 0) return;
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.width));
  const y1 = Math.max(...boxes.map((b) => b.y + b.height));
  const tl = flow.flowToScreenPosition({ x: x0, y: y0 });
  const br = flow.flowToScreenPosition({ x: x1, y: y1 });
  if (tl.x < pane.left || tl.y < pane.top || br.x > pane.right || br.y > pane.bottom) {
    void flow.setCenter((x0 + x1) / 2, (y0 + y1) / 2, { zoom: flow.getZoom(), duration: 150 });
  }
}

/** Add a node centred on a canvas point, or as near to it as keeps it clear of other nodes. */
export function addNodeAt(store: DesignerStore, kind: string, at: { x: number; y: number }): string {
  const s = store.getState();
  return s.addNode(kind, clearSpot(s.pipeline, s.measured, { x: at.x - NODE_SIZE.width / 2, y: at.y - NODE_SIZE.height / 2 }, NODE_SIZE));
}

export async function copyShareLink(store: DesignerStore, { anyway = false } = {}): Promise<void> {
  if (!anyway && (await askFirst(store, 'link'))) return;
  const s = store.getState();
  const url = shareUrl(s.pipeline, window.location.href);
  try {
    await navigator.clipboard.writeText(url);
    s.toast('Share link copied. It carries the whole pipeline.');
  } catch {
    window.prompt('Copy this link:', url);
  }
}

export function focusNode(store: DesignerStore, id: string): void {
  const s = store.getState();
  s.select([id], []);
  const n = s.pipeline.nodes.find((x) => x.id === id);
  const flow = getFlow(store);
  if (n?.position && flow) {
    const size = s.measured[id] ?? NODE_SIZE;
    void flow.setCenter(n.position.x + size.width / 2, n.position.y + size.height / 2, { zoom: Math.max(flow.getZoom(), 0.8), duration: 200 });
  }
}

export function openExampleDialog(store: DesignerStore): void {
  store.getState().setDialog({ type: 'examples' });
}
