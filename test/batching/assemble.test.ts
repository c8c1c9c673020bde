// Batch assembly into pooled SABs and slicing outputs back, with seeded data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleBatch, joinOutputs, sliceOutputs, type RowTensor, type TensorMap } from '../../src/batching/assemble.js';
import { SabPool } from '../../src/batching/sab-pool.js';
import { batchSignature } from '../../src/batching/signature.js';
import { packBytes, unpackBytesToStrings } from '../../src/core/datatypes.js';
import type { InferError } from '../../src/core/errors.js';
import { seeded } from './helpers.js';

function fp32(k: number, cols: number, rnd: () => number): RowTensor {
  const a = new Float32Array(k * cols);
  for (let i = 0; i < a.length; i++) a[i] = rnd();
  return { datatype: 'FP32', shape: [k, cols], bytes: new Uint8Array(a.buffer) };
}

function int64(k: number, cols: number, rnd: () => number): RowTensor {
  const a = new BigInt64Array(k * cols);
  for (let i = 0; i < a.length; i++) a[i] = BigInt(Math.floor(rnd() * 1e9));
  return { datatype: 'INT64', shape: [k, cols], bytes: new Uint8Array(a.buffer) };
}

function request(k: number, rnd: () => number): TensorMap {
  return { x: fp32(k, 4, rnd), ids: int64(k, 2, rnd) };
}

test('assemble + slice round trip: each request gets exactly its own rows back, for different K', () => {
  const rnd = seeded(7);
  const pool = new SabPool();
  const ks = [1, 3, 7, 2, 1];
  const reqs = ks.map((k) => request(k, rnd));
  const batch = assembleBatch(reqs.map((inputs, i) => ({ inputs, rowStart: 0, rows: ks[i]! })), pool);
  assert.equal(batch.rows, 14);
  assert.deepEqual(batch.inputs.map((i) => [i.name, i.datatype, i.shape]), [['x', 'FP32', [14, 4]], ['ids', 'INT64', [14, 2]]]);
  for (const input of batch.inputs) {
    assert.ok(input.buffer instanceof SharedArrayBuffer);
    assert.equal(input.byteOffset, 0);
    assert.equal(input.bytes.buffer, input.buffer);
  }
  // Identity model: the outputs are the batch inputs.
  const outputs = Object.fromEntries(batch.inputs.map((i) => [i.name === 'x' ? 'y' : 'ids_out', { datatype: i.datatype, shape: i.shape, bytes: i.bytes }]));
  const per = sliceOutputs(outputs, ks);
  assert.equal(per.length, ks.length);
  per.forEach((o, r) => {
    assert.deepEqual(o.y!.shape, [ks[r], 4]);
    assert.deepEqual([...o.y!.bytes], [...reqs[r]!.x!.bytes]);
    assert.deepEqual([...o.ids_out!.bytes], [...reqs[r]!.ids!.bytes]);
    assert.equal(o.y!.bytes.buffer, batch.inputs[0]!.buffer, 'a view, not a copy');
  });
  assert.equal(pool.stats().checkedOut, 2);
  batch.release();
  batch.release(); // idempotent
  assert.equal(pool.stats().checkedOut, 0);
});

test('row ranges assemble parts of a split request in order', () => {
  const rnd = seeded(11);
  const pool = new SabPool();
  const req = request(10, rnd);
  const a = assembleBatch([{ inputs: req, rowStart: 0, rows: 4 }], pool);
  const b = assembleBatch([{ inputs: req, rowStart: 4, rows: 4 }, { inputs: request(2, rnd), rowStart: 0, rows: 2 }], pool);
  const c = assembleBatch([{ inputs: req, rowStart: 8, rows: 2 }], pool);
  const rowBytes = 16;
  assert.deepEqual([...a.inputs[0]!.bytes], [...req.x!.bytes.subarray(0, 4 * rowBytes)]);
  assert.deepEqual([...b.inputs[0]!.bytes.subarray(0, 4 * rowBytes)], [...req.x!.bytes.subarray(4 * rowBytes, 8 * rowBytes)]);
  assert.deepEqual([...c.inputs[0]!.bytes], [...req.x!.bytes.subarray(8 * rowBytes)]);
  const joined = joinOutputs([
    { y: { shape: [4, 4], bytes: a.inputs[0]!.bytes } },
    { y: { shape: [4, 4], bytes: b.inputs[0]!.bytes.subarray(0, 4 * rowBytes) } },
    { y: { shape: [2, 4], bytes: c.inputs[0]!.bytes } },
  ]);
  assert.deepEqual(joined.y!.shape, [10, 4]);
  assert.deepEqual([...joined.y!.bytes], [...req.x!.bytes]);
  for (const x of [a, b, c]) x.release();
});

test('BYTES tensors batch by concatenating their framed elements', () => {
  const pool = new SabPool();
  const r1: RowTensor = { datatype: 'BYTES', shape: [2, 2], bytes: packBytes(['a', 'bb', '', 'dddd']) };
  const r2: RowTensor = { datatype: 'BYTES', shape: [1, 2], bytes: packBytes(['éé', 'f']) };
  const batch = assembleBatch([{ inputs: { s: r1 }, rowStart: 0, rows: 2 }, { inputs: { s: r2 }, rowStart: 0, rows: 1 }], pool);
  const s = batch.inputs[0]!;
  assert.deepEqual(s.shape, [3, 2]);
  assert.deepEqual(unpackBytesToStrings(s.bytes), ['a', 'bb', '', 'dddd', 'éé', 'f']);
  const per = sliceOutputs({ s: { datatype: 'BYTES', shape: s.shape, bytes: s.bytes } }, [2, 1]);
  assert.deepEqual(unpackBytesToStrings(per[0]!.s!.bytes), ['a', 'bb', '', 'dddd']);
  assert.deepEqual(unpackBytesToStrings(per[1]!.s!.bytes), ['éé', 'f']);
  // A row range of a BYTES tensor (split request).
  const tail = assembleBatch([{ inputs: { s: r1 }, rowStart: 1, rows: 1 }], pool);
  assert.deepEqual(unpackBytesToStrings(tail.inputs[0]!.bytes), ['', 'dddd']);
  batch.release();
  tail.release();
});

test('mismatched parts are clear InferErrors and leave nothing checked out of the pool', () => {
  const rnd = seeded(3);
  const pool = new SabPool();
  const ok = request(2, rnd);
  const cases: [TensorMap, string, RegExp][] = [
    [{ x: fp32(2, 5, rnd), ids: ok.ids! }, 'IG_SHAPE_MISMATCH', /input "x": shape \[2,5\] cannot batch with \[2,4\]/],
    [{ x: { ...fp32(2, 4, rnd), datatype: 'INT32' }, ids: ok.ids! }, 'IG_DTYPE_MISMATCH', /input "x": INT32 cannot batch with FP32/],
    [{ x: ok.x!, other: ok.ids! }, 'IG_MISSING_INPUT', /input "ids" is missing/],
    [{ x: ok.x! }, 'IG_SHAPE_MISMATCH', /different input sets/],
    [{ x: { datatype: 'FP32', shape: [2, 4], bytes: new Uint8Array(31) }, ids: ok.ids! }, 'IG_BAD_TENSOR', /31 bytes do not match FP32\[2,4\]/],
  ];
  for (const [bad, code, re] of cases) {
    assert.throws(
      () => assembleBatch([{ inputs: ok, rowStart: 0, rows: 2 }, { inputs: bad, rowStart: 0, rows: 2 }], pool),
      (e: InferError) => e.code === code && re.test(e.message),
      code,
    );
    assert.equal(pool.stats().checkedOut, 0);
  }
  assert.throws(() => assembleBatch([{ inputs: ok, rowStart: 1, rows: 2 }], pool), (e: InferError) => e.code === 'IG_SHAPE_MISMATCH' && /exceed its batch dim 2/.test(e.message));
  assert.throws(() => assembleBatch([{ inputs: { s: { datatype: 'BYTES', shape: [2], bytes: packBytes(['a']) } }, rowStart: 0, rows: 2 }], pool),
    (e: InferError) => e.code === 'IG_BAD_TENSOR');
  assert.throws(() => assembleBatch([], pool), RangeError);
  assert.equal(pool.stats().checkedOut, 0);
});

test('sliceOutputs refuses outputs without the batch dimension first, naming the output', () => {
  const out = { scores: { datatype: 'FP32' as const, shape: [1, 3], bytes: new Uint8Array(12) } };
  assert.throws(() => sliceOutputs(out, [2, 1]), (e: InferError) => e.code === 'IG_INFERENCE_FAILED' && /output "scores" has shape \[1,3\], expected batch dim 3/.test(e.message));
  assert.throws(() => sliceOutputs({ s: { datatype: 'FP32', shape: [3, 1], bytes: new Uint8Array(8) } }, [2, 1]), (e: InferError) => e.code === 'IG_INFERENCE_FAILED');
  assert.throws(() => sliceOutputs({ s: { datatype: 'BYTES', shape: [2], bytes: packBytes(['x']) } }, [1, 1]), (e: InferError) => e.code === 'IG_INFERENCE_FAILED');
  // Without a datatype, a fixed-size output is cut by bytes per row.
  const per = sliceOutputs({ y: { shape: [3], bytes: Uint8Array.from([1, 2, 3, 4, 5, 6]) } }, [1, 2]);
  assert.deepEqual([...per[1]!.y!.bytes], [3, 4, 5, 6]);
});

test('the shape signature ignores the batch dim and input order, and sees everything else', () => {
  const rnd = seeded(5);
  const a = batchSignature({ x: fp32(1, 4, rnd), ids: int64(1, 2, rnd) });
  assert.equal(a, batchSignature({ ids: int64(9, 2, rnd), x: fp32(9, 4, rnd) }));
  assert.notEqual(a, batchSignature({ x: fp32(1, 5, rnd), ids: int64(1, 2, rnd) }));
  assert.notEqual(a, batchSignature({ x: { ...fp32(1, 4, rnd), datatype: 'FP16' }, ids: int64(1, 2, rnd) }));
  assert.notEqual(a, batchSignature({ x: fp32(1, 4, rnd) }));
});
