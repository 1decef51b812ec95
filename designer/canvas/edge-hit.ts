/**
 * Which wire a dragged node is over. The wires' shapes are read once, when
 * a drag starts, from the paths React Flow drew (in canvas coordinates), as
 * a few points each; each frame of the drag then only measures distances.
 */
import type { XY } from '../graph/ops.js';

export interface EdgeShape {
  id: string;
  points: XY[];
  /** Bounding box of the points, to skip far wires quickly. */
  box: { x0: number; y0: number; x1: number; y1: number };
}

const SAMPLES = 24;

/** The shapes of the wires drawn under `root`, except those `skip` names. */
export function readEdgeShapes(root: ParentNode, skip: (id: string) => boolean = () => false): EdgeShape[] {
  const out: EdgeShape[] = [];
  for (const g of root.querySelectorAll<SVGGElement>('.react-flow__edge[data-id]')) {
    const id = g.getAttribute('data-id')!;
    const path = g.querySelector<SVGPathElement>('path.react-flow__edge-path');
    if (!path || skip(id)) continue;
    const length = path.getTotalLength();
    if (!(length > 0)) continue;
    const points = Array.from({ length: SAMPLES + 1 }, (_, i) => {
      const p = path.getPointAtLength((length * i) / SAMPLES);
      return { x: p.x, y: p.y };
    });
    out.push(shape(id, points));
  }
  return out;
}

export function shape(id: string, points: XY[]): EdgeShape {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  return { id, points, box: { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) } };
}

function segmentDistance(p: XY, a: XY, b: XY): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/** The wire nearest to `at` within `within` (canvas units), or null. */
export function nearestEdge(shapes: readonly EdgeShape[], at: XY, within: number): string | null {
  let best: string | null = null;
  let bestD = within;
  for (const s of shapes) {
    const { x0, y0, x1, y1 } = s.box;
    if (at.x < x0 - within || at.x > x1 + within || at.y < y0 - within || at.y > y1 + within) continue;
    for (let i = 1; i < s.points.length; i++) {
      const d = segmentDistance(at, s.points[i - 1], s.points[i]);
      if (d <= bestD) {
        bestD = d;
        best = s.id;
      }
    }
  }
  return best;
}
