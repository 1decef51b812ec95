/**
 * The store's initial data, in one place, so that `reset()` and tests start
 * from exactly what a first-time user sees.
 */
import { emptyPipeline } from '../../codegen/pipeline.js';
import { simulatorInitial } from '../simulator/slice.js';
import { testsInitial } from '../tests/slice.js';
import { workshopInitial } from '../workshop/slice.js';
import { defaultPanels } from '../panel-sizes.js';
import type { DesignerState } from './types.js';

type Data<T> = { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: T[K] };

/** The store's data: what `reset()` restores (the selectors' memo is the store's own, not data). */
export type DesignerData = Omit<Data<DesignerState>, 'memo'>;

export function initialState(): DesignerData {
  return {
    pipeline: emptyPipeline(),
    files: {},
    structure: 0,
    revision: 0,
    selectedNodes: [],
    selectedEdges: [],
    past: [],
    future: [],
    lastKey: null,
    lastAt: 0,
    theme: 'system',
    toasts: [],
    bottomTab: 'problems',
    bottomOpen: true,
    problems: [],
    problemsFor: -1,
    preview: null,
    previewFor: -1,
    previewFile: 'src/pipeline.ts',
    measured: {},
    clipboard: [],
    dialog: null,
    paletteQuery: '',
    dropEdge: null,
    panels: defaultPanels(),
    ...simulatorInitial(),
    ...testsInitial(),
    ...workshopInitial(),
  };
}

/** How many undo steps are kept. Pipelines share structure, so a step costs little. */
export const HISTORY_LIMIT = 200;
/** Edits with the same key closer than this are one undo step. */
export const COALESCE_MS = 1200;
