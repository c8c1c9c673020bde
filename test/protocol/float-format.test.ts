import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float16ToText, float32ToText, shortestFloat16, shortestFloat32 } from '../../src/protocol/float-format.js';
import { JsonByteWriter } from '../../src/protocol/json-writer.js';
import { doubleToHalfBits, halfBitsToDouble } from '../../src/protocol/fp16.js';
import { Rng } from './helpers.js';

test('float32ToText: shortest text that reads back to the same float32', () => {
  const cases: [number, string][] = [
    [0.1, '0.1'], [1, '1'], [-2.5, '-2.5'], [100, '100'], [123456789, '123456790'], [1e-10, '1e-10'],
    [3.4028234663852886e38, '3.4028235e+38'], [1.401298464324817e-45, '1e-45'], [0.000123, '0.000123'],
    [1.5e-7, '1.5e-7'], [16777216, '16777216'], [1e21, '1e+21'], [0, '0'], [0.3, '0.3'],
  ];
  for (const [v, want] of cases) assert.equal(float32ToText(Math.fround(v)), want, `${v}`);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  const rng = new Rng(40);
  for (let i = 0; i < 100_000; i++) {
    bits[0] = rng.u32();
    const v = f[0]!;
    if (!Number.isFinite(v)) continue;
    const text = float32ToText(v);
    const back = JSON.parse(text) as number;
    if (Math.fround(back) !== v) assert.fail(`${v}: "${text}" reads back as ${back}`);
    // Never longer than 9 significant digits (the float32 round-trip bound).
    const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    assert.ok(digits.length <= 9, `${v}: "${text}"`);
    if (i % 10 === 0) {
      // Independent reference: the fewest toPrecision digits that round-trip.
      let p = 1;
      while (Math.fround(Number(v.toPrecision(p))) !== v) p++;
      assert.equal(digits.length, p, `${v}: "${text}" is not the shortest (${v.toPrecision(p)})`);
    }
  }
});

test('float16ToText: every finite half reads back exactly, in at most 5 digits', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = halfBitsToDouble(h);
    if (!Number.isFinite(v) || h === 0x8000) continue;
    const text = float16ToText(v);
    if (doubleToHalfBits(JSON.parse(text) as number) !== h) assert.fail(`0x${h.toString(16)}: "${text}"`);
  }
  assert.equal(float16ToText(halfBitsToDouble(0x2e66)), '0.1');
  assert.equal(float16ToText(65504), '65500'); // reads back as 65504 in half precision, like numpy prints it
});

test('JsonByteWriter: float arrays are byte-identical to JSON.stringify of the shortest values', () => {
  const rng = new Rng(41);
  const bits = new Uint32Array(4096);
  for (let i = 0; i < bits.length; i++) bits[i] = rng.u32();
  const f32 = new Float32Array(bits.buffer);
  const specials = Float32Array.from([0, -0, 1, -1, 0.1, 100, 1e21, 1e-7, 123456, 3.4028234663852886e38, 1.4e-45, NaN, Infinity, -Infinity]);
  for (const view of [f32, specials]) {
    const w = new JsonByteWriter(8); // tiny start: exercises growth
    w.floatArray(view, false);
    const want = JSON.stringify(Array.from(view, (v) => (Number.isFinite(v) ? shortestFloat32(v) : String(v))));
    assert.equal(new TextDecoder().decode(w.bytes()), want);
  }
  const halves = Float64Array.from({ length: 0x7c00 }, (_, h) => halfBitsToDouble(h));
  const w = new JsonByteWriter();
  w.floatArray(halves, true);
  assert.equal(new TextDecoder().decode(w.bytes()), JSON.stringify(Array.from(halves, (v) => shortestFloat16(v))));
});

test('JsonByteWriter: strings (UTF-8, escapes) and integers', () => {
  const w = new JsonByteWriter(4);
  w.raw('{').string('naïve "q" \n 🚀').raw(',').uint(7).raw(',').uint(1234567890123).raw('}');
  assert.equal(new TextDecoder().decode(w.bytes()), `{${JSON.stringify('naïve "q" \n 🚀')},7,1234567890123}`);
});
