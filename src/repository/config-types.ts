// The shapes of a model's configuration: the typed result (ModelConfig, every default filled,
// camelCase) and the config.json it is read from (ModelConfigJson, Triton-like snake_case). Types
// only: config.ts builds the one from the other, config-validate.ts checks the JSON layers.
import type { DataType } from '../core/types.js';
import type { ConcurrencyLimitMode } from '../core/settings/index.js';
import type { RoutingConfig, RoutingConfigJson } from './routing.js';
import type { BatcherOptions } from '../batching/options.js';
import type { GraphOptimizationLevel, SessionOptions } from '../runtime/types.js';

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

/** The batcher's options (src/batching/options.ts) less maxBatchSize, which config.json keeps at
 *  the top level: one definition, so the two cannot drift. */
export type BatchingConfig = Omit<BatcherOptions, 'maxBatchSize'>;

/** SessionOptions with every field filled. */
export type RuntimeConfig = Required<SessionOptions>;

/** One input of a configured warm-up sample: its data is zeros, seeded random values, or the
 *  raw bytes of a file in <model>/warmup/ (row-major, little-endian; BYTES in the KServe layout,
 *  each element a 4-byte length and its bytes), as Triton's model_warmup. */
export interface WarmupSampleInput {
  name: string;
  datatype: DataType;
  /** Without the batch dim when maxBatchSize > 0 (batchSize rows are added in front). */
  dims: number[];
  source: { kind: 'zero' } | { kind: 'random' } | { kind: 'file'; file: string };
}

export interface WarmupSample {
  name: string;
  /** Rows of the sample when the model batches (Triton: batch_size); 0 when it does not. */
  batchSize: number;
  /** Times the sample runs. */
  count: number;
  inputs: WarmupSampleInput[];
}

export interface WarmupConfig {
  /** Batch sizes of the default warm-up (zeros, best effort), used when no samples are
   *  configured. Default: 1, the preferred sizes and maxBatchSize (the smallest, the targets and
   *  the largest shape the batcher forms; on TensorRT these are the optimization profile's
   *  corners). Empty when maxBatchSize is 0: without batching the shapes are the callers' own. */
  batchSizes: number[];
  /** Configured samples (config.json model_warmup): they replace the default warm-up, and a
   *  failure fails the load, naming the sample. */
  samples: WarmupSample[];
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
  concurrencyLimit: ConcurrencyLimitConfig;
  /** A/B split and shadow of requests that name no version (routing.ts); absent = the newest. */
  routing?: RoutingConfig;
}

/** config.json's concurrency_limit (src/core/settings/concurrency.ts). */
export interface ConcurrencyLimitConfig {
  mode: ConcurrencyLimitMode;
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  latencyTolerancePercent: number;
}

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
  concurrency_limit?: {
    mode?: ConcurrencyLimitMode; initial_limit?: number; min_limit?: number; max_limit?: number; latency_tolerance_percent?: number;
  };
  /** Triton's model_warmup: samples run before the model is ready; a failure fails the load. */
  model_warmup?: WarmupSampleJson[];
  routing?: RoutingConfigJson;
}


export interface WarmupInputJson {
  data_type: string;
  dims: number[];
  zero_data?: boolean;
  random_data?: boolean;
  input_data_file?: string;
}
export interface WarmupSampleJson {
  name: string;
  batch_size?: number;
  count?: number;
  inputs: Record<string, WarmupInputJson>;
}
