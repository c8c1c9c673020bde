import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doubleToHalfBits, FP16_MAX, halfBitsToDouble } from '../../src/protocol/fp16.js';
import { Rng } from './helpers.js';

const hex = (h: number): string => `0x${h.toString(16).padStart(4, '0')}`;

test('fp16: known bit patterns', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
    [FP16_MAX, 0x7bff], [2 ** -14, 0x0400], [2 ** -24, 0x0001], [0.1, 0x2e66], [1 / 3, 0x3555],
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [65520, 0x7c00], [65519.99, 0x7bff], [1e-9, 0x0000],
    // Ties go to the even mantissa: 2049 lies halfway between 2048 and 2050.
    [2049, 0x6800], [2051, 0x6802], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
    // Halfway between 0 and the smallest subnormal rounds to 0 (even); just above rounds up.
    [2 ** -25, 0x0000], [2 ** -25 * 1.0001, 0x0001],
  ];
  for (const [v, bits] of cases) assert.equal(hex(doubleToHalfBits(v)), hex(bits), `doubleToHalfBits(${v})`);
  assert.equal(doubleToHalfBits(NaN), 0x7e00);
  assert.ok(Number.isNaN(halfBitsToDouble(0x7e01)));
  assert.equal(halfBitsToDouble(0x7bff), 65504);
  assert.equal(halfBitsToDouble(0x0001), 2 ** -24);
  assert.ok(Object.is(halfBitsToDouble(0x8000), -0));
});

test('fp16: every non-NaN bit pattern survives half -> double -> half', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = halfBitsToDouble(h);
    if (Number.isNaN(v)) continue;
    const back = doubleToHalfBits(v);
    if (back !== h) assert.fail(`${hex(h)} -> ${v} -> ${hex(back)}`);
  }
});

test('fp16: random doubles round to the nearest half, ties to even', () => {
  const rng = new Rng(16);
  for (let i = 0; i < 20000; i++) {
    const v = (rng.float() - 0.5) * 2 ** (rng.int(40) - 26);
    const h = doubleToHalfBits(v);
    const got = halfBitsToDouble(h);
    // Neighbours one ulp away in magnitude must not be strictly nearer.
    for (const n of [h - 1, h + 1]) {
      if ((n & 0x7fff) > 0x7bff || (n & 0x8000) !== (h & 0x8000)) continue;
      const other = halfBitsToDouble(n);
      const dGot = Math.abs(v - got);
      const dOther = Math.abs(v - other);
      assert.ok(dGot < dOther || (dGot === dOther && (h & 1) === 0), `${v}: ${hex(h)} vs ${hex(n)}`);
    }
  }
});
