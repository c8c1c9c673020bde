// Every supported dtype through Identity (bit-exact round trip) and Add (arithmetic), sync and
// async, including float16 (raw Uint16Array), bool (Uint8Array), 64-bit ints and strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, type OrtDType, type TensorData } from '../../src/runtime/index.js';
import { ALL_DTYPES, addModel, identityModel, sampleData } from '../fixtures/runtime-models.js';

const asList = (d: TensorData): string[] => Array.from(d as ArrayLike<unknown>, String);

for (const dtype of ALL_DTYPES) {
  test(`Identity round-trips ${dtype} (runSync and run)`, async () => {
    const s = Session.load(identityModel(dtype));
    try {
      const data = sampleData(dtype, 12, 3);
      const sync = s.runSync({ x: { dtype, shape: [4, 3], data } });
      assert.equal(sync.y!.dtype, dtype);
      assert.deepEqual(sync.y!.shape, [4, 3]);
      assert.equal(sync.y!.data.constructor, data.constructor);
      assert.deepEqual(asList(sync.y!.data), asList(data));
      const async_ = await s.run({ x: { dtype, shape: [4, 3], data } });
      assert.deepEqual(asList(async_.y!.data), asList(data));
      const empty = s.runSync({ x: { dtype, shape: [0, 3], data: sampleData(dtype, 0) } });
      assert.deepEqual(empty.y!.shape, [0, 3]);
      assert.equal((empty.y!.data as ArrayLike<unknown>).length, 0);
    } finally {
      s.unload();
    }
  });
}

const addCases: [OrtDType, (a: number | bigint, b: number | bigint) => number | bigint][] = [
  ['float32', (a, b) => Math.fround(Number(a) + Number(b))],
  ['float64', (a, b) => Number(a) + Number(b)],
  ['int32', (a, b) => (Number(a) + Number(b)) | 0],
  ['int64', (a, b) => BigInt.asIntN(64, BigInt(a) + BigInt(b))],
  ['uint64', (a, b) => BigInt.asUintN(64, BigInt(a) + BigInt(b))],
];
for (const [dtype, add] of addCases) {
  test(`Add computes ${dtype}`, async () => {
    const s = Session.load(addModel(dtype));
    try {
      const a = sampleData(dtype, 8, 5) as ArrayLike<number | bigint> & TensorData;
      const b = sampleData(dtype, 8, 6) as ArrayLike<number | bigint> & TensorData;
      const out = await s.run({ a: { dtype, shape: [2, 4], data: a }, b: { dtype, shape: [2, 4], data: b } });
      const expected = Array.from({ length: 8 }, (_, i) => String(add(a[i]!, b[i]!)));
      assert.deepEqual(asList(out.sum!.data), expected);
    } finally {
      s.unload();
    }
  });
}

test('string tensors keep unicode, empty strings and embedded NULs', () => {
  const s = Session.load(identityModel('string'));
  try {
    const data = ['héllo wörld', '', 'a\u0000b', '😀', 'x'.repeat(1000), 'plain'];
    const out = s.runSync({ x: { dtype: 'string', shape: [2, 3], data } });
    assert.deepEqual(out.y!.data, data);
  } finally {
    s.unload();
  }
});

test('inputs are used in place: views with a byteOffset into a larger buffer work', () => {
  const s = Session.load(identityModel('float32'));
  try {
    const backing = new Float32Array([9, 9, 1, 2, 3, 4, 5, 6, 9]);
    const view = backing.subarray(2, 8);
    const out = s.runSync({ x: { dtype: 'float32', shape: [2, 3], data: view } });
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [1, 2, 3, 4, 5, 6]);
    const shared = new Float32Array(new SharedArrayBuffer(24)).fill(2.5);
    const out2 = s.runSync({ x: { dtype: 'float32', shape: [2, 3], data: shared } });
    assert.deepEqual(Array.from(out2.y!.data as Float32Array), [2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
  } finally {
    s.unload();
  }
});
