import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { emptyPipeline, type Pipeline } from '../codegen/pipeline.js';
import { serializePipeline } from '../codegen/serialize.js';
import { answer } from './check/serve.js';
import { browserCheckEnv } from './check/env.js';
import {
  AUTOSAVE_DELAY_MS,
  AUTOSAVE_KEY,
  decodeShare,
  encodeShare,
  fromBase64Url,
  initialPipeline,
  readYaml,
  SHARE_PREFIX,
  shareUrl,
  startAutosave,
  toBase64Url,
} from './persistence.js';
import { createDesignerStore } from './store/index.js';
import { autosaveKey } from './workshop/actions.js';
import { findExercise } from './workshop/catalog.js';

const designer = createDesignerStore();

const p: Pipeline = {
  ...emptyPipeline('demo'),
  nodes: [
    { id: 'orders', kind: 'kafka-source', params: { topic: 'orders' }, inputs: [], position: { x: 10, y: 20 } },
    { id: 'out', kind: 'kafka-sink', params: { topic: 'big' }, inputs: [{ port: 'in', from: 'orders', fromPort: 'out' }], position: { x: 300, y: 20 } },
  ],
};

test('base64url round-trips every byte', () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const text = toBase64Url(bytes);
  expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(fromBase64Url(text)).toEqual(bytes);
});

test('a share link carries the pipeline, positions included', () => {
  const url = shareUrl(p, 'http://localhost:5173/#old');
  expect(url.startsWith('http://localhost:5173/#p=')).toBe(true);
  const yaml = decodeShare(url.split('#p=')[1]);
  expect(yaml).toBe(serializePipeline(p));
  const start = initialPipeline(`#p=${encodeShare(yaml)}`, undefined);
  expect(start.origin).toBe('link');
  expect(start.pipeline?.nodes.map((n) => n.position)).toEqual([
    { x: 10, y: 20 },
    { x: 300, y: 20 },
  ]);
});

test('the autosave is used when there is no link; a broken one is ignored', () => {
  const storage = { getItem: (k: string) => (k === AUTOSAVE_KEY ? serializePipeline(p) : null) };
  expect(initialPipeline('', storage)).toMatchObject({ origin: 'autosave', pipeline: { name: 'demo' } });
  expect(initialPipeline('', { getItem: () => 'nodes: [' })).toMatchObject({ origin: 'empty', pipeline: null });
  expect(initialPipeline('#p=!!!', undefined)).toMatchObject({ origin: 'link', pipeline: null });
});

test('a file that is not a pipeline is refused with line and column', () => {
  const r = readYaml('pipeline: x\nnodes: [\n');
  expect(r.pipeline).toBeNull();
  expect(r.problems[0]).toMatchObject({ code: 'PW001', line: expect.any(Number), column: expect.any(Number) });
  const shape = readYaml('version: 1\npipeline: demo\nnodes:\n  - id: a\n    kind: kafka-source\n    topic: t\n    position: left\n');
  expect(shape.pipeline).toBeNull();
  expect(shape.problems.some((x) => x.code === 'PW004' && x.line === 7)).toBe(true);
});

test('a pipeline with only validation problems opens; the check worker lists them, placed in the file', async () => {
  const text = 'version: 1\npipeline: demo\nnodes:\n  - id: f\n    kind: filter\n';
  const r = readYaml(text);
  expect(r.pipeline?.nodes).toHaveLength(1);
  expect(r.problems).toEqual([]);
  const reply = await answer({ type: 'check', revision: 0, source: { text } }, browserCheckEnv({}));
  expect(reply.type === 'problems' && reply.problems.map((x) => [x.code, x.nodeId, x.line, x.column])).toEqual([
    ['PW027', undefined, 4, 3],
    ['PW016', 'f', 4, 5],
    ['PW022', 'f', 4, 5],
    ['PW028', 'f', 4, 5],
  ]);
});

test('an autosave or share link from a newer Pipewright is refused with what to do, not read wrong', () => {
  const newer = 'version: 3\npipeline: demo\nnodes: []\n';
  const r = readYaml(newer);
  expect(r.pipeline).toBeNull();
  expect(r.problems).toMatchObject([{ code: 'PW006', line: 1, column: 10 }]);
  expect(r.problems[0].message).toContain('version 3, newer than this Pipewright reads (version 2)');
  const link = initialPipeline(SHARE_PREFIX + encodeShare(newer), undefined);
  expect(link).toMatchObject({ pipeline: null, origin: 'link', problems: [{ code: 'PW006' }] });
  expect(initialPipeline('', { getItem: () => newer })).toMatchObject({ pipeline: null, origin: 'autosave', problems: [{ code: 'PW006' }] });
});

test('a file, autosave or share link saved in format version 1 with an http node opens with it as http-sink', () => {
  const v1 =
    'version: 1\npipeline: demo\nnodes:\n  - id: in\n    kind: kafka-source\n    topic: orders\n  - id: hook\n    kind: http\n    input: in\n    url: https://hooks.example.com/orders\n';
  const kinds = (pipeline: Pipeline | null) => pipeline?.nodes.map((n) => n.kind);
  const opened = readYaml(v1);
  expect(opened.problems).toEqual([]);
  expect(kinds(opened.pipeline)).toEqual(['kafka-source', 'http-sink']);
  expect(initialPipeline(SHARE_PREFIX + encodeShare(v1), undefined)).toMatchObject({ origin: 'link', problems: [] });
  expect(kinds(initialPipeline(SHARE_PREFIX + encodeShare(v1), undefined).pipeline)).toEqual(['kafka-source', 'http-sink']);
  expect(kinds(initialPipeline('', { getItem: (k) => (k === AUTOSAVE_KEY ? v1 : null) }).pipeline)).toEqual(['kafka-source', 'http-sink']);
  // Saved again, it is version 2.
  expect(serializePipeline(opened.pipeline!)).toMatch(/^version: 2\n[^]*kind: http-sink\n/);
});

test('export generates from what the YAML says, as the CLI does', async () => {
  const { asExported } = await import('./codegen-run.js');
  const odd: Pipeline = { ...p, nodes: [{ ...p.nodes[0], samples: [{ key: 'k', value: { a: 1 } }] }, p.nodes[1]] };
  const back = asExported(odd);
  expect(Object.keys(back.nodes[0].samples![0])).toEqual(['value', 'key']);
  expect(serializePipeline(back)).toBe(serializePipeline(odd));
});

describe('autosave', () => {
  const page = new EventTarget();
  let stop: (() => void) | undefined;
  const saved = new Map<string, string>();
  const storage = { setItem: (k: string, v: string) => void saved.set(k, v) } as unknown as Storage;
  const store = () => designer.getState();
  const edit = (amount: number) => store().setParam('big', 'where', `value.amount >= ${amount}`);

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('window', page);
    saved.clear();
    store().reset();
    store().load({
      ...p,
      nodes: [...p.nodes.slice(0, 1), { id: 'big', kind: 'filter', params: { where: 'true' }, inputs: [{ port: 'in', from: 'orders', fromPort: 'out' }] }],
    });
  });
  afterEach(() => {
    stop?.();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  test('a moment after an edit, the YAML written off the page is saved', async () => {
    const asked: Pipeline[] = [];
    stop = startAutosave(designer, storage, async (pipeline) => (asked.push(pipeline), serializePipeline(pipeline)));
    edit(5);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 1);
    expect(saved.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toHaveLength(1);
    expect(saved.get(AUTOSAVE_KEY)).toBe(serializePipeline(store().pipeline));
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 5');
  });

  test('a slow answer for an older edit never overwrites a newer save', async () => {
    const answers: (() => void)[] = [];
    stop = startAutosave(designer, storage, (pipeline) => new Promise((resolve) => answers.push(() => resolve(serializePipeline(pipeline)))));
    edit(5);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS);
    edit(7);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS);
    answers[1]();
    await vi.advanceTimersByTimeAsync(0);
    answers[0]();
    await vi.advanceTimersByTimeAsync(0);
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 7');
  });

  test('leaving the page while the worker still writes, or before the moment passed, saves the newest edit right away, here', async () => {
    stop = startAutosave(designer, storage, () => new Promise<string>(() => {}));
    edit(5);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS);
    expect(saved.size).toBe(0);
    page.dispatchEvent(new Event('pagehide'));
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 5');
    edit(9);
    page.dispatchEvent(new Event('pagehide'));
    expect(saved.get(AUTOSAVE_KEY)).toBe(serializePipeline(store().pipeline));
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 9');
  });

  test('when the worker fails, the page writes the YAML itself', async () => {
    stop = startAutosave(designer, storage, () => Promise.reject(new Error('the check worker failed to start')));
    edit(5);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS);
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 5');
  });

  test("an open exercise saves under its own key: the edit pending before it opened goes to the learner's key, later ones never", async () => {
    stop = startAutosave(designer, storage, async (pipeline) => serializePipeline(pipeline), autosaveKey);
    edit(5);
    // The exercise opens before the learner's edit was saved: that edit is saved at once, under the learner's key.
    store().setExercise(findExercise('large-orders/keys-and-partitions')!);
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 5');
    store().load(readYaml(findExercise('large-orders/keys-and-partitions')!.startText).pipeline!, { history: false });
    store().setParam('large', 'where', 'value.amount >= 7');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS);
    expect(saved.get('pipewright.exercise.large-orders/keys-and-partitions')).toContain('value.amount >= 7');
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 5');
    page.dispatchEvent(new Event('pagehide'));
    expect(saved.get(AUTOSAVE_KEY)).toContain('value.amount >= 5');
  });
});

test('the check worker writes the same YAML for autosave as export writes', async () => {
  const reply = await answer({ type: 'yaml', revision: -1, pipeline: p }, browserCheckEnv({}));
  expect(reply).toEqual({ type: 'yaml', revision: -1, text: serializePipeline(p) });
});
