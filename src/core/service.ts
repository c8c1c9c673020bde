// What the transport layer (HTTP, WebSocket) needs from the core. The server depends on this
// interface only, so routes can be tested against the real core and nothing else.
import type { InferRequest, InferResponse } from './types.js';
import type { CancelSignal } from './types.js';
import type { InferError } from './errors.js';

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface RepositoryEntry {
  name: string;
  version?: string;
  state: 'READY' | 'UNAVAILABLE' | 'LOADING' | 'UNLOADING';
  reason?: string;
}

/** Triton's statistics extension ($duration_stat, $batch_stat, $model_stat). */
export interface DurationStat { count: number; ns: number }

export interface BatchStat {
  batch_size: number;
  compute_input: DurationStat;
  compute_infer: DurationStat;
  compute_output: DurationStat;
}

export interface ModelStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last request that ended; 0 before any. */
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: {
    success: DurationStat; fail: DurationStat; queue: DurationStat;
    compute_input: DurationStat; compute_infer: DurationStat; compute_output: DurationStat;
  };
  batch_stats: BatchStat[];
}

export interface InferOptions {
  /** Aborts when the client goes away: queued work is dropped, running work discarded. */
  signal?: CancelSignal;
  /** performance.now() (ms) at arrival, so queue time includes body reading and decoding. */
  arrivalMs: number;
  /** Timeout from the X-Infergate-Timeout-Us style header, when the transport carries one. */
  headerTimeoutUs?: number;
  /** The X-Infergate-Route-Key header: the A/B split's sticky key (else the route_key parameter). */
  routeKey?: string;
  /** The caller's W3C trace context (traceparent / tracestate), for the request's span. */
  trace?: { traceparent?: string | undefined; tracestate?: string | undefined };
}

export interface InferenceService {
  isLive(): boolean;
  isReady(): boolean;
  serverMetadata(): { name: string; version: string; extensions: string[] };
  /** Throws InferError IG_MODEL_NOT_FOUND / IG_VERSION_NOT_FOUND. */
  modelMetadata(name: string, version: string): ModelMetadata;
  modelReady(name: string, version: string): boolean;
  /** IG_MODEL_NOT_FOUND / IG_VERSION_NOT_FOUND, or IG_CONCURRENCY_LIMIT when the version that
   *  will serve has no room under its concurrency limit for one more row (counted as a failure
   *  already), else undefined: a transport asks before reading the request's body. Returned,
   *  not thrown: under overload this refuses most requests, and a throw from a uWS callback
   *  costs V8 a message location (~1.5 us). */
  refusal(name: string, version: string): InferError | undefined;
  /** The effective configuration, config.json-shaped (snake_case) with every default filled. */
  modelConfig(name: string, version: string): Record<string, unknown>;
  /** Statistics of every loaded version of `name` ('' = every model), or of one version. */
  modelStatistics(name: string, version: string): { model_stats: ModelStatistics[] };
  infer(req: InferRequest, opts: InferOptions): Promise<InferResponse>;
  /** The repository's models and their states, in every model-control mode. */
  repositoryIndex(): Promise<RepositoryEntry[]>;
  /** Explicit model control; absent unless the server runs with model-control-mode explicit. */
  repository?: {
    load(name: string): Promise<void>;
    unload(name: string): Promise<void>;
    /** Replaces the model's routing with the JSON body's (null or {} clears it; an empty body
     *  changes nothing); answers the routing in effect. */
    routing(name: string, body: Uint8Array): Promise<unknown>;
  };
  metricsText(): string;
  /** Records how long one wire stage of a request took, by wire format. */
  observeWire(stage: WireStage, format: string, us: number): void;
}

export type WireStage = 'read' | 'decode' | 'encode';

/** One error answer, as a transport reports it (only errors: nothing is reported per success).
 *  The composition root logs it (src/observability/request-log.ts). */
export interface ErrorAnswer {
  error: InferError;
  transport: 'http' | 'ws';
  /** HTTP method and path; 'WS' and '/v2/stream' for a stream frame. */
  method: string;
  url: string;
  /** The model named by the route or the frame ('' when none). */
  model: string;
  /** The request's own id (KServe "id", FlatBuffers id), else its X-Request-Id header; '' when
   *  neither is known (e.g. the body could not be decoded). */
  requestId: string;
}
