// KServe v2 / Open Inference Protocol JSON bodies.
//   server: decodeJsonRequest, encodeJsonResponse, encodeJsonError
//   client: encodeJsonRequest, decodeJsonResponse (kserve-client.ts, re-exported here)
// Responses are written straight into bytes (json-writer.ts): no intermediate object graph,
// no JSON.stringify of big number arrays, no JS string per FP32 element; FP32 and FP16 get
// their shortest round-trip digits (0.1, not 0.10000000149011612).
import { toInferError } from '../core/errors.js';
import { JsonByteWriter } from './json-writer.js';
import { parseJsonBody, parseKserveRequest } from './kserve-request.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from './json-limits.js';
import type { InferRequest, InferResponse } from '../core/types.js';

export { bodyText, parseJson } from './kserve-request.js';
export { DEFAULT_JSON_LIMITS, scanJson, type JsonLimits } from './json-limits.js';
export { decodeJsonResponse, encodeJsonRequest, parseKserveResponse, requestJsonBytes } from './kserve-client.js';

/**
 * Server side: a KServe v2 JSON request body to an InferRequest. `modelName` and
 * `modelVersion` come from the URL ('' version = default). Tensor data is converted into
 * fresh buffers (JSON has no bytes to view). Throws InferError: IG_BAD_JSON (syntax),
 * IG_BAD_REQUEST (request structure, a limit), IG_BAD_TENSOR (datatype, shape, data).
 * Synchronous: the server sends bodies above limits.scanAboveBytes to its decode thread.
 */
export function decodeJsonRequest(body: Uint8Array | string, modelName: string, modelVersion: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS): InferRequest {
  return parseKserveRequest(parseJsonBody(body, limits, 'request body'), modelName, modelVersion, null, limits);
}

/** Upper estimate of a response's JSON size, so the writer rarely grows. */
function jsonSizeEstimate(resp: InferResponse, binaryOutputs: ReadonlySet<string> | null): number {
  let n = 256;
  for (const t of resp.outputs) n += 128 + t.name.length * 3 + (binaryOutputs?.has(t.name) ? 0 : t.data.byteLength * 4);
  return n;
}

/**
 * The response object as JSON bytes (UTF-8). Outputs named in `binaryOutputs` get
 * parameters.binary_data_size instead of "data" (their bytes follow the JSON: binary-ext.ts).
 * `padTo` pads the text with trailing spaces to a multiple of that many bytes.
 */
export function responseJsonBytes(resp: InferResponse, binaryOutputs: ReadonlySet<string> | null, padTo = 1): Uint8Array {
  const w = new JsonByteWriter(jsonSizeEstimate(resp, binaryOutputs));
  w.raw('{"model_name":').string(resp.modelName).raw(',"model_version":').string(resp.modelVersion);
  if (resp.id !== '') w.raw(',"id":').string(resp.id);
  w.raw(',"outputs":[');
  for (let i = 0; i < resp.outputs.length; i++) {
    const t = resp.outputs[i]!;
    if (i > 0) w.byte(0x2c);
    w.raw('{"name":').string(t.name).raw(`,"datatype":"${t.datatype}","shape":[${t.shape.join(',')}],`);
    if (binaryOutputs !== null && binaryOutputs.has(t.name)) {
      w.raw(`"parameters":{"binary_data_size":${t.data.byteLength}}}`);
      continue;
    }
    w.raw('"data":').tensorData(t, false).byte(0x7d);
  }
  w.raw(']}');
  while (w.length % padTo !== 0) w.byte(0x20);
  return w.bytes();
}

/** Server side: a response as KServe v2 JSON (UTF-8 bytes; data flat, row-major). */
export function encodeJsonResponse(resp: InferResponse): Uint8Array {
  return responseJsonBytes(resp, null);
}

/** The KServe error body: {"error": "<message>"}. */
export function encodeJsonError(e: unknown): string {
  return JSON.stringify({ error: toInferError(e).message });
}

