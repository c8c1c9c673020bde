// Typed-array views over raw tensor memory, per ORT dtype. No copy: the view aliases `buffer`,
// so the caller's ownership rules for the buffer apply to the view.
import { DATATYPE_NAMES, DATATYPES } from '../core/datatypes.js';
import type { OrtDType, TensorData } from '../runtime/types.js';

type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Exclude<TensorData, string[]>;

/** Typed-array class and element size per ORT dtype, derived from the one table. */
const VIEW = Object.fromEntries(DATATYPE_NAMES.filter((d) => DATATYPES[d].view !== null)
  .map((d) => [DATATYPES[d].ort, { ctor: DATATYPES[d].view as unknown as ViewCtor, bytes: DATATYPES[d].byteSize }])) as
  Record<Exclude<OrtDType, 'string'>, { ctor: ViewCtor; bytes: number }>;

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
