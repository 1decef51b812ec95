/**
 * The canvas's minimap: every node as a rectangle coloured by its category,
 * the view as a window in a grey mask; drag in it to pan, scroll in it to
 * zoom. It looks and behaves as React Flow's <MiniMap pannable zoomable>,
 * which draws each node as its own SVG element with its own subscription to
 * React Flow's store: at 1,000 nodes that is 1,000 selectors run on every
 * frame of a drag or a pan, and 1,000 elements painted again. This one draws
 * the nodes of a category as a few paths built from the pipeline, rebuilding
 * only the path of the nodes that changed, and reads nothing of React Flow's
 * but the view.
 */
import { Panel, useReactFlow, useStore } from '@xyflow/react';
import { memo, useEffect, useMemo, useRef, type PointerEvent } from 'react';
import { shallow } from 'zustand/shallow';
import type { PipelineNode } from '../../codegen/pipeline.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { useDesigner } from '../store/context.js';
import { fallbackPosition } from '../store/selectors.js';
import type { DesignerState } from '../store/types.js';

const WIDTH = 160;
const HEIGHT = 110;
/** Margin around the drawing, in minimap pixels (React Flow's offsetScale). */
const OFFSET_SCALE = 5;
/** Corner radius of a node, in canvas units (React Flow's nodeBorderRadius). */
const RADIUS = 5;
/** Nodes per path: a moved node rebuilds the path of its chunk only. */
const CHUNK = 64;

type Size = { width: number; height: number };
interface Chunk {
  key: string;
  className: string;
  nodes: PipelineNode[];
  sizes: Size[];
  d: string;
}
interface Drawing {
  chunks: Chunk[];
  /** Bounds of the nodes drawn, or null when none has been measured yet. */
  bounds: { x0: number; y0: number; x1: number; y1: number } | null;
}

const selectNodes = (s: DesignerState) => s.pipeline.nodes;
const selectMeasured = (s: DesignerState) => s.measured;
const selectView = (s: { transform: [number, number, number]; width: number; height: number }) => [
  s.transform[0],
  s.transform[1],
  s.transform[2],
  s.width,
  s.height,
];

function rect(x: number, y: number, w: number, h: number): string {
  const r = Math.min(RADIUS, w / 2, h / 2);
  return `M${x + r},${y}h${w - 2 * r}a${r},${r} 0 0 1 ${r},${r}v${h - 2 * r}a${r},${r} 0 0 1 ${-r},${r}h${2 * r - w}a${r},${r} 0 0 1 ${-r},${-r}v${2 * r - h}a${r},${r} 0 0 1 ${r},${-r}z`;
}

const classes = new Map<string, string>();
/** The class of a kind's rectangles: its category's colour (styles.css). */
function classOf(kind: string): string {
  let c = classes.get(kind);
  if (c === undefined) classes.set(kind, (c = `react-flow__minimap-node pw-mini-${getKind(kind)?.category ?? 'unknown'}`));
  return c;
}

/**
 * The paths, one per category and chunk of CHUNK nodes, reusing every chunk
 * whose nodes and sizes are the same objects as last time: a drag frame
 * rebuilds the path of the chunk that holds the dragged node.
 */
function draw(nodes: readonly PipelineNode[], measured: Record<string, Size>, last: Map<string, Chunk>): Drawing {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < nodes.length; i++) {
    // As React Flow's minimap: a node is drawn once it has been measured.
    if (!measured[nodes[i].id]) continue;
    const c = classOf(nodes[i].kind);
    const group = groups.get(c);
    if (group) group.push(i);
    else groups.set(c, [i]);
  }
  const chunks: Chunk[] = [];
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [className, index] of groups) {
    for (let start = 0; start < index.length; start += CHUNK) {
      const end = Math.min(index.length, start + CHUNK);
      const key = `${className}#${start / CHUNK}`;
      const old = last.get(key);
      let same = old !== undefined && old.nodes.length === end - start;
      for (let k = start; k < end; k++) {
        const n = nodes[index[k]];
        const size = measured[n.id];
        if (same && (old!.nodes[k - start] !== n || old!.sizes[k - start] !== size)) same = false;
        const at = n.position ?? fallbackPosition(index[k]);
        if (at.x < x0) x0 = at.x;
        if (at.y < y0) y0 = at.y;
        if (at.x + size.width > x1) x1 = at.x + size.width;
        if (at.y + size.height > y1) y1 = at.y + size.height;
      }
      if (same) {
        chunks.push(old!);
        continue;
      }
      const chunk: Chunk = { key, className, nodes: [], sizes: [], d: '' };
      for (let k = start; k < end; k++) {
        const n = nodes[index[k]];
        const size = measured[n.id];
        const at = n.position ?? fallbackPosition(index[k]);
        chunk.nodes.push(n);
        chunk.sizes.push(size);
        chunk.d += rect(at.x, at.y, size.width, size.height);
      }
      chunks.push(chunk);
    }
  }
  return { chunks, bounds: chunks.length ? { x0, y0, x1, y1 } : null };
}

/** The minimap's view box: the nodes' bounds `b` and the view, fitted to WIDTH × HEIGHT with a margin (`offset`). */
function fitted(b: ReturnType<typeof draw>['bounds'], view: { x: number; y: number; width: number; height: number }) {
  const box = b
    ? {
        x: Math.min(b.x0, view.x),
        y: Math.min(b.y0, view.y),
        width: 0,
        height: 0,
        x1: Math.max(b.x1, view.x + view.width),
        y1: Math.max(b.y1, view.y + view.height),
      }
    : { ...view, x1: view.x + view.width, y1: view.y + view.height };
  box.width = box.x1 - box.x;
  box.height = box.y1 - box.y;
  const viewScale = Math.max(box.width / WIDTH, box.height / HEIGHT);
  const offset = OFFSET_SCALE * viewScale;
  const x = box.x - (viewScale * WIDTH - box.width) / 2 - offset;
  const y = box.y - (viewScale * HEIGHT - box.height) / 2 - offset;
  const width = viewScale * WIDTH + offset * 2;
  const height = viewScale * HEIGHT + offset * 2;
  return { viewScale, offset, x, y, width, height };
}

export const MiniMap = memo(function MiniMap({ className }: { className?: string }) {
  const nodes = useDesigner(selectNodes);
  const measured = useDesigner(selectMeasured);
  const [tx, ty, zoom, flowWidth, flowHeight] = useStore(selectView, shallow);
  const flow = useReactFlow();
  const last = useRef(new Map<string, Chunk>());
  const drawing = useMemo(() => {
    const d = draw(nodes, measured, last.current);
    last.current = new Map(d.chunks.map((c) => [c.key, c]));
    return d;
  }, [nodes, measured]);

  // The same geometry as React Flow's minimap: the nodes and the view, fitted with a margin.
  const view = { x: -tx / zoom, y: -ty / zoom, width: flowWidth / zoom, height: flowHeight / zoom };
  const { viewScale, offset, x, y, width, height } = fitted(drawing.bounds, view);

  // Drag to pan and scroll to zoom, as React Flow's minimap does (XYMinimap).
  const svg = useRef<SVGSVGElement>(null);
  const geometry = useRef({ viewScale, tx, ty, zoom });
  geometry.current = { viewScale, tx, ty, zoom };
  const panFrom = useRef<{ x: number; y: number } | null>(null);
  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    panFrom.current = { x: e.clientX, y: e.clientY };
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const from = panFrom.current;
    if (!from) return;
    panFrom.current = { x: e.clientX, y: e.clientY };
    const g = geometry.current;
    const scale = g.viewScale * Math.max(g.zoom, Math.log(g.zoom));
    void flow.setViewport({ x: g.tx - (e.clientX - from.x) * scale, y: g.ty - (e.clientY - from.y) * scale, zoom: g.zoom });
  };
  const onPointerUp = () => {
    panFrom.current = null;
  };
  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const factor = e.ctrlKey && /Mac/.test(navigator.platform) ? 10 : 1;
      const delta = -e.deltaY * (e.deltaMode === 1 ? 0.05 : e.deltaMode ? 1 : 0.002);
      void flow.zoomTo(geometry.current.zoom * Math.pow(2, delta * factor));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [flow]);

  return (
    <Panel
      position="bottom-right"
      className={`react-flow__minimap${className ? ` ${className}` : ''}`}
      style={{ width: WIDTH, height: HEIGHT }}
      data-testid="rf__minimap"
    >
      <svg
        ref={svg}
        width={WIDTH}
        height={HEIGHT}
        viewBox={`${x} ${y} ${width} ${height}`}
        className="react-flow__minimap-svg"
        role="img"
        aria-labelledby="pw-minimap-title"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        <title id="pw-minimap-title">Mini Map</title>
        {drawing.chunks.map((c) => (
          <path key={c.key} className={c.className} d={c.d} shapeRendering="crispEdges" />
        ))}
        <path
          className="react-flow__minimap-mask"
          d={`M${x - offset},${y - offset}h${width + offset * 2}v${height + offset * 2}h${-width - offset * 2}zM${view.x},${view.y}h${view.width}v${view.height}h${-view.width}z`}
          fillRule="evenodd"
          pointerEvents="none"
        />
      </svg>
    </Panel>
  );
});
