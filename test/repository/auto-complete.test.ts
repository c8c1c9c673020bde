// Auto-complete's decision (src/repository/auto-complete.ts): which models get max_batch_size
// from --default-max-batch-size, which keep 0, and the reason each time; and the configuration
// the decision yields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAutoComplete, decideAutoComplete, maxBatchSizeSource, type AutoCompleteOptions } from '../../src/repository/auto-complete.js';
import { resolveModelConfig, type ModelConfig } from '../../src/repository/config.js';
import type { TensorMetadata } from '../../src/core/service.js';

const ON: AutoCompleteOptions = { enabled: true, defaultMaxBatchSize: 32 };
const t = (name: string, ...shape: number[]): TensorMetadata => ({ name, datatype: 'FP32', shape });
const RANKER = { inputs: [t('features', -1, 128)], outputs: [t('score', -1, 1)] };
const cfgOf = (config?: unknown): ModelConfig => resolveModelConfig({ modelName: 'm', config });

test('a model that sets no max_batch_size and whose tensors all have a dynamic first dim gets the default, with the reason', () => {
  const r = decideAutoComplete(cfgOf(), undefined, RANKER, ON);
  assert.equal(r.applied, true);
  assert.equal(r.explicit, false);
  assert.equal(r.maxBatchSize, 32);
  assert.match(r.reason, /no max_batch_size is set and every input and output has a dynamic first dim \(features\[-1,128\] score\[-1,1\]\): max_batch_size 32/);
  const done = applyAutoComplete(cfgOf(), r);
  assert.equal(done.maxBatchSize, 32);
  // The derived warm-up follows the completed size; the batching section keeps its defaults.
  assert.deepEqual(done.warmup.batchSizes, [1, 32]);
  assert.deepEqual(done.batching, cfgOf().batching);
});

test('a fixed, missing or scalar first dim anywhere keeps max_batch_size 0 and says which tensor', () => {
  const cases: [{ inputs: TensorMetadata[]; outputs: TensorMetadata[] }, RegExp][] = [
    [{ inputs: [t('x', 4, 128)], outputs: [t('y', -1, 1)] }, /input "x" has shape \[4,128\]: its first dim is fixed/],
    [{ inputs: [t('x', -1, 128)], outputs: [t('y', 1)] }, /output "y" has shape \[1\]: its first dim is fixed/],
    [{ inputs: [t('a', -1), t('b')], outputs: [t('y', -1)] }, /input "b" has no dims/],
    [{ inputs: [], outputs: [t('y', -1)] }, /the model has no inputs/],
  ];
  for (const [onnx, why] of cases) {
    const c = cfgOf();
    const r = decideAutoComplete(c, undefined, onnx, ON);
    assert.equal(r.applied, false);
    assert.equal(r.maxBatchSize, 0);
    assert.match(r.reason, why);
    assert.equal(applyAutoComplete(c, r), c, 'nothing completed: the same configuration');
  }
});

test('a max_batch_size set by any layer is kept, 0 included, and names the layer', () => {
  const names = { override: '--model-override m', config: 'm/config.json', serverDefaults: 'the server default (--max-batch-size)' };
  assert.equal(maxBatchSizeSource({}, names), undefined);
  assert.equal(maxBatchSizeSource({ config: { dynamic_batching: {} } }, names), undefined);
  assert.equal(maxBatchSizeSource({ config: { max_batch_size: 0 } }, names), 'm/config.json');
  assert.equal(maxBatchSizeSource({ config: { max_batch_size: 0 }, override: { max_batch_size: 4 } }, names), '--model-override m');
  assert.equal(maxBatchSizeSource({ serverDefaults: { max_batch_size: 1024 } }, names), 'the server default (--max-batch-size)');
  const r = decideAutoComplete(cfgOf({ max_batch_size: 0 }), 'm/config.json', RANKER, ON);
  assert.deepEqual(r, { applied: false, explicit: true, maxBatchSize: 0, reason: 'max_batch_size 0 is set by m/config.json' });
  assert.equal(decideAutoComplete(cfgOf({ max_batch_size: 8 }), 'm/config.json', RANKER, ON).maxBatchSize, 8);
});

test('--disable-auto-complete-config and --default-max-batch-size 0 turn it off', () => {
  const off = decideAutoComplete(cfgOf(), undefined, RANKER, { enabled: false, defaultMaxBatchSize: 32 });
  assert.equal(off.applied, false);
  assert.match(off.reason, /--disable-auto-complete-config/);
  const zero = decideAutoComplete(cfgOf(), undefined, RANKER, { enabled: true, defaultMaxBatchSize: 0 });
  assert.equal(zero.applied, false);
  assert.match(zero.reason, /--default-max-batch-size is 0/);
});

test('declared tensors: a fixed first dim keeps 0; a dynamic one is completed and loses its batch dim', () => {
  const fixed = cfgOf({ input: [{ name: 'features', data_type: 'FP32', dims: [2, 128] }] });
  const r = decideAutoComplete(fixed, undefined, RANKER, ON);
  assert.equal(r.applied, false);
  assert.match(r.reason, /config.json declares input "features" with dims \[2,128\]/);
  const dyn = cfgOf({ input: [{ name: 'features', data_type: 'FP32', dims: [-1, 128] }], output: [{ name: 'score', data_type: 'FP32', dims: [-1, 1] }] });
  const done = applyAutoComplete(dyn, decideAutoComplete(dyn, undefined, RANKER, ON));
  assert.equal(done.maxBatchSize, 32);
  assert.deepEqual(done.inputs, [{ name: 'features', datatype: 'FP32', dims: [128] }]);
  assert.deepEqual(done.outputs, [{ name: 'score', datatype: 'FP32', dims: [1] }]);
});

test('the completed size never exceeds the queue\'s row bound; configured warm-up samples keep 0', () => {
  const small = cfgOf({ dynamic_batching: { max_queue_rows: 16 } });
  assert.equal(decideAutoComplete(small, undefined, RANKER, ON).maxBatchSize, 16);
  assert.equal(applyAutoComplete(small, decideAutoComplete(small, undefined, RANKER, ON)).maxBatchSize, 16);
  const samples = cfgOf({ model_warmup: [{ name: 's', inputs: { features: { data_type: 'FP32', dims: [1, 128], zero_data: true } } }] });
  const r = decideAutoComplete(samples, undefined, RANKER, ON);
  assert.equal(r.applied, false);
  assert.match(r.reason, /model_warmup samples/);
});
