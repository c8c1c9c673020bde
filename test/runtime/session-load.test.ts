// Loading, describing, sharing and options of runtime sessions (real addon, generated models).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Session, availableProviders, ortVersion, registryStats } from '../../src/runtime/index.js';
import { identityModel, multiOutputModel } from '../fixtures/runtime-models.js';

test('loads from a path and describes dynamic dims as -1 with their names', () => {
  const s = Session.load(multiOutputModel());
  try {
    const d = s.describe();
    assert.deepEqual(d.inputs, [{ name: 'x', dtype: 'float32', shape: [-1, 2], dimNames: ['batch', ''] }]);
    assert.deepEqual(d.outputs.map((o) => [o.name, o.dtype, o.shape, o.dimNames]), [
      ['relu', 'float32', [-1, 2], ['batch', '']],
      ['neg', 'float32', [-1, 2], ['batch', '']],
      ['flat', 'float32', [-1], ['']],
    ]);
    assert.deepEqual(d.providers, ['cpu']);
    assert.equal(d.fallbackReason, undefined);
  } finally {
    s.unload();
  }
});

test('loads from bytes; the key is a hash of the bytes unless options.key is given', () => {
  const bytes = new Uint8Array(readFileSync(identityModel('int32')));
  const a = Session.load(bytes);
  const b = Session.load(bytes.slice());
  const c = Session.load(bytes, { key: 'identity-int32' });
  try {
    assert.match(a.key, /^bytes:[0-9a-f]{16}:\d+\?/);
    assert.equal(a.key, b.key);
    assert.match(c.key, /^identity-int32\?/);
    assert.equal(registryStats().refs[a.key], 2);
    const out = a.runSync({ x: { dtype: 'int32', shape: [1, 3], data: new Int32Array([1, 2, 3]) } });
    assert.deepEqual(Array.from(out.y!.data as Int32Array), [1, 2, 3]);
  } finally {
    a.unload(); b.unload(); c.unload();
  }
});

test('the same path and options share one session; different options do not', () => {
  const path = identityModel('float64');
  const before = registryStats().sessions;
  const a = Session.load(path);
  const b = Session.load(path);
  const c = Session.load(path, { intraOpThreads: 1, allowSpinning: false, graphOptimizationLevel: 'basic' });
  try {
    assert.equal(a.key, b.key);
    assert.notEqual(a.key, c.key);
    assert.ok(a.key.startsWith(path + '?'), a.key);
    assert.equal(registryStats().sessions, before + 2);
    assert.equal(registryStats().refs[a.key], 2);
    assert.equal(registryStats().refs[c.key], 1);
  } finally {
    a.unload();
    assert.equal(registryStats().refs[b.key], 1, 'unload drops exactly one reference');
    b.unload(); c.unload();
  }
  assert.equal(registryStats().refs[a.key], undefined);
  assert.equal(registryStats().sessions, before);
});

test('loadAsync creates the session off the JS thread and shares it like load', async () => {
  const path = identityModel('uint8');
  const [a, b] = await Promise.all([Session.loadAsync(path), Session.loadAsync(path)]);
  try {
    assert.equal(a.key, b.key);
    assert.equal(registryStats().refs[a.key], 2);
    const out = await a.run({ x: { dtype: 'uint8', shape: [1, 3], data: new Uint8Array([7, 8, 9]) } });
    assert.deepEqual(Array.from(out.y!.data as Uint8Array), [7, 8, 9]);
  } finally {
    a.unload(); b.unload();
  }
});

test('loadAsync rejects (never throws) on bad arguments and missing files', async () => {
  await assert.rejects(Session.loadAsync(42 as unknown as string), (e: Error) => e instanceof TypeError && /file path \(string\) or model bytes/.test(e.message));
  await assert.rejects(Session.loadAsync('/no/such/model.onnx'), (e: Error) => e.constructor === Error && /no\/such\/model\.onnx.*No such file/.test(e.message));
});

test('invalid options are rejected with messages naming the option', () => {
  const path = identityModel('float32');
  const cases: [unknown, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, RegExp][] = [
    [{ intraOpThreads: -1 }, RangeError, /options\.intraOpThreads must be a non-negative integer/],
    [{ intraOpThreads: '2' }, TypeError, /options\.intraOpThreads must be a non-negative integer/],
    [{ allowSpinning: 1 }, TypeError, /options\.allowSpinning must be a boolean/],
    [{ graphOptimizationLevel: 'max' }, RangeError, /options\.graphOptimizationLevel must be .*got 'max'/],
    [{ providerFallback: 'gpu' }, RangeError, /options\.providerFallback must be 'fail' or 'cpu'/],
    [{ executionProviders: [{ name: 'npu' }] }, RangeError, /executionProviders\[0\]\.name must be 'cpu', 'cuda' or 'tensorrt'/],
    [{ executionProviders: [{ name: 'cpu' }, { name: 'cuda' }] }, RangeError, /'cpu' must be the last entry/],
    [{ executionProviders: 'cpu' }, TypeError, /options\.executionProviders must be an array/],
    [{ executionProviders: [{ name: 'cuda', deviceId: 1.5 }] }, RangeError, /executionProviders\[0\]\.deviceId/],
    [[], TypeError, /options must be an object/],
  ];
  for (const [options, cls, re] of cases) {
    assert.throws(() => Session.load(path, options as never), (e: Error) => e.constructor === cls && re.test(e.message), JSON.stringify(options));
  }
});

test('provider helpers report the linked ONNX Runtime', () => {
  assert.ok(availableProviders().includes('CPUExecutionProvider'));
  assert.match(ortVersion(), /^\d+\.\d+\.\d+/);
});
