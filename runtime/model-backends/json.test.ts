/**
 * The built-in JSON models against scores computed another way: by hand for
 * the small models here, and by the flight-delays example's own evaluator
 * (test-vectors.json) for its LightGBM dump.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonScorer, parseJsonModel } from './json.js';

const EXAMPLE = new URL('../../examples/flight-delays/', import.meta.url);
const FEATURES = ['dep_hour', 'day_of_week', 'distance', 'inbound_delay', 'precipitation'];
interface Vector {
  features: (number | null)[];
  probability: number;
}
const vectors = JSON.parse(readFileSync(new URL('test-vectors.json', EXAMPLE), 'utf8')) as Vector[];
const rows = vectors.map((v) => Object.fromEntries(FEATURES.map((f, i) => [f, v.features[i]])));

const sig = (z: number) => 1 / (1 + Math.exp(-z));

describe('linear and logistic regression', () => {
  const doc = { features: ['a', 'b'], weights: [0.5, -2], intercept: 0.25, defaults: { b: 1 } };

  it('linear: intercept + weights · inputs, defaults for missing inputs', async () => {
    const s = jsonScorer(parseJsonModel(JSON.stringify({ type: 'linear', ...doc })));
    const out = await s.score([{ a: 2, b: 3 }, { a: 4 }, { a: 1, b: null }]);
    expect(out).toEqual([{ score: 0.25 + 1 - 6 }, { score: 0.25 + 2 - 2 }, { score: 0.25 + 0.5 - 2 }]);
  });

  it('logistic: sigmoid of the linear score, label and probabilities', async () => {
    const s = jsonScorer(parseJsonModel(JSON.stringify({ type: 'logistic', ...doc })));
    const [p] = (await s.score([{ a: 3, b: 0.5 }])) as { score: number; label: number; probabilities: number[] }[];
    const expected = 1 / (1 + Math.exp(-(0.25 + 1.5 - 1)));
    expect(p.score).toBeCloseTo(expected, 12);
    expect(p.label).toBe(1);
    expect(p.probabilities[0]).toBeCloseTo(1 - expected, 12);
  });

  it('fails one row, not the batch, for a missing input without a default or a wrong type', async () => {
    const s = jsonScorer(parseJsonModel(JSON.stringify({ type: 'linear', features: ['a'], weights: [1] })));
    const out = await s.score([{ a: 1 }, {}, { a: 'x' }, { a: '2.5' }, { a: true }]);
    expect(out[0]).toEqual({ score: 1 });
    expect((out[1] as Error).message).toMatch(/"a" is missing and the model has no default/);
    expect((out[2] as Error).message).toMatch(/"a" must be a number, not the text "x"/);
    expect(out[3]).toEqual({ score: 2.5 });
    expect(out[4]).toEqual({ score: 1 });
  });
});

describe('XGBoost dump', () => {
  // Two trees as get_dump(dump_format="json") writes them; f0 = x, f1 = y.
  const trees = [
    {
      nodeid: 0,
      depth: 0,
      split: 'x',
      split_condition: 10,
      yes: 1,
      no: 2,
      missing: 2,
      children: [
        { nodeid: 1, leaf: -0.5 },
        {
          nodeid: 2,
          depth: 1,
          split: 'f1',
          split_condition: 0.5,
          yes: 3,
          no: 4,
          missing: 3,
          children: [
            { nodeid: 3, leaf: 0.25 },
            { nodeid: 4, leaf: 0.75 },
          ],
        },
      ],
    },
    JSON.stringify({
      nodeid: 0,
      depth: 0,
      split: 'y',
      split_condition: 2,
      yes: 1,
      no: 2,
      missing: 1,
      children: [
        { nodeid: 1, leaf: 0.125 },
        { nodeid: 2, leaf: -0.125 },
      ],
    }),
  ];

  it('binary:logistic: sigmoid(logit(base_score) + leaves); x < split goes to yes; missing follows "missing"', async () => {
    const s = jsonScorer(parseJsonModel(JSON.stringify({ type: 'xgboost', objective: 'binary:logistic', base_score: 0.2, features: ['x', 'y'], trees })));
    const base = Math.log(0.2 / 0.8);
    const out = (await s.score([
      { x: 5, y: 0 },
      { x: 10, y: 1 },
      { x: 20, y: 3 },
      { x: null, y: null },
    ])) as { score: number }[];
    const expected = [base - 0.5 + 0.125, base + 0.75 + 0.125, base + 0.75 - 0.125, base + 0.25 + 0.125].map(sig);
    out.forEach((p, i) => expect(Math.abs(p.score - expected[i])).toBeLessThan(1e-12));
  });

  it('reg:squarederror: base_score + leaves', async () => {
    const s = jsonScorer(parseJsonModel(JSON.stringify({ type: 'xgboost', objective: 'reg:squarederror', base_score: 3, features: ['x', 'y'], trees })));
    expect(await s.score([{ x: 5, y: 0 }])).toEqual([{ score: 3 - 0.5 + 0.125 }]);
  });

  it('multi:softprob: trees take turns per class, softmax over the sums', async () => {
    const leaf = (v: number) => ({ nodeid: 0, leaf: v });
    const s = jsonScorer(
      parseJsonModel(
        JSON.stringify({
          type: 'xgboost',
          objective: 'multi:softprob',
          num_class: 3,
          base_score: 0.5,
          features: ['x'],
          trees: [leaf(1), leaf(0), leaf(-1), leaf(0.5), leaf(0), leaf(0)],
        }),
      ),
    );
    const [p] = (await s.score([{ x: 1 }])) as { score: number; label: number; probabilities: number[] }[];
    const z = [2, 0.5, -0.5].map(Math.exp);
    const sum = z[0] + z[1] + z[2];
    expect(p.label).toBe(0);
    p.probabilities.forEach((q, i) => expect(Math.abs(q - z[i] / sum)).toBeLessThan(1e-12));
  });
});

describe('XGBoost save_model() JSON', () => {
  // The same two trees as the dump above, as XGBoost's own JSON model stores them.
  const learner = (objective: string, extra: Record<string, unknown> = {}) => ({
    version: [2, 1, 0],
    learner: {
      feature_names: ['x', 'y'],
      objective: { name: objective },
      learner_model_param: { base_score: '[2E-1]', num_class: '0', num_feature: '2' },
      gradient_booster: {
        name: 'gbtree',
        model: {
          tree_info: [0, 0],
          trees: [
            {
              left_children: [1, -1, 3, -1, -1],
              right_children: [2, -1, 4, -1, -1],
              split_indices: [0, 0, 1, 0, 0],
              split_conditions: [10, -0.5, 0.5, 0.25, 0.75],
              default_left: [0, 0, 1, 0, 0],
              split_type: [0, 0, 0, 0, 0],
            },
            {
              left_children: [1, -1, -1],
              right_children: [2, -1, -1],
              split_indices: [1, 0, 0],
              split_conditions: [2, 0.125, -0.125],
              default_left: [1, 0, 0],
              split_type: [0, 0, 0],
            },
          ],
        },
      },
      ...extra,
    },
  });

  it('scores as the dump of the same trees does', async () => {
    const s = jsonScorer(parseJsonModel(JSON.stringify(learner('binary:logistic'))));
    expect(s.features).toEqual(['x', 'y']);
    const base = Math.log(0.2 / 0.8);
    const out = (await s.score([
      { x: 5, y: 0 },
      { x: 10, y: 1 },
      { x: 20, y: 3 },
      { x: null, y: null },
    ])) as { score: number }[];
    const expected = [base - 0.5 + 0.125, base + 0.75 + 0.125, base + 0.75 - 0.125, base + 0.25 + 0.125].map(sig);
    out.forEach((p, i) => expect(Math.abs(p.score - expected[i])).toBeLessThan(1e-12));
  });

  it('names features f0, f1… when the document has no names, and refuses what it cannot evaluate', () => {
    expect(parseJsonModel(JSON.stringify(learner('reg:squarederror', { feature_names: [] }))).features).toEqual(['f0', 'f1']);
    expect(() => parseJsonModel(JSON.stringify(learner('rank:pairwise')))).toThrow(/XGBoost model is not valid: objective "rank:pairwise" is not supported/);
    const doc = learner('binary:logistic');
    doc.learner.gradient_booster.model.trees[0].split_type = [1, 0, 0, 0, 0];
    expect(() => parseJsonModel(JSON.stringify(doc))).toThrow(/categorical splits/);
  });
});

describe('LightGBM dump', () => {
  it("scores the flight-delays test vectors as the example's own evaluator does (within 1e-6)", async () => {
    const s = jsonScorer(parseJsonModel(readFileSync(new URL('models/flight-delay.json', EXAMPLE), 'utf8')));
    expect(s.features).toEqual(FEATURES);
    const out = (await s.score(rows)) as { score: number }[];
    expect(out).toHaveLength(200);
    let worst = 0;
    out.forEach((p, i) => (worst = Math.max(worst, Math.abs(p.score - vectors[i].probability))));
    expect(worst).toBeLessThan(1e-6);
    expect(vectors.some((v) => v.features.includes(null))).toBe(true); // missing values are covered
  });

  it('reads categorical splits, missing types and multiclass objectives', async () => {
    const doc = {
      objective: 'multiclass num_class:2',
      num_class: 2,
      num_tree_per_iteration: 2,
      feature_names: ['colour', 'size'],
      tree_info: [
        {
          tree_structure: {
            split_feature: 0,
            threshold: '1||3',
            decision_type: '==',
            default_left: false,
            missing_type: 'NaN',
            left_child: { leaf_value: 1 },
            right_child: { leaf_value: 0 },
          },
        },
        {
          tree_structure: {
            split_feature: 1,
            threshold: 5,
            decision_type: '<=',
            default_left: false,
            missing_type: 'Zero',
            left_child: { leaf_value: 0.5 },
            right_child: { leaf_value: -0.5 },
          },
        },
      ],
    };
    const s = jsonScorer(parseJsonModel(JSON.stringify(doc)));
    const out = (await s.score([
      { colour: 3, size: 2 },
      { colour: 2, size: 0 },
      { colour: null, size: 9 },
    ])) as { probabilities: number[] }[];
    const soft = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    // size 0 is "zero": it follows default_left (false → right).
    const expected = [soft(1, 0.5), soft(0, -0.5), soft(0, -0.5)];
    out.forEach((p, i) => p.probabilities.forEach((q, j) => expect(Math.abs(q - expected[i][j])).toBeLessThan(1e-12)));
  });
});

describe('model files that cannot be used', () => {
  it.each([
    ['not json', /not valid JSON/],
    ['[]', /must hold a JSON object/],
    ['{"type":"tree"}', /unknown JSON model/],
    ['{"type":"linear","features":["a"],"weights":[1,2]}', /"weights" has 2 entries for 1 features/],
    ['{"type":"xgboost","features":["a"],"trees":[{"leaf":1}]}', /"objective" is required/],
    [
      '{"type":"xgboost","objective":"binary:logistic","features":["a"],"trees":[{"nodeid":0,"split":"b","split_condition":1,"yes":1,"no":2,"children":[{"nodeid":1,"leaf":0},{"nodeid":2,"leaf":1}]}]}',
      /split on "b"/,
    ],
    [
      '{"tree_info":[{"tree_structure":{"split_feature":4,"threshold":1,"left_child":{"leaf_value":0},"right_child":{"leaf_value":1}}}],"feature_names":["a"]}',
      /split_feature 4/,
    ],
  ])('%s', (text, message) => {
    expect(() => parseJsonModel(text)).toThrow(message);
  });
});
