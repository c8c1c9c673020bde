// The settings tables: their rows are consistent with one another and with every layer that
// derives from them (the batcher, config.json validation, the CLI), and each default exists once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ALL_SETTINGS, BATCHING_SETTINGS, DECISIONS, RUNTIME_SETTINGS, SERVER_SETTINGS, decisionPath, formatDefault,
} from '../../src/core/settings/index.js';
import { DEFAULT_BATCHER_OPTIONS, resolveBatcherOptions } from '../../src/batching/options.js';
import { MODEL_DEFAULTS, OVERRIDABLE_KEYS, configPatch, mergeConfigLayers, parseModelConfig, validateConfigLayer } from '../../src/repository/config.js';
import { SERVE_OPTIONS } from '../../src/cli/options.js';
import { DEFAULT_INLINE } from '../../src/pool/inline.js';
import { DEFAULT_SPIN_US } from '../../src/pool/pool.js';
import { DEFAULT_SPIN_IN_FLIGHT } from '../../src/pool/execution-policy.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

test('every row: unique names; the flag, the environment variable and the key follow one convention', () => {
  const keys = ALL_SETTINGS.map((s) => s.key);
  assert.equal(new Set(keys).size, keys.length, 'keys are unique across tables');
  for (const s of ALL_SETTINGS) {
    assert.ok(s.help !== '' && !s.help.includes('\n'), `${s.key}: help is one line`);
    assert.doesNotMatch(s.help, /measured/i, `${s.key}: measurements belong in a decision record`);
    if (s.flag === undefined) {
      assert.equal(s.env, undefined, `${s.key}: no flag, no environment variable`);
      assert.ok(s.configKey !== undefined, `${s.key}: a setting without a flag lives in config.json`);
      continue;
    }
    assert.equal(s.key, camel(s.flag), `${s.key}: the config file key is the flag in camelCase`);
    assert.equal(s.env, `INFERGATE_${s.flag.toUpperCase().replace(/-/g, '_')}`);
    assert.ok(!['sizes', 'providers'].includes(s.kind.type), `${s.key}: a flag takes a scalar`);
  }
});

test('every per-model row is a config.json key, and every config.json leaf key is a row', () => {
  const rowKeys = ALL_SETTINGS.flatMap((s) => (s.configKey === undefined ? [] : [s.configKey]));
  const leaves = OVERRIDABLE_KEYS.filter((k) => k.includes('.') || k === 'max_batch_size');
  assert.deepEqual([...rowKeys].sort(), [...leaves].sort());
});

test('every row\'s own default passes its own validation (batcher and config.json)', () => {
  let layer = {};
  for (const s of ALL_SETTINGS) {
    if (s.configKey === undefined || s.default === undefined || typeof s.default === 'string' && s.key === 'defaultPriorityLevel') continue;
    layer = mergeConfigLayers(layer, configPatch(s.configKey.split('.'), s.default));
  }
  // max_batch_size 0 forbids a non-empty warm-up set: the default set is derived, so it is absent.
  assert.doesNotThrow(() => parseModelConfig(validateConfigLayer(layer, 'defaults'), 'm'));
  assert.doesNotThrow(() => resolveBatcherOptions({ ...DEFAULT_BATCHER_OPTIONS }));
});

test('one default per setting: the batcher, the model config, the pool and the CLI all take the row\'s', () => {
  const model = parseModelConfig({}, 'm');
  assert.deepEqual({ ...DEFAULT_BATCHER_OPTIONS, preferredBatchSizes: [...DEFAULT_BATCHER_OPTIONS.preferredBatchSizes] },
    { ...model.batching, maxBatchSize: model.maxBatchSize });
  assert.equal(DEFAULT_BATCHER_OPTIONS.maxQueueDelayUs, BATCHING_SETTINGS.maxQueueDelayUs.default);
  assert.equal(DEFAULT_BATCHER_OPTIONS.maxQueueRows, BATCHING_SETTINGS.maxQueueRows.default);
  assert.equal(DEFAULT_BATCHER_OPTIONS.maxBatchSize, BATCHING_SETTINGS.maxBatchSize.default);
  // The relative default priority level follows the number of levels, in both layers.
  assert.equal(resolveBatcherOptions({ priorityLevels: 4 }).defaultPriorityLevel, 4);
  assert.equal(parseModelConfig({ dynamic_batching: { priority_levels: 4 } }, 'm').batching.defaultPriorityLevel, 4);
  assert.equal(MODEL_DEFAULTS.intraOpThreads, RUNTIME_SETTINGS.intraOpThreads.default);
  assert.deepEqual(model.runtime.executionProviders, [{ name: 'cpu' }]);
  assert.deepEqual(DEFAULT_INLINE, { maxRows: SERVER_SETTINGS.inlineMaxRows.default, maxComputeUs: SERVER_SETTINGS.inlineMaxComputeUs.default });
  assert.equal(DEFAULT_SPIN_US, SERVER_SETTINGS.spinUs.default);
  assert.equal(DEFAULT_SPIN_IN_FLIGHT, SERVER_SETTINGS.spinInFlight.default);
});

test('the CLI options are the rows with a flag, in table order, with the row\'s kind and default', () => {
  assert.deepEqual(SERVE_OPTIONS.map((o) => o.key), ALL_SETTINGS.filter((s) => s.flag !== undefined).map((s) => s.key));
  for (const o of SERVE_OPTIONS) {
    const s = ALL_SETTINGS.find((x) => x.key === o.key)!;
    assert.equal(o.kind, s.kind);
    assert.equal(o.modelKey, s.configKey);
    assert.ok(o.defaultText.startsWith(s.defaultText), o.key);
  }
  assert.equal(formatDefault({ type: 'bytes', min: 1, max: 1 }, 64 * 1024 * 1024), '64MiB');
});

test('every decision a row cites has its record', () => {
  for (const s of ALL_SETTINGS) {
    if (s.decision === undefined) continue;
    assert.ok(s.decision in DECISIONS, `${s.key}: decision ${s.decision} is not listed`);
  }
  for (const n of Object.keys(DECISIONS)) assert.ok(existsSync(ROOT + decisionPath(n)), `${decisionPath(n)} is missing`);
});
