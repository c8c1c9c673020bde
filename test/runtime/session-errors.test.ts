// Every bad call is a JS error of the right class, with a stable code and a message naming the
// problem; none of them crashes the process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, type RuntimeTensor } from '../../src/runtime/index.js';
import { addModel, identityModel } from '../fixtures/runtime-models.js';

type Cls = ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor;
type CodedError = Error & { code?: string };

function expectError(fn: () => unknown, cls: Cls, code: string, re: RegExp): void {
  assert.throws(fn, (e: CodedError) => {
    assert.equal(e.constructor, cls, `class of: ${e.message}`);
    assert.equal(e.code, code, `code of: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

const f32 = (shape: number[], data: unknown): RuntimeTensor => ({ dtype: 'float32', shape, data: data as Float32Array });

test('input errors: unknown, missing, dtype, shape, byte length, JS types', async () => {
  const s = Session.load(addModel('float32'));
  const good = () => f32([2, 4], new Float32Array(8));
  try {
    expectError(() => s.runSync({ a: good(), b: good(), c: good() }), RangeError, 'IG_UNKNOWN_INPUT', /unknown input 'c'; the model's inputs are: a, b/);
    expectError(() => s.runSync({ a: good() }), RangeError, 'IG_MISSING_INPUT', /missing input\(s\) 'b'/);
    expectError(() => s.runSync({}), RangeError, 'IG_MISSING_INPUT', /missing input\(s\) 'a', 'b'/);
    expectError(() => s.runSync({ a: good(), b: { dtype: 'float64', shape: [2, 4], data: new Float64Array(8) } }),
      TypeError, 'IG_DTYPE_MISMATCH', /input 'b': dtype float64 does not match the model's float32/);
    expectError(() => s.runSync({ a: good(), b: f32([2, 5], new Float32Array(10)) }),
      RangeError, 'IG_SHAPE_MISMATCH', /input 'b': shape \[2,5\] has dim 1 = 5 but the model expects 4 \[N,4\]/);
    expectError(() => s.runSync({ a: good(), b: f32([8], new Float32Array(8)) }),
      RangeError, 'IG_SHAPE_MISMATCH', /input 'b': shape \[8\] has rank 1 but the model expects rank 2/);
    expectError(() => s.runSync({ a: good(), b: f32([3, 4], new Float32Array(8)) }),
      RangeError, 'IG_BAD_TENSOR', /input 'b': data holds 32 bytes but shape \[3,4\] of float32 needs 48/);
    expectError(() => s.runSync({ a: good(), b: f32([-2, 4], new Float32Array(8)) }),
      RangeError, 'IG_BAD_TENSOR', /input 'b': shape\[0\] is -2; dims must be non-negative integers/);
    expectError(() => s.runSync({ a: good(), b: f32([1.5, 4], new Float32Array(8)) }), RangeError, 'IG_BAD_TENSOR', /shape\[0\] is 1\.5/);
    expectError(() => s.runSync({ a: good(), b: f32([2, 4], [0, 0, 0, 0, 0, 0, 0, 0]) }),
      TypeError, 'IG_BAD_TENSOR', /input 'b': dtype float32 needs its data in a Float32Array, got Array/);
    expectError(() => s.runSync({ a: good(), b: f32([2, 4], new Int32Array(8)) }), TypeError, 'IG_BAD_TENSOR', /got Int32Array/);
    expectError(() => s.runSync({ a: good(), b: f32([2, 4], new ArrayBuffer(32)) }), TypeError, 'IG_BAD_TENSOR', /got ArrayBuffer/);
    expectError(() => s.runSync({ a: good(), b: f32('2,4' as never, new Float32Array(8)) }), TypeError, 'IG_BAD_TENSOR', /input 'b': shape must be an array/);
    expectError(() => s.runSync({ a: good(), b: f32(['2', 4] as never, new Float32Array(8)) }), TypeError, 'IG_BAD_TENSOR', /shape\[0\] must be a number, got string/);
    expectError(() => s.runSync({ a: good(), b: { dtype: 'float', shape: [2, 4], data: new Float32Array(8) } as never }),
      TypeError, 'IG_BAD_TENSOR', /input 'b': unknown dtype 'float'/);
    expectError(() => s.runSync({ a: good(), b: 42 as never }), TypeError, 'IG_BAD_TENSOR', /input 'b' must be a tensor object/);
    expectError(() => s.runSync(null as never), TypeError, 'IG_BAD_REQUEST', /inputs must be an object/);
    expectError(() => s.runSync(new Float32Array(8) as never), TypeError, 'IG_BAD_REQUEST', /inputs must be an object.*got Float32Array/);
    // The async path reports the same errors as rejections.
    await assert.rejects(s.run({ a: good() }), (e: CodedError) => e instanceof RangeError && e.code === 'IG_MISSING_INPUT');
  } finally {
    s.unload();
  }
});

test('string tensor errors: non-array, non-string element, wrong count', () => {
  const s = Session.load(identityModel('string'));
  const str = (data: unknown, shape = [1, 3]): RuntimeTensor => ({ dtype: 'string', shape, data: data as string[] });
  try {
    expectError(() => s.runSync({ x: str('abc') }), TypeError, 'IG_BAD_TENSOR', /dtype string needs its data in an array of strings, got string/);
    expectError(() => s.runSync({ x: str(['a', 2, 'c']) }), TypeError, 'IG_BAD_TENSOR', /input 'x': data\[1\] must be a string, got number/);
    expectError(() => s.runSync({ x: str(['a', 'b']) }), RangeError, 'IG_BAD_TENSOR', /data holds 2 strings but shape \[1,3\] needs 3/);
  } finally {
    s.unload();
  }
});

test('bool and int64 need their own typed-array classes', () => {
  const b = Session.load(identityModel('bool'));
  const i = Session.load(identityModel('int64'));
  try {
    expectError(() => b.runSync({ x: { dtype: 'bool', shape: [1, 3], data: new Int8Array(3) } }), TypeError, 'IG_BAD_TENSOR', /dtype bool needs its data in a Uint8Array, got Int8Array/);
    expectError(() => i.runSync({ x: { dtype: 'int64', shape: [1, 3], data: new Float64Array(3) } }), TypeError, 'IG_BAD_TENSOR', /dtype int64 needs its data in a BigInt64Array, got Float64Array/);
  } finally {
    b.unload(); i.unload();
  }
});

test('missing and corrupt model files are Errors naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infergate-bad-models-'));
  const corrupt = join(dir, 'corrupt.onnx');
  writeFileSync(corrupt, 'this is not a protobuf model \u0000\u0001\u0002');
  expectError(() => Session.load(join(dir, 'absent.onnx')), Error, 'IG_MODEL_LOAD_FAILED', /cannot load model '.*absent\.onnx': No such file or directory/);
  expectError(() => Session.load(corrupt), Error, 'IG_MODEL_LOAD_FAILED', /cannot load model '.*corrupt\.onnx': .*(Protobuf parsing failed|INVALID_PROTOBUF)/);
  expectError(() => Session.load(new Uint8Array([1, 2, 3, 4])), Error, 'IG_MODEL_LOAD_FAILED', /cannot load model from 4 bytes/);
  expectError(() => Session.load(new Uint8Array(0)), RangeError, 'IG_MODEL_LOAD_FAILED', /the buffer is empty/);
  expectError(() => Session.load({} as never), TypeError, 'IG_BAD_REQUEST', /model source must be a file path \(string\) or model bytes \(Uint8Array\), got object/);
});

test('use after unload is an Error naming the method; unload is idempotent', () => {
  const s = Session.load(identityModel('float32'));
  s.unload();
  s.unload();
  expectError(() => s.describe(), Error, 'IG_MODEL_NOT_READY', /Session\.describe\(\) used after unload/);
  expectError(() => s.runSync({ x: f32([1, 3], new Float32Array(3)) }), Error, 'IG_MODEL_NOT_READY', /Session\.runSync\(\) used after unload/);
  assert.match(s.key, /identity-float32\.onnx\?/);
});

test('an error raised inside ORT Run becomes an Error with ORT\'s message', () => {
  // The model declares [N,4] for both inputs; ORT's Add rejects batch sizes that do not broadcast.
  const s = Session.load(addModel('float32'));
  try {
    expectError(() => s.runSync({ a: f32([2, 4], new Float32Array(8)), b: f32([3, 4], new Float32Array(12)) }),
      Error, 'IG_INFERENCE_FAILED', /Add|broadcast/i);
  } finally {
    s.unload();
  }
});
