// Conversions behind `infergate encode` / `infergate decode`, so that anyone can use the
// FlatBuffers path with curl: KServe v2 JSON request -> FlatBuffers bytes, and FlatBuffers
// response (or request) -> KServe v2 JSON text. Pure functions; the CLI owns the I/O.
import { err } from '../core/errors.js';
import { decodeFlatRequest, decodeFlatResponse, encodeFlatRequest } from './flatbuffers-codec.js';
import { bodyText, encodeJsonRequest, encodeJsonResponse, parseJson } from './kserve-json.js';
import { isJsonObject, parseKserveRequest } from './kserve-request.js';

/**
 * A KServe v2 JSON request to a FlatBuffers request. The model comes from `modelName` when
 * given (the CLI flag wins), else from the body's "model_name"; "model_version" is optional.
 */
export function jsonRequestToFlat(json: string | Uint8Array, modelName?: string, modelVersion?: string): Uint8Array {
  const obj = parseJson(bodyText(json), 'request JSON');
  if (!isJsonObject(obj)) throw err('IG_BAD_JSON', 'request JSON must be an object');
  const name = modelName ?? obj['model_name'];
  if (typeof name !== 'string' || name === '') {
    throw err('IG_BAD_REQUEST', 'no model name: pass one (--model) or put "model_name" in the request JSON');
  }
  const version = modelVersion ?? obj['model_version'] ?? '';
  if (typeof version !== 'string') throw err('IG_BAD_REQUEST', '"model_version" must be a string');
  return encodeFlatRequest(parseKserveRequest(obj, name, version, null));
}

/**
 * A FlatBuffers response to KServe v2 JSON text. An error response becomes
 * {"error": message, "code": "IG_..."} (the KServe error body plus the stable code), with
 * isError set so that the CLI can exit non-zero.
 */
export function flatResponseToJson(bytes: Uint8Array): { json: string; isError: boolean } {
  const resp = decodeFlatResponse(bytes);
  if (resp.error !== undefined) return { json: JSON.stringify({ error: resp.error.message, code: resp.error.code }), isError: true };
  return { json: bodyText(encodeJsonResponse(resp)), isError: false };
}

/** A FlatBuffers request to KServe v2 JSON text (with model_name/model_version added). */
export function flatRequestToJson(bytes: Uint8Array): string {
  const req = decodeFlatRequest(bytes);
  const head = JSON.stringify({ model_name: req.modelName, model_version: req.modelVersion });
  // Both are objects: splice the request's members after the model fields.
  return `${head.slice(0, -1)},${bodyText(encodeJsonRequest(req)).slice(1)}`;
}
