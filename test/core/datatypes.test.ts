import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesToTypedArray, checkTensorBytes, countBytesElements, DATATYPE_NAMES, DATATYPES, dataTypeByteSize,
  isDataType, kserveToOrt, ortToKserve, packBytes, shapeElementCount, typedArrayToBytes, unpackBytes,
  unpackBytesToStrings,
} from '../../src/core/datatypes.js';
import { ALL_DATATYPES, assertInferError, atOffset } from '../protocol/helpers.js';

test('datatype table: sizes and the KServe <-> ORT map', () => {
  assert.deepEqual([...DATATYPE_NAMES], [...ALL_DATATYPES]);
  const sizes = Object.fromEntries(ALL_DATATYPES.map((d) => [d, dataTypeByteSize(d)]));
  assert.deepEqual(sizes, {
    BOOL: 1, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, INT8: 1, INT16: 2, INT32: 4, INT64: 8,
    FP16: 2, FP32: 4, FP64: 8, BYTES: 0,
  });
  assert.equal(kserveToOrt('FP32'), 'float32');
  assert.equal(kserveToOrt('BYTES'), 'string');
  assert.equal(kserveToOrt('BOOL'), 'bool');
  assert.equal(kserveToOrt('FP16'), 'float16');
  for (const d of ALL_DATATYPES) assert.equal(ortToKserve(kserveToOrt(d)), d);
  assert.ok(isDataType('FP32'));
  assert.ok(!isDataType('fp32'));
  assert.ok(!isDataType('toString'));
  assert.ok(!isDataType(3));
  for (const d of ALL_DATATYPES) {
    const v = DATATYPES[d].view;
    if (v !== null) assert.equal(new v(new ArrayBuffer(8), 0, 1).BYTES_PER_ELEMENT, DATATYPES[d].byteSize);
  }
});

test('shapeElementCount: products, scalars, and rejection of bad dims and overflow', () => {
  assert.equal(shapeElementCount([]), 1);
  assert.equal(shapeElementCount([2, 3, 4]), 24);
  assert.equal(shapeElementCount([5, 0, 1 << 30]), 0);
  assertInferError(() => shapeElementCount([2, -1], 'input "x"'), 'IG_BAD_TENSOR', /input "x": shape\[1\] = -1/);
  assertInferError(() => shapeElementCount([1.5]), 'IG_BAD_TENSOR', /shape\[0\] = 1.5/);
  assertInferError(() => shapeElementCount([65536, 65536]), 'IG_BAD_TENSOR', /more than 2147483647 elements/);
  assertInferError(() => shapeElementCount([2 ** 60, 0]), 'IG_BAD_TENSOR', /shape\[0\]/);
});

test('bytesToTypedArray: zero-copy when aligned, a copy when not, same values', () => {
  const f = Float32Array.from([1.5, -2, 3.25]);
  const bytes = typedArrayToBytes(f);
  const view = bytesToTypedArray('FP32', bytes);
  assert.equal(view.buffer, f.buffer, 'aligned: a view');
  assert.deepEqual(Array.from(view as Float32Array), [1.5, -2, 3.25]);
  const odd = atOffset(bytes, 1);
  const copy = bytesToTypedArray('FP32', odd);
  assert.notEqual(copy.buffer, odd.buffer, 'misaligned: a copy');
  assert.deepEqual(Array.from(copy as Float32Array), [1.5, -2, 3.25]);
  const big = bytesToTypedArray('INT64', typedArrayToBytes(BigInt64Array.from([-(2n ** 63n), 5n])));
  assert.deepEqual(Array.from(big as BigInt64Array), [-(2n ** 63n), 5n]);
  assertInferError(() => bytesToTypedArray('FP64', new Uint8Array(12)), 'IG_BAD_TENSOR', /FP64 data length 12 is not a multiple of 8/);
  assert.throws(() => bytesToTypedArray('BYTES', new Uint8Array(4)), TypeError);
});

test('BYTES layout: pack, count, unpack (as views), strings with UTF-8', () => {
  const packed = packBytes(['', 'ab', 'naïve', new Uint8Array([0, 255])]);
  assert.deepEqual(Array.from(packed.subarray(0, 6)), [0, 0, 0, 0, 2, 0]);
  assert.equal(countBytesElements(packed), 4);
  const parts = unpackBytes(packed);
  assert.equal(parts[1]!.buffer, packed.buffer, 'elements are views');
  assert.deepEqual(Array.from(parts[3]!), [0, 255]);
  assert.deepEqual(unpackBytesToStrings(packed).slice(0, 3), ['', 'ab', 'naïve']);
  assert.equal(countBytesElements(new Uint8Array(0)), 0);
  assertInferError(() => countBytesElements(new Uint8Array([1, 0, 0]), 'input "s"'), 'IG_BAD_TENSOR', /input "s": BYTES element 0 has a truncated length/);
  assertInferError(() => countBytesElements(new Uint8Array([9, 0, 0, 0, 1])), 'IG_BAD_TENSOR', /claims 9 bytes but only 1 remain/);
  assertInferError(() => countBytesElements(new Uint8Array([255, 255, 255, 255])), 'IG_BAD_TENSOR', /claims 4294967295 bytes/);
});

test('checkTensorBytes: exact byte length for fixed types, element count for BYTES', () => {
  assert.equal(checkTensorBytes('FP32', [2, 2], new Uint8Array(16), 'x'), 4);
  assertInferError(() => checkTensorBytes('FP32', [2, 2], new Uint8Array(15), 'input "x"'), 'IG_BAD_TENSOR',
    /input "x": data is 15 bytes, FP32 shape \[2,2\] needs 16/);
  assert.equal(checkTensorBytes('BYTES', [2], packBytes(['a', 'b']), 'x'), 2);
  assertInferError(() => checkTensorBytes('BYTES', [3], packBytes(['a', 'b']), 'output "y"'), 'IG_BAD_TENSOR',
    /output "y": BYTES data holds 2 elements, shape \[3\] needs 3/);
});
