import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binaryOutputNames, decodeBinaryRequest, decodeBinaryResponse, encodeBinaryRequest, encodeBinaryResponse,
} from '../../src/protocol/binary-ext.js';
import { decodeJsonRequest } from '../../src/protocol/kserve-json.js';
import type { InferRequest } from '../../src/core/types.js';
import { assertInferError, assertRequestsEqual, assertResponsesEqual, randomRequest, randomResponse, Rng } from './helpers.js';

const enc = new TextEncoder();

/** A body as Triton's docs show it: JSON header, then the tensors' bytes. */
function tritonBody(header: unknown, ...parts: Uint8Array[]): { body: Uint8Array; headerLength: number } {
  const h = enc.encode(JSON.stringify(header));
  const total = parts.reduce((n, p) => n + p.byteLength, h.byteLength);
  const body = new Uint8Array(total);
  body.set(h);
  let o = h.byteLength;
  for (const p of parts) {
    body.set(p, o);
    o += p.byteLength;
  }
  return { body, headerLength: h.byteLength };
}

test('binary: request round trip, every datatype, all inputs binary (seeded random)', () => {
  const rng = new Rng(20);
  for (let round = 0; round < 20; round++) {
    const req = randomRequest(rng);
    const { body, headerLength } = encodeBinaryRequest(req);
    assertRequestsEqual(decodeBinaryRequest(body, headerLength, req.modelName, req.modelVersion), req);
  }
});

test('binary: the example request of Triton\'s extension_binary_data.md', () => {
  const u32 = new Uint8Array(new Uint32Array([1, 2, 3, 4]).buffer);
  const bools = new Uint8Array([1, 0, 1]);
  const { body, headerLength } = tritonBody({
    model_name: 'mymodel',
    inputs: [
      { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
      { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
    ],
    outputs: [{ name: 'output0', parameters: { binary_data: true } }],
  }, u32, bools);
  assert.equal(body.byteLength - headerLength, 19);
  const req = decodeBinaryRequest(body, headerLength, 'mymodel', '');
  assert.deepEqual(req.inputs.map((t) => [t.name, t.datatype, t.shape, Array.from(t.data)]), [
    ['input0', 'UINT32', [2, 2], Array.from(u32)],
    ['input1', 'BOOL', [3], [1, 0, 1]],
  ]);
  assert.equal(req.inputs[0]!.data.buffer, body.buffer, 'binary inputs are views into the body');
  assert.deepEqual(req.outputs, [{ name: 'output0', binaryData: true }]);
});

test('binary: mixed JSON and binary inputs; binary bytes are consumed in input order', () => {
  const rng = new Rng(21);
  const req = randomRequest(rng);
  const binary = new Set(req.inputs.filter((_, i) => i % 2 === 0).map((t) => t.name));
  const { body, headerLength } = encodeBinaryRequest(req, binary);
  const back = decodeBinaryRequest(body, headerLength, req.modelName, req.modelVersion);
  assertRequestsEqual(back, req);
  for (const t of back.inputs) assert.equal(t.data.buffer === body.buffer, binary.has(t.name), t.name);
});

test('binary: response with mixed binary and JSON outputs, header padded so data is aligned', () => {
  const rng = new Rng(22);
  const resp = randomResponse(rng, { safeInt64: true });
  const binary = new Set(['out_fp32', 'out_bytes', 'out_int64', 'out_fp16']);
  const { body, headerLength } = encodeBinaryResponse(resp, binary);
  assert.equal(headerLength % 16, 0);
  const header = JSON.parse(new TextDecoder().decode(body.subarray(0, headerLength)));
  for (const o of header.outputs) {
    if (binary.has(o.name)) {
      assert.equal(o.data, undefined);
      assert.equal(typeof o.parameters.binary_data_size, 'number');
    } else {
      assert.ok(Array.isArray(o.data), o.name);
      assert.equal(o.parameters, undefined);
    }
  }
  const back = decodeBinaryResponse(body, headerLength);
  assertResponsesEqual(back, resp);
  const first = back.outputs.find((t) => binary.has(t.name))!;
  assert.equal(first.data.byteOffset % 16, 0, 'first binary tensor 16-byte aligned');
});

test('binary: which outputs are binary follows Triton (binary_data overrides binary_data_output)', () => {
  const base: InferRequest = { modelName: 'm', modelVersion: '', id: '', timeoutUs: 0, priority: 0, parameters: {}, inputs: [], outputs: [] };
  const names = ['a', 'b', 'c'];
  assert.deepEqual([...binaryOutputNames(base, names)], []);
  assert.deepEqual([...binaryOutputNames({ ...base, parameters: { binary_data_output: true } }, names)], ['a', 'b', 'c']);
  assert.deepEqual([...binaryOutputNames({
    ...base, parameters: { binary_data_output: true }, outputs: [{ name: 'a', binaryData: false }, { name: 'b' }],
  }, names)], ['b', 'c']);
  assert.deepEqual([...binaryOutputNames({ ...base, outputs: [{ name: 'c', binaryData: true }] }, names)], ['c']);
  // Parsed from a JSON request, the same rules apply.
  const parsed = decodeJsonRequest('{"inputs":[],"parameters":{"binary_data_output":true},"outputs":[{"name":"a","parameters":{"binary_data":false}}]}', 'm', '');
  assert.deepEqual([...binaryOutputNames(parsed, names)], ['b', 'c']);
});

test('binary: framing errors name the input and the byte counts', () => {
  const four = new Uint8Array(16);
  const hdr = (params: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown =>
    ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [4], parameters: params, ...extra }] });
  let b = tritonBody(hdr({ binary_data_size: 16 }), four.subarray(0, 10));
  assertInferError(() => decodeBinaryRequest(b.body, b.headerLength, 'm', ''), 'IG_BAD_REQUEST',
    /input "x": binary_data_size is 16 but only 10 bytes of binary data remain/);
  b = tritonBody(hdr({ binary_data_size: 16 }), four, new Uint8Array(3));
  assertInferError(() => decodeBinaryRequest(b.body, b.headerLength, 'm', ''), 'IG_BAD_REQUEST',
    /3 bytes of binary data follow the last binary input/);
  b = tritonBody(hdr({ binary_data_size: 12 }), four.subarray(0, 12));
  assertInferError(() => decodeBinaryRequest(b.body, b.headerLength, 'm', ''), 'IG_BAD_TENSOR',
    /input "x": data is 12 bytes, FP32 shape \[4\] needs 16/);
  b = tritonBody(hdr({ binary_data_size: 16 }, { data: [1, 2, 3, 4] }), four);
  assertInferError(() => decodeBinaryRequest(b.body, b.headerLength, 'm', ''), 'IG_BAD_REQUEST',
    /input "x": give either "data" or parameters.binary_data_size, not both/);
  b = tritonBody(hdr({ binary_data_size: -4 }), four);
  assertInferError(() => decodeBinaryRequest(b.body, b.headerLength, 'm', ''), 'IG_BAD_REQUEST',
    /input "x": parameters.binary_data_size must be a non-negative integer/);
  b = tritonBody(hdr({ binary_data_size: 16 }), four);
  assertInferError(() => decodeBinaryRequest(b.body, b.body.byteLength + 1, 'm', ''), 'IG_BAD_REQUEST',
    /Inference-Header-Content-Length is \d+; it must be between 1 and the body length/);
  assertInferError(() => decodeBinaryRequest(b.body, 0, 'm', ''), 'IG_BAD_REQUEST', /raw binary request\) is not supported/);
  assertInferError(() => decodeBinaryRequest(b.body, b.headerLength - 1, 'm', ''), 'IG_BAD_JSON', /JSON header is not valid JSON/);
  b = tritonBody({ inputs: [{ name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 9 } }] },
    new Uint8Array([1, 0, 0, 0, 65, 0, 0, 0, 0]));
  assert.deepEqual(decodeBinaryRequest(b.body, b.headerLength, 'm', '').inputs[0]!.shape, [2]);
  b = tritonBody({ inputs: [{ name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 5 } }] },
    new Uint8Array([9, 0, 0, 0, 65]));
  assertInferError(() => decodeBinaryRequest(b.body, b.headerLength, 'm', ''), 'IG_BAD_TENSOR', /input "s": BYTES element 0 claims 9 bytes/);
});
