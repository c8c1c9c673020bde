// Typed tensors on the caller's side: a Float32Array (or any typed array, or strings for BYTES)
// with its shape, turned into the wire's raw little-endian bytes and back. The datatype follows
// from the array's class unless given; FP16 (Uint16Array bits) and BOOL (Uint8Array 0/1) must be
// named, since their arrays are shared with UINT16 and UINT8.
import { bytesToTypedArray, checkTensorBytes, DATATYPES, packBytes, shapeElementCount, typedArrayToBytes, unpackBytesToStrings } from '../core/datatypes.js';
import type { DataType, WireTensor } from '../core/types.js';

export type TypedData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** An input: `data` in row-major order; strings (or byte strings) for BYTES. */
export interface TensorInput {
  shape: readonly number[];
  data: TypedData | readonly (string | Uint8Array)[];
  /** Default: from the array's class (Float32Array -> FP32, BigInt64Array -> INT64, strings -> BYTES). */
  datatype?: DataType;
}

/** An output: a typed array for numeric datatypes (FP16 as Uint16Array bits, BOOL as Uint8Array
 *  0/1), strings for BYTES. Numeric data may be a view into the response body, which the
 *  client no longer touches: it is the caller's to keep. */
export interface Tensor {
  datatype: DataType;
  shape: number[];
  data: TypedData | string[];
}

const BY_CLASS = new Map<unknown, DataType>([
  [Float32Array, 'FP32'], [Float64Array, 'FP64'], [Int8Array, 'INT8'], [Int16Array, 'INT16'],
  [Int32Array, 'INT32'], [BigInt64Array, 'INT64'], [Uint8Array, 'UINT8'], [Uint16Array, 'UINT16'],
  [Uint32Array, 'UINT32'], [BigUint64Array, 'UINT64'],
]);

function datatypeOf(name: string, t: TensorInput): DataType {
  if (Array.isArray(t.data)) {
    if (t.datatype !== undefined && t.datatype !== 'BYTES') throw new TypeError(`input "${name}": an array of strings is BYTES, not ${t.datatype}`);
    return 'BYTES';
  }
  const own = BY_CLASS.get(t.data.constructor);
  if (own === undefined) throw new TypeError(`input "${name}": data must be a typed array or an array of strings`);
  if (t.datatype === undefined) return own;
  const view = DATATYPES[t.datatype].view;
  if (view === null || view !== t.data.constructor) {
    throw new TypeError(`input "${name}": ${t.datatype} data must be a ${view?.name ?? 'string array'} (got ${t.data.constructor.name})`);
  }
  return t.datatype;
}

/** A caller's tensor -> wire bytes (a view of a typed array: no copy). */
export function toWire(name: string, t: TensorInput): WireTensor {
  const datatype = datatypeOf(name, t);
  const shape = [...t.shape];
  const what = `input "${name}"`;
  if (datatype === 'BYTES') {
    const strings = t.data as readonly (string | Uint8Array)[];
    if (strings.length !== shapeElementCount(shape, what)) {
      throw new RangeError(`${what}: shape [${shape.join(', ')}] holds ${shapeElementCount(shape, what)} elements but data has ${strings.length}`);
    }
    return { name, datatype, shape, data: packBytes(strings) };
  }
  const data = typedArrayToBytes(t.data as TypedData);
  checkTensorBytes(datatype, shape, data, what);
  return { name, datatype, shape, data };
}

/** Wire bytes -> a caller's tensor. */
export function fromWire(t: WireTensor): Tensor {
  if (t.datatype === 'BYTES') return { datatype: t.datatype, shape: t.shape, data: unpackBytesToStrings(t.data, `output "${t.name}"`) };
  return { datatype: t.datatype, shape: t.shape, data: bytesToTypedArray(t.datatype, t.data) as TypedData };
}
