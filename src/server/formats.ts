// Chooses the wire format of an /infer exchange and adapts the protocol codecs to it. A
// response is always encoded in the format its request came in; errors too, so a FlatBuffers
// caller never has to parse JSON.
import { err, toInferError } from '../core/errors.js';
import type { InferRequest, InferResponse } from '../core/types.js';
import { decodeFlatRequest, encodeFlatErrorTransient, encodeFlatResponseTransient, type FlatDecodeLimits } from '../protocol/flatbuffers-codec.js';
import { decodeJsonRequest, encodeJsonResponse, type JsonLimits } from '../protocol/kserve-json.js';
import { decodeBinaryRequest, encodeBinaryResponse } from '../protocol/binary-ext.js';
import type { HttpExchange } from './http-exchange.js';
import type { BodyStream, DecodeThread } from './decode-thread.js';
import { readBody, streamBody, type BodyPool } from './body.js';

export type WireFormat = 'json' | 'binary' | 'flatbuffers';

export const FLATBUFFERS_CONTENT_TYPE = 'application/x-flatbuffers';
const FLATBUFFERS_TYPES = new Set([FLATBUFFERS_CONTENT_TYPE, 'application/flatbuffers', 'application/vnd.infergate.flatbuffers']);

const JSON_TYPES = new Set(['', 'application/json', 'text/plain']);

/** From the headers alone (never throws): FlatBuffers by its Content-Type, the binary extension
 *  by its header, JSON otherwise. Whether another Content-Type's body really is JSON is decided
 *  once it is read (decodeRequest): `curl -d @req.json` sends JSON as
 *  application/x-www-form-urlencoded, and Triton accepts it. */
export function detectFormat(ex: HttpExchange): WireFormat {
  if (FLATBUFFERS_TYPES.has(ex.contentType)) return 'flatbuffers';
  if (ex.headers.has('inference-header-content-length')) return 'binary';
  return 'json';
}

/** A KServe JSON request is an object: its first byte past any whitespace is "{". */
function startsAsJsonObject(body: Uint8Array): boolean {
  for (const b of body) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b;
  }
  return false;
}

/** How JSON is bounded and where large JSON goes (decode-thread.ts). JSON larger than
 *  limits.scanAboveBytes is decoded on `thread`; the rest on the calling thread. */
export interface JsonDecoding {
  limits: JsonLimits;
  flatLimits: FlatDecodeLimits;
  thread: DecodeThread;
}

/** The body of an /infer exchange: read whole, or (JSON of a known length over both
 *  --json-offload-bytes and 1 MiB) streamed to the decode thread as it arrives, so that the
 *  HTTP thread never holds it whole (decode-thread.ts says why). */
export function readInferBody(ex: HttpExchange, format: WireFormat, maxBodyBytes: number, json: JsonDecoding,
  pool?: BodyPool): Promise<Uint8Array | BodyStream> {
  const declared = ex.contentLength;
  const streamed = format === 'json' && JSON_TYPES.has(ex.contentType) && declared !== undefined && declared <= maxBodyBytes &&
    declared > json.limits.scanAboveBytes && declared > json.thread.streamAboveBytes ? json.thread.open(declared) : undefined;
  // Not async: the common case hands readBody's promise on as it is (one promise and one
  // microtask fewer per request).
  return streamed ? streamInferBody(ex, declared!, streamed) : readBody(ex, maxBodyBytes, pool);
}

async function streamInferBody(ex: HttpExchange, declared: number, streamed: BodyStream): Promise<BodyStream> {
  try {
    await streamBody(ex, declared, streamed);
    return streamed;
  } catch (e) {
    streamed.drop();
    throw e;
  }
}

/** An InferRequest now (small bodies, FlatBuffers), or a promise of one (large JSON). */
export function decodeRequest(ex: HttpExchange, format: WireFormat, body: Uint8Array | BodyStream, model: string, version: string,
  json: JsonDecoding): InferRequest | Promise<InferRequest> {
  if (!(body instanceof Uint8Array)) return body.decode(model, version, json.limits);
  switch (format) {
    case 'flatbuffers': {
      const req = decodeFlatRequest(body, json.flatLimits);
      if (req.modelName !== '' && req.modelName !== model) {
        throw err('IG_BAD_REQUEST', `request names model "${req.modelName}" but was sent to /v2/models/${model}`);
      }
      if (req.modelVersion !== '' && version !== '' && req.modelVersion !== version) {
        throw err('IG_BAD_REQUEST', `request names version "${req.modelVersion}" but was sent to version "${version}"`);
      }
      req.modelName = model;
      if (version !== '') req.modelVersion = version;
      return req;
    }
    case 'binary': {
      const raw = ex.headers.get('inference-header-content-length') ?? '';
      if (!/^\d+$/.test(raw)) throw err('IG_BAD_REQUEST', `Inference-Header-Content-Length must be a non-negative integer (got "${raw}")`);
      const headerLength = Number(raw);
      if (headerLength > json.limits.scanAboveBytes && headerLength <= body.byteLength) {
        return json.thread.decode('binary', body, headerLength, model, version, json.limits);
      }
      return decodeBinaryRequest(body, headerLength, model, version, json.limits);
    }
    case 'json':
      if (!JSON_TYPES.has(ex.contentType) && !startsAsJsonObject(body)) {
        throw err('IG_UNSUPPORTED_MEDIA_TYPE',
          `unsupported Content-Type "${ex.contentType}" and the body is not JSON: use application/json (KServe v2), ` +
          `${FLATBUFFERS_CONTENT_TYPE}, or the binary extension with Inference-Header-Content-Length`);
      }
      if (body.byteLength > json.limits.scanAboveBytes) return json.thread.decode('json', body, 0, model, version, json.limits);
      return decodeJsonRequest(body, model, version, json.limits);
  }
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export interface EncodedBody {
  contentType: string;
  headers: Readonly<Record<string, string>>;
  bytes: string | Uint8Array;
}

/** The answer's body. FlatBuffers bytes are transient (flat-response.ts): valid until the next
 *  encode on this thread, so the caller writes them out before anything else runs. */
export function encodeResponse(format: WireFormat, req: InferRequest, resp: InferResponse): EncodedBody {
  switch (format) {
    case 'flatbuffers':
      return { contentType: FLATBUFFERS_CONTENT_TYPE, headers: NO_HEADERS, bytes: encodeFlatResponseTransient(resp) };
    case 'json':
    case 'binary': {
      const binaryOutputs = binaryOutputNames(req, resp);
      if (binaryOutputs.size === 0) return { contentType: 'application/json', headers: {}, bytes: encodeJsonResponse(resp) };
      const { body, headerLength } = encodeBinaryResponse(resp, binaryOutputs);
      return {
        contentType: 'application/octet-stream',
        headers: { 'Inference-Header-Content-Length': String(headerLength) },
        bytes: body,
      };
    }
  }
}

/** Outputs to return as binary data: those asked with binary_data, or all when the request's
 *  binary_data_output parameter is true (Triton's rules). */
function binaryOutputNames(req: InferRequest, resp: InferResponse): Set<string> {
  const names = new Set<string>();
  const all = req.parameters['binary_data_output'] === true;
  const asked = new Map(req.outputs.map((o) => [o.name, o.binaryData]));
  for (const o of resp.outputs) {
    const b = asked.get(o.name);
    if (b === true || (b === undefined && all)) names.add(o.name);
  }
  return names;
}

export function encodeError(format: WireFormat | undefined, e: unknown, id: string, model: string): { contentType: string; bytes: string | Uint8Array } | undefined {
  if (format !== 'flatbuffers') return undefined;
  return { contentType: FLATBUFFERS_CONTENT_TYPE, bytes: encodeFlatErrorTransient(toInferError(e), id, model) };
}
