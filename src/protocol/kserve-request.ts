// The KServe v2 / Open Inference Protocol request object (already JSON-parsed) -> InferRequest,
// shared by the plain JSON codec and the binary tensor extension. Follows Triton's HTTP
// server: request parameters "timeout" (microseconds) and "priority" become fields, the
// binary extension's "binary_data_output" stays in `parameters` (the response encoder reads
// it), inputs carry either "data" or parameters.binary_data_size, never both, and binary
// data is consumed in input order with nothing left over.
import { err } from '../core/errors.js';
import { checkTensorBytes, isDataType, MAX_TENSOR_BYTES, shapeElementCount } from '../core/datatypes.js';
import { jsonDataToBytes } from './json-tensor.js';
import { DEFAULT_JSON_LIMITS, scanJson, type JsonLimits } from './json-limits.js';
import { MAX_PARAMETERS, MAX_RANK } from './limits.js';
import type { DataType, InferRequest, ParamValue, RequestedOutput, WireTensor } from '../core/types.js';

const DATATYPE_LIST = 'BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES';

type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8');

/**
 * A KServe JSON body (or binary-extension header) as a value: scanned against `limits` first
 * when larger than limits.scanAboveBytes (json-limits.ts), then parsed. Throws IG_BAD_REQUEST
 * (a limit) or IG_BAD_JSON (syntax).
 */
export function parseJsonBody(body: Uint8Array | string, limits: JsonLimits, what: string): unknown {
  if (body.length > limits.scanAboveBytes) scanJson(typeof body === 'string' ? new TextEncoder().encode(body) : body, limits, what);
  return parseJson(bodyText(body), what);
}

/** Parses JSON text; syntax errors become IG_BAD_JSON with the parser's message. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw err('IG_BAD_JSON', `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A body as text (UTF-8; invalid sequences become U+FFFD and then fail as JSON or data). */
export function bodyText(body: Uint8Array | string): string {
  return typeof body === 'string' ? body : utf8.decode(body);
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(o: JsonObject, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Sets an own data property (a key such as "__proto__" must not touch the prototype). */
export function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** A KServe parameters object: every value a string, number or boolean. */
export function parseParameters(v: unknown, what: string): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  if (v === undefined) return out;
  if (!isJsonObject(v)) throw err('IG_BAD_REQUEST', `${what} must be an object`);
  const keys = Object.keys(v);
  if (keys.length > MAX_PARAMETERS) throw err('IG_BAD_REQUEST', `${what} has ${keys.length} entries (limit ${MAX_PARAMETERS})`);
  for (const k of keys) {
    const p = v[k];
    if (typeof p !== 'string' && typeof p !== 'number' && typeof p !== 'boolean') {
      throw err('IG_BAD_REQUEST', `${what}.${k} must be a string, number or boolean`);
    }
    setOwn(out, k, p);
  }
  return out;
}

function uintParam(params: Record<string, ParamValue>, key: string, max: number, unit: string): number {
  if (!has(params, key)) return 0;
  const v = params[key];
  delete params[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw err('IG_BAD_REQUEST', `parameters.${key} must be a non-negative integer${unit} (got ${JSON.stringify(v)})`);
  }
  return v;
}

export function parseShape(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw err('IG_BAD_TENSOR', `${what}: "shape" must be an array of non-negative integers`);
  if (v.length > MAX_RANK) throw err('IG_BAD_TENSOR', `${what}: rank ${v.length} exceeds the limit of ${MAX_RANK}`);
  for (let i = 0; i < v.length; i++) {
    const d = v[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw err('IG_BAD_TENSOR', `${what}: shape[${i}] = ${JSON.stringify(d)} is not a non-negative integer`);
    }
  }
  return v as number[];
}

export function parseDatatype(v: unknown, what: string): DataType {
  if (!isDataType(v)) {
    throw err('IG_BAD_TENSOR', `${what}: datatype ${JSON.stringify(v)} is not a KServe v2 datatype (${DATATYPE_LIST})`);
  }
  return v;
}

export function tensorName(v: unknown, kind: string, i: number, seen: Set<string>): string {
  if (typeof v !== 'string' || v === '') throw err('IG_BAD_REQUEST', `${kind} ${i}: "name" must be a non-empty string`);
  if (seen.has(v)) throw err('IG_BAD_REQUEST', `${kind} "${v}" appears more than once`);
  seen.add(v);
  return v;
}

/** Reads parameters.binary_data_size (undefined when absent). */
export function binaryDataSize(params: JsonObject | undefined, what: string): number | undefined {
  if (params === undefined || !has(params, 'binary_data_size')) return undefined;
  const n = params['binary_data_size'];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_TENSOR_BYTES) {
    throw err('IG_BAD_REQUEST', `${what}: parameters.binary_data_size must be a non-negative integer (got ${JSON.stringify(n)})`);
  }
  return n;
}

function optionalObject(o: JsonObject, key: string, what: string): JsonObject | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw err('IG_BAD_REQUEST', `${what}: "${key}" must be an object`);
  return v;
}

function parseInput(v: unknown, i: number, seen: Set<string>, binary: { bytes: Uint8Array; offset: number } | null, limits: JsonLimits): WireTensor {
  if (!isJsonObject(v)) throw err('IG_BAD_REQUEST', `inputs[${i}] must be an object`);
  const name = tensorName(v['name'], 'input', i, seen);
  const what = `input "${name}"`;
  const datatype = parseDatatype(v['datatype'], what);
  const shape = parseShape(v['shape'], what);
  const params = optionalObject(v, 'parameters', what);
  if (params !== undefined && has(params, 'shared_memory_region')) {
    throw err('IG_BAD_REQUEST', `${what}: the shared-memory extension is not supported; send "data" or binary data`);
  }
  const size = binaryDataSize(params, what);
  if (size === undefined) {
    if (!has(v, 'data')) throw err('IG_BAD_TENSOR', `${what}: "data" is missing`);
    // Before the tensor's buffer is allocated: its size follows from the shape.
    const count = shapeElementCount(shape, what);
    if (count > limits.maxElements) {
      throw err('IG_BAD_TENSOR', `${what}: shape [${shape.join(',')}] has ${count} elements; JSON data is limited to ${limits.maxElements} (--max-json-elements)`);
    }
    return { name, datatype, shape, data: jsonDataToBytes(v['data'], datatype, shape, what, false, limits.maxStringBytes) };
  }
  if (binary === null) {
    throw err('IG_BAD_REQUEST',
      `${what} has parameters.binary_data_size but the request has no Inference-Header-Content-Length header`);
  }
  if (has(v, 'data')) throw err('IG_BAD_REQUEST', `${what}: give either "data" or parameters.binary_data_size, not both`);
  const left = binary.bytes.byteLength - binary.offset;
  if (size > left) {
    throw err('IG_BAD_REQUEST', `${what}: binary_data_size is ${size} but only ${left} bytes of binary data remain`);
  }
  // A view into the body: no copy (WireTensor ownership: valid while the body is).
  const data = binary.bytes.subarray(binary.offset, binary.offset + size);
  binary.offset += size;
  checkTensorBytes(datatype, shape, data, what);
  return { name, datatype, shape, data };
}

function parseOutputs(v: unknown, maxOutputs: number): RequestedOutput[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw err('IG_BAD_REQUEST', '"outputs" must be an array');
  if (v.length > maxOutputs) throw err('IG_BAD_REQUEST', `"outputs" has ${v.length} entries (limit ${maxOutputs}, --max-inputs)`);
  const seen = new Set<string>();
  return v.map((o: unknown, i): RequestedOutput => {
    if (!isJsonObject(o)) throw err('IG_BAD_REQUEST', `outputs[${i}] must be an object`);
    const name = tensorName(o['name'], 'output', i, seen);
    const params = optionalObject(o, 'parameters', `output "${name}"`);
    if (params === undefined) return { name };
    for (const ext of ['classification', 'shared_memory_region']) {
      if (has(params, ext)) throw err('IG_BAD_REQUEST', `output "${name}": parameters.${ext} is not supported`);
    }
    const b = params['binary_data'];
    if (b === undefined) return { name };
    if (typeof b !== 'boolean') throw err('IG_BAD_REQUEST', `output "${name}": parameters.binary_data must be true or false`);
    return { name, binaryData: b };
  });
}

/**
 * A parsed KServe v2 request object to an InferRequest for `modelName`/`modelVersion` (from
 * the URL; a model_name in the body is ignored, as Triton does). `binary` is the binary
 * section after the JSON header (binary extension), or null for a plain JSON request.
 */
export function parseKserveRequest(obj: unknown, modelName: string, modelVersion: string, binary: Uint8Array | null,
  limits: JsonLimits = DEFAULT_JSON_LIMITS): InferRequest {
  if (!isJsonObject(obj)) throw err('IG_BAD_JSON', 'request body must be a JSON object');
  const id = obj['id'] ?? '';
  if (typeof id !== 'string') throw err('IG_BAD_REQUEST', `"id" must be a string (got ${JSON.stringify(id)})`);
  const parameters = parseParameters(obj['parameters'], 'parameters');
  const timeoutUs = uintParam(parameters, 'timeout', Number.MAX_SAFE_INTEGER, ' (microseconds)');
  const priority = uintParam(parameters, 'priority', 0xffffffff, '');
  if (has(parameters, 'binary_data_output') && typeof parameters['binary_data_output'] !== 'boolean') {
    throw err('IG_BAD_REQUEST', 'parameters.binary_data_output must be true or false');
  }
  const rawInputs = obj['inputs'];
  if (!Array.isArray(rawInputs)) throw err('IG_BAD_REQUEST', '"inputs" must be an array');
  if (rawInputs.length > limits.maxInputs) throw err('IG_BAD_REQUEST', `"inputs" has ${rawInputs.length} entries (limit ${limits.maxInputs}, --max-inputs)`);
  const seen = new Set<string>();
  const section = binary === null ? null : { bytes: binary, offset: 0 };
  const inputs = rawInputs.map((v: unknown, i) => parseInput(v, i, seen, section, limits));
  if (section !== null && section.offset !== section.bytes.byteLength) {
    throw err('IG_BAD_REQUEST',
      `${section.bytes.byteLength - section.offset} bytes of binary data follow the last binary input ` +
      `(binary_data_size values add up to ${section.offset}, the body carries ${section.bytes.byteLength})`);
  }
  return { modelName, modelVersion, id, timeoutUs, priority, parameters, inputs, outputs: parseOutputs(obj['outputs'], limits.maxInputs) };
}
