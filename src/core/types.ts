// The gateway's protocol-neutral view of a request and a response. Every wire format
// (FlatBuffers, KServe v2 JSON, KServe binary extension, WebSocket) decodes into and encodes
// from these, so batching and execution never see the wire.

/** KServe v2 / Open Inference Protocol datatype names. */
export type DataType =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64'
  | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

/**
 * One tensor as raw little-endian bytes in row-major order.
 * For BYTES, `data` holds the elements in the KServe binary layout: each element a 4-byte
 * little-endian length followed by that many bytes.
 * Ownership: `data` may be a view into the request body buffer; it is valid until the
 * request is finished (answered or dropped). Whoever keeps it longer must copy.
 */
export interface WireTensor {
  name: string;
  datatype: DataType;
  shape: number[];
  data: Uint8Array;
}

export interface RequestedOutput {
  name: string;
  /** KServe binary extension: return this output as binary data (JSON+binary framing). */
  binaryData?: boolean;
}

export type ParamValue = string | number | boolean;

export interface InferRequest {
  modelName: string;
  /** '' means: the model's default (latest ready) version. */
  modelVersion: string;
  id: string;
  /** Relative timeout from arrival, in microseconds; 0 = none given (model default applies). */
  timeoutUs: number;
  /** 0 = default priority; larger values are lower priority (Triton's convention: 1 is highest). */
  priority: number;
  parameters: Record<string, ParamValue>;
  inputs: WireTensor[];
  /** Empty = all outputs. */
  outputs: RequestedOutput[];
}

export interface InferResponse {
  modelName: string;
  modelVersion: string;
  id: string;
  outputs: WireTensor[];
}

/** The part of AbortSignal the batcher uses. An AbortSignal fits; so does the HTTP layer's
 *  per-request object, which spares every request an AbortController (measured: creating and
 *  wiring one was about 6% of the HTTP thread's time at K=1). */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
