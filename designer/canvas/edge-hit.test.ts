import { describe, expect, test } from 'vitest';
import { nearestEdge, shape } from './edge-hit.js';

const line = (id: string, a: { x: number; y: number }, b: { x: number; y: number }) =>
  shape(
    id,
    Array.from({ length: 9 }, (_, i) => ({ x: a.x + ((b.x - a.x) * i) / 8, y: a.y + ((b.y - a.y) * i) / 8 })),
  );

describe('the wire under a dragged node', () => {
  const shapes = [line('top', { x: 0, y: 0 }, { x: 400, y: 0 }), line('low', { x: 0, y: 100 }, { x: 400, y: 160 })];
  test('is the nearest one within reach', () => {
    expect(nearestEdge(shapes, { x: 200, y: 10 }, 30)).toBe('top');
    expect(nearestEdge(shapes, { x: 200, y: 120 }, 30)).toBe('low');
    expect(nearestEdge(shapes, { x: 200, y: 60 }, 60)).toBe('top');
  });
  test('is none when every wire is out of reach, past its ends included', () => {
    expect(nearestEdge(shapes, { x: 200, y: 60 }, 30)).toBeNull();
    expect(nearestEdge(shapes, { x: 460, y: 0 }, 30)).toBeNull();
    expect(nearestEdge([], { x: 0, y: 0 }, 30)).toBeNull();
  });
});
