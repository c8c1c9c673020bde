import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeJsonRequest, decodeJsonResponse, encodeJsonError, encodeJsonRequest, encodeJsonResponse,
} from '../../src/protocol/kserve-json.js';
import { InferError } from '../../src/core/errors.js';
import { ALL_DATATYPES, assertInferError, assertRequestsEqual, assertResponsesEqual, randomRequest, randomResponse, randomTensor, Rng } from './helpers.js';

const body = (o: unknown): string => JSON.stringify(o);
const text = (u: Uint8Array): string => new TextDecoder().decode(u);
const req1 = (input: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  body({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1, 2], ...input }], ...extra });

test('json: request round trip, every datatype (64-bit full range via strings), seeded random', () => {
  const rng = new Rng(10);
  for (let round = 0; round < 20; round++) {
    const req = randomRequest(rng);
    const bytes = encodeJsonRequest(req);
    assertRequestsEqual(decodeJsonRequest(bytes, req.modelName, req.modelVersion), req);
    assertRequestsEqual(decodeJsonRequest(text(bytes), req.modelName, req.modelVersion), req);
  }
});

test('json: response round trip, every datatype, seeded random', () => {
  const rng = new Rng(11);
  for (let round = 0; round < 20; round++) {
    const resp = randomResponse(rng, { safeInt64: true });
    const out = encodeJsonResponse(resp);
    assert.doesNotThrow(() => JSON.parse(text(out)));
    assertResponsesEqual(decodeJsonResponse(out), resp);
  }
});

test('json: response shape: KServe fields, flat data, id omitted when empty', () => {
  const resp = {
    modelName: 'ranker', modelVersion: '1', id: '',
    outputs: [{ name: 'p', datatype: 'FP32' as const, shape: [2, 2], data: new Uint8Array(new Float32Array([0.1, -1, 2e-7, 3]).buffer) }],
  };
  const out = text(encodeJsonResponse(resp));
  assert.deepEqual(JSON.parse(out), {
    model_name: 'ranker', model_version: '1',
    outputs: [{ name: 'p', datatype: 'FP32', shape: [2, 2], data: [0.1, -1, 2e-7, 3] }],
  });
  // FP32 values print as their shortest round-trip decimals, not as the nearest doubles.
  assert.match(out, /"data":\[0\.1,-1,2e-7,3\]/);
  assert.equal(JSON.parse(text(encodeJsonResponse({ ...resp, id: 'abc' }))).id, 'abc');
});

test('json: non-finite floats are written as strings and read back by the client decoder', () => {
  const vals = [NaN, Infinity, -Infinity, 1.5];
  for (const [dt, arr] of [['FP32', new Float32Array(vals)], ['FP64', new Float64Array(vals)]] as const) {
    const resp = { modelName: 'm', modelVersion: '1', id: '', outputs: [{ name: 'y', datatype: dt, shape: [4], data: new Uint8Array(arr.buffer) }] };
    const out = text(encodeJsonResponse(resp));
    assert.deepEqual(JSON.parse(out).outputs[0].data, ['NaN', 'Infinity', '-Infinity', 1.5]);
    assertResponsesEqual(decodeJsonResponse(out), resp);
  }
});

test('json: nested data (row-major) equals flat data', () => {
  const flat = decodeJsonRequest(req1({ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }), 'm', '');
  const nested = decodeJsonRequest(req1({ shape: [2, 3], data: [[1, 2, 3], [4, 5, 6]] }), 'm', '');
  const column = decodeJsonRequest(req1({ shape: [3, 1], data: [[1], [2], [3]] }), 'm', '');
  assert.deepEqual(Array.from(nested.inputs[0]!.data), Array.from(flat.inputs[0]!.data));
  assert.deepEqual(Array.from(new Float32Array(column.inputs[0]!.data.buffer)), [1, 2, 3]);
  const deep = decodeJsonRequest(req1({ datatype: 'INT32', shape: [2, 1, 2], data: [[[1, 2]], [[3, 4]]] }), 'm', '');
  assert.deepEqual(Array.from(new Int32Array(deep.inputs[0]!.data.buffer)), [1, 2, 3, 4]);
  const scalar = decodeJsonRequest(req1({ shape: [], data: [7] }), 'm', '');
  assert.deepEqual(Array.from(new Float32Array(scalar.inputs[0]!.data.buffer)), [7]);
});

test('json: BYTES, BOOL, FP16 and 64-bit integer conversions', () => {
  const r = decodeJsonRequest(body({
    inputs: [
      { name: 's', datatype: 'BYTES', shape: [2], data: ['hi', 'naïve'] },
      { name: 'b', datatype: 'BOOL', shape: [3], data: [true, false, true] },
      { name: 'h', datatype: 'FP16', shape: [4], data: [1, -2, 0.1, 65504] },
      { name: 'i', datatype: 'INT64', shape: [3], data: [-5, '-9223372036854775808', '9007199254740993'] },
      { name: 'u', datatype: 'UINT64', shape: [1], data: ['18446744073709551615'] },
    ],
  }), 'm', '');
  const [s, b, h, i, u] = r.inputs;
  assert.deepEqual(Array.from(s!.data), [2, 0, 0, 0, 104, 105, 6, 0, 0, 0, 110, 97, 0xc3, 0xaf, 118, 101]);
  assert.deepEqual(Array.from(b!.data), [1, 0, 1]);
  assert.deepEqual(Array.from(new Uint16Array(h!.data.buffer)), [0x3c00, 0xc000, 0x2e66, 0x7bff]);
  assert.deepEqual(Array.from(new BigInt64Array(i!.data.buffer)), [-5n, -(2n ** 63n), 9007199254740993n]);
  assert.deepEqual(Array.from(new BigUint64Array(u!.data.buffer)), [2n ** 64n - 1n]);
});

test('json: request parameters: timeout and priority become fields, others pass through', () => {
  const r = decodeJsonRequest(req1({}, { id: 'q', parameters: { timeout: 2500, priority: 2, binary_data_output: false, tag: 'a' } }), 'm', '4');
  assert.deepEqual([r.id, r.modelName, r.modelVersion, r.timeoutUs, r.priority], ['q', 'm', '4', 2500, 2]);
  assert.deepEqual(r.parameters, { binary_data_output: false, tag: 'a' });
  const proto = decodeJsonRequest('{"parameters":{"__proto__":"x"},"inputs":[]}', 'm', '');
  assert.equal(Object.getPrototypeOf(proto.parameters), Object.prototype);
  assert.equal(proto.parameters['__proto__'], 'x');
  const outs = decodeJsonRequest(req1({}, { outputs: [{ name: 'a' }, { name: 'b', parameters: { binary_data: true } }] }), 'm', '');
  assert.deepEqual(outs.outputs, [{ name: 'a' }, { name: 'b', binaryData: true }]);
});

test('json: data errors name the input and element (IG_BAD_TENSOR)', () => {
  const bad = (input: Record<string, unknown>, msg: RegExp): void =>
    assertInferError(() => decodeJsonRequest(req1(input), 'm', ''), 'IG_BAD_TENSOR', msg);
  bad({ shape: [3] }, /input "x": data has 2 elements, shape \[3\] needs 3/);
  bad({ shape: [2, 2], data: [[1, 2], [3]] }, /input "x": data\[1\] has 1 elements where shape \[2,2\] needs 2/);
  bad({ shape: [2, 2], data: [[1, 2], 3] }, /input "x": data\[1\] is 3, expected an array/);
  bad({ shape: [2, 1], data: [[[1]], [[2]]] }, /input "x": data\[0\]\[0\] is nested deeper than shape \[2,1\]/);
  bad({ shape: [2], data: [[1], [2]] }, /input "x": data\[0\] is an array; FP32 needs a number/);
  bad({ shape: [], data: [[1], [2]] }, /input "x": data is nested but shape \[\] is a scalar/);
  bad({ shape: [2, 2], data: [] }, /input "x": data has 0 elements, shape \[2,2\] needs 4/);
  bad({ data: [1, 'NaN'] }, /input "x": data\[1\] is "NaN"; FP32 needs a number/);
  bad({ data: [1, null] }, /data\[1\] is null; FP32 needs a number/);
  bad({ data: [1, 1e39] }, /data\[1\] is 1e\+39; out of range for FP32/);
  bad({ datatype: 'FP16', data: [1, 70000] }, /data\[1\] is 70000; out of range for FP16/);
  bad({ datatype: 'INT32', data: [1, 1.5] }, /data\[1\] is 1.5; INT32 needs an integer/);
  bad({ datatype: 'UINT8', data: [1, 256] }, /data\[1\] is 256; out of range for UINT8 \[0, 255\]/);
  bad({ datatype: 'INT8', data: [-129, 1] }, /data\[0\] is -129; out of range for INT8/);
  bad({ datatype: 'INT64', data: [1, 2 ** 60] }, /data\[1\] .*send INT64 values this large as decimal strings/);
  bad({ datatype: 'INT64', data: [1, '12abc'] }, /data\[1\] is "12abc"; INT64 needs an integer or a decimal string/);
  bad({ datatype: 'UINT64', data: [1, '-1'] }, /data\[1\] is "-1"; out of range for UINT64/);
  bad({ datatype: 'INT64', data: [1, '9223372036854775808'] }, /out of range for INT64/);
  bad({ datatype: 'BOOL', data: [1, 0] }, /data\[0\] is 1; BOOL needs true or false/);
  bad({ datatype: 'BYTES', data: ['a', 5] }, /data\[1\] is 5; BYTES needs a string/);
  bad({ datatype: 'FP8' }, /input "x": datatype "FP8" is not a KServe v2 datatype/);
  bad({ shape: [2, -1] }, /input "x": shape\[1\] = -1 is not a non-negative integer/);
  bad({ shape: '2' }, /input "x": "shape" must be an array/);
  bad({ shape: [1, 1, 1, 1, 1, 1, 1, 1, 2] }, /rank 9 exceeds the limit of 8/);
  bad({ data: 5 }, /input "x": "data" must be an array/);
  bad({ data: undefined }, /input "x": "data" is missing/);
});

test('json: request structure errors (IG_BAD_JSON / IG_BAD_REQUEST)', () => {
  assertInferError(() => decodeJsonRequest('{"inputs": [', 'm', ''), 'IG_BAD_JSON', /request body is not valid JSON/);
  assertInferError(() => decodeJsonRequest('[1]', 'm', ''), 'IG_BAD_JSON', /must be a JSON object/);
  assertInferError(() => decodeJsonRequest('{}', 'm', ''), 'IG_BAD_REQUEST', /"inputs" must be an array/);
  assertInferError(() => decodeJsonRequest(req1({}, { id: 5 }), 'm', ''), 'IG_BAD_REQUEST', /"id" must be a string/);
  assertInferError(() => decodeJsonRequest(req1({ name: '' }), 'm', ''), 'IG_BAD_REQUEST', /input 0: "name" must be a non-empty string/);
  assertInferError(() => decodeJsonRequest(body({ inputs: [{ name: 'x', datatype: 'FP32', shape: [0], data: [] }, { name: 'x', datatype: 'FP32', shape: [0], data: [] }] }), 'm', ''),
    'IG_BAD_REQUEST', /input "x" appears more than once/);
  assertInferError(() => decodeJsonRequest(req1({}, { parameters: { timeout: -1 } }), 'm', ''), 'IG_BAD_REQUEST', /parameters.timeout must be a non-negative integer \(microseconds\)/);
  assertInferError(() => decodeJsonRequest(req1({}, { parameters: { priority: 'high' } }), 'm', ''), 'IG_BAD_REQUEST', /parameters.priority/);
  assertInferError(() => decodeJsonRequest(req1({}, { parameters: { nested: { a: 1 } } }), 'm', ''), 'IG_BAD_REQUEST', /parameters.nested must be a string, number or boolean/);
  assertInferError(() => decodeJsonRequest(req1({}, { parameters: { binary_data_output: 1 } }), 'm', ''), 'IG_BAD_REQUEST', /binary_data_output must be true or false/);
  assertInferError(() => decodeJsonRequest(req1({ parameters: { binary_data_size: 8 }, data: undefined }), 'm', ''), 'IG_BAD_REQUEST',
    /input "x" has parameters.binary_data_size but the request has no Inference-Header-Content-Length header/);
  assertInferError(() => decodeJsonRequest(req1({}, { outputs: [{ name: 'y', parameters: { binary_data: 'yes' } }] }), 'm', ''),
    'IG_BAD_REQUEST', /output "y": parameters.binary_data must be true or false/);
  assertInferError(() => decodeJsonRequest(req1({}, { outputs: [{ name: 'y', parameters: { classification: 3 } }] }), 'm', ''),
    'IG_BAD_REQUEST', /output "y": parameters.classification is not supported/);
});

test('json: error body and client-side error decoding', () => {
  assert.equal(encodeJsonError(new InferError('IG_MODEL_NOT_FOUND', 'unknown model "x"')), '{"error":"unknown model \\"x\\""}');
  assert.equal(encodeJsonError(new TypeError('boom')), '{"error":"boom"}');
  assertInferError(() => decodeJsonResponse('{"error":"queue full"}'), 'IG_INFERENCE_FAILED', /queue full/);
});

test('json: zero-element tensors of every datatype', () => {
  const rng = new Rng(12);
  for (const dt of ALL_DATATYPES) {
    const resp = { modelName: 'm', modelVersion: '1', id: 'z', outputs: [randomTensor(rng, 'e', dt, {}, [0, 3])] };
    assertResponsesEqual(decodeJsonResponse(encodeJsonResponse(resp)), resp);
  }
});
