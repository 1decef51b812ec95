/**
 * A small gradient-boosted trees classifier, trained here from the synthetic
 * flights, and written out in two formats: LightGBM's dump_model() JSON and
 * ONNX (ai.onnx.ml TreeEnsembleRegressor + Sigmoid). It also carries its own
 * straightforward evaluator, which computes the expected scores of the test
 * vectors independently of Pipewright's runtime.
 *
 * Numbers are chosen so that both formats agree to the last bit where it
 * matters: thresholds are halves and quarters, leaf values multiples of
 * 2^-12, so every sum is exact in float32 (ONNX) and in float64 (JSON). [1]
 *
 * [1] onnxruntime's tree ensembles read thresholds, weights and inputs as
 *     float32; arbitrary decimals would drift by ~1e-7 from the JSON scores.
 */
import { FEATURES } from './flights.js';
import { encodeModel, type OnnxNode } from './onnx-writer.js';

export type TreeNode = { feature: number; threshold: number; left: TreeNode; right: TreeNode } | { leaf: number };

/** Candidate split points per feature: never equal to a possible input value. */
const THRESHOLDS: number[][] = [
  [6.5, 8.5, 10.5, 12.5, 14.5, 15.5, 16.5, 17.5, 18.5, 19.5, 20.5, 21.5],
  [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],
  [299.5, 499.5, 749.5, 999.5, 1499.5, 1999.5, 2499.5],
  [0.5, 4.5, 9.5, 14.5, 19.5, 29.5, 44.5, 59.5, 89.5],
  [0.25, 1.25, 2.25, 3.25, 5.25, 8.25, 12.25],
];

export interface GbmOptions {
  trees: number;
  depth: number;
  learningRate: number;
  minLeaf: number;
  lambda: number;
}

const quantize = (v: number) => Math.round(v * 4096) / 4096;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Margin of one row: missing values (NaN) go left, as the dumps say (default_left, missing tracks true). */
export function margin(trees: readonly TreeNode[], x: readonly number[]): number {
  let sum = 0;
  for (const t of trees) {
    let n = t;
    while (!('leaf' in n)) n = Number.isNaN(x[n.feature]) || x[n.feature] <= n.threshold ? n.left : n.right;
    sum += n.leaf;
  }
  return sum;
}

export const probability = (trees: readonly TreeNode[], x: readonly number[]) => sigmoid(margin(trees, x));

/** Logistic-loss gradient boosting with Newton leaf values, on binned features. */
export function train(X: number[][], y: number[], o: GbmOptions): TreeNode[] {
  const n = X.length;
  // Bin index of each value: how many thresholds lie below it; -1 for missing (always goes left).
  const bins = X.map((x) => x.map((v, f) => (Number.isNaN(v) ? -1 : THRESHOLDS[f].filter((t) => v > t).length)));
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const base = quantize(Math.log(mean / (1 - mean)));
  const F = new Array<number>(n).fill(base);
  const trees: TreeNode[] = [];
  for (let t = 0; t < o.trees; t++) {
    const g = F.map((m, i) => y[i] - sigmoid(m));
    const h = F.map((m) => sigmoid(m) * (1 - sigmoid(m)));
    const leafValue = (rows: number[]) => {
      const G = rows.reduce((a, i) => a + g[i], 0);
      const H = rows.reduce((a, i) => a + h[i], 0);
      return quantize((o.learningRate * G) / (H + o.lambda));
    };
    const grow = (rows: number[], depth: number): TreeNode => {
      if (depth === o.depth || rows.length < 2 * o.minLeaf) return { leaf: leafValue(rows) };
      let best: { gain: number; f: number; k: number } | undefined;
      for (let f = 0; f < FEATURES.length; f++) {
        const K = THRESHOLDS[f].length;
        const G = new Array<number>(K + 2).fill(0);
        const H = new Array<number>(K + 2).fill(0);
        const C = new Array<number>(K + 2).fill(0);
        for (const i of rows) {
          const b = bins[i][f] + 1;
          G[b] += g[i];
          H[b] += h[i];
          C[b]++;
        }
        const GT = G.reduce((a, b) => a + b, 0);
        const HT = H.reduce((a, b) => a + b, 0);
        let GL = G[0];
        let HL = H[0];
        let CL = C[0];
        for (let k = 0; k < K; k++) {
          GL += G[k + 1];
          HL += H[k + 1];
          CL += C[k + 1];
          const CR = rows.length - CL;
          if (CL < o.minLeaf || CR < o.minLeaf) continue;
          const GR = GT - GL;
          const HR = HT - HL;
          const gain = (GL * GL) / (HL + o.lambda) + (GR * GR) / (HR + o.lambda) - (GT * GT) / (HT + o.lambda);
          if (gain > 1e-9 && (!best || gain > best.gain)) best = { gain, f, k };
        }
      }
      if (!best) return { leaf: leafValue(rows) };
      const { f, k } = best;
      const left = rows.filter((i) => bins[i][f] <= k);
      const right = rows.filter((i) => bins[i][f] > k);
      return { feature: f, threshold: THRESHOLDS[f][k], left: grow(left, depth + 1), right: grow(right, depth + 1) };
    };
    const tree = grow([...Array(n).keys()], 0);
    trees.push(tree);
    for (let i = 0; i < n; i++) F[i] += margin([tree], X[i]);
  }
  // LightGBM folds the initial score into the first tree's leaves; so do we.
  const addBase = (node: TreeNode): TreeNode =>
    'leaf' in node ? { leaf: node.leaf + base } : { ...node, left: addBase(node.left), right: addBase(node.right) };
  trees[0] = addBase(trees[0]);
  return trees;
}

/** The trees as LightGBM's booster.dump_model() writes them. */
export function lightgbmDump(trees: readonly TreeNode[]): unknown {
  const info = trees.map((tree, index) => {
    let splits = 0;
    let leaves = 0;
    const node = (n: TreeNode): unknown => {
      if ('leaf' in n) return { leaf_index: leaves++, leaf_value: n.leaf };
      return {
        split_index: splits++,
        split_feature: n.feature,
        threshold: n.threshold,
        decision_type: '<=',
        default_left: true,
        missing_type: 'NaN',
        left_child: node(n.left),
        right_child: node(n.right),
      };
    };
    const tree_structure = node(tree);
    return { tree_index: index, num_leaves: leaves, num_cat: 0, shrinkage: 1, tree_structure };
  });
  return {
    name: 'tree',
    version: 'v4',
    num_class: 1,
    num_tree_per_iteration: 1,
    label_index: 0,
    max_feature_idx: FEATURES.length - 1,
    objective: 'binary sigmoid:1',
    average_output: false,
    feature_names: [...FEATURES],
    tree_info: info,
  };
}

/** The trees as an ONNX model: X float[N, 5] → TreeEnsembleRegressor → Sigmoid → probability float[N, 1]. */
export function onnxModel(trees: readonly TreeNode[]): Uint8Array {
  const a = {
    nodes_treeids: [] as number[],
    nodes_nodeids: [] as number[],
    nodes_featureids: [] as number[],
    nodes_modes: [] as string[],
    nodes_values: [] as number[],
    nodes_truenodeids: [] as number[],
    nodes_falsenodeids: [] as number[],
    nodes_missing_value_tracks_true: [] as number[],
    target_treeids: [] as number[],
    target_nodeids: [] as number[],
    target_ids: [] as number[],
    target_weights: [] as number[],
  };
  trees.forEach((tree, t) => {
    let next = 0;
    const visit = (n: TreeNode): number => {
      const id = next++;
      const at = a.nodes_nodeids.length;
      a.nodes_treeids.push(t);
      a.nodes_nodeids.push(id);
      if ('leaf' in n) {
        a.nodes_featureids.push(0);
        a.nodes_modes.push('LEAF');
        a.nodes_values.push(0);
        a.nodes_truenodeids.push(0);
        a.nodes_falsenodeids.push(0);
        a.nodes_missing_value_tracks_true.push(0);
        a.target_treeids.push(t);
        a.target_nodeids.push(id);
        a.target_ids.push(0);
        a.target_weights.push(n.leaf);
        return id;
      }
      a.nodes_featureids.push(n.feature);
      a.nodes_modes.push('BRANCH_LEQ');
      a.nodes_values.push(n.threshold);
      a.nodes_truenodeids.push(0);
      a.nodes_falsenodeids.push(0);
      a.nodes_missing_value_tracks_true.push(1);
      a.nodes_truenodeids[at] = visit(n.left);
      a.nodes_falsenodeids[at] = visit(n.right);
      return id;
    };
    visit(tree);
  });
  const nodes: OnnxNode[] = [
    {
      opType: 'TreeEnsembleRegressor',
      domain: 'ai.onnx.ml',
      name: 'trees',
      inputs: ['features'],
      outputs: ['margin'],
      attributes: {
        nodes_treeids: { ints: a.nodes_treeids },
        nodes_nodeids: { ints: a.nodes_nodeids },
        nodes_featureids: { ints: a.nodes_featureids },
        nodes_modes: { strings: a.nodes_modes },
        nodes_values: { floats: a.nodes_values },
        nodes_truenodeids: { ints: a.nodes_truenodeids },
        nodes_falsenodeids: { ints: a.nodes_falsenodeids },
        nodes_missing_value_tracks_true: { ints: a.nodes_missing_value_tracks_true },
        target_treeids: { ints: a.target_treeids },
        target_nodeids: { ints: a.target_nodeids },
        target_ids: { ints: a.target_ids },
        target_weights: { floats: a.target_weights },
        n_targets: { i: 1 },
        aggregate_function: { s: 'SUM' },
        post_transform: { s: 'NONE' },
        base_values: { floats: [0] },
      },
    },
    { opType: 'Sigmoid', domain: '', name: 'link', inputs: ['margin'], outputs: ['probability'], attributes: {} },
  ];
  return encodeModel({
    producer: 'pipewright examples/flight-delays',
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    inputs: [{ name: 'features', elemType: 1, dims: ['N', FEATURES.length] }],
    outputs: [{ name: 'probability', elemType: 1, dims: ['N', 1] }],
    nodes,
    metadata: { feature_names: JSON.stringify(FEATURES) },
  });
}
