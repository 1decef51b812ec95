import { describe, expect, test } from 'vitest';
import type { Note } from '../../runtime/simulator/simulator.js';
import { NoteLog } from './note-log.js';

const closed = (tick: number): Note => ({ tick, kind: 'window-closed', text: `A window of hourly closed at tick ${tick}.` });
const crash: Note = { tick: 4, kind: 'rebalance', text: 'replica-002 crashed. Rebalance (generation 3): replica-001 owns orders[0..5].' };

describe('what is happening', () => {
  test('repeated notes fold into one line with a count and the latest text, across views', () => {
    const log = new NoteLog();
    // Views overlap: each carries the latest notes, some already seen.
    log.update([closed(1), closed(2)], 2);
    log.update([closed(2), closed(3), { tick: 3, kind: 'dead-letter', text: '1 event went to the dead-letter topic.' }], 3);
    for (let t = 4; t <= 37; t++) log.update([closed(t - 1), closed(t)], t);
    const [latest, older] = log.recent();
    expect(latest).toMatchObject({ kind: 'window-closed', count: 37, firstTick: 1, lastTick: 37, text: 'A window of hourly closed at tick 37.' });
    expect(older).toMatchObject({ kind: 'dead-letter', count: 1 });
  });

  test('a crash stays pinned after newer notes, until dismissed', () => {
    const log = new NoteLog();
    log.update([crash], 4);
    for (let t = 5; t < 100; t++) log.update([closed(t)], t);
    expect(log.pinnedNotes().map((n) => n.text)).toEqual([crash.text]);
    log.dismiss(log.pinnedNotes()[0].key);
    expect(log.pinnedNotes()).toEqual([]);
    // The same note in a later view does not come back.
    log.update([crash], 100);
    expect(log.pinnedNotes()).toEqual([]);
  });

  test('a reset (the tick goes back) starts afresh', () => {
    const log = new NoteLog();
    log.update([crash, closed(5)], 5);
    log.update([closed(1)], 1);
    expect(log.pinnedNotes()).toEqual([]);
    expect(log.recent()).toMatchObject([{ count: 1, lastTick: 1 }]);
  });
});
