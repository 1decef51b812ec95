/**
 * The check worker's queue: a canvas's newer request overtakes only that
 * canvas's older ones, so two designers on one page each get their newest
 * state checked, and one-off requests are all answered.
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../codegen/node-assets.js';
import { browserCheckEnv } from './env.js';
import type { CheckReply, CheckRequest } from './protocol.js';
import { serveChecks } from './serve.js';

const text = readFileSync(join(REPO_ROOT, 'examples', 'large-orders', 'pipeline.yaml'), 'utf8');

describe('the check worker queue', () => {
  test("a canvas's newer request drops its own older queued one, never another canvas's", async () => {
    const replies: CheckReply[] = [];
    let send: ((r: CheckRequest) => void) | undefined;
    const done = new Promise<void>((resolve) => {
      serveChecks(
        (reply) => {
          replies.push(reply);
          // The last request sent is answered last.
          if (reply.canvas === 0 && reply.revision === 3) resolve();
        },
        (h) => (send = h),
        browserCheckEnv,
      );
    });
    const check = (canvas: number | undefined, revision: number): CheckRequest => ({ type: 'check', canvas, revision, source: { text } });
    // The first runs at once; the rest arrive while it runs.
    for (const r of [check(0, 1), check(0, 2), check(1, 1), check(undefined, -5), check(0, 3)]) send!(r);
    await done;
    expect(replies.map((r) => [r.canvas, r.revision, r.type])).toEqual([
      [0, 1, 'problems'],
      [1, 1, 'problems'],
      [undefined, -5, 'problems'],
      [0, 3, 'problems'],
    ]);
  }, 120_000);
});
