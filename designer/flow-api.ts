/**
 * The canvas's React Flow instance, for handlers outside the canvas (palette
 * click-to-add, problems panel, auto-layout) that need the viewport. Set once
 * when the canvas initialises.
 */
import type { ReactFlowInstance } from '@xyflow/react';
import type { FlowEdge, FlowNode } from './store/selectors.js';

let instance: ReactFlowInstance<FlowNode, FlowEdge> | null = null;

export function setFlow(flow: ReactFlowInstance<FlowNode, FlowEdge> | null): void {
  instance = flow;
}

export function getFlow(): ReactFlowInstance<FlowNode, FlowEdge> | null {
  return instance;
}

/** Nominal node size, for centring a new node on a point before it is measured. */
export const NODE_SIZE = { width: 220, height: 84 };

/** The drag-and-drop type that carries a kind name from the palette to the canvas. */
export const KIND_MIME = 'application/x-pipewright-kind';

/**
 * The kind being dragged from the palette. A drag's data can only be read on
 * drop, but the canvas must know earlier whether the kind can go into a wire.
 */
let dragging: string | undefined;
export const setDraggedKind = (kind: string | undefined) => void (dragging = kind);
export const draggedKind = () => dragging;
