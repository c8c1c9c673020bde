// Execution providers: the documented behaviour when CUDA/TensorRT cannot be used, and (on a
// machine with a GPU and a GPU build of ORT) the CUDA path with pinned staging + IoBinding.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Session, type ProviderSpec } from '../../src/runtime/index.js';
import { buildModel, seededFloat32 } from '../fixtures/onnx-builder.js';
import { identityModel, modelFile } from '../fixtures/runtime-models.js';
import { cudaUnavailableReason } from '../helpers/gpu.js';

const CUDA_MISSING = cudaUnavailableReason();

// Where a GPU provider works, an absurd device id makes it unusable instead.
const unusable = (spec: ProviderSpec): ProviderSpec =>
  (CUDA_MISSING === undefined ? ({ ...spec, deviceId: 999 } as ProviderSpec) : spec);

for (const gpu of [{ name: 'cuda' }, { name: 'tensorrt', fp16: true, engineCacheDir: '/tmp/infergate-trt' }] as ProviderSpec[]) {
  test(`${gpu.name} unavailable: 'fail' throws ORT's reason, 'cpu' falls back and says why`, () => {
    const path = identityModel('float32');
    const why = new RegExp(`execution provider '${gpu.name}' is unavailable: .+|GPU session failed to start \\(.+\\)`);
    assert.throws(() => Session.load(path, { executionProviders: [unusable(gpu)], providerFallback: 'fail' }), (e: Error & { code?: string }) =>
      e.constructor === Error && e.code === 'IG_MODEL_LOAD_FAILED' && why.test(e.message));
    const s = Session.load(path, { executionProviders: [unusable(gpu), { name: 'cpu' }], providerFallback: 'cpu' });
    try {
      const d = s.describe();
      assert.deepEqual(d.providers, ['cpu']);
      assert.match(d.fallbackReason ?? '', why);
      const out = s.runSync({ x: { dtype: 'float32', shape: [1, 3], data: new Float32Array([1, 2, 3]) } });
      assert.deepEqual(Array.from(out.y!.data as Float32Array), [1, 2, 3]);
    } finally {
      s.unload();
    }
  });
}

// A small ranker-shaped MLP: x float32[N,16] -> Gemm 32 -> Relu -> Gemm 1 -> Sigmoid.
const mlpModel = (): string =>
  modelFile('mlp-16-32-1', () => ({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 16] }],
    outputs: [{ name: 'score', dtype: 'float32', shape: ['N', 1] }],
    initializers: [
      { name: 'w1', dtype: 'float32', dims: [16, 32], data: seededFloat32(16 * 32, 21, 0.25) },
      { name: 'b1', dtype: 'float32', dims: [32], data: seededFloat32(32, 22, 0.1) },
      { name: 'w2', dtype: 'float32', dims: [32, 1], data: seededFloat32(32, 23, 0.25) },
      { name: 'b2', dtype: 'float32', dims: [1], data: seededFloat32(1, 24, 0.1) },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'] },
      { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
      { op: 'Gemm', inputs: ['hr', 'w2', 'b2'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['score'] },
    ],
  }));

test('GPU only: CUDA runs through pinned staging + IoBinding and matches the CPU', async (t: TestContext) => {
  if (CUDA_MISSING !== undefined) {
    console.log(`# GPU test skipped: ${CUDA_MISSING}`);
    t.skip(CUDA_MISSING);
    return;
  }
  const cpu = Session.load(mlpModel());
  const gpu = Session.load(mlpModel(), { executionProviders: [{ name: 'cuda', deviceId: 0 }], providerFallback: 'fail' });
  try {
    assert.deepEqual(gpu.describe().providers, ['cuda', 'cpu']);
    for (const n of [1, 7, 200]) {
      const x = { x: { dtype: 'float32' as const, shape: [n, 16], data: seededFloat32(n * 16, n) } };
      const want = cpu.runSync(x).score!.data as Float32Array;
      const sync = gpu.runSync(x).score!.data as Float32Array;
      const buf = new Float32Array(n);
      const async_ = await gpu.run(x, { outputBuffers: { score: buf } });
      assert.equal(async_.score!.data, buf);
      for (let i = 0; i < n; i++) {
        assert.ok(Math.abs(sync[i]! - want[i]!) < 1e-4 && Math.abs(buf[i]! - want[i]!) < 1e-4, `row ${i} of ${n}`);
      }
    }
    // Many concurrent runs share the pinned buffer pool.
    const many = await Promise.all(Array.from({ length: 32 }, (_, i) => gpu.run({ x: { dtype: 'float32', shape: [2, 16], data: seededFloat32(32, 100 + i) } })));
    assert.equal(many.length, 32);
  } finally {
    cpu.unload();
    gpu.unload();
  }
});

test('a model given as bytes with a GPU provider list still loads under the cpu fallback', () => {
  const bytes = buildModel({
    inputs: [{ name: 'x', dtype: 'int32', shape: [null] }],
    outputs: [{ name: 'y', dtype: 'int32', shape: [null] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
  const s = Session.load(bytes, { executionProviders: [{ name: 'cuda' }], providerFallback: 'cpu' });
  try {
    const out = s.runSync({ x: { dtype: 'int32', shape: [2], data: new Int32Array([4, 5]) } });
    assert.deepEqual(Array.from(out.y!.data as Int32Array), [4, 5]);
    assert.equal(s.describe().providers.at(-1), 'cpu');
  } finally {
    s.unload();
  }
});
