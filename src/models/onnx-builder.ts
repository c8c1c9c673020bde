// A small, general ONNX model writer over the onnx-proto package (protobufjs 6 classes for
// onnx.proto). Used by the test fixtures, the micro-benchmark and the demo-model generator, so
// models are generated from seeded TypeScript instead of committed as binaries.
//
//   const bytes = buildModel({
//     inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 128] }],
//     outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 1] }],
//     initializers: [{ name: 'w', dtype: 'float32', dims: [128, 1], data: seededFloat32(128, 1) }],
//     nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
//   });
import onnxProto from 'onnx-proto';
import type { OrtDType } from '../runtime/types.js';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType numbers for the dtypes the runtime supports. */
export const ONNX_DTYPE: Readonly<Record<OrtDType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8,
  bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13,
};

/** A dim: a fixed size, a symbolic name (dynamic, named), or null (dynamic, unnamed). */
export type Dim = number | string | null;

export interface ValueSpec {
  name: string;
  dtype: OrtDType;
  /** Omit for a value of unknown rank. */
  shape?: Dim[];
}

/** Numeric tensor payloads are written as raw little-endian bytes (typed arrays are LE here). */
export type TensorPayload = ArrayBufferView | string[];

export interface InitializerSpec {
  name: string;
  dtype: OrtDType;
  dims: number[];
  data: TensorPayload;
}

/** Attribute values are tagged so 1 (int) and 1.0 (float) cannot be confused. */
export type AttrValue =
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: number[] }
  | { floats: number[] }
  | { strings: string[] }
  | { tensor: InitializerSpec }
  | { graph: GraphSpec };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export interface GraphSpec {
  name?: string;
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: InitializerSpec[];
}

export interface ModelSpec extends GraphSpec {
  /** Default opset of the ai.onnx domain; 17 unless given. */
  opset?: number;
  /** Extra opset imports, e.g. { 'com.microsoft': 1 }. */
  extraOpsets?: Record<string, number>;
  /** IR version; 8 (the newest onnx-proto knows) unless given. */
  irVersion?: number;
  producer?: string;
  docString?: string;
}

function tensorProto(spec: InitializerSpec): onnxProto.onnx.TensorProto {
  const t = onnx.TensorProto.create({ name: spec.name, dataType: ONNX_DTYPE[spec.dtype], dims: spec.dims });
  const count = spec.dims.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'string') {
    if (!Array.isArray(spec.data)) throw new TypeError(`initializer '${spec.name}': string data must be string[]`);
    if (spec.data.length !== count) throw new RangeError(`initializer '${spec.name}': ${spec.data.length} strings for ${count} elements`);
    t.stringData = spec.data.map((s) => new TextEncoder().encode(s));
  } else {
    if (Array.isArray(spec.data) || !ArrayBuffer.isView(spec.data)) {
      throw new TypeError(`initializer '${spec.name}': numeric data must be a typed array`);
    }
    // Copy: protobufjs keeps a reference to the bytes until encode() finishes; a private copy
    // means callers may reuse their arrays at once.
    t.rawData = new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength).slice();
  }
  return t;
}

function valueInfo(spec: ValueSpec): onnxProto.onnx.ValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: ONNX_DTYPE[spec.dtype] };
  if (spec.shape !== undefined) {
    tensorType.shape = {
      dim: spec.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d })),
    };
  }
  return onnx.ValueInfoProto.create({ name: spec.name, type: { tensorType } });
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const a = onnx.AttributeProto.create({ name });
  if ('int' in v) Object.assign(a, { type: T.INT, i: v.int });
  else if ('float' in v) Object.assign(a, { type: T.FLOAT, f: v.float });
  else if ('string' in v) Object.assign(a, { type: T.STRING, s: new TextEncoder().encode(v.string) });
  else if ('ints' in v) Object.assign(a, { type: T.INTS, ints: v.ints });
  else if ('floats' in v) Object.assign(a, { type: T.FLOATS, floats: v.floats });
  else if ('strings' in v) Object.assign(a, { type: T.STRINGS, strings: v.strings.map((s) => new TextEncoder().encode(s)) });
  else if ('tensor' in v) Object.assign(a, { type: T.TENSOR, t: tensorProto(v.tensor) });
  else Object.assign(a, { type: T.GRAPH, g: graphProto(v.graph) });
  return a;
}

function graphProto(spec: GraphSpec): onnxProto.onnx.GraphProto {
  return onnx.GraphProto.create({
    name: spec.name ?? 'graph',
    node: spec.nodes.map((n, i) =>
      onnx.NodeProto.create({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    ),
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: (spec.initializers ?? []).map(tensorProto),
  });
}

/** Serializes a model to ONNX protobuf bytes. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const opsetImport = [{ domain: '', version: spec.opset ?? 17 }];
  for (const [domain, version] of Object.entries(spec.extraOpsets ?? {})) opsetImport.push({ domain, version });
  const model = onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producer ?? 'infergate',
    docString: spec.docString ?? '',
    opsetImport,
    graph: graphProto(spec),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Deterministic PRNG (mulberry32): the same seed gives the same model bytes everywhere. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` floats uniform in [-scale, scale), seeded. */
export function seededFloat32(count: number, seed: number, scale = 1): Float32Array {
  const rnd = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rnd() * 2 - 1) * scale;
  return out;
}
