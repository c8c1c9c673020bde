// FlatBuffers encoders: requests (client side: CLI, bench load generator, tests), built with the
// generated builders so field slots follow the schema; the server's answers, success and error,
// are written directly by flat-response.ts (a Builder per answer cost microseconds).
//
// Speed: the Builder is pre-sized from the message so it never grows (growing copies the
// whole buffer), and each tensor's bytes are copied once with a single set() (the generated
// create*Vector helpers would add them byte by byte).
// Ownership: the returned Uint8Array is a fresh buffer owned by the caller; inputs are only
// read during the call.
import { Builder } from 'flatbuffers';
import { ERROR_CATALOGUE, WIRE_ERROR_CODES, type InferError } from '../core/errors.js';
import {
  InferRequest as FbRequest, Parameter, ParameterKind,
  RequestedOutput as FbRequestedOutput, Tensor as FbTensor,
} from './generated/infergate-generated.js';
import { DATATYPE_NAMES } from '../core/datatypes.js';
import { nameBytes, utf8 } from './utf8-names.js';
import { encodeFlatErrorFields, encodeFlatErrorFieldsTransient, type FlatErrorFields } from './flat-response.js';
import type { DataType, InferRequest, InferResponse, ParamValue, WireTensor } from '../core/types.js';

export const REQUEST_IDENTIFIER = 'IGRQ';
export const RESPONSE_IDENTIFIER = 'IGRS';
/** Alignment of every tensor's data vector (enough for any element type and for SIMD loads). */
export const TENSOR_DATA_ALIGNMENT = 16;

type Offset = number;

const WIRE_DATATYPE: Readonly<Record<DataType, number>> = Object.fromEntries(
  DATATYPE_NAMES.map((d, i) => [d, i + 1]),
) as Record<DataType, number>;

/** Upper bound of the encoded size of a string (UTF-8 is at most 3 bytes per UTF-16 unit). */
function strBound(s: string): number {
  return s.length * 3 + 12;
}

function tensorsBound(tensors: readonly WireTensor[]): number {
  let n = 16 + 4 * tensors.length;
  for (const t of tensors) n += t.data.byteLength + TENSOR_DATA_ALIGNMENT + 8 + strBound(t.name) + 8 * t.shape.length + 16 + 48;
  return n;
}

function newBuilder(bound: number): Builder {
  // A multiple of the alignment: the finished buffer then starts on an aligned offset of
  // a fresh (aligned) ArrayBuffer, so decoding it locally also yields aligned views.
  return new Builder(Math.ceil((bound + 64) / TENSOR_DATA_ALIGNMENT) * TENSOR_DATA_ALIGNMENT);
}

/** A string field; '' is left out (reads back as ''). `name`: a repeating name, cached. */
function createString(b: Builder, s: string, name = false): Offset {
  if (s === '') return 0;
  return b.createString(name ? nameBytes(s) : utf8(s));
}

/** A [ubyte] vector whose first byte is TENSOR_DATA_ALIGNMENT-aligned, copied in one set(). */
function createAlignedBytes(b: Builder, data: Uint8Array): Offset {
  // prep() pads so that after data.byteLength more bytes the offset is aligned (and raises the
  // buffer's minimum alignment); createByteVector's own 4-byte prep then adds no padding, so
  // the bytes start exactly at an aligned position.
  b.prep(TENSOR_DATA_ALIGNMENT, data.byteLength);
  return b.createByteVector(data);
}

function createTensor(b: Builder, t: WireTensor): Offset {
  const name = b.createString(nameBytes(t.name));
  FbTensor.startShapeVector(b, t.shape.length);
  for (let i = t.shape.length - 1; i >= 0; i--) b.addInt64(BigInt(t.shape[i]!));
  const shape = b.endVector();
  const data = createAlignedBytes(b, t.data);
  FbTensor.startTensor(b);
  FbTensor.addName(b, name);
  FbTensor.addDatatype(b, WIRE_DATATYPE[t.datatype]);
  FbTensor.addShape(b, shape);
  FbTensor.addData(b, data);
  return FbTensor.endTensor(b);
}

function createTensorVector(b: Builder, tensors: readonly WireTensor[]): Offset {
  const offsets = tensors.map((t) => createTensor(b, t));
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

function createParameter(b: Builder, key: string, value: ParamValue): Offset {
  const k = b.createString(nameBytes(key));
  const s = typeof value === 'string' ? b.createString(utf8(value)) : 0;
  Parameter.startParameter(b);
  Parameter.addKey(b, k);
  if (typeof value === 'boolean') {
    Parameter.addKind(b, ParameterKind.BOOL);
    Parameter.addBoolValue(b, value);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) {
      Parameter.addKind(b, ParameterKind.INT64);
      Parameter.addInt64Value(b, BigInt(value));
    } else {
      Parameter.addKind(b, ParameterKind.DOUBLE);
      Parameter.addDoubleValue(b, value);
    }
  } else {
    Parameter.addKind(b, ParameterKind.STRING);
    Parameter.addStringValue(b, s);
  }
  return Parameter.endParameter(b);
}

/** Client side: an InferRequest as a FlatBuffers message (identifier "IGRQ"). */
export function encodeFlatRequest(req: InferRequest): Uint8Array {
  const params = Object.entries(req.parameters);
  let bound = tensorsBound(req.inputs) + strBound(req.modelName) + strBound(req.modelVersion) + strBound(req.id) + 96;
  for (const [k, v] of params) bound += strBound(k) + (typeof v === 'string' ? strBound(v) : 0) + 64;
  for (const o of req.outputs) bound += strBound(o.name) + 24;
  const b = newBuilder(bound);

  const modelName = createString(b, req.modelName, true);
  const modelVersion = createString(b, req.modelVersion, true);
  const id = createString(b, req.id);
  let paramsVec = 0;
  if (params.length > 0) {
    paramsVec = FbRequest.createParametersVector(b, params.map(([k, v]) => createParameter(b, k, v)));
  }
  const inputs = createTensorVector(b, req.inputs);
  let outputs = 0;
  if (req.outputs.length > 0) {
    outputs = FbRequest.createOutputsVector(b, req.outputs.map((o) => FbRequestedOutput.createRequestedOutput(b, b.createString(nameBytes(o.name)))));
  }
  FbRequest.startInferRequest(b);
  FbRequest.addModelName(b, modelName);
  FbRequest.addModelVersion(b, modelVersion);
  FbRequest.addId(b, id);
  FbRequest.addTimeoutUs(b, BigInt(Math.max(0, Math.trunc(req.timeoutUs))));
  FbRequest.addPriority(b, req.priority);
  FbRequest.addParameters(b, paramsVec);
  FbRequest.addInputs(b, inputs);
  FbRequest.addOutputs(b, outputs);
  b.finish(FbRequest.endInferRequest(b), REQUEST_IDENTIFIER);
  return b.asUint8Array();
}

/** Server side: an error response carrying the catalogue code, HTTP status and message
 *  (written by flat-response.ts). */
export function encodeFlatError(e: InferError, id: string, model: string, version = ''): Uint8Array {
  return encodeFlatErrorFields(errorFields(e), id, model, version);
}

/** The same bytes in the scratch buffer: valid until the next encode on this thread (for the
 *  HTTP answer, which uWS copies at once; see flat-response.ts). */
export function encodeFlatErrorTransient(e: InferError, id: string, model: string, version = ''): Uint8Array {
  return encodeFlatErrorFieldsTransient(errorFields(e), id, model, version);
}

function errorFields(e: InferError): FlatErrorFields {
  const retry = e.retryAfterS;
  return {
    wireCode: WIRE_ERROR_CODES[e.code], status: ERROR_CATALOGUE[e.code].status, name: e.code, message: e.message,
    retryAfterS: retry === undefined ? 0 : Math.max(0, Math.ceil(retry)),
  };
}
