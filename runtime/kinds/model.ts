/**
 * The model step: scores each event with a machine-learning model and adds
 * the result to the event. Three backends:
 * - json: linear/logistic regression and XGBoost/LightGBM tree dumps, in plain TypeScript;
 * - onnx: onnxruntime-node in the service, onnxruntime-web in a browser;
 * - http: a KServe / TF Serving style endpoint, micro-batched, with timeout and retries.
 * Every batch that reaches the node is scored in one call (one `run` for
 * ONNX, a few concurrent requests for HTTP), never one awaited call per event.
 */
import { recordInfo } from '../types.js';
import { readFileInNode, utf8, type Prediction, type Row, type Scorer } from '../model-backends/common.js';
import { httpScorer } from '../model-backends/http.js';
import { jsonScorer, parseJsonModel } from '../model-backends/json.js';
import { onnxFeatureNames, onnxLayout, readOnnxInfo } from '../model-backends/onnx-info.js';
import { onnxScorer } from '../model-backends/onnx.js';
import { defineKind, type DraftOf, type KindProblem, type ParamSpec, type ParamsOf, type PipelineFiles, type ValuesOf } from './spec.js';
import { errorText } from '../errors.js';

/** The onnxruntime-node version a generated service pins when it uses an ONNX model. */
export const ONNXRUNTIME_VERSION = '1.30.0';

type Inputs = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

const FIELD = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Why a model path cannot be used, or undefined when it is fine: relative to
 * the pipeline's folder, inside it, plain names only.
 */
export function modelPathProblem(path: string): string | undefined {
  if (path === '') return 'the path is empty';
  if (path.length > 200) return 'the path is longer than 200 characters';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\'))
    return 'the path must be relative to the pipeline\'s folder, with "/" between folders';
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return 'the path must stay inside the pipeline\'s folder (no "." or "..")';
  if (segments.length > 6 || !segments.every((s) => SEGMENT.test(s))) return 'use letters, digits, ".", "_" and "-" in file and folder names';
  return undefined;
}

/**
 * The keys of an inputs expression that is an object literal, e.g.
 * `({ a: value.x, "b": 1, c })` → [a, b, c]; undefined when that cannot be
 * told without running it (spreads, computed keys, anything else).
 */
export function literalKeys(expression: string): string[] | undefined {
  let t = expression.trim();
  while (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1).trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return undefined;
  const body = t.slice(1, -1);
  const keys: string[] = [];
  let depth = 0;
  let start = 0;
  let quote = '';
  const parts: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(?:([A-Za-z_$][A-Za-z0-9_$]*)|"([^"\\]*)"|'([^'\\]*)')\s*(:|$)/.exec(part);
    if (!m) return undefined;
    keys.push(m[1] ?? m[2] ?? m[3]);
  }
  return keys;
}

/** The model kind's parameters, declared once; they type what its functions receive. */
const PARAMS = [
  {
    name: 'backend',
    type: 'enum',
    title: 'Backend',
    description: 'How the model is evaluated: json (built in), onnx (onnxruntime) or http (an inference endpoint).',
    enum: ['json', 'onnx', 'http'],
    default: 'json',
  },
  {
    name: 'model',
    type: 'string',
    title: 'Model file',
    description: 'The model file (.json or .onnx), relative to the folder of pipeline.yaml.',
    default: '',
    placeholder: 'models/flight-delay.onnx',
  },
  {
    name: 'url',
    type: 'string',
    title: 'Endpoint URL',
    description: "The http backend's inference endpoint (KServe v1 / TF Serving :predict).",
    default: '',
    placeholder: 'http://model.models.svc:8080/v1/models/delay:predict',
  },
  {
    name: 'inputs',
    type: 'expression',
    title: 'Inputs',
    description: 'An object from model input name to its value for this event; give defaults for missing fields here.',
    required: true,
    returns: 'any',
    placeholder: '({ distance: value.distance, dep_hour: value.depHour ?? 12 })',
  },
  {
    name: 'score',
    type: 'string',
    title: 'Score field',
    description: "The field that receives the score (the positive class's probability for a binary classifier).",
    default: 'score',
  },
  { name: 'label', type: 'string', title: 'Label field', description: 'The field that receives the predicted class; empty to leave it out.', default: '' },
  {
    name: 'probabilities',
    type: 'string',
    title: 'Probabilities field',
    description: 'The field that receives the list of class probabilities; empty to leave it out.',
    default: '',
  },
  {
    name: 'batchSize',
    type: 'integer',
    title: 'Batch size',
    description: 'The most events per inference call or HTTP request.',
    default: 256,
    min: 1,
    max: 100_000,
  },
  {
    name: 'timeoutMs',
    type: 'integer',
    title: 'Timeout (ms)',
    description: 'http: how long one request may take before it is retried.',
    default: 2000,
    min: 1,
    max: 60_000,
  },
  {
    name: 'retries',
    type: 'integer',
    title: 'Retries',
    description: 'http: retries of a request that timed out, could not connect, or got 429 or 5xx.',
    default: 2,
    min: 0,
    max: 10,
  },
  {
    name: 'concurrency',
    type: 'integer',
    title: 'Concurrent requests',
    description: 'http: requests in flight at once for one batch.',
    default: 4,
    min: 1,
    max: 64,
  },
  {
    name: 'instances',
    type: 'enum',
    title: 'Instance format',
    description: 'http: send each instance as an object by input name, or as a list of values in the order of inputs.',
    enum: ['objects', 'arrays'],
    default: 'objects',
  },
] as const satisfies readonly ParamSpec[];
type ModelParams = ParamsOf<typeof PARAMS>;

function fieldsAdded({ score, label, probabilities }: DraftOf<typeof PARAMS>): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof score === 'string' && score) out[score] = 'number';
  if (typeof label === 'string' && label) out[label] = 'number | string | null';
  if (typeof probabilities === 'string' && probabilities) out[probabilities] = 'number[] | null';
  return out;
}

/** The feature names a model file declares, or the reason it cannot be used. */
function modelFeatures(backend: string, bytes: Uint8Array): { features?: string[]; classifier?: boolean } {
  if (backend === 'json') {
    const m = parseJsonModel(utf8(bytes));
    return { features: [...m.features], classifier: m.classifier };
  }
  return { features: onnxFeatureNames(onnxLayout(readOnnxInfo(bytes))) };
}

/** The score, label and probabilities outputs must be usable field names, each a different one. */
function outputFieldProblems(params: ModelParams): KindProblem[] {
  const problems: KindProblem[] = [];
  const outputs = ['score', 'label', 'probabilities'] as const;
  for (const name of outputs) {
    const v = params[name];
    if (v !== '' && !FIELD.test(v))
      problems.push({
        param: name,
        code: 'PW140',
        message: `"${v}" is not a usable field name.`,
        hint: 'Use letters, digits and "_", starting with a letter, e.g. delayProbability.',
      });
  }
  const named = outputs.map((n) => params[n]).filter(Boolean);
  if (new Set(named).size !== named.length)
    problems.push({
      param: 'label',
      code: 'PW140',
      message: 'score, label and probabilities must name different fields.',
      hint: 'Give each output its own field name, or leave label and probabilities empty.',
    });
  return problems;
}

/** The http backend's url must be an http(s) URL. */
function endpointProblems(url: string): KindProblem[] {
  if (/^https?:\/\/[^\s/]+/.test(url)) return [];
  return [
    {
      param: 'url',
      code: 'PW141',
      message: url ? `"${url}" is not an http(s) URL.` : "The http backend needs the endpoint's url.",
      hint: 'e.g. url: http://flight-delay-model.models.svc:8080/v1/models/flight-delay:predict',
    },
  ];
}

/**
 * The model file of the onnx and json backends must be named, inside the pipeline's folder and end as its
 * backend's files do; when the files are at hand, it must exist and load. Gives the features it declares when it loads.
 */
function modelFileProblems(params: ModelParams, files?: PipelineFiles): { problems: KindProblem[]; declared?: { features?: string[] } } {
  const { backend, model: path } = params;
  const ext = backend === 'onnx' ? '.onnx' : '.json';
  if (path === '') {
    return {
      problems: [
        {
          param: 'model',
          code: 'PW142',
          message: `The ${backend} backend needs a model file.`,
          hint: `Put the file beside pipeline.yaml and name it, e.g. model: models/flight-delay${ext}`,
        },
      ],
    };
  }
  const bad = modelPathProblem(path);
  if (bad) {
    return {
      problems: [
        {
          param: 'model',
          code: 'PW142',
          message: `The model path "${path}" cannot be used: ${bad}.`,
          hint: `Keep the file in the pipeline's folder, e.g. model: models/flight-delay${ext}`,
        },
      ],
    };
  }
  const problems: KindProblem[] = [];
  if (!path.toLowerCase().endsWith(ext))
    problems.push({
      param: 'model',
      code: 'PW142',
      message: `The ${backend} backend reads ${ext} files; "${path}" is not one.`,
      hint: `Choose backend: ${backend === 'onnx' ? 'json' : 'onnx'}, or name the ${ext} file.`,
    });
  if (!files) return { problems };
  const bytes = files[path];
  if (!bytes) {
    problems.push({
      param: 'model',
      code: 'PW142',
      message: `The model file "${path}" does not exist.`,
      hint: 'Paths are relative to the folder of pipeline.yaml; check the name and that the file is there.',
    });
    return { problems };
  }
  try {
    return { problems, declared: modelFeatures(backend, bytes) };
  } catch (e) {
    problems.push({
      param: 'model',
      code: 'PW142',
      message: `The model file "${path}" cannot be loaded: ${errorText(e)}.`,
      hint: backend === 'onnx' ? 'Export the model to ONNX again, with tensor inputs and outputs.' : "See the model kind's docs for the JSON formats it reads.",
    });
    return { problems };
  }
}

/** When inputs is a literal mapping, it must map every feature the model declares, and no other. */
function inputMappingProblems(inputs: ModelParams['inputs'], features: string[] | undefined): KindProblem[] {
  const keys = typeof inputs === 'string' ? literalKeys(inputs) : undefined;
  if (!keys || !features) return [];
  const problems: KindProblem[] = [];
  const missing = features.filter((f) => !keys.includes(f));
  const extra = keys.filter((k) => !features.includes(k));
  if (missing.length)
    problems.push({
      param: 'inputs',
      code: 'PW143',
      message: `The model's input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not mapped.`,
      hint: `Map every model input, with a default for missing values, e.g. ${missing[0]}: value.${missing[0]} ?? 0. The model's inputs: ${features.join(', ')}.`,
    });
  if (extra.length)
    problems.push({
      param: 'inputs',
      code: 'PW143',
      message: `The model has no input${extra.length > 1 ? 's' : ''} ${extra.map((m) => `"${m}"`).join(', ')}.`,
      hint: `The model's inputs: ${features.join(', ')}.`,
    });
  return problems;
}

/** A model step's parameters: its outputs, then its endpoint (http) or its model file and the inputs that file declares. */
function validateModel(params: ModelParams, ctx: { files?: PipelineFiles }): KindProblem[] {
  const problems = outputFieldProblems(params);
  if (params.backend === 'http') return [...problems, ...endpointProblems(params.url)];
  const file = modelFileProblems(params, ctx.files);
  problems.push(...file.problems);
  if (file.declared) problems.push(...inputMappingProblems(params.inputs, file.declared.features));
  return problems;
}

/**
 * Loads a model file in its runtime (onnxruntime for ONNX), which catches what reading the file cannot:
 * operators the runtime lacks, inconsistent graphs. Endpoints are not called at validation.
 */
async function probeModel(params: ModelParams, { files }: { files: PipelineFiles }): Promise<KindProblem[]> {
  const { backend, model: path } = params;
  if (backend === 'http' || !files[path]) return [];
  try {
    const scorer = await createScorer({ ...params, batchSize: 1 }, async () => files[path]);
    await scorer.close?.();
    return [];
  } catch (e) {
    const hint =
      backend === 'onnx' ? 'Export the model again with operators that onnxruntime supports.' : "See the model kind's docs for the JSON formats it reads.";
    return [{ param: 'model', code: 'PW142', message: `${errorText(e).replace(/^the model/, 'The model')}.`, hint }];
  }
}

async function createScorer(params: ValuesOf<typeof PARAMS>, readFile: (path: string) => Promise<Uint8Array>): Promise<Scorer> {
  const { backend, batchSize } = params;
  if (backend === 'http') {
    return httpScorer({
      url: params.url,
      batchSize,
      concurrency: params.concurrency,
      timeoutMs: params.timeoutMs,
      retries: params.retries,
      instances: params.instances,
    });
  }
  const path = params.model;
  const bad = modelPathProblem(path);
  if (bad) throw new Error(`the model path "${path}" cannot be used: ${bad}`);
  const bytes = await readFile(path);
  try {
    if (backend === 'onnx') return await onnxScorer(bytes, { batchSize });
    return jsonScorer(parseJsonModel(utf8(bytes)));
  } catch (e) {
    throw new Error(`the model "${path}" cannot be loaded: ${errorText(e)}`, { cause: e });
  }
}

export const model = defineKind({
  kind: 'model',
  category: 'model',
  title: 'Model',
  summary: 'Score each event with a machine-learning model and add the score to it.',
  docs:
    "Maps each event to the model's inputs with the `inputs` expression, an object from input name to value " +
    '(write defaults for missing fields there, e.g. `value.delay ?? 0`; a missing value reaches tree models as ' +
    'missing), scores the whole batch in one call, and passes the event on with the score added as the field named ' +
    'by `score` (and, when named, the class `label` and the class `probabilities`). Backends: `json` evaluates ' +
    'linear and logistic regression and XGBoost / LightGBM tree dumps in plain TypeScript; `onnx` runs an ONNX ' +
    'model with onnxruntime-node (onnxruntime-web in the browser); `http` posts `{"instances": [...]}` to a KServe / ' +
    'TF Serving style endpoint, `batchSize` instances per request, with a timeout and bounded retries. The model file ' +
    'sits beside pipeline.yaml and is copied into the generated repository and its image. A model that cannot load ' +
    'is reported by validation, or stops the service at start-up; an event that cannot be scored goes to the error port.',
  params: PARAMS,
  inputs: ['in'],
  outputs: ['out'],
  outputType: { from: 'input', fields: fieldsAdded },
  example: {
    params: {
      backend: 'http',
      url: 'http://localhost:8080/v1/models/delay:predict',
      inputs: '({ distance: value.distance, dep_hour: value.depHour ?? 12 })',
      score: 'delayProbability',
    },
  },
  validate: validateModel,
  probe: probeModel,
  files: (params) =>
    (params.backend === 'json' || params.backend === 'onnx') && typeof params.model === 'string' && params.model !== '' ? [params.model] : [],
  dependencies: (params): Record<string, string> => (params.backend === 'onnx' ? { 'onnxruntime-node': ONNXRUNTIME_VERSION } : {}),
  create({ params, fns, readFile, nodeId }) {
    const inputs = fns.inputs as Inputs;
    const { score, label, probabilities } = params;
    let loading: Promise<Scorer> | undefined;
    const load = () => (loading ??= createScorer(params, readFile ?? readFileInNode));
    return {
      async start() {
        await load();
      },
      async process(batch, _port, out) {
        let scorer: Scorer;
        try {
          scorer = await load();
        } catch (e) {
          const error = new Error(`model step "${nodeId}" has no model: ${errorText(e)}`);
          for (const rec of batch) out.fail(rec, error);
          return;
        }
        const recs: typeof batch = [];
        const rows: Row[] = [];
        for (const rec of batch) {
          try {
            if (typeof rec.value !== 'object' || rec.value === null || Array.isArray(rec.value))
              throw new Error('the model step adds fields to events that are objects; this event is not one');
            const row = inputs(rec.value, rec.key, recordInfo(rec));
            if (typeof row !== 'object' || row === null || Array.isArray(row))
              throw new Error('the inputs expression must give an object from model input name to value');
            rows.push(row as Row);
            recs.push(rec);
          } catch (e) {
            out.fail(rec, e);
          }
        }
        if (rows.length === 0) return;
        let predictions: (Prediction | Error)[];
        try {
          predictions = await scorer.score(rows);
        } catch (e) {
          for (const rec of recs) out.fail(rec, new Error(`scoring failed: ${errorText(e)}`));
          return;
        }
        recs.forEach((rec, i) => {
          const p = predictions[i];
          if (!p || p instanceof Error) {
            out.fail(rec, p ?? new Error('the model gave no prediction'));
            return;
          }
          if (!Number.isFinite(p.score)) {
            out.fail(rec, new Error(`the model gave the score ${String(p.score)}`));
            return;
          }
          const value: Record<string, unknown> = { ...(rec.value as Record<string, unknown>), [score]: p.score };
          if (label) value[label] = p.label ?? null;
          if (probabilities) value[probabilities] = p.probabilities ?? null;
          out.emit('out', { ...rec, value });
        });
      },
      async close() {
        const s = await loading?.catch(() => undefined);
        await s?.close?.();
      },
    };
  },
});
