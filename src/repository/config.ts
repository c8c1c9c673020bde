// A model's configuration: `<repo>/<model>/config.json` (Triton-like, snake_case keys) turned
// into a typed ModelConfig with every default filled. Pure: no IO (repository-scan.ts reads files).
//
// Layers, lowest precedence first; each is a partial config.json-shaped object (ModelConfigJson):
//   1. built-in defaults (MODEL_DEFAULTS below, from the settings tables in src/core/settings/)
//   2. server-wide defaults from `infergate serve` options (--max-queue-delay-us, ...): they set
//      the default for every model whose config.json does not say otherwise
//   3. the model's own config.json: the model owner's word for that model
//   4. `--model-override <model>.<key>=<value>`: an SRE's explicit per-model word beats both
// Each layer is validated on its own, so an error names the layer (file or flag) holding the bad
// value; the layers are then merged key by key (sections merged, arrays and version_policy
// replaced whole) and the cross-field rules are checked on the merged result.
//
// Error messages (ConfigError) have one shape:
//   `<source>: <key path> must be <expected> (got <value as JSON>)`
//   `<source>: unknown key "<key path>" (did you mean "<key>"?)`
import type { DataType } from '../core/types.js';
import { BATCHING_SETTINGS, CONCURRENCY_SETTINGS, defaultsOf, RUNTIME_SETTINGS } from '../core/settings/index.js';
import type { ProviderSpec } from '../runtime/types.js';
import type {
  ModelConfig, ModelConfigJson, ProviderConfigJson, TensorConfig, TensorConfigJson, VersionPolicy, VersionPolicyJson,
} from './config-types.js';
import { toWarmupSamples, warmupSampleJson } from './warmup-config.js';
import { routingJson, toRouting } from './routing.js';
import {
  bad, closestName, ConfigError, has, mergeConfigLayers, SECTION_FIELDS, TOP_FIELDS, validateConfigLayer,
} from './config-validate.js';

export { closestName, ConfigError, formatGot, isPlainObject, mergeConfigLayers, validateConfigLayer } from './config-validate.js';
export type * from './config-types.js';

/** Built-in defaults: the batching and runtime settings tables' (src/core/settings/), where
 *  each row says why it is where it is. */
export const MODEL_DEFAULTS = Object.freeze({
  ...defaultsOf(BATCHING_SETTINGS),
  ...defaultsOf(RUNTIME_SETTINGS),
  ...defaultsOf(CONCURRENCY_SETTINGS),
  /** Triton's default version policy: serve the newest version only. */
  numVersions: 1,
});

// ---------------------------------------------------------------------------------------------
// Defaults and cross-field rules

/** The warm-up set when config.json gives none (see WarmupConfig). */
export function defaultWarmupBatchSizes(maxBatchSize: number, preferredBatchSizes: readonly number[]): number[] {
  if (maxBatchSize === 0) return [];
  return [...new Set([1, ...preferredBatchSizes, maxBatchSize])].sort((a, b) => a - b);
}

function toProviderSpec(p: ProviderConfigJson): ProviderSpec {
  if (p.name === 'cpu') return { name: 'cpu' };
  if (p.name === 'cuda') return { name: 'cuda', deviceId: p.device_id ?? 0, options: { ...p.options } };
  const trt: ProviderSpec = { name: 'tensorrt', deviceId: p.device_id ?? 0, fp16: p.fp16 ?? false, options: { ...p.options } };
  if (p.engine_cache_dir !== undefined) trt.engineCacheDir = p.engine_cache_dir;
  return trt;
}

function toTensorConfig(t: TensorConfigJson): TensorConfig {
  return { name: t.name, datatype: t.data_type as DataType, dims: [...t.dims] };
}

function toVersionPolicy(v: VersionPolicyJson | undefined): VersionPolicy {
  if (v === undefined) return { kind: 'latest', numVersions: MODEL_DEFAULTS.numVersions };
  if ('all' in v) return { kind: 'all' };
  if ('specific' in v) return { kind: 'specific', versions: [...v.specific.versions] };
  return { kind: 'latest', numVersions: v.latest.num_versions ?? MODEL_DEFAULTS.numVersions };
}

function build(j: ModelConfigJson, modelName: string, src: string): ModelConfig {
  const D = MODEL_DEFAULTS;
  if (j.name !== undefined && j.name !== modelName) bad(src, 'name', `the model directory's name "${modelName}"`, j.name);
  const maxBatchSize = j.max_batch_size ?? D.maxBatchSize;
  const checkSizes = (path: string, list: readonly number[]): void => {
    if (maxBatchSize === 0 && list.length > 0) bad(src, path, 'empty when max_batch_size is 0 (no batching)', list);
    if (list.some((n) => n > maxBatchSize)) bad(src, path, `an array of sizes in 1..max_batch_size (${maxBatchSize})`, list);
  };
  const db = j.dynamic_batching ?? {};
  const preferredBatchSizes = [...(db.preferred_batch_size ?? [])];
  checkSizes('dynamic_batching.preferred_batch_size', preferredBatchSizes);
  const priorityLevels = db.priority_levels ?? D.priorityLevels;
  const defaultPriorityLevel = db.default_priority_level ?? (D.defaultPriorityLevel === 'lowest' ? priorityLevels : 1);
  if (defaultPriorityLevel > priorityLevels) {
    bad(src, 'dynamic_batching.default_priority_level', `an integer in 1..priority_levels (${priorityLevels})`, defaultPriorityLevel);
  }
  const maxQueueRows = db.max_queue_rows ?? D.maxQueueRows;
  // Otherwise a full batch could never be queued, and the bound would shed valid requests.
  if (maxQueueRows < maxBatchSize) bad(src, 'dynamic_batching.max_queue_rows', `>= max_batch_size (${maxBatchSize})`, maxQueueRows);
  const warmup = j.warmup?.batch_sizes ?? defaultWarmupBatchSizes(maxBatchSize, preferredBatchSizes);
  checkSizes('warmup.batch_sizes', warmup);
  const rt = j.runtime ?? {};
  const cl = j.concurrency_limit ?? {};
  const concurrencyLimit = {
    mode: cl.mode ?? D.concurrencyLimit, initialLimit: cl.initial_limit ?? D.concurrencyLimitInitial,
    minLimit: cl.min_limit ?? D.concurrencyLimitMin, maxLimit: cl.max_limit ?? D.concurrencyLimitMax,
    latencyTolerancePercent: cl.latency_tolerance_percent ?? D.concurrencyLimitTolerancePercent,
  };
  if (concurrencyLimit.mode === 'adaptive' && concurrencyLimit.minLimit > concurrencyLimit.maxLimit) {
    bad(src, 'concurrency_limit.min_limit', `<= max_limit (${concurrencyLimit.maxLimit})`, concurrencyLimit.minLimit);
  }
  const cfg: ModelConfig = {
    name: modelName,
    platform: 'onnxruntime_onnx',
    maxBatchSize,
    versionPolicy: toVersionPolicy(j.version_policy),
    batching: {
      maxQueueDelayUs: db.max_queue_delay_microseconds ?? D.maxQueueDelayUs,
      preferredBatchSizes,
      maxQueueSize: db.max_queue_size ?? D.maxQueueSize,
      maxQueueRows,
      defaultTimeoutUs: db.default_timeout_microseconds ?? D.defaultTimeoutUs,
      priorityLevels,
      defaultPriorityLevel,
      preserveOrdering: db.preserve_ordering ?? D.preserveOrdering,
      oversizePolicy: db.oversize_policy ?? D.oversizePolicy,
      shedStatus: db.shed_status ?? D.shedStatus,
      retryAfterS: db.retry_after_seconds ?? D.retryAfterS,
    },
    runtime: {
      executionProviders: (rt.execution_providers ?? D.executionProviders).map(toProviderSpec),
      intraOpThreads: rt.intra_op_threads ?? D.intraOpThreads,
      interOpThreads: rt.inter_op_threads ?? D.interOpThreads,
      allowSpinning: rt.allow_spinning ?? D.allowSpinning,
      graphOptimizationLevel: rt.graph_optimization_level ?? D.graphOptimizationLevel,
      providerFallback: rt.provider_fallback ?? D.providerFallback,
    },
    warmup: { batchSizes: [...warmup], samples: toWarmupSamples(j.model_warmup, maxBatchSize, src) },
    concurrencyLimit,
  };
  if (j.routing !== undefined) cfg.routing = toRouting(j.routing);
  if (j.input !== undefined) cfg.inputs = j.input.map(toTensorConfig);
  if (j.output !== undefined) cfg.outputs = j.output.map(toTensorConfig);
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// Public entry points

export interface ModelConfigLayers {
  /** The model directory's name; config.json's "name", when given, must equal it. */
  modelName: string;
  /** The parsed content of config.json; undefined when the model has none. */
  config?: unknown;
  /** Error label for config; default `<modelName>/config.json`. */
  configSource?: string;
  /** Server-wide defaults (ServeConfig.modelDefaults). */
  serverDefaults?: unknown;
  serverDefaultsSource?: string;
  /** This model's overrides (ServeConfig.modelOverrides[modelName]). */
  override?: unknown;
  /** Error label for override; default `--model-override <modelName>`. */
  overrideSource?: string;
}

/** Validates every layer, merges them by precedence and fills the defaults. Throws ConfigError. */
export function resolveModelConfig(layers: ModelConfigLayers): ModelConfig {
  const { modelName } = layers;
  const configSource = layers.configSource ?? `${modelName}/config.json`;
  const parts: ModelConfigJson[] = [];
  const add = (raw: unknown, src: string): boolean => {
    if (raw === undefined) return false;
    const layer = validateConfigLayer(raw, src);
    parts.push(layer);
    return Object.keys(layer).length > 0;
  };
  const fromDefaults = add(layers.serverDefaults, layers.serverDefaultsSource ?? 'server defaults');
  const fromConfig = add(layers.config, configSource);
  const fromOverride = add(layers.override, layers.overrideSource ?? `--model-override ${modelName}`);
  // A cross-field error names config.json only when nothing else contributed to the result.
  const crossSource = fromConfig && !fromDefaults && !fromOverride ? configSource : `model "${modelName}"`;
  return build(mergeConfigLayers(...parts), modelName, crossSource);
}

/** One config.json's content alone (no server defaults, no overrides). */
export function parseModelConfig(raw: unknown, modelName: string, source?: string): ModelConfig {
  return resolveModelConfig(source === undefined ? { modelName, config: raw } : { modelName, config: raw, configSource: source });
}

/** JSON.parse with a ConfigError naming the file. */
export function parseConfigJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConfigError(`${source}: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * The config.json that resolves back to `cfg` (resolveModelConfig({config: toConfigJson(cfg)})
 * deep-equals cfg). Derived values (warm-up set, default priority level) are left out when they
 * equal their derivation, so they follow an override of what they derive from.
 */
export function toConfigJson(cfg: ModelConfig): ModelConfigJson {
  const b = cfg.batching;
  const r = cfg.runtime;
  const vp = cfg.versionPolicy;
  const out: ModelConfigJson = {
    name: cfg.name,
    platform: cfg.platform,
    max_batch_size: cfg.maxBatchSize,
    version_policy: vp.kind === 'all' ? { all: {} } : vp.kind === 'specific'
      ? { specific: { versions: [...vp.versions] } } : { latest: { num_versions: vp.numVersions } },
    dynamic_batching: {
      max_queue_delay_microseconds: b.maxQueueDelayUs, preferred_batch_size: [...b.preferredBatchSizes],
      max_queue_size: b.maxQueueSize, max_queue_rows: b.maxQueueRows, default_timeout_microseconds: b.defaultTimeoutUs,
      priority_levels: b.priorityLevels, preserve_ordering: b.preserveOrdering, oversize_policy: b.oversizePolicy,
      shed_status: b.shedStatus, retry_after_seconds: b.retryAfterS,
    },
    runtime: {
      execution_providers: r.executionProviders.map((p): ProviderConfigJson => {
        if (p.name === 'cpu') return { name: 'cpu' };
        const o: ProviderConfigJson = { name: p.name, device_id: p.deviceId ?? 0, options: { ...p.options } };
        if (p.name === 'tensorrt') {
          o.fp16 = p.fp16 ?? false;
          if (p.engineCacheDir !== undefined) o.engine_cache_dir = p.engineCacheDir;
        }
        return o;
      }),
      intra_op_threads: r.intraOpThreads, inter_op_threads: r.interOpThreads, allow_spinning: r.allowSpinning,
      graph_optimization_level: r.graphOptimizationLevel, provider_fallback: r.providerFallback,
    },
  };
  const cl = cfg.concurrencyLimit;
  out.concurrency_limit = { mode: cl.mode, initial_limit: cl.initialLimit, min_limit: cl.minLimit, max_limit: cl.maxLimit,
    latency_tolerance_percent: cl.latencyTolerancePercent };
  if (b.defaultPriorityLevel !== b.priorityLevels) out.dynamic_batching!.default_priority_level = b.defaultPriorityLevel;
  const tensors = (ts: TensorConfig[]): TensorConfigJson[] => ts.map((t) => ({ name: t.name, data_type: t.datatype, dims: [...t.dims] }));
  if (cfg.inputs !== undefined) out.input = tensors(cfg.inputs);
  if (cfg.outputs !== undefined) out.output = tensors(cfg.outputs);
  const derived = defaultWarmupBatchSizes(cfg.maxBatchSize, b.preferredBatchSizes);
  if (derived.join() !== cfg.warmup.batchSizes.join()) out.warmup = { batch_sizes: [...cfg.warmup.batchSizes] };
  if (cfg.routing !== undefined) out.routing = routingJson(cfg.routing);
  if (cfg.warmup.samples.length > 0) out.model_warmup = cfg.warmup.samples.map(warmupSampleJson);
  return out;
}

/**
 * `cfg` with a config.json-shaped patch applied on top (the patch wins), validated like any
 * layer. Server-wide defaults are not applied this way: they sit below config.json and go in
 * resolveModelConfig's serverDefaults.
 */
export function applyOverrides(cfg: ModelConfig, overrides: unknown, source = `override for "${cfg.name}"`): ModelConfig {
  return resolveModelConfig({ modelName: cfg.name, config: toConfigJson(cfg), configSource: `model "${cfg.name}"`,
    override: overrides, overrideSource: source });
}

// ---------------------------------------------------------------------------------------------
// Key paths for `--model-override <model>.<key>=<value>`

/** Every key path an override may set. The model's name is not overridable. */
export const OVERRIDABLE_KEYS: readonly string[] = Object.freeze([
  ...Object.keys(TOP_FIELDS).filter((k) => k !== 'name'),
  ...Object.entries(SECTION_FIELDS).flatMap(([sec, fields]) => Object.keys(fields).map((k) => `${sec}.${k}`)),
]);

/** "max_queue_delay_microseconds" or "dynamic_batching.max_queue_delay_microseconds" ->
 *  ["dynamic_batching", "max_queue_delay_microseconds"]; undefined when not a known key.
 *  The short form works because leaf names are unique across sections. */
export function configKeyPath(key: string): string[] | undefined {
  if (OVERRIDABLE_KEYS.includes(key)) return key.split('.');
  for (const [sec, fields] of Object.entries(SECTION_FIELDS)) if (has(fields, key)) return [sec, key];
  return undefined;
}

/** Suggestion for a key configKeyPath did not know. */
export function closestConfigKey(key: string): string | undefined {
  const leaves = Object.values(SECTION_FIELDS).flatMap((f) => Object.keys(f));
  return closestName(key, [...OVERRIDABLE_KEYS, ...leaves]);
}

/** A layer setting one key path: (["runtime", "intra_op_threads"], 2) -> {runtime: {intra_op_threads: 2}}. */
export function configPatch(path: readonly string[], value: unknown): ModelConfigJson {
  return path.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value) as ModelConfigJson;
}
