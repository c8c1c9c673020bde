// The KServe/Triton binary tensor data extension (Triton's docs/protocol/extension_binary_data.md):
// the body is a JSON object of Inference-Header-Content-Length bytes, then the raw bytes of
// every binary tensor in the order the JSON lists them. A binary input carries
// parameters.binary_data_size instead of "data"; a requested output asks for binary with
// parameters.binary_data (or all outputs via the request parameter binary_data_output, which
// a per-output binary_data overrides); a binary output answers with binary_data_size.
//
// Alignment: our encoders pad the JSON header with trailing spaces (valid JSON whitespace) to
// a multiple of 16 bytes, so the first tensor's bytes start 16-byte aligned in the body and
// typed-array views need no copy. Bodies from other clients may be unaligned; the views are
// still correct and bytesToTypedArray copies them when it must.
import { err } from '../core/errors.js';
import { parseKserveResponse, requestJsonBytes } from './kserve-client.js';
import { responseJsonBytes } from './kserve-json.js';
import { bodyText, parseJson, parseJsonBody, parseKserveRequest } from './kserve-request.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from './json-limits.js';
import type { InferRequest, InferResponse, WireTensor } from '../core/types.js';

export const INFERENCE_HEADER_CONTENT_LENGTH = 'Inference-Header-Content-Length';
const HEADER_ALIGNMENT = 16;

function checkHeaderLength(headerLength: number, bodyLength: number): void {
  if (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > bodyLength) {
    throw err('IG_BAD_REQUEST',
      `${INFERENCE_HEADER_CONTENT_LENGTH} is ${headerLength}; it must be between 1 and the body length ${bodyLength}`);
  }
  if (headerLength === 0) {
    // Triton reads 0 as a "raw binary request" (whole body = the model's single input),
    // which needs the model's metadata and is not part of this codec.
    throw err('IG_BAD_REQUEST', `${INFERENCE_HEADER_CONTENT_LENGTH}: 0 (raw binary request) is not supported; send a JSON header`);
  }
}

/**
 * Server side: a binary-extension body. `headerLength` is the Inference-Header-Content-Length
 * value. Binary inputs are zero-copy views into `body` (valid while `body` is).
 */
export function decodeBinaryRequest(body: Uint8Array, headerLength: number, modelName: string, modelVersion: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS): InferRequest {
  checkHeaderLength(headerLength, body.byteLength);
  const header = parseJsonBody(body.subarray(0, headerLength), limits, `the ${headerLength}-byte JSON header`);
  return parseKserveRequest(header, modelName, modelVersion, body.subarray(headerLength), limits);
}

/**
 * Names of the outputs to send as binary data, by Triton's rules: an output's own
 * binary_data decides; otherwise the request parameter binary_data_output (default false).
 */
export function binaryOutputNames(req: InferRequest, outputNames: readonly string[]): Set<string> {
  const all = req.parameters['binary_data_output'] === true;
  const asked = new Map(req.outputs.map((o) => [o.name, o.binaryData]));
  const names = new Set<string>();
  for (const name of outputNames) {
    const b = asked.get(name);
    if (b === true || (b === undefined && all)) names.add(name);
  }
  return names;
}

/** JSON header + binary tensors as one body; the header is padded to HEADER_ALIGNMENT. */
function frame(header: Uint8Array, tensors: readonly WireTensor[], binary: ReadonlySet<string>): { body: Uint8Array; headerLength: number } {
  const headerLength = Math.ceil(header.byteLength / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  let total = headerLength;
  for (const t of tensors) if (binary.has(t.name)) total += t.data.byteLength;
  const body = new Uint8Array(total);
  body.set(header, 0);
  body.fill(0x20, header.byteLength, headerLength);
  let p = headerLength;
  for (const t of tensors) {
    if (!binary.has(t.name)) continue;
    body.set(t.data, p);
    p += t.data.byteLength;
  }
  return { body, headerLength };
}

/**
 * Server side: a response with the outputs in `binaryOutputs` as binary data and the rest as
 * JSON data. Send `body` with Inference-Header-Content-Length: `headerLength` and
 * Content-Type application/octet-stream. The body is a fresh buffer owned by the caller.
 */
export function encodeBinaryResponse(resp: InferResponse, binaryOutputs: ReadonlySet<string>): { body: Uint8Array; headerLength: number } {
  return frame(responseJsonBytes(resp, binaryOutputs, HEADER_ALIGNMENT), resp.outputs, binaryOutputs);
}

/**
 * Client side: a request with the inputs in `binaryInputs` (default: all) as binary data.
 * Send with Inference-Header-Content-Length: `headerLength`.
 */
export function encodeBinaryRequest(req: InferRequest, binaryInputs?: ReadonlySet<string>): { body: Uint8Array; headerLength: number } {
  const binary = binaryInputs ?? new Set(req.inputs.map((t) => t.name));
  return frame(requestJsonBytes(req, binary), req.inputs, binary);
}

/** Client side: a binary-extension response; binary outputs are views into `body`. */
export function decodeBinaryResponse(body: Uint8Array, headerLength: number): InferResponse {
  checkHeaderLength(headerLength, body.byteLength);
  const header = parseJson(bodyText(body.subarray(0, headerLength)), `the ${headerLength}-byte JSON header`);
  return parseKserveResponse(header, body.subarray(headerLength));
}
