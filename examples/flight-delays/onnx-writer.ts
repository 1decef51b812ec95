/**
 * Writes an ONNX ModelProto as protobuf bytes: just the messages and fields
 * a small model needs (graph, nodes, attributes, typed inputs and outputs,
 * opsets, metadata). Field numbers are those of onnx.proto.
 */

export type Attribute = { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] } | { strings: string[] };

export interface OnnxNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

export interface OnnxValue {
  name: string;
  /** TensorProto.DataType: 1 float, 7 int64, 11 double. */
  elemType: number;
  dims: (number | string)[];
}

export interface OnnxModelSpec {
  producer: string;
  opsets: { domain: string; version: number }[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  nodes: OnnxNode[];
  metadata: Record<string, string>;
}

class Writer {
  private readonly parts: number[] = [];
  varint(v: number): this {
    // Negative int64 values are ten bytes of two's complement.
    let n = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      this.parts.push(b);
    } while (n > 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    this.parts.push(...b);
    return this;
  }
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.parts.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

// AttributeProto.AttributeType
const FLOAT = 1;
const INT = 2;
const STRING = 3;
const FLOATS = 6;
const INTS = 7;
const STRINGS = 8;

function attribute(name: string, a: Attribute): Writer {
  const w = new Writer().string(1, name);
  if ('f' in a) return w.float(2, a.f).int(20, FLOAT);
  if ('i' in a) return w.int(3, a.i).int(20, INT);
  if ('s' in a) return w.string(4, a.s).int(20, STRING);
  if ('floats' in a) {
    for (const f of a.floats) w.float(7, f);
    return w.int(20, FLOATS);
  }
  if ('ints' in a) {
    for (const i of a.ints) w.int(8, i);
    return w.int(20, INTS);
  }
  for (const s of a.strings) w.string(9, s);
  return w.int(20, STRINGS);
}

function valueInfo(v: OnnxValue): Writer {
  const shape = new Writer();
  for (const d of v.dims) shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensor = new Writer().int(1, v.elemType).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensor));
}

export function encodeModel(spec: OnnxModelSpec): Uint8Array {
  const graph = new Writer();
  for (const n of spec.nodes) {
    const node = new Writer();
    for (const i of n.inputs) node.string(1, i);
    for (const o of n.outputs) node.string(2, o);
    node.string(3, n.name).string(4, n.opType);
    for (const [name, a] of Object.entries(n.attributes)) node.message(5, attribute(name, a));
    if (n.domain) node.string(7, n.domain);
    graph.message(1, node);
  }
  graph.string(2, 'main');
  for (const i of spec.inputs) graph.message(11, valueInfo(i));
  for (const o of spec.outputs) graph.message(12, valueInfo(o));
  const model = new Writer().int(1, 8).string(2, spec.producer).string(3, '1.0');
  model.message(7, graph);
  for (const o of spec.opsets) model.message(8, new Writer().string(1, o.domain).int(2, o.version));
  for (const [key, value] of Object.entries(spec.metadata)) model.message(14, new Writer().string(1, key).string(2, value));
  return model.finish();
}
