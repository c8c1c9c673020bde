// The server's FlatBuffers answers (identifier "IGRS"), success and error, written directly
// instead of through the flatbuffers Builder: one is encoded per answer on the HTTP thread, and
// the Builder (a fresh ByteBuffer, vtable bookkeeping, a BigInt per dim) cost 2.6-3.9 us for a
// one-row answer and ~4 us for a 429, a tenth of the thread's time per request at K=1. This
// writer computes the layout first, then fills one buffer: ~0.6 us.
//
// The bytes are a standard FlatBuffer of schemas/infergate.fbs's InferResponse, laid out as the
// Builder lays it out (every offset points forward, vtables just before their tables, strings
// NUL-terminated, [long] 8-aligned, tensor data 16-aligned as `force_align: 16` asks), so any
// FlatBuffers reader, the C++ Verifier included, accepts it. Fields left out: '' strings (read
// back as ''); outputs on an error answer, the error on a success.
//
// Ownership: encodeFlatResponse and encodeFlatErrorFields return a buffer owned by the caller.
// The HTTP answer path uses the *Transient variants instead: their bytes live in one scratch
// buffer per thread and are valid only until the next call, which is enough for uWS (res.end
// copies them before returning) and saves a fresh off-heap ArrayBuffer (~0.9 us, and GC work)
// per answer. The WebSocket path keeps owned buffers (it may queue frames under backpressure).
// The response and error are only read during the call.
import { DATATYPE_NAMES } from '../core/datatypes.js';
import type { DataType, InferResponse, WireTensor } from '../core/types.js';
import { nameBytes, utf8 } from './utf8-names.js';

const RESPONSE_IDENTIFIER = [0x49, 0x47, 0x52, 0x53]; // "IGRS"
const DATA_ALIGNMENT = 16;
const WIRE_DATATYPE: Readonly<Record<DataType, number>> = Object.fromEntries(
  DATATYPE_NAMES.map((d, i) => [d, i + 1]),
) as Record<DataType, number>;

function align(pos: number, to: number): number {
  return (pos + to - 1) & ~(to - 1);
}

function u16(b: Uint8Array, pos: number, v: number): void {
  b[pos] = v;
  b[pos + 1] = v >>> 8;
}

function u32(b: Uint8Array, pos: number, v: number): void {
  b[pos] = v;
  b[pos + 1] = v >>> 8;
  b[pos + 2] = v >>> 16;
  b[pos + 3] = v >>> 24;
}

/** A non-negative safe integer as a little-endian int64. */
function i64(b: Uint8Array, pos: number, v: number): void {
  const lo = v % 0x1_0000_0000;
  u32(b, pos, lo);
  u32(b, pos + 4, (v - lo) / 0x1_0000_0000);
}

/** Writes a string (length, bytes, NUL) at a 4-aligned `pos`; returns the end. */
function writeString(b: Uint8Array, pos: number, s: Uint8Array): number {
  u32(b, pos, s.byteLength);
  b.set(s, pos + 4);
  return pos + 4 + s.byteLength + 1; // the NUL: the buffer is zero-filled
}

// Layout of one tensor, from its 4-aligned start: vtable (4 fields: name, datatype, shape,
// data; 12 bytes), the table (soffset, name, shape, data offsets, datatype byte, 3 pad: 20),
// then the name string, the shape vector (its elements 8-aligned), the data vector (its bytes
// 16-aligned).
const TENSOR_VT_BYTES = 12;
const TENSOR_TABLE_BYTES = 20;
/** Table offsets of name, datatype, shape, data (the schema's field order). */
const TENSOR_FIELDS = [4, 16, 8, 12] as const;

/** A vtable: its size, its table's size, then each field's offset in the table (0 = absent). */
function writeVtable(b: Uint8Array, vt: number, vtBytes: number, tableBytes: number, fields: readonly number[]): void {
  u16(b, vt, vtBytes);
  u16(b, vt + 2, tableBytes);
  for (let i = 0; i < fields.length; i++) u16(b, vt + 4 + 2 * i, fields[i]!);
}

interface TensorLayout {
  start: number;
  table: number;
  name: number;
  shape: number;
  data: number;
  end: number;
  nameUtf8: Uint8Array;
}

function layoutTensor(t: WireTensor, start: number): TensorLayout {
  const table = start + TENSOR_VT_BYTES;
  const nameUtf8 = nameBytes(t.name);
  const name = table + TENSOR_TABLE_BYTES;
  // The vector's length field sits 4 bytes before its first element.
  const shape = align(name + 4 + nameUtf8.byteLength + 1 + 4, 8) - 4;
  const data = align(shape + 4 + 8 * t.shape.length + 4, DATA_ALIGNMENT) - 4;
  return { start, table, name, shape, data, end: align(data + 4 + t.data.byteLength, 4), nameUtf8 };
}

function writeTensor(b: Uint8Array, t: WireTensor, l: TensorLayout): void {
  const vt = l.start;
  writeVtable(b, vt, TENSOR_VT_BYTES, TENSOR_TABLE_BYTES, TENSOR_FIELDS);
  const tb = l.table;
  u32(b, tb, tb - vt); // soffset to the vtable (which precedes the table)
  u32(b, tb + 4, l.name - (tb + 4));
  u32(b, tb + 8, l.shape - (tb + 8));
  u32(b, tb + 12, l.data - (tb + 12));
  b[tb + 16] = WIRE_DATATYPE[t.datatype];
  writeString(b, l.name, l.nameUtf8);
  u32(b, l.shape, t.shape.length);
  for (let i = 0; i < t.shape.length; i++) i64(b, l.shape + 4 + 8 * i, t.shape[i]!);
  u32(b, l.data, t.data.byteLength);
  b.set(t.data, l.data + 4);
}

// The root: [root offset][identifier], the vtable (12 bytes: model_name, model_version, id,
// outputs; 16 with the error's slot, padded so the table stays 4-aligned), the table (soffset
// and 4 offsets: 20 bytes; an error answer leaves outputs out and puts the error at 16), then
// the strings and either the outputs vector and each tensor or the ErrorInfo.
const ROOT_VT = 8;
const ROOT_TABLE_BYTES = 20;

interface Head {
  table: number;
  model: Uint8Array | undefined;
  version: Uint8Array | undefined;
  id: Uint8Array | undefined;
  modelPos: number;
  versionPos: number;
  idPos: number;
  end: number;
}

function layoutHead(modelName: string, modelVersion: string, id: string, withError: boolean): Head {
  const table = ROOT_VT + (withError ? 16 : 12);
  const h: Head = {
    table, model: modelName === '' ? undefined : nameBytes(modelName), version: modelVersion === '' ? undefined : nameBytes(modelVersion),
    id: id === '' ? undefined : utf8(id), modelPos: 0, versionPos: 0, idPos: 0, end: 0,
  };
  let pos = table + ROOT_TABLE_BYTES;
  h.modelPos = pos;
  if (h.model) pos = align(pos + 4 + h.model.byteLength + 1, 4);
  h.versionPos = pos;
  if (h.version) pos = align(pos + 4 + h.version.byteLength + 1, 4);
  h.idPos = pos;
  if (h.id) pos = align(pos + 4 + h.id.byteLength + 1, 4);
  h.end = pos;
  return h;
}

/** A string field of the root table: its vtable slot and its offset in the table. */
function rootString(b: Uint8Array, h: Head, slot: number, bytes: Uint8Array | undefined, pos: number): void {
  if (!bytes) return;
  const field = h.table + 4 + 4 * slot;
  u16(b, ROOT_VT + 4 + 2 * slot, 4 + 4 * slot);
  u32(b, field, pos - field);
  writeString(b, pos, bytes);
}

/** Writes the identifier, the root vtable and table and its strings; `last` is the offset field
 *  (outputs or error) at table offset 16, in vtable slot `lastSlot`. */
function writeHead(b: Uint8Array, h: Head, lastSlot: number, lastPos: number): void {
  u32(b, 0, h.table);
  b.set(RESPONSE_IDENTIFIER, 4);
  u16(b, ROOT_VT, 4 + 2 * (lastSlot + 1));
  u16(b, ROOT_VT + 2, ROOT_TABLE_BYTES);
  u32(b, h.table, h.table - ROOT_VT);
  rootString(b, h, 0, h.model, h.modelPos);
  rootString(b, h, 1, h.version, h.versionPos);
  rootString(b, h, 2, h.id, h.idPos);
  u16(b, ROOT_VT + 4 + 2 * lastSlot, 16);
  u32(b, h.table + 16, lastPos - (h.table + 16));
}

/** Answers up to this size are written into the scratch buffer; larger ones get their own. */
const SCRATCH_MAX_BYTES = 1 << 20;
let scratch = new Uint8Array(4096);

function scratchBytes(n: number): Uint8Array {
  if (n > SCRATCH_MAX_BYTES) return new Uint8Array(n);
  if (scratch.byteLength < n) {
    let size = scratch.byteLength;
    while (size < n) size *= 2;
    scratch = new Uint8Array(size);
  } else scratch.fill(0, 0, n); // padding and string terminators are the zeros left in place
  return scratch.subarray(0, n);
}

const fresh = (n: number): Uint8Array => new Uint8Array(n);

/** Server side: a successful response (identifier "IGRS"), in a fresh buffer the caller owns. */
export function encodeFlatResponse(resp: InferResponse): Uint8Array {
  return writeResponse(resp, fresh);
}

/** The same bytes in the thread's scratch buffer: valid only until the next call on this thread.
 *  For a caller that hands them to uWS at once (which copies them); anything that keeps the
 *  bytes must use encodeFlatResponse. */
export function encodeFlatResponseTransient(resp: InferResponse): Uint8Array {
  return writeResponse(resp, scratchBytes);
}

function writeResponse(resp: InferResponse, alloc: (byteLength: number) => Uint8Array): Uint8Array {
  const h = layoutHead(resp.modelName, resp.modelVersion, resp.id, false);
  const outputs = resp.outputs;
  const vectorPos = h.end;
  let pos = vectorPos + 4 + 4 * outputs.length;
  const layouts: TensorLayout[] = new Array<TensorLayout>(outputs.length);
  for (let i = 0; i < outputs.length; i++) {
    layouts[i] = layoutTensor(outputs[i]!, pos);
    pos = layouts[i]!.end;
  }
  // Both allocators give a zero-filled view at offset 0 of an ArrayBuffer, which starts at least
  // 16-aligned in memory: offsets aligned within the message are aligned views in this process.
  const b = alloc(pos);
  writeHead(b, h, 3, vectorPos);
  u32(b, vectorPos, outputs.length);
  for (let i = 0; i < outputs.length; i++) {
    const slot = vectorPos + 4 + 4 * i;
    u32(b, slot, layouts[i]!.table - slot);
    writeTensor(b, outputs[i]!, layouts[i]!);
  }
  return b;
}

/** What an error answer carries (the InferError's wire fields). */
export interface FlatErrorFields {
  /** WIRE_ERROR_CODES value. */
  wireCode: number;
  status: number;
  /** The symbolic code, e.g. "IG_QUEUE_FULL". */
  name: string;
  message: string;
  /** Whole seconds; 0 = not given (left out). */
  retryAfterS: number;
}

// ErrorInfo: vtable (5 slots, 14 bytes padded to 16), table: soffset, code u32 @4, message @8,
// name @12, retry_after_s u32 @16, status u16 @20, 2 pad: 24 bytes; then name and message.
const ERROR_VT_BYTES = 14;
const ERROR_TABLE_BYTES = 24;
/** Table offsets of code, status, message, name; retry_after_s (16) only when given. */
const ERROR_FIELDS = [4, 20, 8, 12] as const;

const messageEncoder = new TextEncoder();

/** Server side: an error answer (identifier "IGRS", the error set, no outputs), in a fresh
 *  buffer the caller owns. Refusals under overload are answered with these. */
export function encodeFlatErrorFields(e: FlatErrorFields, id: string, model: string, version: string): Uint8Array {
  return writeError(e, id, model, version, fresh);
}

/** The same bytes in the scratch buffer (the rules of encodeFlatResponseTransient). */
export function encodeFlatErrorFieldsTransient(e: FlatErrorFields, id: string, model: string, version: string): Uint8Array {
  return writeError(e, id, model, version, scratchBytes);
}

function writeError(e: FlatErrorFields, id: string, model: string, version: string, alloc: (byteLength: number) => Uint8Array): Uint8Array {
  const h = layoutHead(model, version, id, true);
  const vt = h.end;
  const table = vt + 16;
  const name = nameBytes(e.name);
  const namePos = table + ERROR_TABLE_BYTES;
  // The message goes last, written by encodeInto straight into the buffer sized for its worst
  // case (3 bytes per UTF-16 unit); the answer is then cut to what was written. Messages are
  // built per request (counts in them), so there is nothing to cache, and a charCodeAt loop
  // over a fresh concatenated string cost ~4x more.
  const messagePos = align(namePos + 4 + name.byteLength + 1, 4);
  const b = alloc(align(messagePos + 4 + 3 * e.message.length + 1, 4));
  writeHead(b, h, 4, table);
  writeVtable(b, vt, ERROR_VT_BYTES, ERROR_TABLE_BYTES, ERROR_FIELDS);
  u32(b, table, table - vt);
  u32(b, table + 4, e.wireCode);
  u32(b, table + 8, messagePos - (table + 8));
  u32(b, table + 12, namePos - (table + 12));
  if (e.retryAfterS > 0) {
    u16(b, vt + 12, 16);
    u32(b, table + 16, e.retryAfterS);
  }
  u16(b, table + 20, e.status);
  writeString(b, namePos, name);
  const written = messageEncoder.encodeInto(e.message, b.subarray(messagePos + 4)).written;
  u32(b, messagePos, written); // the NUL after it is one of the zeros
  return b.subarray(0, align(messagePos + 4 + written + 1, 4));
}
