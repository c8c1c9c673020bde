// Batch assembly and output slicing: the only place tensor bytes are touched on the batch path.
//
// In:  per batch entry, its request's tensors (shape [K, ...rest]) and the row range it brings
//      (a split request brings one range per run). Request bytes stay owned by the request.
// Out: per input, ONE contiguous batch buffer [sumK, ...rest] in a pooled SharedArrayBuffer,
//      each entry's rows copied in exactly once (Uint8Array.set). The worker reads the SAB in
//      place, so no structured clone of tensor data happens on the hop.
// Back: sliceOutputs() cuts the batch outputs into per-entry views (subarray, no copy).
//
// BYTES tensors batch too: their elements are framed (u32 LE length + bytes), so a row range
// is a byte range found by walking the frames, and a batch is the concatenation of the ranges.
import { err } from '../core/errors.js';
import { DATATYPES, MAX_TENSOR_BYTES } from '../core/datatypes.js';
import type { DataType } from '../core/types.js';
import type { SabPool } from './sab-pool.js';

/** A request tensor: batch dim first. `bytes` is owned by the request until it is finished. */
export interface RowTensor {
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export type TensorMap = Readonly<Record<string, RowTensor>>;

/** One entry of a batch: rows [rowStart, rowStart + rows) of a request's tensors. */
export interface AssemblyPart {
  readonly inputs: TensorMap;
  readonly rowStart: number;
  readonly rows: number;
}

/** One batch input. `buffer` belongs to the batch until AssembledBatch.release(). */
export interface AssembledInput {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: number[];
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  /** View of exactly the written bytes. */
  readonly bytes: Uint8Array;
}

export interface AssembledBatch {
  readonly rows: number;
  readonly inputs: AssembledInput[];
  /** Returns the buffers to the pool. Call once the worker's result has arrived (or the run
   *  failed); idempotent. Views over the buffers are invalid afterwards. */
  release(): void;
}

/** A tensor of a result. For sliced outputs, `bytes` aliases the batch output buffer. */
export interface OutputTensor {
  readonly datatype?: DataType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export type OutputMap = Record<string, OutputTensor>;

function product(dims: readonly number[], from: number): number {
  let n = 1;
  for (let i = from; i < dims.length; i++) n *= dims[i]!;
  return n;
}

/**
 * Byte offsets of element indices `first` and `first + count` in a BYTES layout.
 * Throws IG_BAD_TENSOR when the framing runs past the end.
 */
function bytesElementRange(data: Uint8Array, first: number, count: number, what: string): [number, number] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end = data.byteLength;
  let p = 0;
  let start = first === 0 ? 0 : -1;
  const last = first + count;
  for (let i = 0; i < last; i++) {
    if (end - p < 4) throw err('IG_BAD_TENSOR', `${what}: BYTES element ${i} is missing (truncated at byte ${p})`);
    const len = dv.getUint32(p, true);
    if (len > end - p - 4) throw err('IG_BAD_TENSOR', `${what}: BYTES element ${i} runs past the end of the data`);
    p += 4 + len;
    if (i + 1 === first) start = p;
  }
  return [start, p];
}

/** Byte range of rows [rowStart, rowStart + rows) of a tensor, validated; written to
 *  out[2i], out[2i+1] (no tuple allocation: this runs once per request per input). */
function rowByteRange(t: RowTensor, rowStart: number, rows: number, what: string, out: number[], i: number): void {
  if (t.shape.length === 0) throw err('IG_SHAPE_MISMATCH', `${what}: a batched tensor needs a batch dimension`);
  const k = t.shape[0]!;
  if (rowStart + rows > k) throw err('IG_SHAPE_MISMATCH', `${what}: rows ${rowStart}..${rowStart + rows} exceed its batch dim ${k}`);
  const perRow = product(t.shape, 1);
  const size = DATATYPES[t.datatype].byteSize;
  if (size === 0) {
    const [s, e] = bytesElementRange(t.bytes, rowStart * perRow, rows * perRow, what);
    out[2 * i] = s;
    out[2 * i + 1] = e;
    return;
  }
  if (t.bytes.byteLength !== k * perRow * size) {
    throw err('IG_BAD_TENSOR', `${what}: ${t.bytes.byteLength} bytes do not match ${t.datatype}[${t.shape.join(',')}]`);
  }
  const rowBytes = perRow * size;
  out[2 * i] = rowStart * rowBytes;
  out[2 * i + 1] = (rowStart + rows) * rowBytes;
}

function countKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

function sameRest(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Concatenates the parts' rows along dim 0 into pooled SABs, one per input (in the first
 * part's input order). All parts must have the same input names, datatypes and non-batch dims
 * (the scheduler's shape signature guarantees it; a mismatch is IG_SHAPE_MISMATCH).
 * On error nothing stays checked out of the pool.
 */
export function assembleBatch(parts: readonly AssemblyPart[], pool: SabPool): AssembledBatch {
  if (parts.length === 0) throw new RangeError('assembleBatch: a batch needs at least one part');
  const names = Object.keys(parts[0]!.inputs);
  let rows = 0;
  for (const p of parts) {
    if (!Number.isSafeInteger(p.rowStart) || p.rowStart < 0 || !Number.isSafeInteger(p.rows) || p.rows < 0) {
      throw new RangeError(`assembleBatch: part rows ${String(p.rowStart)}+${String(p.rows)} are not non-negative integers`);
    }
    if (countKeys(p.inputs) !== names.length) {
      throw err('IG_SHAPE_MISMATCH', `batch parts have different input sets (${names.join(', ')} vs ${Object.keys(p.inputs).join(', ')})`);
    }
    rows += p.rows;
  }

  const inputs: AssembledInput[] = [];
  const ranges = new Array<number>(2 * parts.length).fill(0);
  try {
    for (const name of names) {
      const first = parts[0]!.inputs[name]!;
      const what = `input "${name}"`;
      let total = 0;
      for (let i = 0; i < parts.length; i++) {
        const t = parts[i]!.inputs[name];
        if (t === undefined) throw err('IG_MISSING_INPUT', `${what} is missing from one request of the batch`);
        if (t.datatype !== first.datatype) {
          throw err('IG_DTYPE_MISMATCH', `${what}: ${t.datatype} cannot batch with ${first.datatype}`);
        }
        if (!sameRest(t.shape, first.shape)) {
          throw err('IG_SHAPE_MISMATCH', `${what}: shape [${t.shape.join(',')}] cannot batch with [${first.shape.join(',')}]`);
        }
        rowByteRange(t, parts[i]!.rowStart, parts[i]!.rows, what, ranges, i);
        total += ranges[2 * i + 1]! - ranges[2 * i]!;
      }
      if (total > MAX_TENSOR_BYTES) throw err('IG_BATCH_TOO_LARGE', `batch input "${name}" would be ${total} bytes`);
      const buffer = pool.acquire(total);
      const bytes = new Uint8Array(buffer, 0, total);
      let off = 0;
      for (let i = 0; i < parts.length; i++) {
        const s = ranges[2 * i]!;
        const e = ranges[2 * i + 1]!;
        const src = parts[i]!.inputs[name]!.bytes;
        // The common case is a whole request: copy without allocating a subarray view.
        bytes.set(s === 0 && e === src.byteLength ? src : src.subarray(s, e), off);
        off += e - s;
      }
      const shape = first.shape.slice();
      shape[0] = rows;
      inputs.push({ name, datatype: first.datatype, shape, buffer, byteOffset: 0, byteLength: total, bytes });
    }
  } catch (e) {
    for (const i of inputs) pool.release(i.buffer);
    throw e;
  }

  let released = false;
  return {
    rows,
    inputs,
    release(): void {
      if (released) return;
      released = true;
      for (const i of inputs) pool.release(i.buffer);
    },
  };
}

/**
 * Cuts batch outputs (batch dim first, shape[0] === sum of rowsPerRequest) into one OutputMap
 * per request, in order. Views alias the batch output bytes (no copy): they stay valid as long
 * as that memory is not reused (transferred ArrayBuffers from a worker are never reused).
 * `datatype` is needed for BYTES outputs; fixed-size outputs without it are cut by bytes/row.
 */
export function sliceOutputs(batchOutputs: Readonly<Record<string, OutputTensor>>, rowsPerRequest: readonly number[]): OutputMap[] {
  let sumK = 0;
  for (const k of rowsPerRequest) sumK += k;
  const out: OutputMap[] = rowsPerRequest.map(() => ({}));
  for (const [name, t] of Object.entries(batchOutputs)) {
    const what = `output "${name}"`;
    if (t.shape.length === 0 || t.shape[0] !== sumK) {
      throw err('IG_INFERENCE_FAILED',
        `${what} has shape [${t.shape.join(',')}], expected batch dim ${sumK} first: the model's outputs must keep the batch dimension`);
    }
    const perRow = product(t.shape, 1);
    const isBytes = t.datatype === 'BYTES';
    let rowBytes = 0;
    if (!isBytes) {
      const size = t.datatype !== undefined ? DATATYPES[t.datatype].byteSize : 0;
      const expected = size > 0 ? sumK * perRow * size : -1;
      if ((expected >= 0 && t.bytes.byteLength !== expected) || (expected < 0 && sumK > 0 && t.bytes.byteLength % sumK !== 0)) {
        throw err('IG_INFERENCE_FAILED', `${what}: ${t.bytes.byteLength} bytes do not match shape [${t.shape.join(',')}]`);
      }
      rowBytes = sumK === 0 ? 0 : t.bytes.byteLength / sumK;
    }
    let byteOff = 0;
    for (let r = 0; r < rowsPerRequest.length; r++) {
      const k = rowsPerRequest[r]!;
      let end: number;
      if (isBytes) {
        try {
          end = byteOff + bytesElementRange(t.bytes.subarray(byteOff), 0, k * perRow, what)[1];
        } catch (e) {
          throw err('IG_INFERENCE_FAILED', (e as Error).message, { cause: e });
        }
      } else {
        end = byteOff + k * rowBytes;
      }
      const shape = t.shape.slice();
      shape[0] = k;
      out[r]![name] = t.datatype !== undefined
        ? { datatype: t.datatype, shape, bytes: t.bytes.subarray(byteOff, end) }
        : { shape, bytes: t.bytes.subarray(byteOff, end) };
      byteOff = end;
    }
  }
  return out;
}

/**
 * Joins the outputs of a split request's runs (in run order) into one map: bytes concatenated
 * (one copy), batch dims summed. Non-batch dims and datatypes must agree.
 */
export function joinOutputs(parts: readonly OutputMap[]): OutputMap {
  if (parts.length === 1) return parts[0]!;
  const joined: OutputMap = {};
  const first = parts[0];
  if (first === undefined) return joined;
  for (const name of Object.keys(first)) {
    const f = first[name]!;
    let bytes = 0;
    let rows = 0;
    for (const p of parts) {
      const t = p[name];
      if (t === undefined || t.datatype !== f.datatype || !sameRest(t.shape, f.shape)) {
        throw err('IG_INFERENCE_FAILED', `output "${name}" differs between the runs of a split request`);
      }
      bytes += t.bytes.byteLength;
      rows += t.shape[0]!;
    }
    const buf = new Uint8Array(bytes);
    let off = 0;
    for (const p of parts) {
      buf.set(p[name]!.bytes, off);
      off += p[name]!.bytes.byteLength;
    }
    const shape = f.shape.slice();
    shape[0] = rows;
    joined[name] = f.datatype !== undefined ? { datatype: f.datatype, shape, bytes: buf } : { shape, bytes: buf };
  }
  return joined;
}
