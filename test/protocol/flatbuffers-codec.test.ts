import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, ByteBuffer } from 'flatbuffers';
import {
  decodeFlatRequest, decodeFlatResponse, encodeFlatError, encodeFlatRequest, encodeFlatResponse,
} from '../../src/protocol/flatbuffers-codec.js';
import { InferError } from '../../src/core/errors.js';
import { InferRequest as FbRequest, Tensor as FbTensor, DataType as FbDataType } from '../../src/protocol/generated/infergate-generated.js';
import { ALL_DATATYPES, assertInferError, assertRequestsEqual, assertResponsesEqual, atOffset, randomRequest, randomResponse, randomTensor, Rng } from './helpers.js';
import type { InferRequest } from '../../src/core/types.js';

function baseRequest(): InferRequest {
  return {
    modelName: 'm', modelVersion: '', id: 'r1', timeoutUs: 0, priority: 0, parameters: {},
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Uint8Array(8) }], outputs: [],
  };
}

test('flatbuffers: request round trip, every datatype, seeded random data', () => {
  const rng = new Rng(1);
  for (let round = 0; round < 20; round++) {
    const req = randomRequest(rng);
    assertRequestsEqual(decodeFlatRequest(encodeFlatRequest(req)), req);
  }
});

test('flatbuffers: response round trip, every datatype, and error responses', () => {
  const rng = new Rng(2);
  for (let round = 0; round < 20; round++) {
    const resp = randomResponse(rng);
    const back = decodeFlatResponse(encodeFlatResponse(resp));
    assert.equal(back.error, undefined);
    assertResponsesEqual(back, resp);
  }
  const e = new InferError('IG_QUEUE_FULL', 'queue for "ranker" is full (64 waiting)', { retryAfterS: 2 });
  const back = decodeFlatResponse(encodeFlatError(e, 'r9', 'ranker', '2'));
  assert.ok(back.error instanceof InferError);
  assert.equal(back.error.code, 'IG_QUEUE_FULL');
  assert.equal(back.error.status, 503);
  assert.equal(back.error.message, e.message);
  assert.equal(back.error.retryAfterS, 2);
  assert.deepEqual([back.id, back.modelName, back.modelVersion, back.outputs.length], ['r9', 'ranker', '2', 0]);
});

test('flatbuffers: decoded tensor data are zero-copy views, 16-byte aligned in an aligned body', () => {
  const rng = new Rng(3);
  const req = randomRequest(rng);
  req.inputs.push(randomTensor(rng, 'big', 'FP32', {}, [7, 3]));
  const bytes = encodeFlatRequest(req);
  assert.equal(bytes.byteOffset % 16, 0);
  const body = atOffset(bytes, 32); // what a server's aligned body buffer looks like
  for (const t of decodeFlatRequest(body).inputs) {
    assert.equal(t.data.buffer, body.buffer, `${t.name}: a view into the body`);
    if (t.data.byteLength > 0) assert.equal(t.data.byteOffset % 16, 0, `${t.name} at ${t.data.byteOffset}`);
  }
  // A misaligned body still decodes (views are then misaligned; bytesToTypedArray copies).
  assertRequestsEqual(decodeFlatRequest(atOffset(bytes, 3)), req);
});

test('flatbuffers: what we write reads back through the generated accessors (schema slots agree)', () => {
  const rng = new Rng(4);
  const req = randomRequest(rng);
  const fb = FbRequest.getRootAsInferRequest(new ByteBuffer(encodeFlatRequest(req)));
  assert.ok(FbRequest.bufferHasIdentifier(new ByteBuffer(encodeFlatRequest(req))));
  assert.equal(fb.modelName(), req.modelName);
  assert.equal(fb.modelVersion(), req.modelVersion);
  assert.equal(fb.id(), req.id);
  assert.equal(fb.timeoutUs(), BigInt(req.timeoutUs));
  assert.equal(fb.priority(), req.priority);
  assert.equal(fb.parametersLength(), Object.keys(req.parameters).length);
  assert.equal(fb.inputsLength(), req.inputs.length);
  for (let i = 0; i < fb.inputsLength(); i++) {
    const t = fb.inputs(i)!;
    const want = req.inputs[i]!;
    assert.equal(t.name(), want.name);
    assert.equal(FbDataType[t.datatype()], want.datatype);
    assert.deepEqual(Array.from({ length: t.shapeLength() }, (_, d) => Number(t.shape(d))), want.shape);
    assert.deepEqual(Array.from(t.dataArray() ?? []), Array.from(want.data));
  }
  assert.deepEqual(Array.from({ length: fb.outputsLength() }, (_, i) => fb.outputs(i)!.name()), ['scores', 'ids']);
});

test('flatbuffers: a request built with the generated code alone decodes (other writers, no alignment)', () => {
  const b = new Builder(64);
  const name = b.createString('x');
  const shape = FbTensor.createShapeVector(b, [2n, 2n]);
  const data = FbTensor.createDataVector(b, new Uint8Array(new Int32Array([1, -2, 3, -4]).buffer));
  const t = FbTensor.createTensor(b, name, FbDataType.INT32, shape, data);
  const inputs = FbRequest.createInputsVector(b, [t]);
  const model = b.createString('m');
  FbRequest.startInferRequest(b);
  FbRequest.addModelName(b, model);
  FbRequest.addInputs(b, inputs);
  FbRequest.finishInferRequestBuffer(b, FbRequest.endInferRequest(b));
  const req = decodeFlatRequest(b.asUint8Array());
  assert.equal(req.modelName, 'm');
  assert.deepEqual(Array.from(new Int32Array(req.inputs[0]!.data.slice().buffer)), [1, -2, 3, -4]);
  assert.deepEqual([req.id, req.modelVersion, req.timeoutUs, req.priority, req.outputs], ['', '', 0, 0, []]);
});

test('flatbuffers: every datatype with scalar, empty and zero-size shapes', () => {
  const rng = new Rng(5);
  for (const dt of ALL_DATATYPES) {
    for (const shape of [[], [0], [3, 0, 2], [1]]) {
      const resp = { modelName: 'm', modelVersion: '1', id: '', outputs: [randomTensor(rng, 'y', dt, {}, shape)] };
      assertResponsesEqual(decodeFlatResponse(encodeFlatResponse(resp)), resp);
    }
  }
});

test('flatbuffers: semantic errors name the field', () => {
  const withInput = (patch: Partial<InferRequest['inputs'][0]>): Uint8Array => {
    const r = baseRequest();
    r.inputs = [{ ...r.inputs[0]!, ...patch }];
    return encodeFlatRequest(r);
  };
  assertInferError(() => decodeFlatRequest(withInput({ data: new Uint8Array(7) })), 'IG_BAD_TENSOR',
    /input "x": data is 7 bytes, FP32 shape \[1,2\] needs 8/);
  assertInferError(() => decodeFlatRequest(withInput({ shape: [1, 2, 1, 1, 1, 1, 1, 1, 1] })), 'IG_BAD_FLATBUFFER',
    /input "x" shape: 9 elements exceeds the limit of 8/);
  assertInferError(() => decodeFlatRequest(withInput({ shape: [-1, 2] })), 'IG_BAD_TENSOR', /input "x": shape\[0\] is negative/);
  assertInferError(() => decodeFlatRequest(withInput({ datatype: 'BYTES', shape: [2], data: new Uint8Array([1, 0, 0, 0, 65]) })),
    'IG_BAD_TENSOR', /input "x": BYTES data holds 1 elements, shape \[2\] needs 2/);
  const dup = baseRequest();
  dup.inputs.push(dup.inputs[0]!);
  assertInferError(() => decodeFlatRequest(encodeFlatRequest(dup)), 'IG_BAD_REQUEST', /input "x" appears more than once/);
  const empty = baseRequest();
  empty.inputs[0]!.name = '';
  assertInferError(() => decodeFlatRequest(encodeFlatRequest(empty)), 'IG_BAD_FLATBUFFER', /input 0 has an empty name/);
  const bigParam = baseRequest();
  bigParam.parameters = { n: 2 ** 60 };
  // 2^60 is not a safe integer, so it travels as a double and comes back exactly as that double.
  assert.equal(decodeFlatRequest(encodeFlatRequest(bigParam)).parameters['n'], 2 ** 60);
});

test('flatbuffers: structural errors (identifier, size, offsets, datatype enum)', () => {
  const good = encodeFlatRequest(baseRequest());
  assertInferError(() => decodeFlatRequest(new Uint8Array(0)), 'IG_BAD_FLATBUFFER', /0 bytes is too short/);
  assertInferError(() => decodeFlatRequest(encodeFlatResponse({ modelName: 'm', modelVersion: '', id: '', outputs: [] })),
    'IG_BAD_FLATBUFFER', /file identifier is "IGRS", expected "IGRQ"/);
  assertInferError(() => decodeFlatResponse(good), 'IG_BAD_FLATBUFFER', /expected "IGRS"/);
  const badRoot = good.slice();
  new DataView(badRoot.buffer).setUint32(0, badRoot.byteLength + 100, true);
  assertInferError(() => decodeFlatRequest(badRoot), 'IG_BAD_FLATBUFFER', /InferRequest: table offset \d+ is outside/);
  assertInferError(() => decodeFlatRequest(good.subarray(0, good.byteLength - 12)), 'IG_BAD_FLATBUFFER', /invalid FlatBuffers message/);
  // Datatype enum value 99: patch the byte the generated accessor reads.
  const patched = good.slice();
  const t = FbRequest.getRootAsInferRequest(new ByteBuffer(patched)).inputs(0)!;
  const bb = t.bb!;
  const fieldPos = t.bb_pos + bb.__offset(t.bb_pos, 6);
  patched[fieldPos] = 99;
  assertInferError(() => decodeFlatRequest(patched), 'IG_BAD_FLATBUFFER', /input "x": datatype enum value 99 is not a KServe datatype/);
});

test('flatbuffers: count limits are enforced before anything is allocated', () => {
  const many = baseRequest();
  many.inputs = Array.from({ length: 300 }, (_, i) => ({ name: `x${i}`, datatype: 'UINT8' as const, shape: [0], data: new Uint8Array(0) }));
  assertInferError(() => decodeFlatRequest(encodeFlatRequest(many)), 'IG_BAD_FLATBUFFER', /inputs: 300 elements exceeds the limit of 256/);
  const longName = baseRequest();
  longName.modelName = 'm'.repeat(2000);
  assertInferError(() => decodeFlatRequest(encodeFlatRequest(longName)), 'IG_BAD_FLATBUFFER', /model_name: 2000 bytes exceeds the limit of 1024/);
});
