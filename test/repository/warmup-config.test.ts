// config.json's model_warmup (Triton's warm-up samples): validation messages, the typed form, and
// the plan built against a model's tensors (zeros, seeded random, files), with every mismatch
// naming its sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseModelConfig } from '../../src/repository/config.js';
import { configuredWarmupPlan } from '../../src/repository/warmup-samples.js';
import type { TensorMetadata } from '../../src/core/service.js';
import { buildModel } from '../fixtures/onnx-builder.js';
import { startTestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';

const sample = (inputs: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 's1', inputs, ...extra });

function rejects(raw: unknown, message: RegExp): void {
  assert.throws(() => parseModelConfig(raw, 'm'), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, message);
    return true;
  });
}

test('model_warmup: accepted forms become typed samples', () => {
  const cfg = parseModelConfig({
    max_batch_size: 8,
    model_warmup: [
      sample({ x: { data_type: 'TYPE_FP32', dims: [4], random_data: true } }, { batch_size: 8, count: 3 }),
      { name: 'from-file', inputs: { x: { data_type: 'FP32', dims: [4], input_data_file: 'x.bin' } } },
    ],
  }, 'm');
  assert.deepEqual(cfg.warmup.samples, [
    { name: 's1', batchSize: 8, count: 3, inputs: [{ name: 'x', datatype: 'FP32', dims: [4], source: { kind: 'random' } }] },
    { name: 'from-file', batchSize: 1, count: 1, inputs: [{ name: 'x', datatype: 'FP32', dims: [4], source: { kind: 'file', file: 'x.bin' } }] },
  ]);
  assert.deepEqual(parseModelConfig({}, 'm').warmup.samples, []);
});

test('model_warmup: every bad value names the sample path and what is expected', () => {
  rejects({ model_warmup: {} }, /model_warmup must be an array of warm-up samples/);
  rejects({ model_warmup: [{ inputs: { x: { data_type: 'FP32', dims: [1], zero_data: true } } }] }, /model_warmup\[0\]\.name is required/);
  rejects({ model_warmup: [sample({ x: { data_type: 'FP32', dims: [1] } })] }, /model_warmup\[0\]\.inputs\.x must be exactly one of zero_data, random_data, input_data_file/);
  rejects({ model_warmup: [sample({ x: { data_type: 'FP32', dims: [1], zero_data: true, random_data: true } })] }, /exactly one of/);
  rejects({ model_warmup: [sample({ x: { data_type: 'FP32', dims: [-1], zero_data: true } })] }, /dims must be fixed/);
  rejects({ model_warmup: [sample({ x: { data_type: 'FP32', dims: [1], input_data_file: '../etc/passwd' } })] }, /a plain file name in the model's warmup\/ folder/);
  rejects({ model_warmup: [sample({ x: { data_type: 'FP33', dims: [1], zero_data: true } })] }, /data_type must be a datatype/);
  rejects({ model_warmup: [sample({ x: { data_type: 'FP32', dims: [1], zero_data: true } }, { sizes: 1 })] }, /unknown key "model_warmup\[0\]\.sizes"/);
  rejects({ max_batch_size: 4, model_warmup: [sample({ x: { data_type: 'FP32', dims: [1], zero_data: true } }, { batch_size: 5 })] }, /batch_size must be in 1\.\.max_batch_size \(4\)/);
  rejects({ model_warmup: [sample({ x: { data_type: 'FP32', dims: [1], zero_data: true } }, { batch_size: 2 })] }, /0 or absent when max_batch_size is 0/);
  const dup = sample({ x: { data_type: 'FP32', dims: [1], zero_data: true } });
  rejects({ model_warmup: [dup, dup] }, /model_warmup\[1\]\.name must be unique/);
});

const META: TensorMetadata[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }, { name: 'ids', datatype: 'INT64', shape: [-1, 2] }];

test('the plan: shapes with the batch dim, zeros, seeded random, file bytes, count repeats', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infergate-warm-'));
  try {
    mkdirSync(join(dir, 'warmup'));
    const ids = new BigInt64Array([1n, 2n, 3n, 4n, 5n, 6n]);
    writeFileSync(join(dir, 'warmup', 'ids.bin'), new Uint8Array(ids.buffer));
    const cfg = parseModelConfig({ max_batch_size: 8, model_warmup: [
      sample({ x: { data_type: 'FP32', dims: [4], random_data: true }, ids: { data_type: 'INT64', dims: [2], input_data_file: 'ids.bin' } }, { batch_size: 3, count: 2 }),
    ] }, 'm');
    const plan = configuredWarmupPlan(cfg.warmup.samples, META, 8, dir);
    assert.equal(plan.required, true);
    assert.deepEqual(plan.labels, ['s1', 's1']);
    const [x, idsT] = plan.sets[0]!;
    assert.deepEqual(x!.shape, [3, 4]);
    const xs = new Float32Array(x!.buffer, x!.byteOffset, 12);
    assert.ok(xs.every((v) => v >= 0 && v < 1) && new Set(xs).size > 1, 'random floats in [0, 1)');
    const again = configuredWarmupPlan(cfg.warmup.samples, META, 8, dir).sets[0]![0]!;
    assert.deepEqual(new Float32Array(again.buffer, again.byteOffset, 12), xs, 'seeded: the same values every load');
    assert.deepEqual([...new BigInt64Array(idsT!.buffer.slice(idsT!.byteOffset, idsT!.byteOffset + idsT!.byteLength))], [...ids]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the plan: a sample that does not fit the model is refused, naming the sample', () => {
  const plan = (inputs: Record<string, unknown>, extra = {}) => {
    const cfg = parseModelConfig({ max_batch_size: 8, model_warmup: [sample(inputs, extra)] }, 'm');
    return () => configuredWarmupPlan(cfg.warmup.samples, META, 8, '/nonexistent');
  };
  const x = { data_type: 'FP32', dims: [4], zero_data: true };
  const ids = { data_type: 'INT64', dims: [2], zero_data: true };
  assert.throws(plan({ x }), /warm-up sample "s1": input "ids" is missing/);
  assert.throws(plan({ x, ids, extra: x }), /warm-up sample "s1": the model has no input "extra"/);
  assert.throws(plan({ x: { ...x, data_type: 'FP64' }, ids }), /input "x" is FP32 in the model, FP64 in the sample/);
  assert.throws(plan({ x: { ...x, dims: [5] }, ids }), /input "x" has shape \[1,5\], which does not fit the model's \[-1,4\]/);
  assert.throws(plan({ x, ids: { data_type: 'INT64', dims: [2], input_data_file: 'missing.bin' } }), /warm-up sample "s1": input "ids": .*missing\.bin/);
});

/** x float32[N,2] -> y = x + 1, with a config.json carrying `warmup` samples. */
function warmModel(repo: string, name: string, modelWarmup: unknown[]): void {
  const bytes = buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 2] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 2] }],
    initializers: [{ name: 'one', dtype: 'float32', dims: [1], data: new Float32Array([1]) }],
    nodes: [{ op: 'Add', inputs: ['x', 'one'], outputs: ['y'] }],
  });
  writeModel(repo, name, bytes, { max_batch_size: 8, warmup: { batch_sizes: [] }, model_warmup: modelWarmup });
}

test('through a gateway: a configured warm-up runs before READY, a failing one fails the load naming the sample', { timeout: 60_000 }, async () => {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-warm-gw-'));
  warmModel(repo, 'good', [{ name: 'eight-rows', batch_size: 8, count: 2, inputs: { x: { data_type: 'TYPE_FP32', dims: [2], random_data: true } } }]);
  warmModel(repo, 'bad', [{ name: 'wrong-width', inputs: { x: { data_type: 'FP32', dims: [3], zero_data: true } } }]);
  const gw = await startTestGateway(repo, { workers: 1 });
  try {
    assert.deepEqual(gw.manager.readyModels(), ['good']);
    const ready = await fetch(`${gw.url}/v2/models/bad/ready`);
    assert.equal(ready.status, 503);
    const index = await (await fetch(`${gw.url}/v2/repository/index`, { method: 'POST', body: '{}' })).json() as { name: string; state: string; reason: string }[];
    const bad = index.find((m) => m.name === 'bad');
    assert.equal(bad?.state, 'UNAVAILABLE');
    assert.match(bad?.reason ?? '', /warm-up sample "wrong-width": input "x" has shape \[1,3\]/);
    assert.ok(gw.logs.some((l) => l.startsWith('error') && l.includes('wrong-width')), 'the failed load is logged at error level');
    const config = await (await fetch(`${gw.url}/v2/models/good/config`)).json() as { model_warmup?: unknown[] };
    assert.deepEqual(config.model_warmup, [{ name: 'eight-rows', batch_size: 8, count: 2, inputs: { x: { data_type: 'FP32', dims: [2], random_data: true } } }]);
    const r = await fetch(`${gw.url}/v2/models/good/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }) });
    assert.deepEqual(((await r.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [2, 3]);
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
});
