/**
 * The designer's one store, built from typed slices. Each slice owns its
 * state and the actions that change it; actions may read the whole store
 * (`get()`), since an edit of the pipeline also touches history and
 * selection.
 */
import type { Problem } from '../../codegen/errors.js';
import type { Pipeline, PipelineNode } from '../../codegen/pipeline.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import type { Verdict, Wire, XY } from '../graph/ops.js';
import type { SimulatorSlice } from '../simulator/types.js';
import type { TestsSlice } from '../tests/slice.js';
import type { WorkshopSlice } from '../workshop/slice.js';
import type { PanelSizes } from '../panel-sizes.js';
import type { SelectorMemo } from './selectors.js';

export interface EditOptions {
  /**
   * Edits with the same key in quick succession are one undo step (typing in
   * a field, nudging a value). Without a key every edit is its own step.
   */
  key?: string;
  /** False when the edit only moves nodes: validation does not depend on positions. Default true. */
  structural?: boolean;
  /** False for edits that must not be undone on their own (e.g. the frames of a drag). Default true. */
  history?: boolean;
}

export interface PipelineSlice {
  pipeline: Pipeline;
  /**
   * The pipeline's own files (models) by the path its parameters name them
   * with. Not part of the YAML: they come with an example or are attached in
   * the inspector, and go into the generated repository.
   */
  files: PipelineFiles;
  /** Bumped by every edit that can change what validation says (everything but moves). */
  structure: number;
  /** Bumped by every edit, moves included. */
  revision: number;
  /** The one way the pipeline changes; history and counters follow. */
  commit(next: Pipeline, options?: EditOptions): void;
  /** Replace the whole pipeline (open, example, restore); undoable unless told otherwise. */
  load(next: Pipeline, options?: { history?: boolean; files?: PipelineFiles }): void;
  setFile(path: string, bytes: Uint8Array | undefined): void;
  addNode(kind: string, position: XY): string;
  connect(wire: Wire): Verdict;
  /** Wire `wire` in place of the wires already into its input port. */
  replaceWire(wire: Wire): Verdict;
  /**
   * Put a node into the wire with canvas id `edge`: a new node of `kind`, or
   * the unconnected node `id`. With `history: false` it joins the undo step
   * already open (the drag that brought the node).
   */
  insertIntoEdge(edge: string, node: { kind: string; at: XY } | { id: string }, options?: { history?: boolean }): Verdict & { id?: string };
  moveNodes(moves: ReadonlyMap<string, XY>): void;
  removeElements(nodeIds: readonly string[], wires?: readonly Wire[]): void;
  deleteSelection(): void;
  setParam(nodeId: string, name: string, value: unknown): void;
  setLabel(nodeId: string, label: string): void;
  /** Returns why the id was refused, or undefined. */
  renameNode(from: string, to: string): string | undefined;
  setSamples(nodeId: string, samples: PipelineNode['samples']): void;
  setPipelineName(name: string): void;
  copySelection(): number;
  paste(): string[];
  applyPositions(positions: ReadonlyMap<string, XY>, options?: { history?: boolean }): void;
}

export interface SelectionSlice {
  selectedNodes: string[];
  selectedEdges: string[];
  select(nodes: string[], edges?: string[]): void;
}

export interface HistorySlice {
  past: Pipeline[];
  future: Pipeline[];
  /** Key and time of the last edit, for folding edits into one undo step. */
  lastKey: string | null;
  lastAt: number;
  /** Call when a drag starts: the whole drag becomes one undo step. */
  beginGesture(): void;
  /** Call when a drag ends: a drag that moved nothing leaves no undo step. */
  endGesture(): void;
  undo(): void;
  redo(): void;
}

export type Theme = 'system' | 'light' | 'dark';

export interface Toast {
  id: number;
  tone: 'info' | 'error';
  text: string;
}

export interface Preview {
  files: Record<string, string> | null;
  binary: Record<string, Uint8Array>;
  problems: Problem[];
  /** When generate itself threw: a bug, shown as such. */
  crash?: string;
  millis: number;
}

export type Dialog =
  | null
  | { type: 'examples' }
  | { type: 'open-failed'; file: string; problems: Problem[] }
  /** A wire into an input port that already has one: replace, merge or cancel. */
  | { type: 'second-input'; wire: Wire; message: string }
  | { type: 'shortcuts' }
  /** The workshop page: every exercise in order, with its concept and a done mark. */
  | { type: 'workshop' }
  /** Export zip or Share link asked on a pipeline with errors: export anyway, or (the default) show them. */
  /** `errors` counts every error, failing tests included; `failingTests` how many of them are tests. */
  | { type: 'export-anyway'; action: 'zip' | 'link'; errors: number; failingTests?: number };

export interface UiSlice {
  theme: Theme;
  toasts: Toast[];
  bottomTab: 'problems' | 'tests' | 'code';
  bottomOpen: boolean;
  /** Problems of the pipeline as validated for `problemsFor` (a `structure` value). */
  problems: Problem[];
  problemsFor: number;
  preview: Preview | null;
  previewFor: number;
  previewFile: string | null;
  /** Rendered sizes of nodes as the canvas measured them; view state, not the pipeline. */
  measured: Record<string, { width: number; height: number }>;
  clipboard: PipelineNode[];
  dialog: Dialog;
  paletteQuery: string;
  /** The wire a dragged node would go into if dropped now (canvas edge id), shown highlighted. */
  dropEdge: string | null;
  /** Sizes of the resizable panels, kept per browser. */
  panels: PanelSizes;
  setTheme(theme: Theme): void;
  toast(text: string, tone?: Toast['tone']): void;
  dismissToast(id: number): void;
  setBottomTab(tab: UiSlice['bottomTab']): void;
  toggleBottom(): void;
  setProblems(problems: Problem[], forStructure: number): void;
  setPreview(preview: Preview, forRevision: number): void;
  setPreviewFile(path: string | null): void;
  setMeasured(sizes: Record<string, { width: number; height: number }>): void;
  setDialog(dialog: Dialog): void;
  setPaletteQuery(q: string): void;
  setDropEdge(edge: string | null): void;
  setPanels(sizes: Partial<PanelSizes>): void;
}

export interface StoreApi {
  /** Back to the initial state, functions kept. */
  reset(): void;
  /**
   * The selectors' memos (selectors.ts), one per store so that two designers
   * on a page never see each other's canvas nodes or problems. Not data:
   * never set, never reset.
   */
  readonly memo: SelectorMemo;
}

/** The functions of a slice; its data starts in initial.ts. */
export type Actions<T> = { [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] };

export type DesignerState = PipelineSlice & SelectionSlice & HistorySlice & UiSlice & SimulatorSlice & TestsSlice & WorkshopSlice & StoreApi;
