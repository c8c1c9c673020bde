// Unit tests of the conformance harness itself: TensorProto decoding (raw_data and every typed
// field) and the output comparison. A harness that decodes or compares wrongly would make the
// conformance figure meaningless, so both directions (match and mismatch) are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { RuntimeTensor } from '../../src/runtime/types.js';
import { compareTensor } from './compare.js';
import { decodeTensorProto, float16ToNumber, UnsupportedTensorError } from './tensor-proto.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

function encode(fields: OnnxTypes.ITensorProto): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create(fields)).finish();
}

test('raw_data decodes into an aligned, owned typed array of the right class', () => {
  const values = new Float64Array([1.5, -2, Number.NaN]);
  // Prefix the payload with a name so raw_data sits at an odd offset inside the message.
  const bytes = encode({ name: 'x', dims: [3], dataType: DT.DOUBLE, rawData: new Uint8Array(values.buffer) });
  const { name, tensor } = decodeTensorProto(bytes);
  assert.equal(name, 'x');
  assert.equal(tensor.dtype, 'float64');
  assert.deepEqual(tensor.shape, [3]);
  assert.ok(tensor.data instanceof Float64Array);
  assert.equal((tensor.data as Float64Array).byteOffset, 0);
  assert.deepEqual(Array.from(tensor.data as Float64Array), [1.5, -2, Number.NaN]);
});

test('typed fields: float, int32 family, int64, uint64, double, string', () => {
  const f = decodeTensorProto(encode({ dims: [2], dataType: DT.FLOAT, floatData: [0.5, -1] })).tensor;
  assert.deepEqual([f.dtype, Array.from(f.data as Float32Array)], ['float32', [0.5, -1]]);
  const i8 = decodeTensorProto(encode({ dims: [2], dataType: DT.INT8, int32Data: [-128, 127] })).tensor;
  assert.ok(i8.data instanceof Int8Array);
  assert.deepEqual(Array.from(i8.data), [-128, 127]);
  const b = decodeTensorProto(encode({ dims: [2], dataType: DT.BOOL, int32Data: [1, 0] })).tensor;
  assert.deepEqual([b.dtype, Array.from(b.data as Uint8Array)], ['bool', [1, 0]]);
  const h = decodeTensorProto(encode({ dims: [1], dataType: DT.FLOAT16, int32Data: [0x3c00] })).tensor;
  assert.ok(h.data instanceof Uint16Array);
  assert.equal(float16ToNumber((h.data as Uint16Array)[0]!), 1);
  const big = 2n ** 62n + 1n; // beyond 2^53: must survive the Long -> bigint conversion exactly
  const i64 = decodeTensorProto(encode({ dims: [2], dataType: DT.INT64, int64Data: [-5, big.toString() as never] })).tensor;
  assert.deepEqual(Array.from(i64.data as BigInt64Array), [-5n, big]);
  const u64 = decodeTensorProto(encode({ dims: [1], dataType: DT.UINT64, uint64Data: ['18446744073709551615' as never] })).tensor;
  assert.deepEqual(Array.from(u64.data as BigUint64Array), [2n ** 64n - 1n]);
  const u32 = decodeTensorProto(encode({ dims: [1], dataType: DT.UINT32, uint64Data: [4294967295] })).tensor;
  assert.deepEqual(Array.from(u32.data as Uint32Array), [4294967295]);
  const d = decodeTensorProto(encode({ dims: [], dataType: DT.DOUBLE, doubleData: [3.25] })).tensor;
  assert.deepEqual([d.shape, Array.from(d.data as Float64Array)], [[], [3.25]]);
  const s = decodeTensorProto(encode({ dims: [2], dataType: DT.STRING, stringData: [Buffer.from('héllo'), Buffer.from('')] })).tensor;
  assert.deepEqual([s.dtype, s.data], ['string', ['héllo', '']]);
});

test('unsupported types and inconsistent payloads are rejected with a reason', () => {
  assert.throws(() => decodeTensorProto(encode({ dims: [1], dataType: DT.BFLOAT16, int32Data: [0] })),
    (e: unknown) => e instanceof UnsupportedTensorError && /bfloat16/.test(e.message));
  assert.throws(() => decodeTensorProto(encode({ dims: [1], dataType: DT.COMPLEX64, floatData: [1, 2] })), UnsupportedTensorError);
  assert.throws(() => decodeTensorProto(encode({ dims: [3], dataType: DT.FLOAT, rawData: new Uint8Array(8) })), /raw_data has 8 bytes/);
  assert.throws(() => decodeTensorProto(encode({ dims: [3], dataType: DT.FLOAT, floatData: [1] })), /1 elements for shape \[3\]/);
});

test('float16 bit patterns decode per IEEE 754', () => {
  assert.equal(float16ToNumber(0x0000), 0);
  assert.equal(float16ToNumber(0xc000), -2);
  assert.equal(float16ToNumber(0x0001), 2 ** -24);
  assert.equal(float16ToNumber(0x7c00), Infinity);
  assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
});

const f32 = (values: number[], shape = [values.length]): RuntimeTensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });

test('compare: floats within rtol/atol pass, beyond fail; NaN equals NaN; infinities exact', () => {
  assert.equal(compareTensor('y', f32([1.0009, 0, Number.NaN, Infinity]), f32([1, 0.000009, Number.NaN, Infinity])), null);
  assert.match(compareTensor('y', f32([1.002]), f32([1]))!, /output 'y'\[0\]/);
  assert.match(compareTensor('y', f32([Number.NaN]), f32([1]))!, /NaN, expected 1/);
  assert.notEqual(compareTensor('y', f32([-Infinity]), f32([Infinity])), null);
  assert.notEqual(compareTensor('y', f32([1e30]), f32([Infinity])), null);
});

test('compare: shapes, dtypes, integers, bigints and strings are exact', () => {
  assert.match(compareTensor('y', f32([1, 2], [1, 2]), f32([1, 2], [2, 1]))!, /shape \[1,2\], expected \[2,1\]/);
  assert.match(compareTensor('y', f32([1]), { dtype: 'float64', shape: [1], data: Float64Array.of(1) })!, /dtype/);
  const i32 = (v: number[]): RuntimeTensor => ({ dtype: 'int32', shape: [v.length], data: Int32Array.from(v) });
  assert.equal(compareTensor('y', i32([1, -2]), i32([1, -2])), null);
  assert.notEqual(compareTensor('y', i32([1, -2]), i32([1, -3])), null);
  const i64 = (v: bigint[]): RuntimeTensor => ({ dtype: 'int64', shape: [v.length], data: BigInt64Array.from(v) });
  assert.equal(compareTensor('y', i64([2n ** 62n]), i64([2n ** 62n])), null);
  assert.notEqual(compareTensor('y', i64([2n ** 62n]), i64([2n ** 62n + 1n])), null);
  const str = (v: string[]): RuntimeTensor => ({ dtype: 'string', shape: [v.length], data: v });
  assert.equal(compareTensor('y', str(['a', 'b']), str(['a', 'b'])), null);
  assert.notEqual(compareTensor('y', str(['a', 'b']), str(['a', 'B'])), null);
  const h = (bits: number[]): RuntimeTensor => ({ dtype: 'float16', shape: [bits.length], data: Uint16Array.from(bits) });
  assert.equal(compareTensor('y', h([0x3c00]), h([0x3c00])), null);
  assert.equal(compareTensor('y', h([0x3c01]), h([0x3c00])), null); // 1.000977 vs 1: within 1e-5 + 1e-3
  assert.notEqual(compareTensor('y', h([0x3c02]), h([0x3c00])), null); // 1.001953 vs 1: beyond
});
