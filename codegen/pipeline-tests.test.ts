import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Pipeline, PipelineTest } from './pipeline.js';
import { readPipelineFiles } from './node-files.js';
import { parsePipeline } from './parse.js';
import { validatePipeline } from './validate-pipeline.js';
import { recordTest, runPipelineTests, testProblems } from './pipeline-tests.js';

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const examples = readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, 'pipeline.yaml')));
const load = (name: string) => parsePipeline(readFileSync(join(EXAMPLES, name, 'pipeline.yaml'), 'utf8')).pipeline!;
const filesOf = (name: string, p: Pipeline) => readPipelineFiles(join(EXAMPLES, name, 'pipeline.yaml'), p);

/** large-orders with a second filter wired beside the one between orders and with-tax, not into it. */
function filterBeside(): Pipeline {
  const p = load('large-orders');
  const nodes = p.nodes.map((n) => (n.id === 'with-tax' ? { ...n, inputs: [...n.inputs, { port: 'in', from: 'also-large', fromPort: 'out' }] } : n));
  nodes.splice(2, 0, { id: 'also-large', kind: 'filter', params: { where: 'value.amount >= 100' }, inputs: [{ port: 'in', from: 'orders', fromPort: 'out' }] });
  return { ...p, nodes };
}

describe('the pipeline tests, as the designer and pipewright test run them', () => {
  it.each(examples)('%s: every test of the example passes', async (name) => {
    const p = load(name);
    const outcomes = await runPipelineTests(p, filesOf(name, p));
    expect(outcomes.map((o) => o.name)).toEqual(p.tests.map((t) => t.name));
    for (const o of outcomes) expect(o, o.name).toMatchObject({ passed: true, differences: [] });
    expect(testProblems(outcomes)).toEqual([]);
  });

  it('a filter wired beside an edge validates, but its tests fail with the doubled outputs, key by key, named in a problem', async () => {
    const p = filterBeside();
    expect(validatePipeline(p).filter((x) => x.severity === 'error')).toEqual([]);
    const [first] = await runPipelineTests(p);
    expect(first.passed).toBe(false);
    const c1 = first.differences.find((d) => d.key === 'c-1')!;
    expect(c1).toMatchObject({ sink: 'large-orders', where: 'large-orders' });
    expect(c1.expected).toHaveLength(2);
    expect(c1.actual).toHaveLength(4);
    const problems = testProblems([first]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'PW043', severity: 'error', nodeId: 'large-orders', path: ['tests', 0] });
    expect(problems[0].message).toBe(
      'Test "orders of 100 or more pass with their total" fails: sink "large-orders" got, for key "c-1", 4 events where the test expects 2.',
    );
  });

  it('a sink the test does not list must receive nothing, and dead letters count unless the test says how many', async () => {
    const p = load('large-orders');
    const silent = { ...p, tests: [{ ...p.tests[0], expect: {} }] };
    const [o] = await runPipelineTests(silent);
    expect(o.passed).toBe(false);
    expect(o.differences).toEqual([
      { sink: 'large-orders', where: 'large-orders', key: 'c-1', expected: [], actual: p.tests[0].expect['large-orders'].map((e) => e.value) },
    ]);
    // The second example test sends a value that is not an order: the filter drops it; with a broken
    // filter it is a dead letter, which a test that says nothing about dead letters catches too.
    const broken = {
      ...p,
      nodes: p.nodes.map((n) => (n.id === 'large' ? { ...n, params: { where: 'value.amount.toFixed(0) !== "x"' } } : n)),
      tests: [{ ...p.tests[1], deadLetters: undefined }],
    };
    const [d] = await runPipelineTests(broken);
    expect(d.differences).toContainEqual({ sink: null, where: 'dead letters', expected: 0, actual: 1 });
    expect(testProblems([d])[0].message).toBe('Test "a value that is not an order is filtered out" fails: expected 0 dead letters, got 1.');
  });

  it('what a test ignores goes unchecked, and only that: the sink it names, or the dead letters', async () => {
    const p = load('large-orders');
    const [first, second] = p.tests;
    const wrong = [{ key: 'c-1', value: 'not what the pipeline writes' }];
    const tests: PipelineTest[] = [
      { ...first, expect: { 'large-orders': wrong }, ignore: ['dead-letters'] },
      { ...first, expect: {}, ignore: ['large-orders'] },
    ];
    const ignoring = { ...p, tests };
    // Ignoring the dead letters does not stop the sink from being checked.
    expect(validatePipeline(ignoring).filter((x) => x.severity === 'error')).toEqual([]);
    const [checked, unchecked] = await runPipelineTests(ignoring);
    expect(checked.passed).toBe(false);
    expect(checked.differences.map((d) => d.where)).toEqual(['large-orders']);
    expect(unchecked).toMatchObject({ passed: true, differences: [] });
    const broken = p.nodes.map((n) => (n.id === 'large' ? { ...n, params: { where: 'value.amount.toFixed(0) !== "x"' } } : n));
    const [counted, ignored] = await runPipelineTests({
      ...p,
      nodes: broken,
      tests: [{ ...second }, { ...second, deadLetters: undefined, ignore: ['dead-letters'] }],
    });
    expect(counted.differences).toEqual([{ sink: null, where: 'dead letters', expected: 0, actual: 1 }]);
    expect(ignored).toMatchObject({ passed: true, differences: [] });
  });

  it('records a test from input events that passes, and fails once the pipeline changes', async () => {
    const p = load('hourly-orders');
    const input = { orders: p.tests[0].input.orders };
    const recorded = await recordTest(p, {}, 'recorded', input);
    expect(recorded.expect).toEqual({ 'hourly-orders': p.tests[0].expect['hourly-orders'] });
    const withRecorded = { ...p, tests: [recorded] };
    expect((await runPipelineTests(withRecorded))[0].passed).toBe(true);
    const changed = { ...withRecorded, nodes: withRecorded.nodes.map((n) => (n.kind === 'window' ? { ...n, params: { ...n.params, size: '30m' } } : n)) };
    const [o] = await runPipelineTests(changed);
    expect(o.passed).toBe(false);
    expect(o.differences.every((d) => d.sink === 'hourly-orders')).toBe(true);
  });
});
