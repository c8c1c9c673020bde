// What the transport layer (HTTP, WebSocket) needs from the core. The server depends on this
// interface only, so routes can be tested against the real core and nothing else.
import type { InferRequest, InferResponse } from './types.js';
import type { CancelSignal } from './types.js';

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

export interface InferOptions {
  /** Aborts when the client goes away: queued work is dropped, running work discarded. */
  signal?: CancelSignal;
  /** performance.now() (ms) at arrival, so queue time includes body reading and decoding. */
  arrivalMs: number;
  /** Timeout from the X-Infergate-Timeout-Us style header, when the transport carries one. */
  headerTimeoutUs?: number;
}

export interface InferenceService {
  isLive(): boolean;
  isReady(): boolean;
  serverMetadata(): { name: string; version: string; extensions: string[] };
  /** Throws InferError IG_MODEL_NOT_FOUND / IG_VERSION_NOT_FOUND. */
  modelMetadata(name: string, version: string): ModelMetadata;
  modelReady(name: string, version: string): boolean;
  infer(req: InferRequest, opts: InferOptions): Promise<InferResponse>;
  /** Explicit model control; absent when the server runs with model-control-mode none. */
  repository?: {
    index(): Promise<RepositoryEntry[]>;
    load(name: string): Promise<void>;
    unload(name: string): Promise<void>;
  };
  metricsText(): string;
  /** Records how long one wire stage of a request took, by wire format. */
  observeWire(stage: WireStage, format: string, us: number): void;
}

export type WireStage = 'read' | 'decode' | 'encode';
