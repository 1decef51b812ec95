/**
 * Built-in JSON models, evaluated in plain TypeScript with no native
 * dependency: linear and logistic regression, and tree ensembles in the
 * formats XGBoost and LightGBM dump them to.
 *
 * Accepted documents:
 * - `{ "type": "linear" | "logistic", "features": [...], "weights": [...], "intercept": 0, "defaults"?: { name: value } }`.
 *   A missing input takes its default; without one the event fails. [1]
 * - LightGBM `booster.dump_model()` (has `tree_info`): objectives binary, regression (and its variants),
 *   multiclass, cross_entropy, poisson, gamma, tweedie; numerical and categorical splits with the dump's
 *   missing-value handling.
 * - XGBoost: `{ "type": "xgboost", "objective": "binary:logistic", "base_score": 0.5, "features": [...],
 *   "num_class"?: 3, "trees": [ ...booster.get_dump(dump_format="json") ] }`. The dump holds the trees only,
 *   so the objective, base_score (as XGBoost's config states it) and feature names go beside them. [2]
 * - XGBoost's own JSON model, `booster.save_model("model.json")` (has `learner`): gbtree boosters with
 *   numerical splits, the objectives above, base_score and feature names from the document.
 *
 * [1] Linear models have no notion of a missing value, unlike trees.
 * [2] Splits name features as `f<index>` or by name; both are accepted.
 */
import { featureMatrix, fromProbabilities, sigmoid, softmax, type Prediction, type Row, type Scorer } from './common.js';
import { errorText } from '../errors.js';
import { valueText } from '../types.js';

export interface JsonModel {
  type: 'linear' | 'logistic' | 'lightgbm' | 'xgboost';
  features: readonly string[];
  /** Whether the model gives class probabilities. */
  classifier: boolean;
  predict(x: readonly number[]): Prediction;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class ModelFormatError extends Error {}
const fail = (message: string): never => {
  throw new ModelFormatError(message);
};

function numberList(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) fail(`${what} must be a list of numbers`);
  return v as number[];
}

function nameList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) fail(`${what} must be a non-empty list of names`);
  return v as string[];
}

/** Parses a JSON model document; throws with a message that says what is wrong. */
export function parseJsonModel(text: string): JsonModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`the model file is not valid JSON: ${errorText(e)}`, { cause: e });
  }
  if (!isObj(doc)) throw new Error('the model file must hold a JSON object');
  try {
    if (doc.type === 'linear' || doc.type === 'logistic') return linearModel(doc, doc.type);
    if (doc.type === 'xgboost') return xgboostModel(doc);
    if (Array.isArray(doc.tree_info)) return lightgbmModel(doc);
    if (isObj(doc.learner)) return xgboostSavedModel(doc.learner);
  } catch (e) {
    if (e instanceof ModelFormatError)
      throw new Error(`the ${valueText(doc.type ?? (isObj(doc.learner) ? 'XGBoost' : 'LightGBM'))} model is not valid: ${e.message}`, { cause: e });
    throw e;
  }
  throw new Error(
    'unknown JSON model: expected "type": "linear", "logistic" or "xgboost", an XGBoost save_model() document with "learner", or a LightGBM dump_model() document with "tree_info"',
  );
}

function linearModel(doc: Obj, type: 'linear' | 'logistic'): JsonModel {
  const features = nameList(doc.features, '"features"');
  const weights = numberList(doc.weights, '"weights"');
  if (weights.length !== features.length) fail(`"weights" has ${weights.length} entries for ${features.length} features`);
  const intercept = doc.intercept === undefined ? 0 : typeof doc.intercept === 'number' ? doc.intercept : fail('"intercept" must be a number');
  const defaults = new Map<string, number>();
  if (doc.defaults !== undefined) {
    if (!isObj(doc.defaults)) fail('"defaults" must map feature names to numbers');
    for (const [name, v] of Object.entries(doc.defaults as Obj)) {
      if (!features.includes(name)) fail(`"defaults" names "${name}", which is not a feature`);
      if (typeof v !== 'number') fail(`the default of "${name}" must be a number`);
      defaults.set(name, v as number);
    }
  }
  return {
    type,
    features,
    classifier: type === 'logistic',
    predict(x) {
      let z = intercept;
      for (let i = 0; i < features.length; i++) {
        let v = x[i];
        if (Number.isNaN(v)) {
          const d = defaults.get(features[i]);
          if (d === undefined)
            throw new Error(
              `model input "${features[i]}" is missing and the model has no default for it; give one in the inputs expression (e.g. ?? 0) or in the model's "defaults"`,
            );
          v = d;
        }
        z += weights[i] * v;
      }
      if (type === 'linear') return { score: z };
      const p = sigmoid(z);
      return { score: p, label: p >= 0.5 ? 1 : 0, probabilities: [1 - p, p] };
    },
  };
}

// ---- trees ----

/** A tree flattened into arrays; leaves have feature -1. */
interface Tree {
  feature: number[];
  threshold: number[];
  /** LightGBM categorical splits: the categories that go left. */
  categories: (Set<number> | null)[];
  left: number[];
  right: number[];
  /** Where a missing value goes. */
  missing: number[];
  /** LightGBM: 0 none (NaN → 0), 1 zero, 2 NaN; XGBoost: 2. */
  missingType: number[];
  lessOrEqual: boolean;
  value: number[];
}

function newTree(lessOrEqual: boolean): Tree {
  return { feature: [], threshold: [], categories: [], left: [], right: [], missing: [], missingType: [], lessOrEqual, value: [] };
}

function evalTree(t: Tree, x: readonly number[]): number {
  let n = 0;
  for (let guard = 0; t.feature[n] >= 0; guard++) {
    if (guard > 10_000) throw new Error('the tree is too deep or has a loop');
    let v = x[t.feature[n]];
    const mt = t.missingType[n];
    if (mt !== 2 && Number.isNaN(v)) v = 0;
    const cats = t.categories[n];
    if (cats) {
      if (Number.isNaN(v) || v < 0) n = t.right[n];
      else n = cats.has(Math.trunc(v)) ? t.left[n] : t.right[n];
      continue;
    }
    if ((mt === 2 && Number.isNaN(v)) || (mt === 1 && Math.abs(v) <= 1e-35)) n = t.missing[n];
    else if (t.lessOrEqual ? v <= t.threshold[n] : v < t.threshold[n]) n = t.left[n];
    else n = t.right[n];
  }
  return t.value[n];
}

function lightgbmModel(doc: Obj): JsonModel {
  const features = nameList(doc.feature_names, '"feature_names"');
  const objective = typeof doc.objective === 'string' ? doc.objective : 'regression';
  const [name, ...options] = objective.split(' ');
  const option = (key: string) => options.find((o) => o.startsWith(`${key}:`))?.slice(key.length + 1);
  const numClass = typeof doc.num_class === 'number' ? doc.num_class : Number(option('num_class') ?? 1);
  const perIteration = typeof doc.num_tree_per_iteration === 'number' ? doc.num_tree_per_iteration : numClass;
  const sigmoidScale = Number(option('sigmoid') ?? 1);
  const averageOutput = doc.average_output === true;
  const trees = (doc.tree_info as unknown[]).map((info, i) => {
    if (!isObj(info) || !isObj(info.tree_structure)) fail(`tree ${i} has no "tree_structure"`);
    const tree = newTree(true);
    addLightgbmNode(tree, (info as Obj).tree_structure as Obj, features.length, 0);
    return tree;
  });
  if (trees.length % perIteration !== 0) fail(`${trees.length} trees do not divide into ${perIteration} per iteration`);
  const link = (raw: number[]): Prediction => {
    switch (name) {
      case 'binary': {
        const p = sigmoid(sigmoidScale * raw[0]);
        return { score: p, label: p >= 0.5 ? 1 : 0, probabilities: [1 - p, p] };
      }
      case 'cross_entropy':
      case 'xentropy': {
        const p = sigmoid(raw[0]);
        return { score: p, label: p >= 0.5 ? 1 : 0, probabilities: [1 - p, p] };
      }
      case 'multiclass':
      case 'softmax':
        return fromProbabilities(softmax(raw));
      case 'multiclassova':
      case 'multiclass_ova':
        return fromProbabilities(raw.map((r) => sigmoid(sigmoidScale * r)));
      case 'poisson':
      case 'gamma':
      case 'tweedie':
        return { score: Math.exp(raw[0]) };
      default:
        return { score: raw[0] };
    }
  };
  if (
    !['binary', 'cross_entropy', 'xentropy', 'multiclass', 'softmax', 'multiclassova', 'multiclass_ova', 'poisson', 'gamma', 'tweedie'].includes(name) &&
    !name.startsWith('regression') &&
    !['huber', 'fair', 'quantile', 'mape', 'lambdarank', 'rank_xendcg'].includes(name)
  ) {
    fail(`objective "${objective}" is not supported`);
  }
  const iterations = trees.length / perIteration;
  return {
    type: 'lightgbm',
    features,
    classifier: ['binary', 'cross_entropy', 'xentropy', 'multiclass', 'softmax', 'multiclassova', 'multiclass_ova'].includes(name),
    predict(x) {
      const raw = new Array<number>(perIteration).fill(0);
      for (let i = 0; i < trees.length; i++) raw[i % perIteration] += evalTree(trees[i], x);
      if (averageOutput) for (let k = 0; k < raw.length; k++) raw[k] /= iterations;
      return link(raw);
    },
  };
}

function addLightgbmNode(tree: Tree, node: Obj, featureCount: number, depth: number): number {
  if (depth > 1000) fail('a tree is deeper than 1000 levels');
  const id = tree.feature.length;
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.categories.push(null);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.missing.push(-1);
  tree.missingType.push(0);
  tree.value.push(0);
  if (node.leaf_value !== undefined || node.split_feature === undefined) {
    if (typeof node.leaf_value !== 'number') fail('a leaf has no numeric "leaf_value"');
    tree.value[id] = node.leaf_value as number;
    return id;
  }
  const f = node.split_feature;
  if (typeof f !== 'number' || !Number.isInteger(f) || f < 0 || f >= featureCount)
    fail(`split_feature ${valueText(f)} is not one of the ${featureCount} features`);
  tree.feature[id] = f as number;
  if (node.decision_type === '==') {
    const cats = String(node.threshold).split('||').map(Number);
    if (cats.some((c) => !Number.isInteger(c))) fail(`categorical threshold "${String(node.threshold)}" is not a list of categories`);
    tree.categories[id] = new Set(cats);
  } else if (node.decision_type === undefined || node.decision_type === '<=') {
    if (typeof node.threshold !== 'number') fail('a split has no numeric "threshold"');
    tree.threshold[id] = node.threshold as number;
  } else fail(`decision_type "${valueText(node.decision_type)}" is not supported`);
  tree.missingType[id] = node.missing_type === 'NaN' ? 2 : node.missing_type === 'Zero' ? 1 : 0;
  if (!isObj(node.left_child) || !isObj(node.right_child)) fail('a split needs "left_child" and "right_child"');
  tree.left[id] = addLightgbmNode(tree, node.left_child as Obj, featureCount, depth + 1);
  tree.right[id] = addLightgbmNode(tree, node.right_child as Obj, featureCount, depth + 1);
  tree.missing[id] = node.default_left === false ? tree.right[id] : tree.left[id];
  return id;
}

function xgboostModel(doc: Obj): JsonModel {
  const features = nameList(doc.features, '"features"');
  const objective = typeof doc.objective === 'string' ? doc.objective : fail('"objective" is required, e.g. "binary:logistic"');
  const numClass =
    doc.num_class === undefined
      ? 1
      : typeof doc.num_class === 'number' && Number.isInteger(doc.num_class) && doc.num_class >= 1
        ? doc.num_class
        : fail('"num_class" must be a whole number');
  const baseScore = doc.base_score === undefined ? 0.5 : typeof doc.base_score === 'number' ? doc.base_score : fail('"base_score" must be a number');
  if (!Array.isArray(doc.trees) || doc.trees.length === 0) fail('"trees" must be the list from get_dump(dump_format="json")');
  const trees = (doc.trees as unknown[]).map((t, i) => {
    let node: unknown = t;
    if (typeof t === 'string') {
      try {
        node = JSON.parse(t);
      } catch {
        fail(`tree ${i} is not valid JSON`);
      }
    }
    if (!isObj(node)) fail(`tree ${i} is not a tree`);
    const tree = newTree(false);
    const ids = new Map<number, number>();
    addXgboostNode(tree, node as Obj, features, ids, 0);
    return tree;
  });
  return xgboostEnsemble(objective, baseScore, numClass, features, trees);
}

/** XGBoost trees added up in margin space, turned into a prediction by the objective's link. */
function xgboostEnsemble(objective: string, baseScore: number, numClass: number, features: readonly string[], trees: Tree[], treeClass?: number[]): JsonModel {
  const perIteration = objective.startsWith('multi:') ? Math.max(numClass, 1) : 1;
  if (!treeClass && trees.length % perIteration !== 0) fail(`${trees.length} trees do not divide into ${perIteration} classes`);
  const classOf = treeClass ?? trees.map((_, i) => i % perIteration);
  if (classOf.some((c) => !(c >= 0 && c < perIteration))) fail('a tree belongs to a class the model does not have');
  // base_score is stated in the objective's output space; the trees add up in margin space.
  let baseMargin: number;
  let link: (raw: number[]) => Prediction;
  const binary = (raw: number[]): Prediction => {
    const p = sigmoid(raw[0]);
    return { score: p, label: p >= 0.5 ? 1 : 0, probabilities: [1 - p, p] };
  };
  switch (objective) {
    case 'binary:logistic':
    case 'reg:logistic':
      if (!(baseScore > 0 && baseScore < 1)) fail('"base_score" must lie between 0 and 1 for a logistic objective');
      baseMargin = Math.log(baseScore / (1 - baseScore));
      link = objective === 'binary:logistic' ? binary : (raw) => ({ score: sigmoid(raw[0]) });
      break;
    case 'binary:logitraw':
      baseMargin = baseScore;
      link = (raw) => ({ score: raw[0] });
      break;
    case 'count:poisson':
    case 'reg:gamma':
    case 'reg:tweedie':
      if (!(baseScore > 0)) fail('"base_score" must be positive for this objective');
      baseMargin = Math.log(baseScore);
      link = (raw) => ({ score: Math.exp(raw[0]) });
      break;
    case 'multi:softprob':
    case 'multi:softmax':
      baseMargin = baseScore;
      link = (raw) => fromProbabilities(softmax(raw));
      break;
    default:
      if (!objective.startsWith('reg:')) fail(`objective "${objective}" is not supported`);
      baseMargin = baseScore;
      link = (raw) => ({ score: raw[0] });
  }
  return {
    type: 'xgboost',
    features,
    classifier: objective === 'binary:logistic' || objective.startsWith('multi:'),
    predict(x) {
      const raw = new Array<number>(perIteration).fill(baseMargin);
      for (let i = 0; i < trees.length; i++) raw[classOf[i]] += evalTree(trees[i], x);
      return link(raw);
    },
  };
}

/** A number XGBoost's JSON writes as text, possibly in brackets: "5E-1", "[5E-1]". */
function xgbNumber(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.replace(/^\[|\]$/g, '')) : NaN;
  return Number.isFinite(n) ? n : fail(`${what} is not a number`);
}

/**
 * XGBoost's own JSON model (`booster.save_model("model.json")`): trees as
 * arrays (left_children, right_children, split_indices, split_conditions,
 * default_left); a leaf has left child -1 and keeps its value in
 * split_conditions. Feature names come from the document when it has them.
 */
function xgboostSavedModel(learner: Obj): JsonModel {
  const objective =
    isObj(learner.objective) && typeof learner.objective.name === 'string' ? learner.objective.name : fail('"learner.objective.name" is missing');
  const param = isObj(learner.learner_model_param) ? learner.learner_model_param : fail('"learner.learner_model_param" is missing');
  const baseScore = xgbNumber(param.base_score ?? 0.5, 'base_score');
  const numClass = Math.max(1, xgbNumber(param.num_class ?? 0, 'num_class'));
  const numFeature = xgbNumber(param.num_feature ?? 0, 'num_feature');
  const names =
    Array.isArray(learner.feature_names) && learner.feature_names.length
      ? nameList(learner.feature_names, '"feature_names"')
      : Array.from({ length: numFeature }, (_, i) => `f${i}`);
  const booster = isObj(learner.gradient_booster) ? learner.gradient_booster : fail('"learner.gradient_booster" is missing');
  if (booster.name !== 'gbtree') fail(`booster "${String(booster.name)}" is not supported (only gbtree)`);
  const model = isObj(booster.model) ? booster.model : fail('"gradient_booster.model" is missing');
  if (!Array.isArray(model.trees) || model.trees.length === 0) fail('the model has no trees');
  const trees = (model.trees as unknown[]).map((t, k) => {
    if (!isObj(t)) fail(`tree ${k} is not a tree`);
    const tt = t as Obj;
    const left = numberList(tt.left_children, `tree ${k} left_children`);
    const right = numberList(tt.right_children, `tree ${k} right_children`);
    const feature = numberList(tt.split_indices, `tree ${k} split_indices`);
    const cond = numberList(tt.split_conditions, `tree ${k} split_conditions`);
    const defaultLeft = numberList(tt.default_left, `tree ${k} default_left`);
    const n = left.length;
    if ([right, feature, cond, defaultLeft].some((a) => a.length !== n)) fail(`tree ${k} has arrays of different lengths`);
    if (Array.isArray(tt.split_type) && (tt.split_type as unknown[]).some((x) => x !== 0)) fail(`tree ${k} has categorical splits, which are not supported`);
    const tree = newTree(false);
    for (let i = 0; i < n; i++) {
      const leaf = left[i] === -1;
      if (!leaf && (left[i] <= i || right[i] <= i || left[i] >= n || right[i] >= n)) fail(`tree ${k} node ${i} has children out of order`);
      if (!leaf && (feature[i] < 0 || feature[i] >= names.length)) fail(`tree ${k} splits on feature ${feature[i]}, which the model does not have`);
      tree.feature.push(leaf ? -1 : feature[i]);
      tree.threshold.push(leaf ? 0 : cond[i]);
      tree.categories.push(null);
      tree.left.push(leaf ? -1 : left[i]);
      tree.right.push(leaf ? -1 : right[i]);
      tree.missing.push(leaf ? -1 : defaultLeft[i] ? left[i] : right[i]);
      tree.missingType.push(2);
      tree.value.push(leaf ? cond[i] : 0);
    }
    return tree;
  });
  const treeInfo = Array.isArray(model.tree_info) ? numberList(model.tree_info, '"tree_info"') : undefined;
  if (treeInfo && treeInfo.length !== trees.length) fail('"tree_info" does not give a class for every tree');
  return xgboostEnsemble(objective, baseScore, numClass, names, trees, objective.startsWith('multi:') ? treeInfo : undefined);
}

function addXgboostNode(tree: Tree, node: Obj, features: readonly string[], ids: Map<number, number>, depth: number): number {
  if (depth > 1000) fail('a tree is deeper than 1000 levels');
  const id = tree.feature.length;
  if (typeof node.nodeid === 'number') ids.set(node.nodeid, id);
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.categories.push(null);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.missing.push(-1);
  tree.missingType.push(2);
  tree.value.push(0);
  if (node.leaf !== undefined) {
    if (typeof node.leaf !== 'number') fail('a leaf has no numeric "leaf"');
    tree.value[id] = node.leaf as number;
    return id;
  }
  const split = String(node.split);
  let f = features.indexOf(split);
  if (f < 0 && /^f\d+$/.test(split)) f = Number(split.slice(1));
  if (f < 0 || f >= features.length) fail(`split on "${split}", which is not one of the features`);
  tree.feature[id] = f;
  if (typeof node.split_condition !== 'number') fail('a split has no numeric "split_condition"');
  tree.threshold[id] = node.split_condition as number;
  if (!Array.isArray(node.children) || node.children.length !== 2) fail('a split needs two "children"');
  const children = (node.children as unknown[]).map((c) => (isObj(c) ? c : fail('a child is not a node')));
  const childIds = children.map((c) => addXgboostNode(tree, c, features, ids, depth + 1));
  const byNodeId = (nodeid: unknown): number => {
    const i = children.findIndex((c) => c.nodeid === nodeid);
    return i < 0 ? fail(`node ${String(node.nodeid)} points at ${String(nodeid)}, which is not one of its children`) : childIds[i];
  };
  tree.left[id] = byNodeId(node.yes);
  tree.right[id] = byNodeId(node.no);
  tree.missing[id] = node.missing === undefined ? tree.left[id] : byNodeId(node.missing);
  return id;
}

/** A JSON model as a scorer: the whole batch is scored in one synchronous pass. */
export function jsonScorer(model: JsonModel): Scorer {
  return {
    features: model.features,
    async score(rows: readonly Row[]) {
      return featureMatrix(rows, model.features).map((x) => {
        if (x instanceof Error) return x;
        try {
          return model.predict(x);
        } catch (e) {
          return e instanceof Error ? e : new Error(String(e));
        }
      });
    },
  };
}
