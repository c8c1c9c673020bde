// FlatBuffers <-> InferRequest / InferResponse. The decoders read through FlatReader, which
// validates every offset before use (the JS runtime has no verifier), so a hostile body ends
// in an InferError, never a crash, a hang or a large allocation. Tensor data comes back as
// zero-copy views into the body: they are valid as long as the body buffer is (see
// WireTensor's ownership note) and 16-byte aligned when the body is (our encoder aligns them).
import { err, InferError, isErrorCode, WIRE_ERROR_CODES, type ErrorCode } from '../core/errors.js';
import { checkTensorBytes, DATATYPE_NAMES } from '../core/datatypes.js';
import { FlatReader, type FlatTable } from './flat-reader.js';
import { MAX_NAME_BYTES, MAX_PARAMETERS, MAX_RANK, MAX_STRING_BYTES, MAX_TENSORS } from './limits.js';
import { REQUEST_IDENTIFIER, RESPONSE_IDENTIFIER } from './flat-encode.js';
import type { InferRequest, InferResponse, ParamValue, RequestedOutput, WireTensor } from '../core/types.js';

export { encodeFlatResponse, encodeFlatResponseTransient } from './flat-response.js';
export { encodeFlatError, encodeFlatErrorTransient, encodeFlatRequest, REQUEST_IDENTIFIER, RESPONSE_IDENTIFIER, TENSOR_DATA_ALIGNMENT } from './flat-encode.js';

/** Bounds on what a decoded message may contain (each one caps work and allocation). */
export interface FlatDecodeLimits {
  maxTensors: number;
  maxRequestedOutputs: number;
  maxParameters: number;
  maxRank: number;
  /** Model names, versions, ids, tensor names, parameter keys. */
  maxNameBytes: number;
  /** Parameter string values and error messages. */
  maxStringBytes: number;
}

export const DEFAULT_FLAT_LIMITS: Readonly<FlatDecodeLimits> = {
  maxTensors: MAX_TENSORS,
  maxRequestedOutputs: MAX_TENSORS,
  maxParameters: MAX_PARAMETERS,
  maxRank: MAX_RANK,
  maxNameBytes: MAX_NAME_BYTES,
  maxStringBytes: MAX_STRING_BYTES,
};

// Vtable slots, in schema order (schemas/infergate.fbs). A round-trip test against the
// generated accessors keeps these in step with the schema.
const REQ = { modelName: 0, modelVersion: 1, id: 2, timeoutUs: 3, priority: 4, parameters: 5, inputs: 6, outputs: 7 } as const;
const RESP = { modelName: 0, modelVersion: 1, id: 2, outputs: 3, error: 4 } as const;
const TENSOR = { name: 0, datatype: 1, shape: 2, data: 3 } as const;
const PARAM = { key: 0, kind: 1, bool: 2, int64: 3, double: 4, string: 5 } as const;
const ERROR = { code: 0, status: 1, message: 2, name: 3, retryAfterS: 4 } as const;

function decodeTensors(r: FlatReader, t: FlatTable, slot: number, limits: FlatDecodeLimits, kind: 'input' | 'output'): WireTensor[] {
  const vec = r.vector(t, slot, 4, limits.maxTensors, kind === 'input' ? 'inputs' : 'outputs');
  const out = new Array<WireTensor>(vec.count);
  // Most requests carry one tensor: no Set for them.
  const seen = vec.count > 1 ? new Set<string>() : undefined;
  for (let i = 0; i < vec.count; i++) {
    const where = `${kind} ${i}`;
    const tt = r.tableAt(vec.start, i, where);
    const name = r.string(tt, TENSOR.name, limits.maxNameBytes, `${where} name`, true);
    if (name === '') r.fail(`${where} has an empty name`);
    if (seen?.has(name)) throw err('IG_BAD_REQUEST', `${kind} "${name}" appears more than once`);
    seen?.add(name);
    const what = `${kind} "${name}"`;
    const dtIndex = r.u8(tt, TENSOR.datatype, 0, `${what} datatype`);
    const datatype = DATATYPE_NAMES[dtIndex - 1];
    if (datatype === undefined) r.fail(`${what}: datatype enum value ${dtIndex} is not a KServe datatype`);
    const sv = r.vector(tt, TENSOR.shape, 8, limits.maxRank, `${what} shape`);
    const shape = new Array<number>(sv.count);
    for (let d = 0; d < sv.count; d++) {
      const dim = r.int64At(sv.start + 8 * d, true);
      if (dim === undefined || dim < 0) throw err('IG_BAD_TENSOR', `${what}: shape[${d}] is negative or too large`);
      shape[d] = dim;
    }
    const dv = r.vector(tt, TENSOR.data, 1, Number.MAX_SAFE_INTEGER, `${what} data`);
    // A view, not a copy: the body outlives the request (WireTensor ownership).
    const data = r.bytes.subarray(dv.start, dv.start + dv.count);
    checkTensorBytes(datatype, shape, data, what);
    out[i] = { name, datatype, shape, data };
  }
  return out;
}

function decodeParameters(r: FlatReader, t: FlatTable, limits: FlatDecodeLimits): Record<string, ParamValue> {
  const vec = r.vector(t, REQ.parameters, 4, limits.maxParameters, 'parameters');
  const params: Record<string, ParamValue> = {};
  for (let i = 0; i < vec.count; i++) {
    const pt = r.tableAt(vec.start, i, `parameter ${i}`);
    const key = r.string(pt, PARAM.key, limits.maxNameBytes, `parameter ${i} key`, true);
    const what = `parameter "${key}"`;
    if (Object.prototype.hasOwnProperty.call(params, key)) throw err('IG_BAD_REQUEST', `${what} appears more than once`);
    const kind = r.u8(pt, PARAM.kind, 0, `${what} kind`);
    let value: ParamValue;
    switch (kind) {
      case 1: value = r.u8(pt, PARAM.bool, 0, what) !== 0; break;
      case 2: {
        const v = r.i64(pt, PARAM.int64, true, what);
        if (v === undefined) throw err('IG_BAD_REQUEST', `${what}: int64 value is outside +-2^53 and cannot be represented exactly`);
        value = v;
        break;
      }
      case 3: value = r.f64(pt, PARAM.double, 0, what); break;
      case 4: value = r.string(pt, PARAM.string, limits.maxStringBytes, `${what} value`); break;
      default: return r.fail(`${what}: unknown parameter kind ${kind}`);
    }
    // defineProperty: a key like "__proto__" must become data, not change the prototype.
    Object.defineProperty(params, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return params;
}

function decodeRequestedOutputs(r: FlatReader, t: FlatTable, limits: FlatDecodeLimits): RequestedOutput[] {
  const vec = r.vector(t, REQ.outputs, 4, limits.maxRequestedOutputs, 'requested outputs');
  const out = new Array<RequestedOutput>(vec.count);
  const seen = vec.count > 1 ? new Set<string>() : undefined;
  for (let i = 0; i < vec.count; i++) {
    const ot = r.tableAt(vec.start, i, `requested output ${i}`);
    const name = r.string(ot, 0, limits.maxNameBytes, `requested output ${i} name`, true);
    if (name === '') r.fail(`requested output ${i} has an empty name`);
    if (seen?.has(name)) throw err('IG_BAD_REQUEST', `output "${name}" is requested more than once`);
    seen?.add(name);
    out[i] = { name };
  }
  return out;
}

/**
 * Server side: a FlatBuffers request body (identifier "IGRQ") to an InferRequest.
 * Throws InferError: IG_BAD_FLATBUFFER for malformed structure or limits, IG_BAD_TENSOR when a
 * tensor's bytes do not match its datatype and shape, IG_BAD_REQUEST for duplicate names.
 */
export function decodeFlatRequest(bytes: Uint8Array, limits: FlatDecodeLimits = DEFAULT_FLAT_LIMITS): InferRequest {
  const r = new FlatReader(bytes);
  const t = r.root(REQUEST_IDENTIFIER, 'InferRequest');
  const timeout = r.i64(t, REQ.timeoutUs, false, 'timeout_us');
  return {
    modelName: r.string(t, REQ.modelName, limits.maxNameBytes, 'model_name'),
    modelVersion: r.string(t, REQ.modelVersion, limits.maxNameBytes, 'model_version'),
    id: r.string(t, REQ.id, limits.maxNameBytes, 'id'),
    // Beyond 2^53 us (285 years) is "no practical limit": clamp rather than reject.
    timeoutUs: timeout ?? Number.MAX_SAFE_INTEGER,
    priority: r.u32(t, REQ.priority, 0, 'priority'),
    parameters: decodeParameters(r, t, limits),
    inputs: decodeTensors(r, t, REQ.inputs, limits, 'input'),
    outputs: decodeRequestedOutputs(r, t, limits),
  };
}

/** A decoded response: `error` is set (and `outputs` empty) when the server answered an error. */
export interface DecodedFlatResponse extends InferResponse {
  error?: InferError;
}

const CODE_BY_WIRE = new Map<number, ErrorCode>(
  (Object.entries(WIRE_ERROR_CODES) as [ErrorCode, number][]).map(([name, code]) => [code, name]),
);

/** Client side: a FlatBuffers response (identifier "IGRS"), validated like a request. */
export function decodeFlatResponse(bytes: Uint8Array, limits: FlatDecodeLimits = DEFAULT_FLAT_LIMITS): DecodedFlatResponse {
  const r = new FlatReader(bytes);
  const t = r.root(RESPONSE_IDENTIFIER, 'InferResponse');
  const resp: DecodedFlatResponse = {
    modelName: r.string(t, RESP.modelName, limits.maxNameBytes, 'model_name'),
    modelVersion: r.string(t, RESP.modelVersion, limits.maxNameBytes, 'model_version'),
    id: r.string(t, RESP.id, limits.maxNameBytes, 'id'),
    outputs: decodeTensors(r, t, RESP.outputs, limits, 'output'),
  };
  const et = r.childTable(t, RESP.error, 'error');
  if (et !== null) {
    const name = r.string(et, ERROR.name, limits.maxNameBytes, 'error name');
    const wire = r.u32(et, ERROR.code, 0, 'error code');
    const code: ErrorCode = isErrorCode(name) ? name : (CODE_BY_WIRE.get(wire) ?? 'IG_INTERNAL');
    const message = r.string(et, ERROR.message, limits.maxStringBytes, 'error message');
    const retryAfterS = r.u32(et, ERROR.retryAfterS, 0, 'error retry_after_s');
    resp.error = new InferError(code, message, retryAfterS > 0 ? { retryAfterS } : {});
  }
  return resp;
}
