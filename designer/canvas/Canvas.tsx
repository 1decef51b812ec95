/**
 * The canvas: a view of the pipeline. React Flow gets nodes and edges
 * derived from the Pipeline; every change it reports goes back into the Pipeline
 * (positions included), never into a second copy of the graph.
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  useStore,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type OnConnectEnd,
  type OnDelete,
  type OnNodeDrag,
  type ReactFlowInstance,
} from '@xyflow/react';
import { useCallback, useMemo, type DragEvent } from 'react';
import { addNodeAt, openExampleDialog } from '../actions.js';
import { canvasElement as canvasElementOf, draggedKind, getFlow, KIND_MIME, NODE_SIZE, setCanvasElement, setFlow } from '../flow-api.js';
import { checkSplit, checkWire, secondInput, type Wire, type XY } from '../graph/ops.js';
import { nearestEdge, readEdgeShapes, type EdgeShape } from './edge-hit.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { DesignerStore } from '../store/index.js';
import { wireOfEdgeId } from '../store/pipeline-slice.js';
import { selectFlowEdges, selectFlowNodes, type FlowEdge, type FlowNode } from '../store/selectors.js';
import { MiniMap } from './MiniMap.js';
import { PipelineNodeView } from './PipelineNodeView.js';
import { SimEdge } from '../simulator/SimEdge.js';
import { useResolvedTheme } from '../theme.js';
import { getKind } from '../../runtime/kinds/registry.js';

// Built once: a new object per render would make React Flow remount every node.
const nodeTypes = { pipeline: PipelineNodeView };
// The default edge, with the simulator's counts on it while simulating.
const edgeTypes = { default: SimEdge };

const DROP_REACH = 28;
const FIT_OPTIONS = { padding: 0.15, maxZoom: 1.2 };

function splittable(kindName: string | undefined): boolean {
  const kind = kindName ? getKind(kindName) : undefined;
  return !!kind && kind.category !== 'source' && kind.category !== 'sink';
}

/** Says why a connection was refused (see onConnectEnd). */
function explainRefused(s: ReturnType<DesignerStore['getState']>, event: Parameters<OnConnectEnd>[0], cs: Parameters<OnConnectEnd>[1]): void {
  if (!cs.fromHandle || cs.isValid) return;
  const from = cs.fromHandle;
  if (cs.toHandle) {
    if (cs.toHandle.type === from.type) {
      s.toast(
        from.type === 'source' ? 'Connect an output (right side) to an input (left side).' : 'Connect an input (left side) to an output (right side).',
        'error',
      );
      return;
    }
    const wire: Wire =
      from.type === 'source'
        ? { source: from.nodeId, sourceHandle: from.id, target: cs.toHandle.nodeId, targetHandle: cs.toHandle.id }
        : { source: cs.toHandle.nodeId, sourceHandle: cs.toHandle.id, target: from.nodeId, targetHandle: from.id };
    const verdict = checkWire(s.pipeline, wire);
    if (!verdict.ok) s.toast(verdict.reason, 'error');
    return;
  }
  const target = event.target instanceof Element ? event.target.closest('.react-flow__node') : null;
  const nodeId = target?.getAttribute('data-id');
  const node = nodeId ? s.pipeline.nodes.find((n) => n.id === nodeId) : undefined;
  const kind = node && getKind(node.kind);
  if (!kind || node.id === from.nodeId) return;
  if (from.type === 'source' && kind.category === 'source') s.toast(`${kind.title} is a source and takes no input.`, 'error');
  else if (from.type === 'target' && kind.category === 'sink') s.toast('A sink has no output; only its error port can be wired.', 'error');
}

/**
 * The canvas's handlers for one designer: each reads that designer's store
 * when it runs. Made once per canvas (a new function per render would make
 * React Flow redo its work).
 */
function canvasHandlers(store: DesignerStore) {
  const state = () => store.getState();
  function onNodesChange(changes: NodeChange<FlowNode>[]): void {
    const s = state();
    let moves: Map<string, XY> | undefined;
    let sizes: Record<string, { width: number; height: number }> | undefined;
    let selection: Set<string> | undefined;
    for (const c of changes) {
      if (c.type === 'position' && c.position) (moves ??= new Map()).set(c.id, c.position);
      else if (c.type === 'dimensions' && c.dimensions) {
        const old = s.measured[c.id];
        if (!old || old.width !== c.dimensions.width || old.height !== c.dimensions.height) (sizes ??= {})[c.id] = c.dimensions;
      } else if (c.type === 'select') {
        selection ??= new Set(s.selectedNodes);
        if (c.selected) selection.add(c.id);
        else selection.delete(c.id);
      }
      // 'remove' arrives through onDelete, as one undo step with its edges.
    }
    if (sizes) s.setMeasured(sizes);
    if (moves) s.moveNodes(moves);
    if (selection) s.select([...selection], s.selectedEdges);
  }

  function onEdgesChange(changes: EdgeChange<FlowEdge>[]): void {
    const s = state();
    let selection: Set<string> | undefined;
    for (const c of changes) {
      if (c.type === 'select') {
        selection ??= new Set(s.selectedEdges);
        if (c.selected) selection.add(c.id);
        else selection.delete(c.id);
      }
    }
    if (selection) s.select(s.selectedNodes, [...selection]);
  }

  /** A wire into a port that already has one asks first: replace it, or merge both streams. */
  function onConnect(c: Connection): void {
    const s = state();
    const verdict = checkWire(s.pipeline, c);
    if (!verdict.ok) return s.toast(verdict.reason, 'error');
    const taken = secondInput(s.pipeline, c);
    if (taken) return s.setDialog({ type: 'second-input', wire: c, message: taken });
    s.connect(c);
  }

  function isValidConnection(c: Connection | FlowEdge): boolean {
    return checkWire(state().pipeline, c as Wire).ok;
  }

  /**
   * A refused connection says why. React Flow reports the handle it ended on
   * even when the connection was invalid; a drop on a node body that has no
   * matching handle (a source's input, a sink's output) is explained too.
   */
  const onConnectEnd: OnConnectEnd = (event, cs) => explainRefused(state(), event, cs);

  const onDelete: OnDelete<FlowNode, FlowEdge> = ({ nodes, edges }) => {
    const wires = edges.map((e) => wireOfEdgeId(e.id)).filter((w): w is Wire => !!w);
    state().removeElements(
      nodes.map((n) => n.id),
      wires,
    );
  };

  /** A pipeline restored at start-up (autosave, share link) is shown whole; an empty canvas keeps its zoom. */
  const onInit = (flow: ReactFlowInstance<FlowNode, FlowEdge>) => {
    setFlow(store, flow);
    if (state().pipeline.nodes.length > 0) void flow.fitView(FIT_OPTIONS);
  };

  return { onNodesChange, onEdgesChange, onConnect, isValidConnection, onConnectEnd, onDelete, onInit };
}

/**
 * Dragging over the canvas for one designer: a node dragged on it, or a
 * kind from the palette, and where it would go into a wire.
 */
function dragHandlers(store: DesignerStore) {
  const state = () => store.getState();
  /**
   * Dropping a node on a wire puts it into the wire, as in Node-RED and n8n:
   * a new node from the palette, or a node on the canvas that is not wired
   * yet. While dragging, the wire it would go into is highlighted.
   */
  let dropShapes: EdgeShape[] | null = null;

  function dropTarget(at: XY): string | null {
    const flow = getFlow(store);
    if (!dropShapes || !flow) return null;
    return nearestEdge(dropShapes, at, DROP_REACH / flow.getZoom());
  }

  function readShapes(): EdgeShape[] {
    const root = canvasElement();
    return root ? readEdgeShapes(root) : [];
  }

  const onNodeDrag: OnNodeDrag<FlowNode> = (_e, node) => {
    if (!dropShapes) return;
    const size = node.measured?.width ? node.measured : NODE_SIZE;
    state().setDropEdge(dropTarget({ x: node.position.x + (size.width ?? NODE_SIZE.width) / 2, y: node.position.y + (size.height ?? NODE_SIZE.height) / 2 }));
  };

  /**
   * While a node is dragged nothing else on the canvas needs the pointer; a
   * flag on the canvas (set on the element, no render) lets CSS take every
   * other node and edge out of hit-testing, which the browser otherwise
   * repeats over thousands of elements on every mouse move.
   */
  const canvasElement = () => canvasElementOf(store);
  const onNodeDragStart: OnNodeDrag<FlowNode> = (_e, node, nodes) => {
    const s = state();
    s.beginGesture();
    // Only one unconnected node that has an input and an output can go into a wire.
    dropShapes = nodes.length === 1 && splittable(node.data.node.kind) && !checkSplit(s.pipeline, node.id) ? readShapes() : null;
    canvasElement()?.setAttribute('data-dragging', '');
  };
  const onNodeDragStop: OnNodeDrag<FlowNode> = (_e, node) => {
    canvasElement()?.removeAttribute('data-dragging');
    const s = state();
    const edge = s.dropEdge;
    dropShapes = null;
    if (edge) {
      s.setDropEdge(null);
      const verdict = s.insertIntoEdge(edge, { id: node.id }, { history: false });
      if (!verdict.ok) s.toast(verdict.reason, 'error');
    }
    state().endGesture();
  };

  function onDragOver(e: DragEvent) {
    if (!e.dataTransfer.types.includes(KIND_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    const flow = getFlow(store);
    if (!flow) return;
    if (!dropShapes) dropShapes = splittable(draggedKind()) ? readShapes() : [];
    state().setDropEdge(dropTarget(flow.screenToFlowPosition({ x: e.clientX, y: e.clientY })));
  }

  function onDragLeave(e: DragEvent) {
    // Leaving the canvas itself, not moving between its children.
    if (e.currentTarget.contains(e.relatedTarget as Node | null)) return;
    dropShapes = null;
    state().setDropEdge(null);
  }

  function onDrop(e: DragEvent) {
    const kind = e.dataTransfer.getData(KIND_MIME);
    const s = state();
    const edge = s.dropEdge;
    dropShapes = null;
    s.setDropEdge(null);
    if (!kind) return;
    e.preventDefault();
    const flow = getFlow(store);
    if (!flow) return;
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    if (edge) {
      const verdict = s.insertIntoEdge(edge, { kind, at: { x: at.x - NODE_SIZE.width / 2, y: at.y - NODE_SIZE.height / 2 } });
      if (verdict.ok) return;
      s.toast(verdict.reason, 'error');
    }
    addNodeAt(store, kind, at);
  }

  return { onNodeDragStart, onNodeDrag, onNodeDragStop, onDragOver, onDragLeave, onDrop };
}

const DELETE_KEYS = ['Delete', 'Backspace'];
const PRO_OPTIONS = { hideAttribution: true };

/**
 * Far out, node text is too small to read; hiding it (visibility keeps every
 * size, so nothing is measured again) spares the browser painting and
 * hit-testing thousands of elements on each frame of a drag.
 */
export const FAR_ZOOM = 0.4;
const selectFar = (s: { transform: [number, number, number] }) => s.transform[2] < FAR_ZOOM;

export function Canvas() {
  const far = useStore(selectFar);
  const nodes = useDesigner(selectFlowNodes);
  const edges = useDesigner(selectFlowEdges);
  const theme = useResolvedTheme();
  const store = useDesignerStore();
  const h = useMemo(() => ({ ...canvasHandlers(store), ...dragHandlers(store) }), [store]);
  // The designer's actions outside the canvas find its box (and its size) through the store.
  const box = useCallback((el: HTMLDivElement | null) => setCanvasElement(store, el), [store]);
  return (
    <div
      ref={box}
      className="pw-canvas"
      onDragOver={h.onDragOver}
      onDragLeave={h.onDragLeave}
      onDrop={h.onDrop}
      data-testid="canvas"
      data-zoom={far ? 'far' : 'near'}
    >
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={h.onNodesChange}
        onEdgesChange={h.onEdgesChange}
        onConnect={h.onConnect}
        isValidConnection={h.isValidConnection}
        onConnectEnd={h.onConnectEnd}
        onDelete={h.onDelete}
        onNodeDragStart={h.onNodeDragStart}
        onNodeDrag={h.onNodeDrag}
        onNodeDragStop={h.onNodeDragStop}
        onInit={h.onInit}
        deleteKeyCode={DELETE_KEYS}
        colorMode={theme}
        minZoom={0.05}
        maxZoom={2}
        fitViewOptions={FIT_OPTIONS}
        onlyRenderVisibleElements
        proOptions={PRO_OPTIONS}
        aria-label="Pipeline canvas"
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
        <Controls showInteractive={false} />
        {nodes.length > 0 && <MiniMap className="pw-minimap" />}
      </ReactFlow>
      {nodes.length === 0 && <EmptyState />}
    </div>
  );
}

function EmptyState() {
  const store = useDesignerStore();
  return (
    <div className="pw-empty" data-testid="empty-state">
      <div className="pw-empty-card">
        <h2>Drag a source here or open an example</h2>
        <p>
          Start with a <strong>Kafka topic</strong> source from the palette on the left, add transforms, and end in a sink. Connect an output port (right) to an
          input port (left).
        </p>
        <button type="button" className="pw-button is-primary" onClick={() => openExampleDialog(store)}>
          Open an example
        </button>
      </div>
    </div>
  );
}
