// Typed-array views over raw tensor memory, per ORT dtype. No copy: the view aliases `buffer`,
// so the caller's ownership rules for the buffer apply to the view.
import type { OrtDType, TensorData } from '../runtime/types.js';

type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Exclude<TensorData, string[]>;

const VIEW: Record<Exclude<OrtDType, 'string'>, { ctor: ViewCtor; bytes: number }> = {
  float32: { ctor: Float32Array, bytes: 4 },
  float16: { ctor: Uint16Array, bytes: 2 },
  float64: { ctor: Float64Array, bytes: 8 },
  int8: { ctor: Int8Array, bytes: 1 },
  int16: { ctor: Int16Array, bytes: 2 },
  int32: { ctor: Int32Array, bytes: 4 },
  int64: { ctor: BigInt64Array, bytes: 8 },
  uint8: { ctor: Uint8Array, bytes: 1 },
  uint16: { ctor: Uint16Array, bytes: 2 },
  uint32: { ctor: Uint32Array, bytes: 4 },
  uint64: { ctor: BigUint64Array, bytes: 8 },
  bool: { ctor: Uint8Array, bytes: 1 },
};

/** A view of `byteLength` bytes at `byteOffset`. The offset must be aligned to the element
 *  size (batch buffers are 64-byte aligned); a misaligned slice is copied instead. */
export function typedArrayFor(
  dtype: Exclude<OrtDType, 'string'> | OrtDType,
  buffer: ArrayBufferLike,
  byteOffset: number,
  byteLength: number,
): Exclude<TensorData, string[]> {
  if (dtype === 'string') throw new TypeError('typedArrayFor: string tensors have no typed view');
  const { ctor, bytes } = VIEW[dtype];
  if (byteLength % bytes !== 0) {
    throw new RangeError(`${dtype} tensor byte length ${byteLength} is not a multiple of ${bytes}`);
  }
  if (byteOffset % bytes === 0) return new ctor(buffer, byteOffset, byteLength / bytes);
  const copy = new ArrayBuffer(byteLength);
  new Uint8Array(copy).set(new Uint8Array(buffer, byteOffset, byteLength));
  return new ctor(copy, 0, byteLength / bytes);
}

export function elementBytes(dtype: OrtDType): number {
  return dtype === 'string' ? 0 : VIEW[dtype].bytes;
}
