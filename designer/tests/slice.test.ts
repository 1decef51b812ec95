import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, test } from 'vitest';
import { parsePipeline } from '../../codegen/parse.js';
import { serializePipeline } from '../../codegen/serialize.js';
import { exportZip } from '../actions.js';
import { setChecker, validateNow } from '../analysis.js';
import { inProcessChecker } from '../check/in-process.js';
import { createDesignerStore } from '../store/index.js';
import { selectCounts, selectProblems } from '../store/selectors.js';

const designer = createDesignerStore();

const s = () => designer.getState();
const example = (name: string) => parsePipeline(readFileSync(new URL(`../../examples/${name}/pipeline.yaml`, import.meta.url), 'utf8')).pipeline!;

async function validatedAndTested(): Promise<void> {
  await validateNow(designer);
  await s().runTests();
}

// The check worker's code, in this process.
setChecker(inProcessChecker());
beforeEach(() => s().reset());

describe('tests in the store', () => {
  test('adding, editing and deleting a test are edits of the pipeline: undoable, one step per field being typed in', () => {
    s().load(example('large-orders'), { history: false });
    const before = serializePipeline(s().pipeline);
    const i = s().addTest();
    expect(s().pipeline.tests[i]).toMatchObject({ name: 'new test', input: { orders: s().pipeline.nodes[0].samples }, expect: {} });
    const t = s().pipeline.tests[i];
    s().updateTest(i, { ...t, name: 'n' }, 'name');
    s().updateTest(i, { ...t, name: 'no' }, 'name');
    s().updateTest(i, { ...t, name: 'none' }, 'name');
    expect(serializePipeline(s().pipeline)).toContain('- name: none');
    s().undo();
    expect(s().pipeline.tests[i].name).toBe('new test');
    s().removeTest(i);
    expect(serializePipeline(s().pipeline)).toBe(before);
    s().undo();
    expect(s().pipeline.tests).toHaveLength(3);
    s().undo();
    expect(serializePipeline(s().pipeline)).toBe(before);
  });

  test('a failing test is a problem in the Problems panel, on its sink, and counts as an error; fixing it clears it', async () => {
    s().load(example('large-orders'), { history: false });
    await validatedAndTested();
    expect(s().testOutcomes!.map((o) => o.passed)).toEqual([true, true]);
    expect(selectProblems(s())).toEqual([]);

    // The filter lets everything through: the test's sink gets orders it must not.
    s().setParam('large', 'where', 'value.amount >= 0');
    await validatedAndTested();
    expect(s().testOutcomes!.map((o) => o.passed)).toEqual([false, true]);
    const problems = selectProblems(s());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'PW043', nodeId: 'large-orders', severity: 'error' });
    expect(problems[0].message).toBe(
      'Test "orders of 100 or more pass with their total" fails: sink "large-orders" got, for key "c-2", 1 event where the test expects 0.',
    );
    expect(selectCounts(s())).toEqual({ errors: 1, warnings: 0 });

    s().undo();
    await validatedAndTested();
    expect(selectProblems(s())).toEqual([]);
  });

  test('Export zip on a valid pipeline whose tests fail asks first, and counts the failing tests', async () => {
    s().load(example('large-orders'), { history: false });
    s().setParam('large', 'where', 'value.amount >= 0');
    expect(await exportZip(designer)).toBe(false);
    expect(s().dialog).toEqual({ type: 'export-anyway', action: 'zip', errors: 1, failingTests: 1 });
    s().setDialog(null);
    s().undo();
    await validatedAndTested();
    expect(s().testProblems).toEqual([]);
  });

  test('tests do not run while the pipeline has errors, and say so', async () => {
    s().load(example('large-orders'), { history: false });
    s().setParam('large', 'where', '');
    await validatedAndTested();
    expect(s().testOutcomes).toBeNull();
    expect(s().testsBlocked).toMatch(/once the pipeline has no errors \(1 now/);
  });

  test('outcomes of a run that an edit overtook are dropped', async () => {
    s().load(example('large-orders'), { history: false });
    await validateNow(designer);
    const run = s().runTests();
    s().setParam('large', 'where', 'value.amount >= 0');
    await run;
    expect(s().testOutcomes).toBeNull();
    expect(s().testProblems).toEqual([]);
  });

  test('a recording from the simulator becomes a test that expects what the pipeline makes of its events', async () => {
    s().load(example('hourly-orders'), { history: false });
    const input = { orders: example('hourly-orders').tests[0].input.orders.map((e, i) => ({ ...e, timestamp: 1704067200000 + i })) };
    await s().finishRecording(input, 25);
    const t = s().pipeline.tests.at(-1)!;
    expect(t.name).toBe('recorded at tick 0');
    expect(t.input).toEqual(input);
    expect(t.expect['hourly-orders']).toEqual(example('hourly-orders').tests[0].expect['hourly-orders']);
    expect(s().bottomTab).toBe('tests');
    expect(s().toasts.at(-1)!.text).toBe('Recorded "recorded at tick 0" from the first 10 of 25 events.');
    // It survives the YAML round trip and passes.
    expect(parsePipeline(serializePipeline(s().pipeline)).pipeline!.tests.at(-1)).toEqual(t);
    await validatedAndTested();
    expect(s().testOutcomes!.at(-1)!.passed).toBe(true);
  });
});
