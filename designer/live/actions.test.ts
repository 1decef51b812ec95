import { beforeEach, describe, expect, test } from 'vitest';
import { createDesignerStore } from '../store/index.js';
import { LiveClient } from './api.js';
import { createTopic, resetOffsets, startRun, stopRun } from './actions.js';
import { live, setLive, useLive } from './store.js';

const designer = createDesignerStore();

/** A server that answers every request with `answer`, and remembers what was asked. */
function serve(answer: (method: string, path: string, body: Record<string, unknown>) => [number, unknown]) {
  const calls: { method: string; path: string; body: Record<string, unknown> }[] = [];
  const client = new LiveClient('t'.repeat(64), '', async (url, init) => {
    const call = { method: init?.method ?? 'GET', path: url, body: init?.body ? (JSON.parse(init.body as string) as Record<string, unknown>) : {} };
    calls.push(call);
    const [status, body] = answer(call.method, call.path, call.body);
    return new Response(JSON.stringify(body), { status });
  });
  setLive({ client });
  return calls;
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const yes = async (label: string) => {
  const action = live().confirm?.actions.find((a) => a.label === label);
  if (!action) throw new Error(`no "${label}" in ${JSON.stringify(live().confirm)}`);
  await action.run();
  await flush();
};

beforeEach(() => {
  useLive.setState(useLive.getInitialState());
  designer.getState().reset();
});

describe('live actions ask before they write to the cluster', () => {
  test('create topic: nothing is sent until the user confirms, then it is sent with confirm', async () => {
    const calls = serve(() => [200, { created: 'x', topics: [] }]);
    createTopic('new-topic', 3);
    expect(live().confirm?.lines.join(' ')).toContain('Creates topic “new-topic” with 3 partitions');
    expect(calls).toEqual([]);
    await yes('Create topic');
    expect(calls[0]).toEqual({ method: 'POST', path: '/api/topics', body: { name: 'new-topic', partitions: 3, confirm: true } });
    expect(live().confirm).toBeNull();
  });

  test('a bad topic name is refused with the rule, and nothing is asked or sent', () => {
    const calls = serve(() => [200, {}]);
    createTopic('has space', 1);
    expect(live().error).toMatch(/not a valid topic name: use letters, digits/);
    expect(live().confirm).toBeNull();
    expect(calls).toEqual([]);
  });

  test('reset offsets says what it commits; the server’s refusal shows in its words', async () => {
    const calls = serve(() => [409, { error: 'group g has 1 active member(s)', hint: 'stop its consumers (or the run) first' }]);
    resetOffsets('g', 'orders', 'earliest');
    expect(live().confirm?.lines[0]).toBe('Commits new offsets for group “g” on every partition of “orders”: the earliest offset of each.');
    await yes('Reset to earliest');
    expect(calls[0].body).toEqual({ topic: 'orders', to: 'earliest', confirm: true });
    expect(live().error).toBe('group g has 1 active member(s) stop its consumers (or the run) first');
  });

  test('a run on the real topics names them and waits for the yes; a scratch run does not ask', async () => {
    const calls = serve((_method, path) =>
      path === '/api/runs'
        ? [200, { runId: 'r1', group: 'g-r1', prefix: '' }]
        : [200, { runId: 'r1', status: 'building', replicas: [], nodes: {}, lag: [], deadLetters: 0, outputs: [] }],
    );
    const p = designer.getState().pipeline;
    designer.getState().load({ ...p, name: 'shop', nodes: [{ id: 'out', kind: 'kafka-sink', params: { topic: 'paid' }, inputs: [] }] }, { history: false });
    await startRun(designer, { replicas: 2, real: true }, async () => true);
    expect(live().confirm?.lines.join(' ')).toContain('paid, shop.dead-letter');
    expect(calls).toEqual([]);
    await yes('Write to real topics');
    expect(calls[0].body).toEqual({ replicas: 2, writeToRealTopics: true, confirm: true });

    useLive.setState(useLive.getInitialState());
    const scratch = serve(() => [200, { runId: 'r2', group: 'g-r2', prefix: 'pwdev-r2-' }]);
    await startRun(designer, { replicas: 1, real: false }, async () => true);
    expect(live().confirm).toBeNull();
    expect(scratch[0].body).toEqual({ replicas: 1 });
    expect(live().run?.prefix).toBe('pwdev-r2-');
  });

  test('a run does not start when the file could not be saved first', async () => {
    const calls = serve(() => [200, {}]);
    await startRun(designer, { replicas: 1, real: false }, async () => false);
    expect(calls).toEqual([]);
  });

  test('stop asks whether to delete the scratch topics and sends the answer', async () => {
    const calls = serve(() => [200, { stopped: true, groupDeleted: true, topicsDeleted: ['pwdev-r1-out'] }]);
    setLive({ run: { runId: 'r1', group: 'g-r1', prefix: 'pwdev-r1-' } });
    stopRun(designer);
    expect(live().confirm?.lines.join(' ')).toContain('Delete its scratch topics too (everything under “pwdev-r1-”');
    await yes('Stop, keep topics');
    expect(calls[0]).toMatchObject({ method: 'DELETE', path: '/api/runs/r1?deleteTopics=false' });
    expect(live().run).toBeNull();

    setLive({ run: { runId: 'r2', group: 'g-r2', prefix: 'pwdev-r2-' } });
    stopRun(designer);
    await yes('Stop and delete scratch topics');
    expect(calls[1].path).toBe('/api/runs/r2?deleteTopics=true');
  });
});
