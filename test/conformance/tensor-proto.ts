// Decodes a serialized ONNX TensorProto (the backend suite's input_N.pb / output_N.pb) into the
// runtime facade's tensor shape {dtype, shape, data}. Every returned typed array owns a fresh,
// aligned ArrayBuffer: protobufjs hands out raw_data as an unaligned view into the file buffer,
// which neither a Float64Array nor the addon may alias.
import onnxProto from 'onnx-proto';
import type { OrtDType, RuntimeTensor, TensorData } from '../../src/runtime/types.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

/** A tensor the reference (onnxruntime-node) cannot represent at all: bfloat16, complex, ... */
export class UnsupportedTensorError extends Error {
  override name = 'UnsupportedTensorError';
}

/** protobufjs 6 with `long` installed decodes 64-bit fields as Long objects. */
interface LongLike { low: number; high: number; unsigned: boolean; toNumber(): number }
type Int64Field = number | LongLike;

const DTYPE_BY_CODE = new Map<number, OrtDType>([
  [DT.FLOAT, 'float32'], [DT.UINT8, 'uint8'], [DT.INT8, 'int8'], [DT.UINT16, 'uint16'],
  [DT.INT16, 'int16'], [DT.INT32, 'int32'], [DT.INT64, 'int64'], [DT.STRING, 'string'],
  [DT.BOOL, 'bool'], [DT.FLOAT16, 'float16'], [DT.DOUBLE, 'float64'], [DT.UINT32, 'uint32'],
  [DT.UINT64, 'uint64'],
]);

/** ONNX type names for the codes the reference cannot take (ONNX 1.12 numbering). */
const UNSUPPORTED_NAMES = new Map<number, string>([
  [DT.COMPLEX64, 'complex64'], [DT.COMPLEX128, 'complex128'], [DT.BFLOAT16, 'bfloat16'],
  [17, 'float8e4m3fn'], [18, 'float8e4m3fnuz'], [19, 'float8e5m2'], [20, 'float8e5m2fnuz'],
  [21, 'uint4'], [22, 'int4'],
]);

type NumericCtor =
  | Float32ArrayConstructor | Float64ArrayConstructor | Int8ArrayConstructor | Int16ArrayConstructor
  | Int32ArrayConstructor | BigInt64ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor
  | Uint32ArrayConstructor | BigUint64ArrayConstructor;

/** Storage class per dtype; float16 travels as its raw 16 bits, bool as one byte per element. */
export const STORAGE: Record<Exclude<OrtDType, 'string'>, NumericCtor> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array,
  int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array,
};

function toNumber(v: Int64Field): number {
  return typeof v === 'number' ? v : v.toNumber();
}

function toBigInt(v: Int64Field, signed: boolean): bigint {
  const bits = typeof v === 'number'
    ? BigInt.asUintN(64, BigInt(v))
    : (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return signed ? BigInt.asIntN(64, bits) : bits;
}

export interface NamedTensor { name: string; tensor: RuntimeTensor }

/** Decodes one TensorProto; throws UnsupportedTensorError for types the reference lacks. */
export function decodeTensorProto(bytes: Uint8Array): NamedTensor {
  const proto = onnx.TensorProto.decode(bytes);
  const code = proto.dataType;
  const dtype = DTYPE_BY_CODE.get(code);
  if (dtype === undefined) {
    throw new UnsupportedTensorError(`${UNSUPPORTED_NAMES.get(code) ?? `data type ${code}`} tensors are not supported by onnxruntime-node`);
  }
  if (proto.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new UnsupportedTensorError('tensor with external data');
  }
  const shape = proto.dims.map((d) => toNumber(d as Int64Field));
  const count = shape.reduce((a, b) => a * b, 1);
  const data = decodeData(proto, dtype, count);
  if (data.length !== count) {
    throw new Error(`tensor '${proto.name}': ${data.length} elements for shape [${shape.join(',')}]`);
  }
  return { name: proto.name, tensor: { dtype, shape, data } };
}

function decodeData(proto: OnnxTensor, dtype: OrtDType, count: number): TensorData {
  if (dtype === 'string') {
    const text = new TextDecoder();
    return proto.stringData.map((s) => text.decode(s));
  }
  const Ctor = STORAGE[dtype];
  const raw = proto.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== count * Ctor.BYTES_PER_ELEMENT) {
      throw new Error(`tensor '${proto.name}': raw_data has ${raw.length} bytes, expected ${count * Ctor.BYTES_PER_ELEMENT}`);
    }
    const copy = new Uint8Array(raw.length); // fresh buffer: aligned, owned by the caller
    copy.set(raw);
    return new Ctor(copy.buffer);
  }
  switch (dtype) {
    case 'float32': return Float32Array.from(proto.floatData);
    case 'float64': return Float64Array.from(proto.doubleData);
    case 'int64': return BigInt64Array.from(proto.int64Data, (v) => toBigInt(v as Int64Field, true));
    case 'uint64': return BigUint64Array.from(proto.uint64Data, (v) => toBigInt(v as Int64Field, false));
    case 'uint32': return Uint32Array.from(proto.uint64Data, (v) => toNumber(v as Int64Field));
    // int32_data carries every narrower type, float16 as its bit pattern and bool as 0/1.
    default: return (Ctor as Int32ArrayConstructor).from(proto.int32Data);
  }
}

type OnnxTensor = ReturnType<typeof onnx.TensorProto.decode>;

/** Decodes IEEE half-precision bits to a number (for comparisons and messages). */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
