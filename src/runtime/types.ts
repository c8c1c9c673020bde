// Types of the runtime facade: the only surface through which the rest of infergate talks to
// the native ONNX Runtime addon. Nothing outside src/runtime/ imports the .node file.

/** ONNX Runtime element types: defined with the one dtype table, src/core/datatypes.ts. */
import type { OrtDType } from '../core/datatypes.js';
export type { OrtDType } from '../core/datatypes.js';

/** Typed-array class per dtype; float16 and bool travel as raw 16-bit / 8-bit storage. */
export type TensorData =
  | Float32Array | Float64Array | Uint16Array /* float16 or uint16 */
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array /* uint8 or bool */ | Uint32Array | BigUint64Array
  | string[] /* string */;

/** A tensor handed to or returned by the addon. For numeric dtypes `data` is a view over
 *  caller memory; the addon reads it only for the duration of the run call. */
export interface RuntimeTensor {
  dtype: OrtDType;
  shape: readonly number[];
  data: TensorData;
}

export type ProviderName = 'cpu' | 'cuda' | 'tensorrt';

export interface CpuProvider { name: 'cpu' }
export interface CudaProvider {
  name: 'cuda';
  deviceId?: number;
  /** Extra CUDA provider options passed to ORT as key/value strings (e.g. gpu_mem_limit). */
  options?: Record<string, string>;
}
export interface TensorrtProvider {
  name: 'tensorrt';
  deviceId?: number;
  fp16?: boolean;
  engineCacheDir?: string;
  options?: Record<string, string>;
}
export type ProviderSpec = CpuProvider | CudaProvider | TensorrtProvider;

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  /** Providers in priority order; default [{name:'cpu'}]. */
  executionProviders?: ProviderSpec[];
  intraOpThreads?: number;
  interOpThreads?: number;
  /** ORT thread spinning; off by default (spinning threads steal the event loop's cores). */
  allowSpinning?: boolean;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** What to do when a requested provider cannot be used: 'fail' (default) or fall back to CPU. */
  providerFallback?: 'fail' | 'cpu';
}

/** Shape entry: a fixed size, or -1 for a dynamic dim (with its symbolic name when it has one). */
export interface TensorInfo {
  name: string;
  dtype: OrtDType;
  shape: number[];
  /** Symbolic dim names, '' where the dim is fixed or unnamed. Same length as shape. */
  dimNames: string[];
}

export interface ModelDescription {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Providers actually in use, in priority order (e.g. ['cpu'] after a fallback). */
  providers: ProviderName[];
  /** Set when a requested provider was unavailable and the CPU fallback was taken. */
  fallbackReason?: string;
}

export interface RegistryStats {
  /** Live ORT sessions in this process (all threads). */
  sessions: number;
  /** key -> reference count */
  refs: Record<string, number>;
}

/** Options of Session.load / Session.loadAsync. */
export interface LoadOptions extends SessionOptions {
  /** Names the model in the registry key instead of its realpath (files) or a hash of its
   *  bytes (buffers). Same key + same options = same shared session: the caller vouches that
   *  the model behind a key never changes. */
  key?: string;
}

/** Options of Session.run / Session.runSync. */
export interface RunOptions {
  /** Outputs to compute, by name; all of the model's outputs when omitted. */
  outputs?: string[];
  /** Caller memory for outputs, by name. Written in place (and returned as that output's
   *  `data`) when its byte length equals the output's; otherwise a new array is returned and
   *  the buffer is left untouched. Must not overlap any input. */
  outputBuffers?: Record<string, TensorData>;
}
