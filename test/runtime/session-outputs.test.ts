// Output selection and output buffers: ORT writes straight into caller memory when it fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/runtime/index.js';
import { multiOutputModel } from '../fixtures/runtime-models.js';

const x = () => ({ x: { dtype: 'float32' as const, shape: [2, 2], data: new Float32Array([1, -2, 3, -4]) } });

test('all outputs by default, a subset with options.outputs (in the order asked)', async () => {
  const s = Session.load(multiOutputModel());
  try {
    assert.deepEqual(Object.keys(s.runSync(x())), ['relu', 'neg', 'flat']);
    const some = await s.run(x(), { outputs: ['flat', 'neg'] });
    assert.deepEqual(Object.keys(some), ['flat', 'neg']);
    assert.deepEqual(some.flat!.shape, [4]);
    assert.deepEqual(Array.from(some.neg!.data as Float32Array), [-1, 2, -3, 4]);
  } finally {
    s.unload();
  }
});

test('outputBuffers of the right size are written in place and returned as data', async () => {
  const s = Session.load(multiOutputModel());
  try {
    // relu: shape derived from the input's 'batch' dim -> bound before the run (no copy);
    // flat: unnamed dim -> ORT allocates, then one copy into the caller's buffer.
    const relu = new Float32Array(4);
    const flat = new Float32Array(4);
    const out = s.runSync(x(), { outputBuffers: { relu, flat } });
    assert.equal(out.relu!.data, relu);
    assert.equal(out.flat!.data, flat);
    assert.deepEqual(Array.from(relu), [1, 0, 3, 0]);
    assert.deepEqual(Array.from(flat), [1, -2, 3, -4]);
    const backing = new Float32Array(8).fill(7);
    const view = backing.subarray(2, 6);
    const out2 = await s.run(x(), { outputs: ['neg'], outputBuffers: { neg: view } });
    assert.equal(out2.neg!.data, view);
    assert.deepEqual(Array.from(backing), [7, 7, -1, 2, -3, 4, 7, 7]);
  } finally {
    s.unload();
  }
});

test('an outputBuffer of the wrong byte length is left untouched and a new array is returned', () => {
  const s = Session.load(multiOutputModel());
  try {
    const small = new Float32Array(3).fill(5);
    const out = s.runSync(x(), { outputBuffers: { relu: small, flat: small } });
    assert.notEqual(out.relu!.data, small);
    assert.notEqual(out.flat!.data, small);
    assert.deepEqual(Array.from(small), [5, 5, 5]);
    assert.deepEqual(Array.from(out.relu!.data as Float32Array), [1, 0, 3, 0]);
  } finally {
    s.unload();
  }
});

test('bad output options: unknown names are RangeErrors, wrong buffer types TypeErrors', async () => {
  const s = Session.load(multiOutputModel());
  try {
    assert.throws(() => s.runSync(x(), { outputs: ['nope'] }),
      (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'IG_UNKNOWN_OUTPUT' && /unknown output 'nope'; the model's outputs are: relu, neg, flat/.test(e.message));
    assert.throws(() => s.runSync(x(), { outputs: ['neg', 'neg'] }), (e: Error) => e instanceof RangeError && /names output 'neg' twice/.test(e.message));
    assert.throws(() => s.runSync(x(), { outputs: [] }), (e: Error) => e instanceof RangeError && /at least one output/.test(e.message));
    assert.throws(() => s.runSync(x(), { outputs: ['relu'], outputBuffers: { neg: new Float32Array(4) } }),
      (e: Error) => e instanceof RangeError && /outputBuffers names 'neg', which is not a requested output/.test(e.message));
    assert.throws(() => s.runSync(x(), { outputBuffers: { relu: new Float64Array(4) } }),
      (e: Error) => e instanceof TypeError && /outputBuffers\['relu'\]: dtype float32 needs a Float32Array, got Float64Array/.test(e.message));
    assert.throws(() => s.runSync(x(), { outputBuffers: { relu: [0, 0, 0, 0] as never } }),
      (e: Error) => e instanceof TypeError && /got Array/.test(e.message));
    await assert.rejects(s.run(x(), { outputs: 'relu' as never }), (e: Error) => e instanceof TypeError && /options\.outputs must be an array/.test(e.message));
  } finally {
    s.unload();
  }
});
