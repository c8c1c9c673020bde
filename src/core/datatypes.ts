// The one datatype table (KServe v2 names, ONNX Runtime names, element sizes, typed-array
// classes; native/dtype_table.h is its C++ twin) and the byte-level helpers every codec shares: element sizes,
// the KServe <-> ONNX Runtime dtype map, typed-array views over wire bytes, the BYTES
// (4-byte-length) layout, and shape arithmetic with overflow checks.
import { Buffer } from 'node:buffer';
import { err } from './errors.js';
import type { DataType } from './types.js';

/** ONNX Runtime element types we support (ORT's names, as onnxruntime-node spells them). */
export type OrtDType =
  | 'float32' | 'float16' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool' | 'string';

type NumericView =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Int16Array | Int32Array
  | BigInt64Array | Uint8Array | Uint32Array | BigUint64Array;
export type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NumericView;

export interface DataTypeInfo {
  name: DataType;
  /** Bytes per element; 0 for BYTES (variable length). */
  byteSize: number;
  ort: OrtDType;
  /** Typed array holding the raw elements (FP16 as Uint16 bits, BOOL as Uint8 0/1). */
  view: ViewCtor | null;
}

export const DATATYPES: Readonly<Record<DataType, DataTypeInfo>> = {
  BOOL: { name: 'BOOL', byteSize: 1, ort: 'bool', view: Uint8Array },
  UINT8: { name: 'UINT8', byteSize: 1, ort: 'uint8', view: Uint8Array },
  UINT16: { name: 'UINT16', byteSize: 2, ort: 'uint16', view: Uint16Array },
  UINT32: { name: 'UINT32', byteSize: 4, ort: 'uint32', view: Uint32Array },
  UINT64: { name: 'UINT64', byteSize: 8, ort: 'uint64', view: BigUint64Array },
  INT8: { name: 'INT8', byteSize: 1, ort: 'int8', view: Int8Array },
  INT16: { name: 'INT16', byteSize: 2, ort: 'int16', view: Int16Array },
  INT32: { name: 'INT32', byteSize: 4, ort: 'int32', view: Int32Array },
  INT64: { name: 'INT64', byteSize: 8, ort: 'int64', view: BigInt64Array },
  FP16: { name: 'FP16', byteSize: 2, ort: 'float16', view: Uint16Array },
  FP32: { name: 'FP32', byteSize: 4, ort: 'float32', view: Float32Array },
  FP64: { name: 'FP64', byteSize: 8, ort: 'float64', view: Float64Array },
  BYTES: { name: 'BYTES', byteSize: 0, ort: 'string', view: null },
};

/** All datatype names in the FlatBuffers enum order (enum value = index + 1). */
export const DATATYPE_NAMES: readonly DataType[] = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES',
];

const ORT_TO_KSERVE: Readonly<Record<OrtDType, DataType>> = Object.fromEntries(
  DATATYPE_NAMES.map((d) => [DATATYPES[d].ort, d]),
) as Record<OrtDType, DataType>;

export function isDataType(s: unknown): s is DataType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DATATYPES, s);
}

/** Bytes per element; 0 for BYTES. */
export function dataTypeByteSize(dt: DataType): number {
  return DATATYPES[dt].byteSize;
}

export function kserveToOrt(dt: DataType): OrtDType {
  return DATATYPES[dt].ort;
}

export function ortToKserve(ort: OrtDType): DataType {
  const dt = ORT_TO_KSERVE[ort];
  if (dt === undefined) throw new TypeError(`no KServe datatype for ORT dtype "${String(ort)}"`);
  return dt;
}

/** Largest element count / byte length we accept anywhere (2^31 - 1): beyond it a single
 *  tensor would not fit a typed array on every platform, and it bounds every allocation. */
export const MAX_TENSOR_BYTES = 0x7fffffff;

/**
 * Number of elements of `shape`; throws IG_BAD_TENSOR (naming `what`) for a negative or
 * non-integer dim or a product above MAX_TENSOR_BYTES. An empty shape is a scalar (1).
 */
export function shapeElementCount(shape: readonly number[], what = 'tensor'): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isSafeInteger(d) || d < 0) {
      throw err('IG_BAD_TENSOR', `${what}: shape[${i}] = ${String(d)} is not a non-negative integer`);
    }
    n *= d;
    if (n > MAX_TENSOR_BYTES) {
      throw err('IG_BAD_TENSOR', `${what}: shape [${shape.join(',')}] has more than ${MAX_TENSOR_BYTES} elements`);
    }
  }
  return n;
}

/**
 * Checks that `data` is a whole tensor of `datatype` and `shape`: exact byte length for
 * fixed-size types, a well-formed BYTES layout with product(shape) elements otherwise.
 * Returns the element count. Throws IG_BAD_TENSOR naming `what`.
 */
export function checkTensorBytes(datatype: DataType, shape: readonly number[], data: Uint8Array, what: string): number {
  const count = shapeElementCount(shape, what);
  const size = DATATYPES[datatype].byteSize;
  if (size === 0) {
    const got = countBytesElements(data, what);
    if (got !== count) {
      throw err('IG_BAD_TENSOR', `${what}: BYTES data holds ${got} elements, shape [${shape.join(',')}] needs ${count}`);
    }
  } else if (data.byteLength !== count * size) {
    throw err('IG_BAD_TENSOR',
      `${what}: data is ${data.byteLength} bytes, ${datatype} shape [${shape.join(',')}] needs ${count * size}`);
  }
  return count;
}

/**
 * A typed view of `bytes` for a fixed-size datatype. Zero-copy when the bytes are aligned to
 * the element size (the view then aliases the caller's buffer and shares its lifetime);
 * otherwise a copy, since typed arrays cannot be misaligned.
 */
export function bytesToTypedArray(dt: DataType, bytes: Uint8Array): NumericView {
  const info = DATATYPES[dt];
  if (info.view === null) throw new TypeError('bytesToTypedArray: BYTES has no typed view; use unpackBytes');
  const size = info.byteSize;
  if (bytes.byteLength % size !== 0) {
    throw err('IG_BAD_TENSOR', `${dt} data length ${bytes.byteLength} is not a multiple of ${size}`);
  }
  if (bytes.byteOffset % size === 0) return new info.view(bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new info.view(copy.buffer, 0, bytes.byteLength / size);
}

/** The bytes of a typed array, as a view (no copy). */
export function typedArrayToBytes(ta: ArrayBufferView): Uint8Array {
  return new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength);
}

const utf8Decoder = new TextDecoder('utf-8');

/** Packs elements into the BYTES layout (per element: u32 LE length, then the bytes). */
export function packBytes(elements: readonly (string | Uint8Array)[]): Uint8Array {
  // Two passes and one buffer: strings are written straight into it (Buffer.write), never
  // encoded into one small buffer each, so a million short strings cost one allocation.
  let total = 0;
  for (const e of elements) total += 4 + (typeof e === 'string' ? Buffer.byteLength(e, 'utf8') : e.byteLength);
  if (total > MAX_TENSOR_BYTES) throw err('IG_BAD_TENSOR', `BYTES tensor of ${total} bytes is too large`);
  const out = new Uint8Array(total);
  const buf = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  let p = 0;
  for (const e of elements) {
    const n = typeof e === 'string' ? buf.write(e, p + 4, 'utf8') : (out.set(e, p + 4), e.byteLength);
    buf.writeUInt32LE(n, p);
    p += 4 + n;
  }
  return out;
}

/** Number of elements in a BYTES layout; throws IG_BAD_TENSOR when a length runs past the end. */
export function countBytesElements(data: Uint8Array, what = 'BYTES tensor'): number {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end = data.byteLength;
  let p = 0;
  let n = 0;
  while (p < end) {
    if (end - p < 4) throw err('IG_BAD_TENSOR', `${what}: BYTES element ${n} has a truncated length prefix at byte ${p}`);
    const len = dv.getUint32(p, true);
    if (len > end - p - 4) {
      throw err('IG_BAD_TENSOR', `${what}: BYTES element ${n} claims ${len} bytes but only ${end - p - 4} remain`);
    }
    p += 4 + len;
    n++;
  }
  return n;
}

/** The elements of a BYTES layout as views into `data` (no copy). */
export function unpackBytes(data: Uint8Array, what = 'BYTES tensor'): Uint8Array[] {
  const n = countBytesElements(data, what);
  const out = new Array<Uint8Array>(n);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(p, true);
    out[i] = data.subarray(p + 4, p + 4 + len);
    p += 4 + len;
  }
  return out;
}

/** The elements of a BYTES layout decoded as UTF-8 (invalid sequences become U+FFFD). */
export function unpackBytesToStrings(data: Uint8Array, what?: string): string[] {
  return unpackBytes(data, what).map((e) => utf8Decoder.decode(e));
}
