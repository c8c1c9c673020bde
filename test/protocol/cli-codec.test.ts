import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatRequestToJson, flatResponseToJson, jsonRequestToFlat } from '../../src/protocol/cli-codec.js';
import { decodeFlatRequest, encodeFlatError, encodeFlatResponse } from '../../src/protocol/flatbuffers-codec.js';
import { decodeJsonRequest, encodeJsonRequest } from '../../src/protocol/kserve-json.js';
import { InferError } from '../../src/core/errors.js';
import { assertInferError, assertRequestsEqual, assertResponsesEqual, randomRequest, randomResponse, Rng } from './helpers.js';
import { decodeJsonResponse } from '../../src/protocol/kserve-json.js';

test('cli: `encode` JSON request -> FlatBuffers equals decoding the JSON directly', () => {
  const rng = new Rng(30);
  const req = randomRequest(rng);
  const json = new TextDecoder().decode(encodeJsonRequest(req));
  const withModel = `{"model_name":"ranker","model_version":"3",${json.slice(1)}`;
  assertRequestsEqual(decodeFlatRequest(jsonRequestToFlat(withModel)), decodeJsonRequest(json, 'ranker', '3'));
  assertRequestsEqual(decodeFlatRequest(jsonRequestToFlat(withModel)), req);
  // The argument wins over the body's model_name.
  assert.equal(decodeFlatRequest(jsonRequestToFlat(withModel, 'dlrm')).modelName, 'dlrm');
  assert.equal(decodeFlatRequest(jsonRequestToFlat(json, 'dlrm')).modelVersion, '');
});

test('cli: `encode` errors: no model name, bad JSON, bad tensor', () => {
  assertInferError(() => jsonRequestToFlat('{"inputs":[]}'), 'IG_BAD_REQUEST', /no model name/);
  assertInferError(() => jsonRequestToFlat('{"inputs":'), 'IG_BAD_JSON', /request JSON is not valid JSON/);
  assertInferError(() => jsonRequestToFlat('{"model_name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1]}]}'),
    'IG_BAD_TENSOR', /input "x": data has 1 elements, shape \[2\] needs 2/);
});

test('cli: `decode` FlatBuffers response -> KServe JSON, and error responses', () => {
  const rng = new Rng(31);
  const resp = randomResponse(rng, { safeInt64: true });
  assertResponsesEqual(decodeJsonResponse(flatResponseToJson(encodeFlatResponse(resp)).json), resp);
  const e = new InferError('IG_MODEL_NOT_FOUND', 'unknown model "x"');
  const decodedError = flatResponseToJson(encodeFlatError(e, 'id1', 'x'));
  assert.equal(decodedError.isError, true);
  assert.deepEqual(JSON.parse(decodedError.json), { error: 'unknown model "x"', code: 'IG_MODEL_NOT_FOUND' });
  assertInferError(() => flatResponseToJson(new Uint8Array([1, 2, 3])), 'IG_BAD_FLATBUFFER', /too short/);
});

test('cli: a FlatBuffers request back to JSON keeps the model fields', () => {
  const rng = new Rng(32);
  const req = randomRequest(rng);
  const text = flatRequestToJson(jsonRequestToFlat(encodeJsonRequest(req), 'ranker', '3'));
  const obj = JSON.parse(text);
  assert.deepEqual([obj.model_name, obj.model_version], ['ranker', '3']);
  assertRequestsEqual(decodeJsonRequest(text, 'ranker', '3'), req);
});
