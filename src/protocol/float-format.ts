// Shortest decimals for FP32 and FP16 values in JSON responses.
// Why: JS only knows doubles, so String(float32) prints the double nearest to the float
// (0.1f -> "0.10000000149011612"): twice the bytes, slower for every client to parse, and
// not the number the model author sees. We find the fewest significant digits (6..9 for
// FP32, 3..5 for FP16) whose decimal reads back to the same value through JSON.parse and
// rounding to the element type, which is exactly how our decoders read it.
// Results: the decimal as its nearest double (whose String() is exactly those digits: any
// decimal of at most 15 digits is the shortest text of its nearest double), and the digits
// themselves in lastDigits/lastExponent for writers that print without building strings.
import { doubleToHalfBits } from './fp16.js';

const POW10: number[] = [];
for (let i = 0; i <= 22; i++) POW10.push(Number(`1e${i}`)); // exact in binary64 up to 1e22
/** Correctly rounded 10^e for e in [-330, 330] (index e + 330). */
const DECADE: number[] = [];
for (let i = -330; i <= 330; i++) DECADE.push(Number(`1e${i}`));
const LOG10_2 = 0.30102999566398120;
const MIN_NORMAL_F32 = 1.1754943508222875e-38;
const MIN_NORMAL_F16 = 2 ** -14;

/** After a shortest*() call that found digits: |value| = lastDigits * 10^-lastExponent
 *  (lastDigits may end in zeros). 0 when the call fell back to the value itself. */
export let lastDigits = 0;
export let lastExponent = 0;

const scratch = new Float64Array(1);
const scratchHi = new Int32Array(scratch.buffer, 4, 1); // little-endian: high word at byte 4

/** floor(log10(a)) for finite a > 0, from the binary exponent (no Math.log10 call). */
function decade(a: number): number {
  scratch[0] = a;
  const e2 = ((scratchHi[0]! >>> 20) & 0x7ff) - 1023; // doubles from float32/half are normal
  let e = Math.floor(e2 * LOG10_2);
  if (a >= DECADE[e + 331]!) e++;
  else if (a < DECADE[e + 330]!) e--;
  return e;
}

/**
 * The candidate with p significant digits for a = |v| >= 0 and decade e: sets candM and
 * returns the nearest double to candM * 10^(e + 1 - p).
 */
let candM = 0;
function candidate(a: number, e: number, p: number): number {
  const k = p - 1 - e;
  if (k >= 0 && k <= 22) {
    const scale = POW10[k]!;
    candM = Math.round(a * scale);
    return candM / scale; // exact power of ten: one correctly rounded operation
  }
  if (k < 0 && k >= -22) {
    const scale = POW10[-k]!;
    candM = Math.round(a / scale);
    return candM * scale;
  }
  // Beyond 1e+-22 the power is inexact: parse the decimal, which rounds correctly
  // (rare: |x| below ~1e-14 or above ~1e27).
  candM = Math.round(a * DECADE[k + 330]!);
  return Number(`${candM}e${-k}`);
}

// Starting at minP digits is enough for normal values: if fewer digits round-trip, rounding
// to minP digits yields those digits plus zeros (the type's half-ulp is far below half a unit
// in the minP-th digit). Subnormals have fewer bits, so there the search starts at 1 digit.

/** The shortest decimal (as a double) that reads back as the float32 value `f`. */
export function shortestFloat32(f: number): number {
  lastDigits = 0;
  const a = f < 0 ? -f : f;
  if (a === 0 || a - a !== 0) return f; // zero, NaN, +-Infinity
  const e = decade(a);
  for (let p = a < MIN_NORMAL_F32 ? 1 : 6; p <= 9; p++) {
    const back = candidate(a, e, p);
    if (Math.fround(back) === a) {
      lastDigits = candM;
      lastExponent = p - 1 - e;
      return f < 0 ? -back : back;
    }
  }
  return f;
}

/** The shortest decimal (as a double) that reads back as the half-precision value `v`. */
export function shortestFloat16(v: number): number {
  lastDigits = 0;
  const a = v < 0 ? -v : v;
  if (a === 0 || a - a !== 0) return v;
  const bits = doubleToHalfBits(a);
  const e = decade(a);
  for (let p = a < MIN_NORMAL_F16 ? 1 : 3; p <= 5; p++) {
    const back = candidate(a, e, p);
    if (doubleToHalfBits(back) === bits) {
      lastDigits = candM;
      lastExponent = p - 1 - e;
      return v < 0 ? -back : back;
    }
  }
  return v;
}

/** JSON number text of a finite float32 value. */
export function float32ToText(f: number): string {
  return String(shortestFloat32(f));
}

/** JSON number text of a finite half-precision value. */
export function float16ToText(v: number): string {
  return String(shortestFloat16(v));
}
