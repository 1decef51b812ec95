/** The designer's workshop: the bundled catalog, its links, done marks, and what an exercise allows. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadExercises } from '../../codegen/exercise-run.js';
import { readYaml } from '../persistence.js';
import { outOfBounds } from './actions.js';
import { DONE_KEY, doneExercises, exerciseLink, exerciseRefOf, findExercise, markDone, WORKSHOP } from './catalog.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    clear: () => m.clear(),
    key: () => null,
    length: 0,
  };
}

describe('workshop catalog', () => {
  it('bundles every exercise file, in the workshop order, with its pipelines', () => {
    const onDisk = loadExercises(ROOT).map((e) => `${e.example}/${e.exercise!.id}`);
    expect(WORKSHOP.map((e) => e.ref).sort()).toEqual(onDisk.sort());
    expect(WORKSHOP.map((e) => e.exercise.order)).toEqual(WORKSHOP.map((_, i) => i + 1));
    for (const e of WORKSHOP) {
      expect(readYaml(e.startText).pipeline, e.ref).not.toBeNull();
      expect(e.solutionText === null || readYaml(e.solutionText).pipeline !== null, e.ref).toBe(true);
    }
  });

  it('reads exercise links, and ignores other hashes', () => {
    expect(exerciseRefOf(exerciseLink('large-orders/replays'))).toBe('large-orders/replays');
    expect(exerciseRefOf('#exercise=large-orders%2Freplays')).toBe('large-orders/replays');
    expect(exerciseRefOf('#p=abc')).toBeNull();
    expect(exerciseRefOf('#exercise=%E0%A4%A')).toBeNull();
    expect(findExercise('nope/nothing')).toBeUndefined();
  });

  it('keeps done marks in storage, once each, and survives a broken value', () => {
    const storage = memoryStorage();
    expect(markDone(storage, 'a/b')).toEqual(['a/b']);
    expect(markDone(storage, 'a/b')).toEqual(['a/b']);
    expect(doneExercises(storage)).toEqual(['a/b']);
    storage.setItem(DONE_KEY, '{broken');
    expect(doneExercises(storage)).toEqual([]);
  });

  it("refuses an edited pipeline where the exercise is solved with the simulator's controls; moved nodes are no edit", () => {
    const groups = findExercise('word-count/several-groups')!;
    const start = readYaml(groups.startText).pipeline!;
    expect(outOfBounds(groups, { ...start, nodes: start.nodes.map((n) => ({ ...n, position: { x: 1, y: 2 } })) })).toBeNull();
    expect(outOfBounds(groups, { ...start, nodes: start.nodes.slice(0, -1) })).toContain("solved with the simulator's controls");
    const keys = findExercise('large-orders/keys-and-partitions')!;
    expect(outOfBounds(keys, readYaml(keys.solutionText!).pipeline!)).toBeNull();
  });
});
