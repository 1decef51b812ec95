/**
 * What "What is happening" shows: the simulator's notes, gathered across
 * views (each view carries only the latest few), repeated notes folded into
 * one line with a count ("window closed ×37"), and the notes that teach
 * something (a crash and its rebalance, a replay, an idle member) kept
 * pinned at the top until the user dismisses them.
 */
import type { Note } from '../../runtime/simulator/simulator.js';

/** Kinds of notes worth reading even after they scrolled away. */
export const PINNED_KINDS: ReadonlySet<Note['kind']> = new Set(['rebalance', 'replay', 'idle', 'broker-down', 'data-lost']);

export interface NoteGroup {
  /** Stable while the run lasts: the kind, or for a pinned note the note itself. */
  key: string;
  kind: Note['kind'];
  /** The latest note of the group. */
  text: string;
  count: number;
  firstTick: number;
  lastTick: number;
}

const noteKey = (n: Note) => `${n.tick}\u0000${n.kind}\u0000${n.text}`;

export class NoteLog {
  private seen = new Set<string>();
  private lastTick = -1;
  private pinned: NoteGroup[] = [];
  private dismissed = new Set<string>();
  private groups = new Map<string, NoteGroup>();

  /** Take in the notes of a view at `tick`; a tick that went back means the run was reset. */
  update(notes: readonly Note[], tick: number): void {
    if (tick < this.lastTick) this.clear();
    this.lastTick = tick;
    for (const n of notes) {
      const key = noteKey(n);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      if (PINNED_KINDS.has(n.kind)) {
        if (!this.dismissed.has(key)) this.pinned.push({ key, kind: n.kind, text: n.text, count: 1, firstTick: n.tick, lastTick: n.tick });
        continue;
      }
      const g = this.groups.get(n.kind);
      if (!g) this.groups.set(n.kind, { key: n.kind, kind: n.kind, text: n.text, count: 1, firstTick: n.tick, lastTick: n.tick });
      else if (n.tick >= g.lastTick) this.groups.set(n.kind, { ...g, text: n.text, count: g.count + 1, lastTick: n.tick });
      else this.groups.set(n.kind, { ...g, count: g.count + 1, firstTick: Math.min(g.firstTick, n.tick) });
    }
  }

  dismiss(key: string): void {
    this.dismissed.add(key);
    this.pinned = this.pinned.filter((g) => g.key !== key);
  }

  /** Pinned notes, newest first. */
  pinnedNotes(): NoteGroup[] {
    return [...this.pinned].reverse();
  }

  /** One line per kind, the most recent first. */
  recent(): NoteGroup[] {
    return [...this.groups.values()].sort((a, b) => b.lastTick - a.lastTick);
  }

  clear(): void {
    this.seen.clear();
    this.pinned = [];
    this.dismissed.clear();
    this.groups.clear();
    this.lastTick = -1;
  }
}
