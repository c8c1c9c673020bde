// Output comparison with the ONNX backend test's rules: floats within rtol/atol (NaN equals
// NaN, infinities must match exactly), integers, bools and strings exactly, shapes exactly.
import type { RuntimeTensor } from '../../src/runtime/types.js';
import { float16ToNumber } from './tensor-proto.js';

export const RTOL = 1e-3;
export const ATOL = 1e-5;

function asNumbers(t: RuntimeTensor): ArrayLike<number> {
  if (t.dtype !== 'float16') return t.data as ArrayLike<number>;
  return Array.from(t.data as Uint16Array, float16ToNumber);
}

function closeEnough(actual: number, expected: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= ATOL + RTOL * Math.abs(expected);
}

/** Returns null when `actual` matches `expected`, else a one-line description of the first difference. */
export function compareTensor(name: string, actual: RuntimeTensor, expected: RuntimeTensor): string | null {
  if (actual.dtype !== expected.dtype) return `output '${name}': dtype ${actual.dtype}, expected ${expected.dtype}`;
  const shapeA = Array.from(actual.shape);
  const shapeE = Array.from(expected.shape);
  if (shapeA.length !== shapeE.length || shapeA.some((d, i) => d !== shapeE[i])) {
    return `output '${name}': shape [${shapeA.join(',')}], expected [${shapeE.join(',')}]`;
  }
  if (actual.data.length !== expected.data.length) {
    return `output '${name}': ${actual.data.length} elements, expected ${expected.data.length}`;
  }
  const isFloat = actual.dtype === 'float32' || actual.dtype === 'float64' || actual.dtype === 'float16';
  if (isFloat) {
    const a = asNumbers(actual);
    const e = asNumbers(expected);
    for (let i = 0; i < e.length; i++) {
      if (!closeEnough(a[i]!, e[i]!)) return `output '${name}'[${i}]: ${a[i]}, expected ${e[i]}`;
    }
    return null;
  }
  // Exact: numbers, bigints (int64/uint64) and strings all compare with ===.
  const a = actual.data as ArrayLike<unknown>;
  const e = expected.data as ArrayLike<unknown>;
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) return `output '${name}'[${i}]: ${String(a[i])}, expected ${String(e[i])}`;
  }
  return null;
}
