// Building a request from typed tensors and reading the answer, for every wire format the
// gateway speaks: FlatBuffers (this gateway's fast path), the KServe v2 binary extension (raw
// tensor bytes after a JSON header; Triton speaks it too) and KServe v2 JSON.
import type { IncomingHttpHeaders } from 'node:http';
import type { InferRequest, InferResponse, ParamValue } from '../core/types.js';
import { INFERENCE_HEADER_CONTENT_LENGTH, decodeBinaryResponse, encodeBinaryRequest } from '../protocol/binary-ext.js';
import { decodeFlatResponse, encodeFlatRequest } from '../protocol/flatbuffers-codec.js';
import { decodeJsonResponse, encodeJsonRequest } from '../protocol/kserve-json.js';
import { InferClientError } from './errors.js';
import { fromWire, toWire, type Tensor, type TensorInput } from './tensors.js';

export type WireFormat = 'flatbuffers' | 'binary' | 'json';

export const FLATBUFFERS_CONTENT_TYPE = 'application/x-flatbuffers';

export interface InferCallOptions {
  /** Model version ('' or absent: the latest ready one). */
  version?: string;
  /** Echoed in the answer and in the gateway's error log lines. */
  id?: string;
  /** Deadline from arrival at the gateway, microseconds (sent as X-Infergate-Timeout-Us; past
   *  it the gateway answers 504 and never computes the request). */
  timeoutUs?: number;
  /** 1 = highest (Triton's convention). */
  priority?: number;
  /** Outputs to return (default: all). */
  outputs?: readonly string[];
  parameters?: Record<string, ParamValue>;
  /** W3C trace context of the caller's span: the gateway's span becomes its child. */
  traceparent?: string;
  tracestate?: string;
  /** Wire format of this call (default: the client's). */
  format?: WireFormat;
  signal?: AbortSignal;
}

export interface InferResult {
  modelName: string;
  modelVersion: string;
  id: string;
  /** By output name. */
  outputs: Record<string, Tensor>;
}

export function buildRequest(model: string, inputs: Readonly<Record<string, TensorInput>>, o: InferCallOptions, format: WireFormat): InferRequest {
  const parameters: Record<string, ParamValue> = { ...o.parameters };
  // Binary extension: ask for every output as raw bytes unless outputs are named (then each is).
  if (format === 'binary' && o.outputs === undefined) parameters['binary_data_output'] = true;
  return {
    modelName: model,
    modelVersion: o.version ?? '',
    id: o.id ?? '',
    timeoutUs: 0,
    priority: o.priority ?? 0,
    parameters,
    inputs: Object.entries(inputs).map(([name, t]) => toWire(name, t)),
    outputs: (o.outputs ?? []).map((name) => (format === 'binary' ? { name, binaryData: true } : { name })),
  };
}

/** Body and Content-Type headers of a request in `format`. */
export function encodeBody(req: InferRequest, format: WireFormat): { headers: Record<string, string>; body: Uint8Array } {
  switch (format) {
    case 'flatbuffers':
      return { headers: { 'Content-Type': FLATBUFFERS_CONTENT_TYPE }, body: encodeFlatRequest(req) };
    case 'binary': {
      const { body, headerLength } = encodeBinaryRequest(req);
      return { headers: { 'Content-Type': 'application/octet-stream', [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength) }, body };
    }
    case 'json':
      return { headers: { 'Content-Type': 'application/json' }, body: encodeJsonRequest(req) };
  }
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** An HTTP answer to an infer: the response, or the gateway's error thrown as InferClientError. */
export function decodeAnswer(status: number, headers: IncomingHttpHeaders, body: Buffer): InferResponse {
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const type = (header(headers, 'content-type') ?? '').split(';')[0]!.trim();
  if (status !== 200) throw errorOf(status, headers, bytes, type);
  try {
    if (type === FLATBUFFERS_CONTENT_TYPE) {
      const r = decodeFlatResponse(bytes);
      if (r.error) throw new InferClientError(r.error.message, r.error.code, r.error.status);
      return r;
    }
    const hcl = header(headers, 'inference-header-content-length');
    return hcl === undefined ? decodeJsonResponse(bytes) : decodeBinaryResponse(bytes, Number(hcl));
  } catch (e) {
    if (e instanceof InferClientError) throw e;
    throw new InferClientError(`undecodable answer: ${(e as Error).message}`, 'IG_CLIENT_BAD_RESPONSE', status);
  }
}

/** The gateway's error (code from X-Infergate-Error, message from the body in its format). */
export function errorOf(status: number, headers: IncomingHttpHeaders, bytes: Uint8Array, type: string): InferClientError {
  let message = `HTTP ${status}`;
  let code = header(headers, 'x-infergate-error');
  try {
    if (type === FLATBUFFERS_CONTENT_TYPE) message = decodeFlatResponse(bytes).error?.message ?? message;
    else if (bytes.byteLength > 0) {
      const o = JSON.parse(new TextDecoder().decode(bytes)) as { error?: unknown; code?: unknown };
      if (typeof o.error === 'string') message = o.error;
      if (code === undefined && typeof o.code === 'string') code = o.code;
    }
  } catch {
    // Not the gateway's error body (a proxy's page): the status says it.
  }
  const retry = header(headers, 'retry-after');
  return new InferClientError(message, code ?? `HTTP_${status}`, status, retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined);
}

export function toResult(r: InferResponse): InferResult {
  const outputs: Record<string, Tensor> = {};
  for (const t of r.outputs) outputs[t.name] = fromWire(t);
  return { modelName: r.modelName, modelVersion: r.modelVersion, id: r.id, outputs };
}
