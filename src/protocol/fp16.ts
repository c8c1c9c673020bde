// IEEE 754 binary16 conversions (Node 20 has no Float16Array). The encoder rounds a double
// straight to half precision (round to nearest, ties to even), without a detour through
// float32, which would round twice and be off by one ulp for some inputs.

const TWO_POW_M24 = 2 ** -24; // smallest subnormal half
const TWO_POW_M14 = 2 ** -14; // smallest normal half
/** Largest finite half (65504); values from 65520 up round to infinity. */
export const FP16_MAX = 65504;

/** Rounds a non-negative number to an integer, ties to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The binary16 bit pattern nearest to `v` (NaN -> 0x7e00, overflow -> +-Infinity). */
export function doubleToHalfBits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00; // includes Infinity
  if (a < TWO_POW_M14) {
    // Subnormal: a multiple of 2^-24; scaling by a power of two is exact. A result of 1024
    // is the smallest normal, whose bit pattern is exactly 0x0400.
    return sign | roundHalfEven(a / TWO_POW_M24);
  }
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one next to powers of two; fix with exact power-of-two compares.
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** The value of a binary16 bit pattern. */
export function halfBitsToDouble(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * TWO_POW_M24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}
