// Tensor data between KServe v2 JSON values and wire bytes (little-endian, row-major).
// Requests are strict: numbers only for numeric types (integers in range for int types),
// booleans for BOOL, strings for BYTES; INT64/UINT64 also take decimal strings, the only
// exact way to send values beyond 2^53 through JSON. Non-finite floats cannot appear in a
// JSON request. Responses write non-finite floats as the strings "NaN", "Infinity",
// "-Infinity" (JSON has no literal for them); `lenient` reading (client side) accepts those.
import { Buffer } from 'node:buffer';
import { err } from '../core/errors.js';
import { bytesToTypedArray, packBytes, shapeElementCount, unpackBytesToStrings } from '../core/datatypes.js';
import { doubleToHalfBits, halfBitsToDouble } from './fp16.js';
import { shortestFloat16, shortestFloat32 } from './float-format.js';
import type { DataType } from '../core/types.js';

const INT_RANGE: Partial<Record<DataType, readonly [number, number]>> = {
  INT8: [-128, 127], INT16: [-32768, 32767], INT32: [-2147483648, 2147483647],
  UINT8: [0, 255], UINT16: [0, 65535], UINT32: [0, 4294967295],
};
type SmallIntArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
const INT_ARRAY: Partial<Record<DataType, new (n: number) => SmallIntArray>> = {
  INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array,
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL = /^-?[0-9]{1,20}$/;
const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/**
 * `data` (flat, or nested exactly as `shape`) as a flat list of scalars in row-major order.
 * The flat case is returned as is, without copying.
 */
export function flattenJsonData(data: unknown, shape: readonly number[], what: string): unknown[] {
  if (!Array.isArray(data)) throw err('IG_BAD_TENSOR', `${what}: "data" must be an array (got ${describe(data)})`);
  const count = shapeElementCount(shape, what);
  const dims = `[${shape.join(',')}]`;
  if (data.length === 0 || !Array.isArray(data[0])) {
    if (data.length !== count) throw err('IG_BAD_TENSOR', `${what}: data has ${data.length} elements, shape ${dims} needs ${count}`);
    return data; // flat: used as is (a stray nested element fails in the element check)
  }
  if (shape.length <= 1 && data.length === count) return data; // [[x]] for shape [1]: fails as an element
  const out: unknown[] = [];
  const walk = (v: unknown[], depth: number, path: string): void => {
    const want = shape[depth];
    if (want === undefined) throw err('IG_BAD_TENSOR', `${what}: data is nested but shape ${dims} is a scalar`);
    if (v.length !== want) {
      throw err('IG_BAD_TENSOR', `${what}: data${path} has ${v.length} elements where shape ${dims} needs ${want} (row-major nesting)`);
    }
    if (depth === shape.length - 1) {
      for (let i = 0; i < v.length; i++) {
        if (Array.isArray(v[i])) throw err('IG_BAD_TENSOR', `${what}: data${path}[${i}] is nested deeper than shape ${dims}`);
        out.push(v[i]);
      }
      return;
    }
    for (let i = 0; i < v.length; i++) {
      const child = v[i];
      if (!Array.isArray(child)) {
        throw err('IG_BAD_TENSOR', `${what}: data${path}[${i}] is ${describe(child)}, expected an array (shape ${dims}, row-major)`);
      }
      walk(child, depth + 1, `${path}[${i}]`);
    }
  };
  walk(data, 0, '');
  return out;
}

function badElement(what: string, i: number, v: unknown, need: string): never {
  throw err('IG_BAD_TENSOR', `${what}: data[${i}] is ${describe(v)}; ${need}`);
}

function toFloat(v: unknown, i: number, dt: DataType, what: string, lenient: boolean): number {
  if (typeof v === 'number') return v;
  if (lenient && typeof v === 'string' && v in NON_FINITE) return NON_FINITE[v]!;
  return badElement(what, i, v, `${dt} needs a number`);
}

function toBigInt(v: unknown, i: number, dt: DataType, what: string, lenient: boolean): bigint {
  let b: bigint;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) badElement(what, i, v, `${dt} needs an integer`);
    if (!lenient && !Number.isSafeInteger(v)) {
      badElement(what, i, v, `JSON numbers beyond +-2^53 are inexact; send ${dt} values this large as decimal strings`);
    }
    b = BigInt(v);
  } else if (typeof v === 'string' && DECIMAL.test(v)) {
    b = BigInt(v);
  } else {
    return badElement(what, i, v, `${dt} needs an integer or a decimal string`);
  }
  const [lo, hi] = dt === 'INT64' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
  if (b < lo || b > hi) {
    if (lenient) return b < lo ? lo : hi; // JSON.parse already rounded it; clamp, do not fail
    badElement(what, i, v, `out of range for ${dt} [${lo}, ${hi}]`);
  }
  return b;
}

/**
 * Converts flat JSON scalars to the wire bytes of `dt`. Returns a fresh, aligned buffer
 * owned by the caller. Throws IG_BAD_TENSOR naming the element.
 */
export function jsonValuesToBytes(values: readonly unknown[], dt: DataType, what: string, lenient = false, maxStringBytes = Infinity): Uint8Array {
  const n = values.length;
  switch (dt) {
    case 'FP32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        // Fast path first: a plain finite number that stays finite in float32.
        if (typeof v === 'number') {
          const f = Math.fround(v);
          if (f === Infinity || f === -Infinity) {
            if (v === f && lenient) out[i] = f;
            else badElement(what, i, v, 'out of range for FP32 (|x| <= 3.4028234663852886e38)');
          } else out[i] = f;
        } else out[i] = toFloat(v, i, dt, what, lenient);
      }
      return new Uint8Array(out.buffer);
    }
    case 'FP64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        out[i] = typeof v === 'number' ? v : toFloat(v, i, dt, what, lenient);
      }
      return new Uint8Array(out.buffer);
    }
    case 'FP16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const v = toFloat(values[i], i, dt, what, lenient);
        if (Number.isFinite(v) && Math.abs(v) >= 65520) badElement(what, i, v, 'out of range for FP16 (|x| <= 65504)');
        out[i] = doubleToHalfBits(v);
      }
      return new Uint8Array(out.buffer);
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'boolean') badElement(what, i, v, 'BOOL needs true or false');
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const out = dt === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = toBigInt(values[i], i, dt, what, lenient);
      return new Uint8Array(out.buffer);
    }
    case 'BYTES': {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'string') badElement(what, i, v, 'BYTES needs a string');
        // A UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when that could exceed.
        if (v.length * 3 > maxStringBytes && Buffer.byteLength(v, 'utf8') > maxStringBytes) {
          badElement(what, i, `${v.slice(0, 20)}...`, `a BYTES element is limited to ${maxStringBytes} bytes (--max-json-string-bytes)`);
        }
      }
      return packBytes(values as string[]);
    }
    default: {
      const [lo, hi] = INT_RANGE[dt]!;
      const out = new INT_ARRAY[dt]!(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isInteger(v)) badElement(what, i, v, `${dt} needs an integer`);
        if (v < lo || v > hi) badElement(what, i, v, `out of range for ${dt} [${lo}, ${hi}]`);
        out[i] = v;
      }
      return new Uint8Array(out.buffer);
    }
  }
}

/** `data` (flat or nested) of a tensor with `shape` and `dt` as wire bytes. */
export function jsonDataToBytes(data: unknown, dt: DataType, shape: readonly number[], what: string, lenient = false,
  maxStringBytes = Infinity): Uint8Array {
  const values = flattenJsonData(data, shape, what);
  const count = shapeElementCount(shape, what);
  if (values.length !== count) {
    throw err('IG_BAD_TENSOR', `${what}: data has ${values.length} elements, shape [${shape.join(',')}] needs ${count}`);
  }
  return jsonValuesToBytes(values, dt, what, lenient, maxStringBytes);
}

function fp64ArrayText(view: Float64Array): string {
  // TypedArray.prototype.join is native and far faster than a per-element loop; it spells
  // non-finite values NaN/Infinity, which are not JSON, so only then take the slow path.
  const s = view.join(',');
  if (!s.includes('N') && !s.includes('I')) return `[${s}]`;
  const parts = new Array<string>(view.length);
  // "NaN", "Infinity", "-Infinity" as strings: JSON has no literal for them.
  for (let i = 0; i < view.length; i++) parts[i] = Number.isFinite(view[i]!) ? String(view[i]) : `"${String(view[i])}"`;
  return `[${parts.join(',')}]`;
}

/** FP16 wire bytes as the values they encode. */
export function halfValues(data: Uint8Array): Float64Array {
  const bits = bytesToTypedArray('FP16', data) as Uint16Array;
  const vals = new Float64Array(bits.length);
  for (let i = 0; i < bits.length; i++) vals[i] = halfBitsToDouble(bits[i]!);
  return vals;
}

/** FP32/FP16 values as their shortest decimals: shorten into a Float64Array, then join natively. */
function shortFloatArrayText(view: Float32Array | Float64Array, shorten: (v: number) => number): string {
  const short = new Float64Array(view.length);
  for (let i = 0; i < view.length; i++) short[i] = shorten(view[i]!);
  return fp64ArrayText(short);
}

/** Wire bytes of a tensor as the text of a flat JSON array. */
export function bytesToJsonArrayText(dt: DataType, data: Uint8Array, what = 'tensor'): string {
  switch (dt) {
    case 'BYTES':
      return JSON.stringify(unpackBytesToStrings(data, what));
    case 'BOOL': {
      const parts = new Array<string>(data.length);
      for (let i = 0; i < data.length; i++) parts[i] = data[i] ? 'true' : 'false';
      return `[${parts.join(',')}]`;
    }
    case 'FP16':
      return shortFloatArrayText(halfValues(data), shortestFloat16);
    case 'FP32':
      // Shortest round-trip text (0.1, not 0.10000000149011612): half the bytes, and faster
      // for every client to parse.
      return shortFloatArrayText(bytesToTypedArray(dt, data) as Float32Array, shortestFloat32);
    case 'FP64':
      return fp64ArrayText(bytesToTypedArray(dt, data) as Float64Array);
    default:
      return `[${bytesToTypedArray(dt, data).join(',')}]`;
  }
}
