/**
 * What every scoring backend of the model kind shares: one row of features
 * per event in, one prediction (or one error) per row out, for a whole batch
 * in one call. Plain TypeScript, no dependencies: runs in Node, in the
 * browser and in every generated repository.
 */

/** Model inputs of one event, by input name, as the node's `inputs` expression gave them. */
export type Row = Record<string, unknown>;

export interface Prediction {
  /** The prediction of a regressor; the probability of the positive class (or of the top class) of a classifier. */
  score: number;
  label?: number | string;
  /** Per-class probabilities of a classifier. */
  probabilities?: number[];
}

export interface Scorer {
  /** The inputs the model expects, in order, when it declares them. */
  readonly features?: readonly string[];
  /** One entry per row, in order: a prediction, or the error that row met. Never rejects for a bad row. */
  score(rows: readonly Row[]): Promise<(Prediction | Error)[]>;
  close?(): Promise<void>;
}

/**
 * A feature value as a number. Missing values (undefined, null, NaN) become
 * NaN, which tree models send down their "missing" branch; booleans are 1 or
 * 0; numeric text is read as a number. Anything else is an error of that row.
 */
export function featureNumber(name: string, v: unknown): number {
  if (v === undefined || v === null) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new Error(`model input "${name}" must be a number, not ${describe(v)}`);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Features of each row in the model's order; a row that fails becomes its Error. */
export function featureMatrix(rows: readonly Row[], features: readonly string[]): (number[] | Error)[] {
  return rows.map((row) => {
    try {
      return features.map((f) => featureNumber(f, row[f]));
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  });
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function softmax(xs: readonly number[]): number[] {
  const max = Math.max(...xs);
  const exps = xs.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** A classifier's prediction from its class probabilities: binary → P(class 1), otherwise the top class's probability. */
export function fromProbabilities(probabilities: number[], labels?: readonly (number | string)[]): Prediction {
  const top = argmax(probabilities);
  const score = probabilities.length === 2 ? probabilities[1] : probabilities[top];
  return { score, label: labels ? labels[top] : top, probabilities };
}

/** The error text of anything thrown. */
export function errorText(e: unknown): string {
  return errorText(e);
}

/** The bytes of a file as UTF-8 text. */
export function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** The pipeline's files in Node: read relative to the working directory (the generated repository's root). */
export async function readFileInNode(path: string): Promise<Uint8Array> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) {
    throw new Error(`cannot read "${path}": this host gave the pipeline no files (a browser host must pass readFile to the graph)`);
  }
  // A module name in a variable: bundlers for the browser must not try to resolve it.
  const fsModule = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ fsModule)) as { readFile(path: string): Promise<Uint8Array> };
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(
      `cannot read the model file "${path}": ${code === 'ENOENT' ? 'no such file (paths are relative to the folder the service runs in, the repository root)' : errorText(e)}`,
      { cause: e },
    );
  }
}
