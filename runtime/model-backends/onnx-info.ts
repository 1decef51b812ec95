/**
 * Reads what a model step needs to know from an ONNX file without running
 * it: the graph's inputs and outputs (names, element types, shapes) and the
 * metadata properties. A small protobuf reader of ModelProto, synchronous, so
 * that validation can check a model against the pipeline in the browser and
 * in the CLI alike, before any inference runtime is loaded.
 */

import { errorText } from '../errors.js';

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType: 1 float, 6 int32, 7 int64, 8 string, 11 double…; 0 when not a tensor. */
  elemType: number;
  /** Dimensions: a size, a symbolic name, or null when unknown. Undefined shape: no dims given. */
  dims: (number | string | null)[];
  /** 'tensor', or what else the value is (a ZipMap output is a 'sequence'). */
  kind: 'tensor' | 'sequence' | 'map' | 'other';
}

export interface OnnxInfo {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  metadata: Record<string, string>;
}

export const ONNX_TYPES: Record<number, string> = {
  1: 'float',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'double',
};

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      // Past 2^53 precision is lost, which is fine for the sizes and enums read here.
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }
  /** Field number and wire type of the next field. */
  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t & 7];
  }
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new Error('truncated field');
    this.pos += len;
    return [start, start + len];
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new Error('truncated field');
  }
  sub([start, end]: [number, number]): Reader {
    return new Reader(this.buf, start, end);
  }
  text([start, end]: [number, number]): string {
    return new TextDecoder('utf-8').decode(this.buf.subarray(start, end));
  }
}

function fields(r: Reader, on: (field: number, wire: number) => boolean): void {
  while (!r.done) {
    const [field, wire] = r.tag();
    if (!on(field, wire)) r.skip(wire);
  }
}

function readValueInfo(r: Reader): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, dims: [], kind: 'other' };
  fields(r, (f, w) => {
    if (f === 1 && w === 2) info.name = r.text(r.bytes());
    else if (f === 2 && w === 2) readType(r.sub(r.bytes()), info);
    else return false;
    return true;
  });
  return info;
}

function readType(r: Reader, info: OnnxValueInfo): void {
  fields(r, (f, w) => {
    if (w !== 2) return false;
    const range = r.bytes();
    if (f === 1) {
      info.kind = 'tensor';
      const t = r.sub(range);
      fields(t, (tf, tw) => {
        if (tf === 1 && tw === 0) info.elemType = t.varint();
        else if (tf === 2 && tw === 2) info.dims = readShape(t.sub(t.bytes()));
        else return false;
        return true;
      });
    } else if (f === 4) info.kind = 'sequence';
    else if (f === 5) info.kind = 'map';
    return true;
  });
}

function readShape(r: Reader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  fields(r, (f, w) => {
    if (f !== 1 || w !== 2) return false;
    const d = r.sub(r.bytes());
    let dim: number | string | null = null;
    fields(d, (df, dw) => {
      if (df === 1 && dw === 0) dim = d.varint();
      else if (df === 2 && dw === 2) dim = d.text(d.bytes());
      else return false;
      return true;
    });
    dims.push(dim);
    return true;
  });
  return dims;
}

/** Reads an ONNX model's interface; throws "not an ONNX model" with the reason when the bytes are not one. */
export function readOnnxInfo(bytes: Uint8Array): OnnxInfo {
  const info: OnnxInfo = { irVersion: 0, opsets: [], inputs: [], outputs: [], metadata: {} };
  let graph = false;
  const initializers = new Set<string>();
  try {
    const r = new Reader(bytes);
    fields(r, (f, w) => {
      if (f === 1 && w === 0) info.irVersion = r.varint();
      else if (f === 8 && w === 2) {
        const o = r.sub(r.bytes());
        const opset = { domain: '', version: 0 };
        fields(o, (of, ow) => {
          if (of === 1 && ow === 2) opset.domain = o.text(o.bytes());
          else if (of === 2 && ow === 0) opset.version = o.varint();
          else return false;
          return true;
        });
        info.opsets.push(opset);
      } else if (f === 14 && w === 2) {
        const m = r.sub(r.bytes());
        let key = '';
        let value = '';
        fields(m, (mf, mw) => {
          if (mf === 1 && mw === 2) key = m.text(m.bytes());
          else if (mf === 2 && mw === 2) value = m.text(m.bytes());
          else return false;
          return true;
        });
        info.metadata[key] = value;
      } else if (f === 7 && w === 2) {
        graph = true;
        const g = r.sub(r.bytes());
        fields(g, (gf, gw) => {
          if (gw !== 2) return false;
          const range = g.bytes();
          if (gf === 11) info.inputs.push(readValueInfo(g.sub(range)));
          else if (gf === 12) info.outputs.push(readValueInfo(g.sub(range)));
          else if (gf === 5) {
            const t = g.sub(range);
            fields(t, (tf, tw) => {
              if (tf === 8 && tw === 2) initializers.add(t.text(t.bytes()));
              else return false;
              return true;
            });
          }
          return true;
        });
      } else return false;
      return true;
    });
  } catch (e) {
    throw new Error(`not an ONNX model: ${errorText(e)}`, { cause: e });
  }
  if (!graph || info.irVersion === 0) throw new Error('not an ONNX model: no graph or IR version found');
  // Older exporters list initializers among the inputs; they are weights, not inputs.
  info.inputs = info.inputs.filter((i) => !initializers.has(i.name));
  return info;
}

/** How event features reach an ONNX model's inputs. */
export type OnnxLayout =
  /** One [batch, features] tensor; feature names from the model's metadata, or else the order of the inputs expression. */
  | { mode: 'columns'; input: OnnxValueInfo; features?: string[]; width?: number }
  /** One [batch] or [batch, 1] tensor per feature, named like it. */
  | { mode: 'named'; inputs: OnnxValueInfo[] };

const SUPPORTED_INPUT_TYPES = new Set([1, 6, 7, 11]);

/** The layout of a model's inputs, or the reason it cannot be fed from events. */
export function onnxLayout(info: OnnxInfo): OnnxLayout {
  if (info.inputs.length === 0) throw new Error('the ONNX model has no inputs');
  for (const i of info.inputs) {
    if (i.kind !== 'tensor') throw new Error(`ONNX input "${i.name}" is not a tensor`);
    if (!SUPPORTED_INPUT_TYPES.has(i.elemType))
      throw new Error(`ONNX input "${i.name}" has element type ${ONNX_TYPES[i.elemType] ?? i.elemType}; the model step feeds float, double, int32 or int64`);
  }
  for (const o of info.outputs) {
    if (o.kind !== 'tensor')
      throw new Error(`ONNX output "${o.name}" is a ${o.kind}, not a tensor; export classifiers without ZipMap (skl2onnx: options={"zipmap": False})`);
  }
  if (info.inputs.length === 1 && info.inputs[0].dims.length === 2) {
    const input = info.inputs[0];
    const width = typeof input.dims[1] === 'number' ? input.dims[1] : undefined;
    const names = featureNames(info.metadata.feature_names);
    if (names && width !== undefined && names.length !== width)
      throw new Error(`the model's feature_names metadata lists ${names.length} names for ${width} columns`);
    return { mode: 'columns', input, features: names, width };
  }
  for (const i of info.inputs) {
    if (i.dims.length > 2 || (i.dims.length === 2 && i.dims[1] !== 1)) {
      throw new Error(`ONNX input "${i.name}" has shape [${i.dims.map((d) => d ?? '?').join(', ')}]; with several inputs each must be [batch] or [batch, 1]`);
    }
  }
  return { mode: 'named', inputs: info.inputs };
}

/** feature_names metadata as a JSON list or comma-separated names. */
function featureNames(v: string | undefined): string[] | undefined {
  if (!v) return undefined;
  try {
    const parsed = JSON.parse(v) as unknown;
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
  } catch {
    // not JSON: comma-separated
  }
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The model's input feature names when they are known without the pipeline. */
export function onnxFeatureNames(layout: OnnxLayout): string[] | undefined {
  return layout.mode === 'named' ? layout.inputs.map((i) => i.name) : layout.features;
}
