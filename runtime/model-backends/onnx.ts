/**
 * The ONNX backend: onnxruntime-node in a service, onnxruntime-web (wasm)
 * in a browser. Neither is imported statically: every runtime file is
 * compiled in every generated repository, and only pipelines with an ONNX
 * model depend on onnxruntime. [1] A whole batch is one `run` call.
 *
 * [1] The module name sits in a variable so that neither TypeScript nor a
 *     bundler resolves it; a host can also hand the module over itself with
 *     provideOnnxRuntime (the designer does, with a lazy import of onnxruntime-web).
 */
import { argmax, featureNumber, fromProbabilities, type Prediction, type Row, type Scorer } from './common.js';
import { onnxLayout, readOnnxInfo, type OnnxInfo, type OnnxLayout } from './onnx-info.js';
import { errorText } from '../errors.js';

/** The part of onnxruntime's API (the same in -node and -web) that the model step uses. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint | string>;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}

export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array | Float64Array | Int32Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
}

let provided: (() => Promise<OrtModule>) | undefined;

/** Hand the runtime an onnxruntime module (e.g. `() => import('onnxruntime-web')`); used instead of the default import. */
export function provideOnnxRuntime(loader: (() => Promise<unknown>) | undefined): void {
  provided = loader as (() => Promise<OrtModule>) | undefined;
}

const isNode = (): boolean => Boolean((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node);

/** The npm package the ONNX backend uses where this code runs. */
export function onnxPackage(): string {
  return isNode() ? 'onnxruntime-node' : 'onnxruntime-web';
}

async function loadOrt(): Promise<OrtModule> {
  let mod: unknown;
  const name = onnxPackage();
  try {
    mod = provided ? await provided() : await import(/* @vite-ignore */ name);
  } catch (e) {
    throw new Error(`the ONNX backend needs the npm package ${name}, which could not be loaded (${errorText(e)}); run npm install ${name}`, { cause: e });
  }
  const m = mod as Partial<OrtModule> & { default?: Partial<OrtModule> };
  const ort = m.InferenceSession ? m : m.default;
  if (!ort?.InferenceSession || !ort.Tensor) throw new Error(`${name} does not look like onnxruntime (no InferenceSession)`);
  return ort as OrtModule;
}

const TENSOR_TYPES: Record<number, string> = { 1: 'float32', 11: 'float64', 6: 'int32', 7: 'int64' };

function tensorData(elemType: number, values: Float64Array): Float32Array | Float64Array | Int32Array | BigInt64Array {
  switch (elemType) {
    case 11:
      return values.slice();
    case 6:
      return Int32Array.from(values, (v) => (Number.isFinite(v) ? Math.trunc(v) : 0));
    case 7:
      return BigInt64Array.from(values, (v) => BigInt(Number.isFinite(v) ? Math.trunc(v) : 0));
    default:
      return Float32Array.from(values);
  }
}

export interface OnnxScorerOptions {
  /** The most rows per `run` call. */
  batchSize: number;
  /** Create options for the session; defaults suit the CPU (node) and wasm (web) providers. */
  sessionOptions?: Record<string, unknown>;
  /** Use this module instead of loading one (tests, benchmarks). */
  ort?: OrtModule;
}

/** Loads an ONNX model and checks that its inputs and outputs can be fed from events. */
export async function onnxScorer(bytes: Uint8Array, options: OnnxScorerOptions): Promise<Scorer> {
  const info: OnnxInfo = readOnnxInfo(bytes);
  const layout: OnnxLayout = onnxLayout(info);
  const ort = options.ort ?? (await loadOrt());
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(bytes, options.sessionOptions ?? {});
  } catch (e) {
    throw new Error(`onnxruntime cannot load the model: ${errorText(e)}`, { cause: e });
  }
  const features = layout.mode === 'named' ? layout.inputs.map((i) => i.name) : layout.features;

  const runChunk = async (rows: readonly Row[]): Promise<(Prediction | Error)[]> => {
    const results = new Array<Prediction | Error>(rows.length);
    // Every row's inputs go straight into one matrix; a row that cannot be converted fails alone.
    const width = features?.length ?? Object.keys(rows[0] ?? {}).length;
    if (layout.mode === 'columns' && layout.width !== undefined && width !== layout.width) {
      throw new Error(`the model takes ${layout.width} inputs, the inputs expression gives ${width}`);
    }
    const matrix = new Float64Array(rows.length * width);
    const good: number[] = [];
    rows.forEach((row, i) => {
      try {
        const names = features ?? Object.keys(row);
        if (names.length !== width) throw new Error(`the inputs expression gave ${names.length} inputs, other events of the batch ${width}`);
        const at = good.length * width;
        for (let j = 0; j < width; j++) matrix[at + j] = featureNumber(names[j], row[names[j]]);
        good.push(i);
      } catch (e) {
        results[i] = e instanceof Error ? e : new Error(String(e));
      }
    });
    if (good.length === 0) return results;
    const n = good.length;
    const feeds: Record<string, OrtTensor> = {};
    if (layout.mode === 'columns') {
      feeds[layout.input.name] = new ort.Tensor(TENSOR_TYPES[layout.input.elemType], tensorData(layout.input.elemType, matrix.subarray(0, n * width)), [
        n,
        width,
      ]);
    } else {
      layout.inputs.forEach((input, j) => {
        const column = new Float64Array(n);
        for (let k = 0; k < n; k++) column[k] = matrix[k * width + j];
        feeds[input.name] = new ort.Tensor(TENSOR_TYPES[input.elemType], tensorData(input.elemType, column), input.dims.length === 2 ? [n, 1] : [n]);
      });
    }
    const out = await session.run(feeds);
    const predictions = interpret(out, session.outputNames, n);
    good.forEach((rowIndex, k) => (results[rowIndex] = predictions[k]));
    return results;
  };

  return {
    features,
    async score(rows) {
      const results: (Prediction | Error)[] = [];
      for (let i = 0; i < rows.length; i += options.batchSize) {
        const chunk = rows.slice(i, i + options.batchSize);
        try {
          results.push(...(await runChunk(chunk)));
        } catch (e) {
          // An inference error fails the rows of that call, never the stream.
          const error = new Error(`ONNX inference failed: ${errorText(e)}`);
          results.push(...chunk.map(() => error));
        }
      }
      return results;
    },
    async close() {
      await session.release?.();
    },
  };
}

/** Outputs → one prediction per row: probabilities [n, k], a score [n] or [n, 1], and a label [n]. */
function interpret(out: Record<string, OrtTensor>, names: readonly string[], n: number): Prediction[] {
  let probabilities: OrtTensor | undefined;
  let score: OrtTensor | undefined;
  let label: OrtTensor | undefined;
  for (const name of names) {
    const t = out[name];
    if (!t) continue;
    const isFloat = t.type === 'float32' || t.type === 'float64';
    const width = t.dims.length === 2 ? t.dims[1] : 1;
    if (isFloat && t.dims.length === 2 && width >= 2) probabilities ??= t;
    else if (isFloat && width === 1) score ??= t;
    else if (!isFloat && width === 1) label ??= t;
  }
  if (!probabilities && !score)
    throw new Error(`the model has no float output of shape [batch], [batch, 1] or [batch, classes] (outputs: ${names.join(', ')})`);
  const predictions: Prediction[] = [];
  for (let i = 0; i < n; i++) {
    let p: Prediction;
    if (probabilities) {
      const k = probabilities.dims[1];
      const probs = Array.from({ length: k }, (_, j) => Number(probabilities.data[i * k + j]));
      p = fromProbabilities(probs);
      if (score) p.score = Number(score.data[i]);
    } else p = { score: Number(score!.data[i]) };
    if (label) {
      const l = label.data[i];
      p.label = typeof l === 'bigint' ? Number(l) : l;
    } else if (p.probabilities) p.label = argmax(p.probabilities);
    predictions.push(p);
  }
  return predictions;
}
