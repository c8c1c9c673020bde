// Writes JSON text straight into a byte buffer. Used for response bodies, whose size is
// dominated by tensor data: a float's shortest digits are found with a few multiplications
// (float-format.ts) and written digit by digit as ASCII, with no JS string per element.
// V8's own number-to-string costs ~170 ns per non-integer; this path is about 10x cheaper.
// Output equals JSON.stringify/String for every value we write (tests check that).
import { bytesToTypedArray } from '../core/datatypes.js';
import { lastDigits, lastExponent, shortestFloat16, shortestFloat32 } from './float-format.js';
import { bytesToJsonArrayText, halfValues } from './json-tensor.js';
import type { WireTensor } from '../core/types.js';

const utf8 = new TextEncoder();
const NAN = [0x22, 0x4e, 0x61, 0x4e, 0x22]; // "NaN"

export class JsonByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialBytes = 1024) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Makes room for `n` more bytes (doubling, so appends are amortized O(1)). */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Raw text; ASCII fast path, UTF-8 otherwise. The caller makes it valid JSON. */
  raw(s: string): this {
    const n = s.length;
    this.ensure(n * 3);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        p = this.pos + utf8.encodeInto(s, b.subarray(this.pos)).written;
        break;
      }
      b[p++] = c;
    }
    this.pos = p;
    return this;
  }

  /** A JSON string literal. */
  string(s: string): this {
    return this.raw(JSON.stringify(s));
  }

  byte(c: number): this {
    this.ensure(1);
    this.buf[this.pos++] = c;
    return this;
  }

  /** A non-negative integer below 2^53. */
  uint(n: number): this {
    if (n < 10) return this.byte(0x30 + n);
    return this.raw(String(n));
  }

  /** `count` digits of the integer 0 <= m < 2^31, zero-padded on the left (no sign). */
  private digits(m: number, count: number): void {
    const b = this.buf;
    let p = this.pos + count;
    this.pos = p;
    while (count-- > 0) {
      const q = (m / 10) | 0; // int32 division by a constant: a multiply in optimized code
      b[--p] = 0x30 + (m - q * 10);
      m = q;
    }
  }

  /** m * 10^-k (0 < m < 2^31 without trailing zeros) in JS Number-to-String form. */
  private decimal(neg: boolean, m: number, k: number): void {
    let nd = 1;
    while (nd < 10 && m >= POW10_INT[nd]!) nd++;
    const point = nd - k; // digits before the decimal point
    this.ensure(nd + 32);
    const b = this.buf;
    if (neg) b[this.pos++] = 0x2d;
    if (k <= 0 && point <= 21) {
      this.digits(m, nd);
      for (let i = 0; i < -k; i++) b[this.pos++] = 0x30;
    } else if (k > 0 && point > 0) {
      const frac = POW10_INT[k]!;
      const hi = (m / frac) | 0;
      this.digits(hi, point);
      b[this.pos++] = 0x2e;
      this.digits(m - hi * frac, k);
    } else if (k > 0 && point > -6) {
      b[this.pos++] = 0x30;
      b[this.pos++] = 0x2e;
      for (let i = 0; i < -point; i++) b[this.pos++] = 0x30;
      this.digits(m, nd);
    } else {
      const lead = POW10_INT[nd - 1]!;
      const d0 = (m / lead) | 0;
      b[this.pos++] = 0x30 + d0;
      if (nd > 1) {
        b[this.pos++] = 0x2e;
        this.digits(m - d0 * lead, nd - 1);
      }
      b[this.pos++] = 0x65; // e
      const exp = point - 1;
      const abs = exp < 0 ? -exp : exp;
      b[this.pos++] = exp < 0 ? 0x2d : 0x2b;
      this.digits(abs, abs >= 100 ? 3 : abs >= 10 ? 2 : 1);
    }
  }

  /** A float as its shortest digits (FP32 / FP16); non-finite as the strings "NaN", "Infinity", "-Infinity". */
  private float(v: number, half: boolean): void {
    if (v - v !== 0) {
      // NaN or +-Infinity: JSON has no literal for them.
      if (v !== v) {
        this.ensure(5);
        for (const c of NAN) this.buf[this.pos++] = c;
      } else this.raw(v > 0 ? '"Infinity"' : '"-Infinity"');
      return;
    }
    if (v === 0) {
      this.byte(0x30);
      return;
    }
    const short = half ? shortestFloat16(v) : shortestFloat32(v);
    let m = lastDigits;
    if (m === 0) {
      this.raw(String(short)); // no short form found: the value's own text
      return;
    }
    let k = lastExponent;
    for (let q = (m / 10) | 0; m === q * 10; q = (m / 10) | 0) {
      m = q;
      k--;
    }
    this.decimal(v < 0, m, k);
  }

  /** A JSON array of float32 (or half, given as doubles) values. */
  floatArray(view: Float32Array | Float64Array, half: boolean): this {
    this.ensure(2 + view.length * 16);
    this.byte(0x5b);
    for (let i = 0; i < view.length; i++) {
      if (i > 0) this.buf[this.pos++] = 0x2c;
      this.float(view[i]!, half);
      this.ensure(16);
    }
    return this.byte(0x5d);
  }

  /**
   * A tensor's data as a flat JSON array. `exactInt64`: write 64-bit integers beyond +-2^53
   * as decimal strings (requests; our decoder rejects inexact numbers) rather than numbers
   * (responses, as Triton writes them).
   */
  tensorData(t: WireTensor, exactInt64: boolean): this {
    switch (t.datatype) {
      case 'FP32':
        return this.floatArray(bytesToTypedArray('FP32', t.data) as Float32Array, false);
      case 'FP16':
        return this.floatArray(halfValues(t.data), true);
      case 'INT64':
      case 'UINT64':
        return this.raw(exactInt64 ? exactInt64Text(t) : bytesToJsonArrayText(t.datatype, t.data, t.name));
      default:
        return this.raw(bytesToJsonArrayText(t.datatype, t.data, t.name));
    }
  }

  /** The bytes written so far, as a view; valid until the next write. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  get length(): number {
    return this.pos;
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function exactInt64Text(t: WireTensor): string {
  const view = bytesToTypedArray(t.datatype, t.data) as BigInt64Array | BigUint64Array;
  const parts = new Array<string>(view.length);
  for (let i = 0; i < view.length; i++) {
    const b = view[i]!;
    parts[i] = b > SAFE || b < -SAFE ? `"${b}"` : `${b}`;
  }
  return `[${parts.join(',')}]`;
}

const POW10_INT: number[] = [];
for (let i = 0, p = 1; i <= 10; i++, p *= 10) POW10_INT.push(p);
