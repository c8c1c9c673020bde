// Client side of the KServe v2 JSON protocol: requests out, responses in. Used by the CLI,
// the bench load generator and the tests; the server never calls these.
import { err } from '../core/errors.js';
import { checkTensorBytes } from '../core/datatypes.js';
import { jsonDataToBytes } from './json-tensor.js';
import { JsonByteWriter } from './json-writer.js';
import {
  binaryDataSize, bodyText, isJsonObject, parseDatatype, parseJson, parseShape, tensorName,
} from './kserve-request.js';
import type { InferRequest, InferResponse, WireTensor } from '../core/types.js';

/**
 * The request object as JSON bytes. Inputs named in `binaryInputs` carry
 * parameters.binary_data_size instead of "data" (their bytes must follow, in input order);
 * `padTo` pads with trailing spaces to a multiple of that many bytes.
 */
export function requestJsonBytes(req: InferRequest, binaryInputs: ReadonlySet<string> | null = null, padTo = 1): Uint8Array {
  const params: Record<string, unknown> = { ...req.parameters };
  if (req.timeoutUs > 0) params['timeout'] = req.timeoutUs;
  if (req.priority > 0) params['priority'] = req.priority;
  let size = 256;
  for (const t of req.inputs) size += 128 + t.name.length * 3 + (binaryInputs?.has(t.name) ? 0 : t.data.byteLength * 4);
  const w = new JsonByteWriter(size);
  w.byte(0x7b);
  if (req.id !== '') w.raw('"id":').string(req.id).byte(0x2c);
  if (Object.keys(params).length > 0) w.raw(`"parameters":${JSON.stringify(params)},`);
  w.raw('"inputs":[');
  req.inputs.forEach((t, i) => {
    if (i > 0) w.byte(0x2c);
    w.raw('{"name":').string(t.name).raw(`,"datatype":"${t.datatype}","shape":[${t.shape.join(',')}],`);
    if (binaryInputs?.has(t.name)) w.raw(`"parameters":{"binary_data_size":${t.data.byteLength}}}`);
    else w.raw('"data":').tensorData(t, true).byte(0x7d);
  });
  w.byte(0x5d);
  if (req.outputs.length > 0) {
    w.raw(`,"outputs":${JSON.stringify(req.outputs.map((o) => (o.binaryData === undefined
      ? { name: o.name }
      : { name: o.name, parameters: { binary_data: o.binaryData } })))}`);
  }
  w.byte(0x7d);
  while (w.length % padTo !== 0) w.byte(0x20);
  return w.bytes();
}

/** A request as a KServe v2 JSON body (every input as JSON data), UTF-8 bytes. */
export function encodeJsonRequest(req: InferRequest): Uint8Array {
  return requestJsonBytes(req, null);
}

/**
 * A parsed response object (lenient: non-finite floats as strings, 64-bit
 * integers as rounded numbers). `binary` is the binary section for binary outputs.
 * An {"error": "..."} body is thrown as IG_INFERENCE_FAILED carrying the server's message.
 */
export function parseKserveResponse(obj: unknown, binary: Uint8Array | null): InferResponse {
  if (!isJsonObject(obj)) throw err('IG_BAD_JSON', 'response body must be a JSON object');
  if (typeof obj['error'] === 'string') throw err('IG_INFERENCE_FAILED', obj['error']);
  const str = (k: string): string => {
    const v = obj[k] ?? '';
    if (typeof v !== 'string') throw err('IG_BAD_JSON', `response "${k}" must be a string`);
    return v;
  };
  const raw = obj['outputs'] ?? [];
  if (!Array.isArray(raw)) throw err('IG_BAD_JSON', 'response "outputs" must be an array');
  const seen = new Set<string>();
  let offset = 0;
  const outputs = raw.map((o: unknown, i): WireTensor => {
    if (!isJsonObject(o)) throw err('IG_BAD_JSON', `outputs[${i}] must be an object`);
    const name = tensorName(o['name'], 'output', i, seen);
    const what = `output "${name}"`;
    const datatype = parseDatatype(o['datatype'], what);
    const shape = parseShape(o['shape'], what);
    const params = isJsonObject(o['parameters']) ? o['parameters'] : undefined;
    const size = binaryDataSize(params, what);
    if (size === undefined) return { name, datatype, shape, data: jsonDataToBytes(o['data'], datatype, shape, what, true) };
    if (binary === null || size > binary.byteLength - offset) {
      throw err('IG_BAD_REQUEST', `${what}: binary_data_size ${size} exceeds the binary data in the response`);
    }
    const data = binary.subarray(offset, offset + size);
    offset += size;
    checkTensorBytes(datatype, shape, data, what);
    return { name, datatype, shape, data };
  });
  if (binary !== null && offset !== binary.byteLength) {
    throw err('IG_BAD_REQUEST', `${binary.byteLength - offset} bytes of binary data follow the last binary output`);
  }
  return { modelName: str('model_name'), modelVersion: str('model_version'), id: str('id'), outputs };
}

/** A KServe v2 JSON response body to an InferResponse. */
export function decodeJsonResponse(body: Uint8Array | string): InferResponse {
  return parseKserveResponse(parseJson(bodyText(body), 'response body'), null);
}
