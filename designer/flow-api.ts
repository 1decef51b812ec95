/**
 * Each designer's canvas: its React Flow instance and its element, for
 * handlers outside the canvas (palette click-to-add, problems panel,
 * auto-layout) that need the viewport. Kept per store, set when the canvas
 * initialises, so two designers on a page each move their own view.
 */
import type { ReactFlowInstance } from '@xyflow/react';
import type { DesignerStore } from './store/index.js';
import type { FlowEdge, FlowNode } from './store/selectors.js';

type Flow = ReactFlowInstance<FlowNode, FlowEdge>;
const flows = new WeakMap<DesignerStore, Flow>();
const elements = new WeakMap<DesignerStore, HTMLElement>();

export function setFlow(store: DesignerStore, flow: Flow | null): void {
  if (flow) flows.set(store, flow);
  else flows.delete(store);
}

export function getFlow(store: DesignerStore): Flow | null {
  return flows.get(store) ?? null;
}

/** The canvas element of a designer (the `.pw-canvas` box), set while it is mounted. */
export function setCanvasElement(store: DesignerStore, element: HTMLElement | null): void {
  if (element) elements.set(store, element);
  else elements.delete(store);
}

export function canvasElement(store: DesignerStore): HTMLElement | null {
  return elements.get(store) ?? null;
}

/** Nominal node size, for centring a new node on a point before it is measured. */
export const NODE_SIZE = { width: 220, height: 84 };

/** The drag-and-drop type that carries a kind name from the palette to the canvas. */
export const KIND_MIME = 'application/x-pipewright-kind';

/**
 * The kind being dragged from the palette (one drag at a time on a page, so
 * one value for the page). A drag's data can only be read on
 * drop, but the canvas must know earlier whether the kind can go into a wire.
 */
let dragging: string | undefined;
export const setDraggedKind = (kind: string | undefined) => void (dragging = kind);
export const draggedKind = () => dragging;
