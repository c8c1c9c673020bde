// Model config.json: defaults, every validation rule and its message, the precedence layers,
// the round trip through toConfigJson, overrides, and the override key paths the CLI uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError, MODEL_DEFAULTS, type ModelConfig, OVERRIDABLE_KEYS, applyOverrides, closestConfigKey, closestName,
  configKeyPath, configPatch, defaultWarmupBatchSizes, formatGot, mergeConfigLayers, parseConfigJsonText,
  parseModelConfig, resolveModelConfig, toConfigJson, validateConfigLayer,
} from '../../src/repository/config.js';
import { type BatcherOptions, resolveBatcherOptions } from '../../src/batching/options.js';

const DEFAULT_CONFIG: ModelConfig = {
  name: 'ranker',
  platform: 'onnxruntime_onnx',
  maxBatchSize: 0,
  versionPolicy: { kind: 'latest', numVersions: 1 },
  batching: {
    maxQueueDelayUs: 500, preferredBatchSizes: [], maxQueueSize: 4096, maxQueueRows: 262144, defaultTimeoutUs: 0,
    priorityLevels: 2, defaultPriorityLevel: 2, preserveOrdering: false, oversizePolicy: 'split', shedStatus: 503, retryAfterS: 1,
  },
  runtime: {
    executionProviders: [{ name: 'cpu' }], intraOpThreads: 1, interOpThreads: 1, allowSpinning: false,
    graphOptimizationLevel: 'all', providerFallback: 'fail',
  },
  warmup: { batchSizes: [], samples: [] },
  concurrencyLimit: { mode: 'off', initialLimit: 2, minLimit: 1, maxLimit: 100, latencyTolerancePercent: 50 },
};

/** Asserts that parsing `raw` as ranker/config.json throws ConfigError with exactly `message`. */
function rejects(raw: unknown, message: string): void {
  assert.throws(() => parseModelConfig(raw, 'ranker'), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

test('a model without config.json gets every default', () => {
  assert.deepEqual(parseModelConfig(undefined, 'ranker'), DEFAULT_CONFIG);
  assert.deepEqual(parseModelConfig({}, 'ranker'), DEFAULT_CONFIG);
  assert.equal(DEFAULT_CONFIG.batching.maxQueueDelayUs, MODEL_DEFAULTS.maxQueueDelayUs);
});

test('a full config.json maps every key', () => {
  const cfg = parseModelConfig({
    name: 'ranker', platform: 'onnxruntime_onnx', max_batch_size: 1024,
    input: [{ name: 'features', data_type: 'TYPE_FP32', dims: [128] }],
    output: [{ name: 'score', data_type: 'FP32', dims: [-1, 1] }, { name: 'ids', data_type: 'TYPE_STRING', dims: [] }],
    version_policy: { all: {} },
    dynamic_batching: {
      max_queue_delay_microseconds: 200, preferred_batch_size: [256, 64], max_queue_size: 100, max_queue_rows: 2048,
      default_timeout_microseconds: 5000, priority_levels: 3, default_priority_level: 1, preserve_ordering: true,
      oversize_policy: 'reject', shed_status: 429, retry_after_seconds: 5,
    },
    runtime: {
      execution_providers: [
        { name: 'tensorrt', device_id: 1, fp16: true, engine_cache_dir: '/cache', options: { trt_max_workspace_size: 1073741824 } },
        { name: 'cuda', options: { gpu_mem_limit: '2147483648', do_copy_in_default_stream: true } },
        { name: 'cpu' },
      ],
      intra_op_threads: 2, inter_op_threads: 0, allow_spinning: true, graph_optimization_level: 'basic', provider_fallback: 'cpu',
    },
    warmup: { batch_sizes: [1024, 1] },
  }, 'ranker');
  assert.deepEqual(cfg, {
    name: 'ranker', platform: 'onnxruntime_onnx', maxBatchSize: 1024,
    inputs: [{ name: 'features', datatype: 'FP32', dims: [128] }],
    outputs: [{ name: 'score', datatype: 'FP32', dims: [-1, 1] }, { name: 'ids', datatype: 'BYTES', dims: [] }],
    versionPolicy: { kind: 'all' },
    batching: {
      maxQueueDelayUs: 200, preferredBatchSizes: [64, 256], maxQueueSize: 100, maxQueueRows: 2048, defaultTimeoutUs: 5000,
      priorityLevels: 3, defaultPriorityLevel: 1, preserveOrdering: true, oversizePolicy: 'reject', shedStatus: 429, retryAfterS: 5,
    },
    runtime: {
      executionProviders: [
        { name: 'tensorrt', deviceId: 1, fp16: true, engineCacheDir: '/cache', options: { trt_max_workspace_size: '1073741824' } },
        { name: 'cuda', deviceId: 0, options: { gpu_mem_limit: '2147483648', do_copy_in_default_stream: 'true' } },
        { name: 'cpu' },
      ],
      intraOpThreads: 2, interOpThreads: 0, allowSpinning: true, graphOptimizationLevel: 'basic', providerFallback: 'cpu',
    },
    warmup: { batchSizes: [1, 1024], samples: [] },
    concurrencyLimit: DEFAULT_CONFIG.concurrencyLimit,
  });
});

test('derived defaults: warm-up set, default priority level, provider fields', () => {
  const cfg = parseModelConfig({ max_batch_size: 64, dynamic_batching: { preferred_batch_size: [16, 8], priority_levels: 4 },
    runtime: { execution_providers: [{ name: 'tensorrt' }] } }, 'ranker');
  assert.deepEqual(cfg.warmup.batchSizes, [1, 8, 16, 64]);
  assert.equal(cfg.batching.defaultPriorityLevel, 4, 'untagged traffic takes the lowest level');
  assert.deepEqual(cfg.runtime.executionProviders, [{ name: 'tensorrt', deviceId: 0, fp16: false, options: {} }]);
  assert.deepEqual(defaultWarmupBatchSizes(0, []), []);
  assert.deepEqual(defaultWarmupBatchSizes(1, []), [1]);
  assert.deepEqual(parseModelConfig({ max_batch_size: 8, warmup: { batch_sizes: [] } }, 'ranker').warmup.batchSizes, []);
});

test('Triton-style digit strings are accepted for integers', () => {
  const cfg = parseModelConfig({ max_batch_size: '8', dynamic_batching: { max_queue_delay_microseconds: '100' },
    input: [{ name: 'x', data_type: 'TYPE_INT64', dims: ['-1', '4'] }] }, 'ranker');
  assert.equal(cfg.maxBatchSize, 8);
  assert.equal(cfg.batching.maxQueueDelayUs, 100);
  assert.deepEqual(cfg.inputs, [{ name: 'x', datatype: 'INT64', dims: [-1, 4] }]);
});

test('the defaults pass the batcher\'s own validation unchanged', () => {
  for (const raw of [undefined, { max_batch_size: 1024, dynamic_batching: { preferred_batch_size: [64] } }]) {
    const cfg = parseModelConfig(raw, 'ranker');
    const input: BatcherOptions = { maxBatchSize: cfg.maxBatchSize, ...cfg.batching };
    assert.deepEqual({ ...resolveBatcherOptions(input) }, { ...input });
  }
});

test('every bad value names file, key, expectation and value', () => {
  const f = 'ranker/config.json';
  const cases: [unknown, string][] = [
    [[1], `${f}: config must be a JSON object (got [1])`],
    [{ name: '' }, `${f}: name must be a non-empty string (got "")`],
    [{ platform: 'tensorflow' }, `${f}: platform must be one of "onnxruntime_onnx" (got "tensorflow")`],
    [{ max_batch_size: -1 }, `${f}: max_batch_size must be a non-negative integer (got -1)`],
    [{ max_batch_size: 1.5 }, `${f}: max_batch_size must be a non-negative integer (got 1.5)`],
    [{ max_batch_size: '8x' }, `${f}: max_batch_size must be a non-negative integer (got "8x")`],
    [{ dynamic_batching: [] }, `${f}: dynamic_batching must be a JSON object (got [])`],
    [{ dynamic_batching: { max_queue_delay_microseconds: -5 } },
      `${f}: dynamic_batching.max_queue_delay_microseconds must be a non-negative integer (got -5)`],
    [{ dynamic_batching: { preferred_batch_size: [4, 4] } },
      `${f}: dynamic_batching.preferred_batch_size must be an array of distinct positive integers (got [4,4])`],
    [{ dynamic_batching: { preferred_batch_size: [0] } },
      `${f}: dynamic_batching.preferred_batch_size must be an array of distinct positive integers (got [0])`],
    [{ dynamic_batching: { preferred_batch_size: 4 } },
      `${f}: dynamic_batching.preferred_batch_size must be an array of distinct positive integers (got 4)`],
    [{ dynamic_batching: { max_queue_size: 0 } }, `${f}: dynamic_batching.max_queue_size must be a positive integer (got 0)`],
    [{ dynamic_batching: { max_queue_rows: null } }, `${f}: dynamic_batching.max_queue_rows must be a positive integer (got null)`],
    [{ dynamic_batching: { default_timeout_microseconds: true } },
      `${f}: dynamic_batching.default_timeout_microseconds must be a non-negative integer (got true)`],
    [{ dynamic_batching: { priority_levels: 0 } }, `${f}: dynamic_batching.priority_levels must be an integer in 1..255 (got 0)`],
    [{ dynamic_batching: { default_priority_level: 0 } }, `${f}: dynamic_batching.default_priority_level must be a positive integer (got 0)`],
    [{ dynamic_batching: { preserve_ordering: 'yes' } }, `${f}: dynamic_batching.preserve_ordering must be true or false (got "yes")`],
    [{ dynamic_batching: { oversize_policy: 'drop' } },
      `${f}: dynamic_batching.oversize_policy must be one of "split", "reject" (got "drop")`],
    [{ dynamic_batching: { shed_status: 500 } }, `${f}: dynamic_batching.shed_status must be one of 503, 429 (got 500)`],
    [{ dynamic_batching: { shed_status: '429' } }, `${f}: dynamic_batching.shed_status must be one of 503, 429 (got "429")`],
    [{ dynamic_batching: { retry_after_seconds: -1 } },
      `${f}: dynamic_batching.retry_after_seconds must be an integer in 0..86400 (got -1)`],
    [{ runtime: { intra_op_threads: 2000 } },
      `${f}: runtime.intra_op_threads must be an integer in 0..1024 (0 = ORT decides) (got 2000)`],
    [{ runtime: { inter_op_threads: -1 } }, `${f}: runtime.inter_op_threads must be an integer in 0..1024 (0 = ORT decides) (got -1)`],
    [{ runtime: { allow_spinning: 1 } }, `${f}: runtime.allow_spinning must be true or false (got 1)`],
    [{ runtime: { graph_optimization_level: 'max' } },
      `${f}: runtime.graph_optimization_level must be one of "disabled", "basic", "extended", "all" (got "max")`],
    [{ runtime: { provider_fallback: 'gpu' } }, `${f}: runtime.provider_fallback must be one of "fail", "cpu" (got "gpu")`],
    [{ warmup: { batch_sizes: [1, 1] } },
      `${f}: warmup.batch_sizes must be an array of distinct positive integers ([] = no warm-up) (got [1,1])`],
  ];
  for (const [raw, message] of cases) rejects(raw, message);
});

test('tensor lists: required keys, datatypes, dims, unique names', () => {
  const f = 'ranker/config.json';
  rejects({ input: [] }, `${f}: input must be a non-empty array of {name, data_type, dims} (got [])`);
  rejects({ output: {} }, `${f}: output must be a non-empty array of {name, data_type, dims} (got {})`);
  rejects({ input: ['x'] }, `${f}: input[0] must be a JSON object (got "x")`);
  rejects({ input: [{ name: 'x', dims: [1] }] }, `${f}: input[0].data_type is required`);
  rejects({ input: [{ name: 'x', data_type: 'TYPE_BF16', dims: [1] }] }, `${f}: input[0].data_type must be a datatype `
    + '(BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES; a "TYPE_" prefix is accepted) (got "TYPE_BF16")');
  rejects({ input: [{ name: 'x', data_type: 'FP32', dims: [0] }] },
    `${f}: input[0].dims must be an array of integers, each >= 1 or -1 (dynamic) (got [0])`);
  rejects({ input: [{ name: 'x', data_type: 'FP32', dims: [-2] }] },
    `${f}: input[0].dims must be an array of integers, each >= 1 or -1 (dynamic) (got [-2])`);
  rejects({ input: [{ name: 'x', data_type: 'FP32', dims: [1] }, { name: 'x', data_type: 'FP32', dims: [1] }] },
    `${f}: input[1].name must be unique (got "x")`);
  rejects({ input: [{ name: 'x', data_type: 'FP32', dims: [1], format: 'FORMAT_NCHW' }] },
    `${f}: unknown key "input[0].format" (known keys: name, data_type, dims)`);
});

test('unknown keys are errors with a suggestion when one is close', () => {
  const f = 'ranker/config.json';
  rejects({ max_batch: 8 }, `${f}: unknown key "max_batch" (did you mean "max_batch_size"?)`);
  rejects({ dynamic_batching: { max_queue_delay_microsecond: 5 } },
    `${f}: unknown key "dynamic_batching.max_queue_delay_microsecond" (did you mean "max_queue_delay_microseconds"?)`);
  rejects({ warmup: { zzz: 1 } }, `${f}: unknown key "warmup.zzz" (known keys: batch_sizes)`);
  rejects({ runtime: { execution_providers: [{ name: 'cpu', device_id: 0 }] } },
    `${f}: unknown key "runtime.execution_providers[0].device_id" (known keys: name)`);
  rejects({ runtime: { execution_providers: [{ name: 'cuda', fp16: true }] } },
    `${f}: unknown key "runtime.execution_providers[0].fp16" (known keys: name, device_id, options)`);
});

test('execution providers: names, order, duplicates, options', () => {
  const f = 'ranker/config.json';
  const eps = (list: unknown): unknown => ({ runtime: { execution_providers: list } });
  rejects(eps([]), `${f}: runtime.execution_providers must be a non-empty array of providers (got [])`);
  rejects(eps([{ name: 'rocm' }]), `${f}: runtime.execution_providers[0].name must be one of "cpu", "cuda", "tensorrt" (got "rocm")`);
  rejects(eps([{}]), `${f}: runtime.execution_providers[0].name must be one of "cpu", "cuda", "tensorrt" (got nothing)`);
  rejects(eps([{ name: 'cpu' }, { name: 'cuda' }]),
    `${f}: runtime.execution_providers[0].name must be last when "cpu" (providers after it are never used) (got "cpu")`);
  rejects(eps([{ name: 'cuda' }, { name: 'cuda', device_id: 1 }]), `${f}: runtime.execution_providers[1].name must be listed once (got "cuda")`);
  rejects(eps([{ name: 'cuda', device_id: -1 }]), `${f}: runtime.execution_providers[0].device_id must be a non-negative integer (got -1)`);
  rejects(eps([{ name: 'cuda', options: [] }]), `${f}: runtime.execution_providers[0].options must be an object of string values (got [])`);
  rejects(eps([{ name: 'cuda', options: { a: null } }]),
    `${f}: runtime.execution_providers[0].options.a must be a string, number or boolean (got null)`);
  rejects(eps([{ name: 'tensorrt', engine_cache_dir: '' }]),
    `${f}: runtime.execution_providers[0].engine_cache_dir must be a non-empty string (got "")`);
});

test('version policies', () => {
  const vp = (raw: unknown) => parseModelConfig({ version_policy: raw }, 'ranker').versionPolicy;
  assert.deepEqual(vp({ latest: { num_versions: 3 } }), { kind: 'latest', numVersions: 3 });
  assert.deepEqual(vp({ latest: {} }), { kind: 'latest', numVersions: 1 });
  assert.deepEqual(vp({ all: {} }), { kind: 'all' });
  assert.deepEqual(vp({ specific: { versions: [3, 1] } }), { kind: 'specific', versions: [1, 3] });
  const f = 'ranker/config.json';
  const one = 'an object with exactly one of "latest", "all", "specific"';
  rejects({ version_policy: {} }, `${f}: version_policy must be ${one} (got {})`);
  rejects({ version_policy: { all: {}, latest: {} } }, `${f}: version_policy must be ${one} (got {"all":{},"latest":{}})`);
  rejects({ version_policy: { newest: {} } }, `${f}: unknown key "version_policy.newest" (known keys: latest, all, specific)`);
  rejects({ version_policy: { latest: { num_versions: 0 } } }, `${f}: version_policy.latest.num_versions must be a positive integer (got 0)`);
  rejects({ version_policy: { all: { x: 1 } } }, `${f}: unknown key "version_policy.all.x" (no keys allowed here)`);
  rejects({ version_policy: { specific: { versions: [] } } },
    `${f}: version_policy.specific.versions must be a non-empty array of distinct positive integers (got [])`);
  rejects({ version_policy: { specific: {} } },
    `${f}: version_policy.specific.versions must be a non-empty array of distinct positive integers (got nothing)`);
  rejects({ version_policy: { specific: { versions: [0] } } },
    `${f}: version_policy.specific.versions must be a non-empty array of distinct positive integers (got [0])`);
});

test('cross-field rules', () => {
  const f = 'ranker/config.json';
  rejects({ name: 'other' }, `${f}: name must be the model directory's name "ranker" (got "other")`);
  rejects({ dynamic_batching: { preferred_batch_size: [4] } },
    `${f}: dynamic_batching.preferred_batch_size must be empty when max_batch_size is 0 (no batching) (got [4])`);
  rejects({ max_batch_size: 8, dynamic_batching: { preferred_batch_size: [4, 16] } },
    `${f}: dynamic_batching.preferred_batch_size must be an array of sizes in 1..max_batch_size (8) (got [4,16])`);
  rejects({ max_batch_size: 8, warmup: { batch_sizes: [9] } },
    `${f}: warmup.batch_sizes must be an array of sizes in 1..max_batch_size (8) (got [9])`);
  rejects({ warmup: { batch_sizes: [1] } }, `${f}: warmup.batch_sizes must be empty when max_batch_size is 0 (no batching) (got [1])`);
  rejects({ dynamic_batching: { priority_levels: 2, default_priority_level: 3 } },
    `${f}: dynamic_batching.default_priority_level must be an integer in 1..priority_levels (2) (got 3)`);
  rejects({ max_batch_size: 1024, dynamic_batching: { max_queue_rows: 512 } },
    `${f}: dynamic_batching.max_queue_rows must be >= max_batch_size (1024) (got 512)`);
  assert.equal(parseModelConfig({ name: 'ranker' }, 'ranker').name, 'ranker');
});

test('layers: server defaults < config.json < override, each error naming its layer', () => {
  const cfg = resolveModelConfig({
    modelName: 'ranker',
    serverDefaults: { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 100, max_queue_size: 10 }, runtime: { intra_op_threads: 2 } },
    config: { dynamic_batching: { max_queue_delay_microseconds: 300 }, runtime: { allow_spinning: true } },
    override: { dynamic_batching: { max_queue_delay_microseconds: 50 } },
  });
  assert.equal(cfg.maxBatchSize, 64, 'server default applies where config.json is silent');
  assert.equal(cfg.batching.maxQueueSize, 10);
  assert.equal(cfg.batching.maxQueueDelayUs, 50, 'override beats config.json beats server default');
  assert.equal(cfg.runtime.intraOpThreads, 2, 'sections merge key by key');
  assert.equal(cfg.runtime.allowSpinning, true);
  assert.equal(resolveModelConfig({ modelName: 'ranker', serverDefaults: { max_batch_size: 64 }, config: { max_batch_size: 0 } }).maxBatchSize, 0);

  assert.throws(() => resolveModelConfig({ modelName: 'ranker', serverDefaults: { max_batch_size: -1 } }),
    { message: 'server defaults: max_batch_size must be a non-negative integer (got -1)' });
  assert.throws(() => resolveModelConfig({ modelName: 'ranker', override: { dynamic_batching: { max_queue_size: 0 } } }),
    { message: '--model-override ranker: dynamic_batching.max_queue_size must be a positive integer (got 0)' });
  // A cross-field conflict between layers names the model, not a file that may be innocent.
  assert.throws(() => resolveModelConfig({ modelName: 'ranker', config: { dynamic_batching: { preferred_batch_size: [64] } },
    override: { max_batch_size: 32 } }),
  { message: 'model "ranker": dynamic_batching.preferred_batch_size must be an array of sizes in 1..max_batch_size (32) (got [64])' });
  // Arrays and version_policy are replaced whole, not merged.
  const merged = mergeConfigLayers({ version_policy: { all: {} }, dynamic_batching: { preferred_batch_size: [1, 2] } },
    { version_policy: { latest: {} }, dynamic_batching: { preferred_batch_size: [4] } });
  assert.deepEqual(merged, { version_policy: { latest: {} }, dynamic_batching: { preferred_batch_size: [4] } });
});

test('toConfigJson round-trips through resolveModelConfig', () => {
  const configs: unknown[] = [
    undefined,
    { max_batch_size: 16, dynamic_batching: { preferred_batch_size: [4], priority_levels: 3, default_priority_level: 1 } },
    { max_batch_size: 8, warmup: { batch_sizes: [2] }, version_policy: { specific: { versions: [2, 5] } },
      input: [{ name: 'a', data_type: 'TYPE_FP16', dims: [-1] }], output: [{ name: 'b', data_type: 'BOOL', dims: [3] }],
      runtime: { execution_providers: [{ name: 'tensorrt', engine_cache_dir: '/c' }, { name: 'cuda', device_id: 1 }, { name: 'cpu' }] } },
    { version_policy: { all: {} } },
    { max_batch_size: 8, model_warmup: [{ name: 's', batch_size: 4, count: 2, inputs: { x: { data_type: 'FP32', dims: [3], random_data: true } } }] },
  ];
  for (const raw of configs) {
    const cfg = parseModelConfig(raw, 'ranker');
    assert.deepEqual(parseModelConfig(toConfigJson(cfg), 'ranker'), cfg);
  }
  // Derived values stay derived, so they follow what they derive from.
  const json = toConfigJson(parseModelConfig({ max_batch_size: 8 }, 'ranker'));
  assert.equal(json.warmup, undefined);
  assert.equal(json.dynamic_batching?.default_priority_level, undefined);
});

test('applyOverrides patches a typed config and re-validates', () => {
  const base = parseModelConfig({ max_batch_size: 8, dynamic_batching: { preferred_batch_size: [4] } }, 'ranker');
  const cfg = applyOverrides(base, { max_batch_size: 32, dynamic_batching: { max_queue_delay_microseconds: 200 } });
  assert.equal(cfg.maxBatchSize, 32);
  assert.equal(cfg.batching.maxQueueDelayUs, 200);
  assert.deepEqual(cfg.batching.preferredBatchSizes, [4]);
  assert.deepEqual(cfg.warmup.batchSizes, [1, 4, 32], 'the warm-up set follows the new max batch size');
  assert.equal(base.maxBatchSize, 8, 'the input is not modified');
  assert.throws(() => applyOverrides(base, { dynamic_batching: { shed_status: 404 } }),
    { message: 'override for "ranker": dynamic_batching.shed_status must be one of 503, 429 (got 404)' });
  assert.throws(() => applyOverrides(base, { max_batch_size: 2 }),
    { message: 'model "ranker": dynamic_batching.preferred_batch_size must be an array of sizes in 1..max_batch_size (2) (got [4])' });
});

test('override key paths', () => {
  assert.deepEqual(configKeyPath('max_queue_delay_microseconds'), ['dynamic_batching', 'max_queue_delay_microseconds']);
  assert.deepEqual(configKeyPath('dynamic_batching.max_queue_delay_microseconds'), ['dynamic_batching', 'max_queue_delay_microseconds']);
  assert.deepEqual(configKeyPath('max_batch_size'), ['max_batch_size']);
  assert.deepEqual(configKeyPath('intra_op_threads'), ['runtime', 'intra_op_threads']);
  assert.deepEqual(configKeyPath('runtime'), ['runtime']);
  assert.equal(configKeyPath('name'), undefined, 'the name is the directory\'s, never overridden');
  assert.equal(configKeyPath('runtime.max_batch_size'), undefined);
  assert.equal(configKeyPath('max_queue_delay_us'), undefined);
  assert.equal(closestConfigKey('max_queue_delay_microsecond'), 'max_queue_delay_microseconds');
  assert.ok(OVERRIDABLE_KEYS.includes('warmup.batch_sizes'));
  assert.deepEqual(configPatch(['runtime', 'intra_op_threads'], 2), { runtime: { intra_op_threads: 2 } });
  // Every key path is known to the layer validator (a bad value fails on its value, not its key).
  for (const key of OVERRIDABLE_KEYS) {
    assert.throws(() => validateConfigLayer(configPatch(configKeyPath(key)!, Symbol.for('x')), 'x'),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('unknown key'));
  }
});

test('helpers: JSON text, suggestions, value formatting', () => {
  assert.deepEqual(parseConfigJsonText('{"max_batch_size": 4}', 'm/config.json'), { max_batch_size: 4 });
  assert.throws(() => parseConfigJsonText('{"max_batch_size": }', 'm/config.json'), (e: unknown) =>
    e instanceof ConfigError && e.message.startsWith('m/config.json: invalid JSON ('));
  assert.equal(closestName('prot', ['port', 'host']), 'port');
  assert.equal(closestName('zzzz', ['port', 'host']), undefined);
  assert.equal(formatGot('abc'), '"abc"');
  assert.equal(formatGot(undefined), 'nothing');
  assert.equal(formatGot('x'.repeat(200)).length, 80);
});

test('concurrency_limit: the section\'s keys, ranges and the min <= max rule', () => {
  const c = parseModelConfig({ concurrency_limit: { mode: 'adaptive', initial_limit: 8, min_limit: 2, max_limit: 64, latency_tolerance_percent: 25 } }, 'ranker');
  assert.deepEqual(c.concurrencyLimit, { mode: 'adaptive', initialLimit: 8, minLimit: 2, maxLimit: 64, latencyTolerancePercent: 25 });
  assert.deepEqual(parseModelConfig(toConfigJson(c), 'ranker'), c);
  rejects({ concurrency_limit: { mode: 'dynamic' } }, 'ranker/config.json: concurrency_limit.mode must be one of "off", "fixed", "adaptive" (got "dynamic")');
  rejects({ concurrency_limit: { initial_limit: 0 } }, 'ranker/config.json: concurrency_limit.initial_limit must be an integer in 1..1000000 (got 0)');
  rejects({ concurrency_limit: { mode: 'adaptive', min_limit: 10, max_limit: 5 } }, 'ranker/config.json: concurrency_limit.min_limit must be <= max_limit (5) (got 10)');
});
