// A model's configuration: `<repo>/<model>/config.json` (Triton-like, snake_case keys) turned
// into a typed ModelConfig with every default filled. Pure: no IO (repository-scan.ts reads files).
//
// Layers, lowest precedence first; each is a partial config.json-shaped object (ModelConfigJson):
//   1. built-in defaults (MODEL_DEFAULTS below)
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
import type { DataType } from '../protocol/types.js';
import type { GraphOptimizationLevel, ProviderSpec, SessionOptions } from '../runtime/types.js';

/**
 * Built-in defaults, in one place. Provisional starting points; the lead tunes them from
 * measurement on the target machine (bench/), so each says why it is where it starts.
 */
export const MODEL_DEFAULTS = Object.freeze({
  /** Without a config.json nothing says dim 0 is a batch dim; concatenating requests along a
   *  dim that is not one would mix callers' data. So batching is opt-in (config or flag). */
  maxBatchSize: 0,
  /** Added wait bounded at a quarter of the 2 ms p99 target while letting batches fill at
   *  thousands of req/s; only paid when no worker is idle (the batcher sends at once otherwise). */
  maxQueueDelayUs: 500,
  /** ~80 ms of backlog at 50k req/s: past that a fast 503 serves the caller better than a wait. */
  maxQueueSize: 4096,
  /** The memory bound: 262144 rows of FP32[128] (the ranker) hold 128 MiB of queued tensors. */
  maxQueueRows: 262144,
  /** No default deadline: clients send their own; a default would drop work they still wait for. */
  defaultTimeoutUs: 0,
  /** Interactive vs background traffic. */
  priorityLevels: 2,
  /** Untagged traffic is ordinary (the lowest level); priority 1 is an explicit "jump the queue".
   *  Relative, not a number, so raising priority_levels keeps that meaning. ('highest' = 1:
   *  untagged traffic first, background callers opt into lower levels.) */
  defaultPriorityLevel: 'lowest' as 'lowest' | 'highest',
  /** Triton's default: ordering costs head-of-line blocking. */
  preserveOrdering: false,
  /** A caller scoring 1,000 candidates must succeed even when the max batch is smaller. */
  oversizePolicy: 'split' as const,
  /** Triton's and KServe's answer to overload; 429 for clients that back off per caller. */
  shedStatus: 503 as const,
  retryAfterS: 1,
  executionProviders: Object.freeze([{ name: 'cpu' as const }]),
  /** Workers x intra-op threads must not exceed the cores: the batch is the unit of parallelism,
   *  and on 2 cores one worker with one thread leaves a core for the uWS event loop. */
  intraOpThreads: 1,
  interOpThreads: 1,
  /** Spinning ORT threads burn the core the event loop needs. */
  allowSpinning: false,
  graphOptimizationLevel: 'all' as const,
  /** A GPU config silently running on CPU is an outage in disguise: fail loudly by default. */
  providerFallback: 'fail' as const,
  /** Triton's default version policy: serve the newest version only. */
  numVersions: 1,
});

// ---------------------------------------------------------------------------------------------
// Typed result

export type VersionPolicy =
  | { kind: 'latest'; numVersions: number }
  | { kind: 'all' }
  | { kind: 'specific'; versions: number[] };

export interface TensorConfig {
  name: string;
  datatype: DataType;
  /** Without the batch dim when maxBatchSize > 0; -1 = dynamic. */
  dims: number[];
}

/** Field names match src/batching/options.ts BatcherOptions (minus maxBatchSize, kept top level). */
export interface BatchingConfig {
  maxQueueDelayUs: number;
  /** Ascending, distinct, each in 1..maxBatchSize; empty when maxBatchSize is 0. */
  preferredBatchSizes: number[];
  maxQueueSize: number;
  maxQueueRows: number;
  defaultTimeoutUs: number;
  priorityLevels: number;
  /** 1..priorityLevels (1 is the highest priority). */
  defaultPriorityLevel: number;
  preserveOrdering: boolean;
  oversizePolicy: 'split' | 'reject';
  shedStatus: 503 | 429;
  retryAfterS: number;
}

/** SessionOptions with every field filled. */
export type RuntimeConfig = Required<SessionOptions>;

export interface WarmupConfig {
  /** Batch sizes run before the model reports ready. Default: 1, the preferred sizes and
   *  maxBatchSize (the smallest, the targets and the largest shape the batcher forms; on
   *  TensorRT these are the optimization profile's corners). Empty when maxBatchSize is 0:
   *  without batching the shapes are the callers' own, so there is no set to warm. */
  batchSizes: number[];
}

export interface ModelConfig {
  name: string;
  platform: 'onnxruntime_onnx';
  /** 0 = no batching: request shapes go to the model as they are. */
  maxBatchSize: number;
  /** Absent: read from the ONNX file. */
  inputs?: TensorConfig[];
  outputs?: TensorConfig[];
  versionPolicy: VersionPolicy;
  batching: BatchingConfig;
  runtime: RuntimeConfig;
  warmup: WarmupConfig;
}

// ---------------------------------------------------------------------------------------------
// config.json shape (after validateConfigLayer: integers are numbers, datatypes KServe names)

export interface TensorConfigJson { name: string; data_type: string; dims: number[] }
export interface ProviderConfigJson {
  name: 'cpu' | 'cuda' | 'tensorrt';
  device_id?: number;
  fp16?: boolean;
  engine_cache_dir?: string;
  options?: Record<string, string>;
}
export type VersionPolicyJson =
  | { latest: { num_versions?: number } }
  | { all: Record<string, never> }
  | { specific: { versions: number[] } };
export interface ModelConfigJson {
  name?: string;
  platform?: 'onnxruntime_onnx';
  max_batch_size?: number;
  input?: TensorConfigJson[];
  output?: TensorConfigJson[];
  version_policy?: VersionPolicyJson;
  dynamic_batching?: {
    max_queue_delay_microseconds?: number; preferred_batch_size?: number[]; max_queue_size?: number;
    max_queue_rows?: number; default_timeout_microseconds?: number; priority_levels?: number;
    default_priority_level?: number; preserve_ordering?: boolean; oversize_policy?: 'split' | 'reject';
    shed_status?: 503 | 429; retry_after_seconds?: number;
  };
  runtime?: {
    execution_providers?: ProviderConfigJson[]; intra_op_threads?: number; inter_op_threads?: number;
    allow_spinning?: boolean; graph_optimization_level?: GraphOptimizationLevel;
    provider_fallback?: 'fail' | 'cpu';
  };
  warmup?: { batch_sizes?: number[] };
}

// ---------------------------------------------------------------------------------------------
// Errors and helpers shared with src/cli/config.ts

/** A bad configuration value (file, flag, environment). Start-up errors, not request errors. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The offending value as it appeared, short enough for one log line. */
export function formatGot(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = String(v); }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Optimal-string-alignment distance (a transposition costs 1: "prot" -> "port"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate a typo most likely meant, or undefined when none is close. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist < bestD) { best = c; bestD = dist; }
  }
  if (bestD <= Math.max(1, Math.floor(name.length / 3))) return best;
  // A truncated name ("max_batch" for "max_batch_size") is far in edits but plain to a reader.
  const lower = name.toLowerCase();
  const prefixed = candidates.filter((c) => lower.length >= 3 && c.toLowerCase().startsWith(lower));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

function unknownKey(src: string, path: string, key: string, allowed: readonly string[]): never {
  const near = closestName(key, allowed);
  const hint = near !== undefined ? `did you mean "${near}"?` : allowed.length === 0 ? 'no keys allowed here' : `known keys: ${allowed.join(', ')}`;
  throw new ConfigError(`${src}: unknown key "${path}" (${hint})`);
}

function bad(src: string, path: string, expected: string, got: unknown): never {
  throw new ConfigError(`${src}: ${path} must be ${expected} (got ${formatGot(got)})`);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

// ---------------------------------------------------------------------------------------------
// Layer validation: a table of leaf checkers; each returns the normalized value or BAD.

const BAD = Symbol('bad');
type Check = { expected: string; parse: (v: unknown) => unknown };

/** Integers may also come as digit strings: Triton's JSON form writes 64-bit ints that way. */
function toInt(v: unknown): number | typeof BAD {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v + 0; // + 0 turns -0 into 0
  if (typeof v === 'string' && /^-?[0-9]{1,15}$/.test(v)) return Number(v) + 0;
  return BAD;
}
function intIn(min: number, max: number, expected: string): Check {
  return { expected, parse: (v) => { const n = toInt(v); return n !== BAD && n >= min && n <= max ? n : BAD; } };
}
const NON_NEG_INT = intIn(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer');
const POS_INT = intIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
const BOOL: Check = { expected: 'true or false', parse: (v) => (typeof v === 'boolean' ? v : BAD) };
const NON_EMPTY_STRING: Check = { expected: 'a non-empty string', parse: (v) => (typeof v === 'string' && v !== '' ? v : BAD) };
function oneOf<T extends string | number>(values: readonly T[]): Check {
  return { expected: `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, parse: (v) => (values.includes(v as T) ? v : BAD) };
}
/** Distinct positive integers, returned ascending. */
const SIZE_LIST: Check = {
  expected: 'an array of distinct positive integers',
  parse: (v) => {
    if (!Array.isArray(v)) return BAD;
    const out = v.map(toInt);
    if (out.some((n) => n === BAD || n < 1) || new Set(out).size !== out.length) return BAD;
    return (out as number[]).sort((a, b) => a - b);
  },
};
const DATATYPE_NAMES: readonly DataType[] = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16',
  'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'];
/** KServe names ("FP32") or Triton's ("TYPE_FP32"; Triton calls BYTES "TYPE_STRING"). */
const DATATYPE: Check = {
  expected: `a datatype (${DATATYPE_NAMES.join(', ')}; a "TYPE_" prefix is accepted)`,
  parse: (v) => {
    if (typeof v !== 'string') return BAD;
    const s = v === 'TYPE_STRING' ? 'BYTES' : v.startsWith('TYPE_') ? v.slice(5) : v;
    return (DATATYPE_NAMES as readonly string[]).includes(s) ? s : BAD;
  },
};
const DIMS: Check = {
  expected: 'an array of integers, each >= 1 or -1 (dynamic)',
  parse: (v) => {
    if (!Array.isArray(v)) return BAD;
    const out = v.map(toInt);
    return out.some((n) => n === BAD || (n < 1 && n !== -1)) ? BAD : out;
  },
};

type Fields = Readonly<Record<string, Check | 'custom'>>;
const SECTION_FIELDS = {
  dynamic_batching: {
    max_queue_delay_microseconds: NON_NEG_INT, preferred_batch_size: SIZE_LIST, max_queue_size: POS_INT,
    max_queue_rows: POS_INT, default_timeout_microseconds: NON_NEG_INT,
    // The batcher keeps one queue per level, so the count stays small.
    priority_levels: intIn(1, 255, 'an integer in 1..255'), default_priority_level: POS_INT,
    preserve_ordering: BOOL, oversize_policy: oneOf(['split', 'reject']), shed_status: oneOf([503, 429]),
    retry_after_seconds: intIn(0, 86400, 'an integer in 0..86400'),
  },
  runtime: {
    execution_providers: 'custom',
    // 0 lets ORT pick (one thread per physical core): fine alone, oversubscribed with N workers.
    intra_op_threads: intIn(0, 1024, 'an integer in 0..1024 (0 = ORT decides)'),
    inter_op_threads: intIn(0, 1024, 'an integer in 0..1024 (0 = ORT decides)'),
    allow_spinning: BOOL, graph_optimization_level: oneOf(['disabled', 'basic', 'extended', 'all']),
    provider_fallback: oneOf(['fail', 'cpu']),
  },
  warmup: { batch_sizes: { ...SIZE_LIST, expected: 'an array of distinct positive integers ([] = no warm-up)' } },
} as const satisfies Record<string, Fields>;
type SectionName = keyof typeof SECTION_FIELDS;
const TOP_FIELDS: Fields = {
  name: NON_EMPTY_STRING, platform: oneOf(['onnxruntime_onnx']), max_batch_size: NON_NEG_INT,
  input: 'custom', output: 'custom', version_policy: 'custom',
  dynamic_batching: 'custom', runtime: 'custom', warmup: 'custom',
};

function checkValue(c: Check, v: unknown, src: string, path: string): unknown {
  const r = c.parse(v);
  return r === BAD ? bad(src, path, c.expected, v) : r;
}

function checkObject(v: unknown, src: string, path: string, fields: Fields,
  custom: (k: string, v: unknown, path: string) => unknown = () => undefined): Record<string, unknown> {
  if (!isPlainObject(v)) bad(src, path === '' ? 'config' : path, 'a JSON object', v);
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    const p = join(path, k);
    const f = has(fields, k) ? fields[k] : undefined;
    if (f === undefined) unknownKey(src, p, k, Object.keys(fields));
    out[k] = f === 'custom' ? custom(k, val, p) : checkValue(f, val, src, p);
  }
  return out;
}

function checkTensors(v: unknown, src: string, path: string): TensorConfigJson[] {
  if (!Array.isArray(v) || v.length === 0) bad(src, path, 'a non-empty array of {name, data_type, dims}', v);
  const seen = new Set<string>();
  return v.map((t, i) => {
    const p = `${path}[${i}]`;
    const o = checkObject(t, src, p, { name: NON_EMPTY_STRING, data_type: DATATYPE, dims: DIMS });
    for (const k of ['name', 'data_type', 'dims']) if (!has(o, k)) throw new ConfigError(`${src}: ${p}.${k} is required`);
    if (seen.has(o.name as string)) bad(src, `${p}.name`, 'unique', o.name);
    seen.add(o.name as string);
    return o as unknown as TensorConfigJson;
  });
}

function checkVersionPolicy(v: unknown, src: string, path: string): VersionPolicyJson {
  const kinds = ['latest', 'all', 'specific'];
  if (!isPlainObject(v) || Object.keys(v).length !== 1) {
    bad(src, path, 'an object with exactly one of "latest", "all", "specific"', v);
  }
  const [kind, body] = Object.entries(v)[0]!;
  const p = join(path, kind);
  if (kind === 'latest') return { latest: checkObject(body, src, p, { num_versions: POS_INT }) };
  if (kind === 'all') return { all: checkObject(body, src, p, {}) as Record<string, never> };
  if (kind === 'specific') {
    const o = checkObject(body, src, p, { versions: { ...SIZE_LIST, expected: 'a non-empty array of distinct positive integers' } });
    if (!Array.isArray(o.versions) || o.versions.length === 0) {
      bad(src, `${p}.versions`, 'a non-empty array of distinct positive integers', o.versions);
    }
    return { specific: { versions: o.versions as number[] } };
  }
  return unknownKey(src, p, kind, kinds);
}

const PROVIDER_FIELDS: Readonly<Record<string, Fields>> = {
  cpu: { name: 'custom' },
  cuda: { name: 'custom', device_id: NON_NEG_INT, options: 'custom' },
  tensorrt: { name: 'custom', device_id: NON_NEG_INT, fp16: BOOL, engine_cache_dir: NON_EMPTY_STRING, options: 'custom' },
};

function checkProviders(v: unknown, src: string, path: string): ProviderConfigJson[] {
  if (!Array.isArray(v) || v.length === 0) bad(src, path, 'a non-empty array of providers', v);
  const names = v.map((p: unknown, i) => {
    const name = isPlainObject(p) ? p.name : undefined;
    return checkValue(oneOf(Object.keys(PROVIDER_FIELDS)), name, src, `${path}[${i}].name`) as string;
  });
  return v.map((p: unknown, i) => {
    const pp = `${path}[${i}]`;
    if (names.indexOf(names[i]!) !== i) bad(src, `${pp}.name`, 'listed once', names[i]);
    // ORT gives each node to the first provider that takes it; CPU takes all, so it goes last.
    if (names[i] === 'cpu' && i !== v.length - 1) bad(src, `${pp}.name`, 'last when "cpu" (providers after it are never used)', 'cpu');
    return checkObject(p, src, pp, PROVIDER_FIELDS[names[i]!]!, (k, val, kp) => {
      if (k === 'name') return val;
      if (!isPlainObject(val)) bad(src, kp, 'an object of string values', val);
      return Object.fromEntries(Object.entries(val).map(([ok, ov]) => {
        // ORT takes provider options as strings; numbers and booleans are spelled the usual way.
        if (typeof ov === 'string' || typeof ov === 'boolean' || (typeof ov === 'number' && Number.isFinite(ov))) return [ok, String(ov)];
        return bad(src, `${kp}.${ok}`, 'a string, number or boolean', ov);
      }));
    }) as unknown as ProviderConfigJson;
  });
}

/**
 * Validates one layer (a config.json's content, a server-defaults or an override object) on its
 * own: known keys, value types and ranges. Cross-field rules wait for the merged result.
 * `src` labels errors: "ranker/config.json", "--model-override ranker", ...
 */
export function validateConfigLayer(raw: unknown, src: string): ModelConfigJson {
  return checkObject(raw, src, '', TOP_FIELDS, (k, v, p) => {
    if (k === 'input' || k === 'output') return checkTensors(v, src, p);
    if (k === 'version_policy') return checkVersionPolicy(v, src, p);
    return checkObject(v, src, p, SECTION_FIELDS[k as SectionName], (ck, cv, cp) => checkProviders(cv, src, cp));
  }) as ModelConfigJson;
}

/** Merges validated layers, lowest precedence first: sections key by key, anything else whole. */
export function mergeConfigLayers(...layers: ModelConfigJson[]): ModelConfigJson {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      out[k] = has(SECTION_FIELDS, k) && isPlainObject(out[k]) ? { ...(out[k] as object), ...v } : v;
    }
  }
  return out as ModelConfigJson;
}

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
    warmup: { batchSizes: [...warmup] },
  };
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
  if (b.defaultPriorityLevel !== b.priorityLevels) out.dynamic_batching!.default_priority_level = b.defaultPriorityLevel;
  const tensors = (ts: TensorConfig[]): TensorConfigJson[] => ts.map((t) => ({ name: t.name, data_type: t.datatype, dims: [...t.dims] }));
  if (cfg.inputs !== undefined) out.input = tensors(cfg.inputs);
  if (cfg.outputs !== undefined) out.output = tensors(cfg.outputs);
  const derived = defaultWarmupBatchSizes(cfg.maxBatchSize, b.preferredBatchSizes);
  if (derived.join() !== cfg.warmup.batchSizes.join()) out.warmup = { batch_sizes: [...cfg.warmup.batchSizes] };
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
