// The hand-written success and error responses (src/protocol/flat-response.ts) against the flatbuffers
// runtime's own reader and our verifying decoder: same fields, required alignments, and the
// transient (scratch) variant giving the same bytes as the owned one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBuffer } from 'flatbuffers';
import { decodeFlatResponse, encodeFlatError, encodeFlatResponse, encodeFlatResponseTransient } from '../../src/protocol/flatbuffers-codec.js';
import { InferError, WIRE_ERROR_CODES } from '../../src/core/errors.js';
import { InferResponse as FbResponse, DataType as FbDataType } from '../../src/protocol/generated/infergate-generated.js';
import { DATATYPE_NAMES } from '../../src/core/datatypes.js';
import { assertResponsesEqual, randomResponse, randomTensor, Rng } from './helpers.js';
import type { InferResponse } from '../../src/core/types.js';

/** Reads `bytes` with the generated accessors (the flatbuffers runtime, no verification). */
function readWithRuntime(bytes: Uint8Array): InferResponse & { dataOffsets: number[]; shapeOffsets: number[] } {
  const bb = new ByteBuffer(bytes);
  assert.ok(bb.__has_identifier('IGRS'), 'file identifier IGRS');
  const r = FbResponse.getRootAsInferResponse(bb);
  assert.equal(r.error(), null);
  const outputs = [];
  const dataOffsets: number[] = [];
  const shapeOffsets: number[] = [];
  for (let i = 0; i < r.outputsLength(); i++) {
    const t = r.outputs(i)!;
    const shape: number[] = [];
    for (let d = 0; d < t.shapeLength(); d++) shape.push(Number(t.shape(d)!));
    const data = t.dataArray() ?? new Uint8Array(0);
    dataOffsets.push(data.byteOffset - bytes.byteOffset);
    // The [long] vector's first element: 4 bytes after its length field.
    const o = t.bb!.__offset(t.bb_pos, 8);
    shapeOffsets.push(t.bb!.__vector(t.bb_pos + o));
    outputs.push({ name: t.name()!, datatype: DATATYPE_NAMES[t.datatype() - 1]!, shape, data: data.slice() });
  }
  return { modelName: r.modelName() ?? '', modelVersion: r.modelVersion() ?? '', id: r.id() ?? '', outputs, dataOffsets, shapeOffsets };
}

test('flat response: the flatbuffers runtime and the verifying decoder read what was written, every datatype', () => {
  const rng = new Rng(31);
  for (let round = 0; round < 30; round++) {
    const resp = randomResponse(rng);
    if (round % 3 === 1) resp.modelVersion = '';
    if (round % 5 === 2) resp.id = '';
    if (round % 7 === 3) resp.id = `ünïcødé-${round}-✓`;
    const bytes = encodeFlatResponse(resp);
    const viaRuntime = readWithRuntime(bytes);
    const { dataOffsets, shapeOffsets, ...plain } = viaRuntime;
    assertResponsesEqual(plain, resp);
    assertResponsesEqual(decodeFlatResponse(bytes), resp);
    // force_align: 16 on data, 8-byte int64 shape elements, both within the message and in memory.
    for (const o of dataOffsets) assert.equal(o % 16, 0, `data at ${o}`);
    for (const o of shapeOffsets) assert.equal(o % 8, 0, `shape at ${o}`);
    assert.equal(bytes.byteOffset % 16, 0);
    assert.equal(bytes.byteLength % 4, 0);
  }
});

test('flat response: no outputs, large dims, and an enum value for each datatype', () => {
  const empty = { modelName: 'm', modelVersion: '7', id: 'x', outputs: [] };
  assertResponsesEqual(decodeFlatResponse(encodeFlatResponse(empty)), empty);
  const big = { modelName: 'm', modelVersion: '', id: '', outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [0, 2 ** 40 + 3, 7], data: new Uint8Array(0) }] };
  assert.deepEqual(readWithRuntime(encodeFlatResponse(big)).outputs[0]!.shape, [0, 2 ** 40 + 3, 7]);
  for (const [i, dt] of DATATYPE_NAMES.entries()) {
    const bytes = encodeFlatResponse({ modelName: 'm', modelVersion: '', id: '', outputs: [{ name: 'o', datatype: dt, shape: [0], data: new Uint8Array(0) }] });
    const t = FbResponse.getRootAsInferResponse(new ByteBuffer(bytes)).outputs(0)!;
    assert.equal(t.datatype(), i + 1);
    assert.equal(FbDataType[t.datatype()], dt, 'the schema enum names the same datatype');
  }
});

test('flat response: the transient bytes equal the owned ones, also after a larger answer used the scratch', () => {
  const rng = new Rng(32);
  const large = { modelName: 'ranker', modelVersion: '1', id: 'b'.repeat(300), outputs: [randomTensor(rng, 'score', 'FP32', {}, [64, 64])] };
  const small = { modelName: 'ranker', modelVersion: '1', id: 'a', outputs: [randomTensor(rng, 'score', 'FP32', {}, [1, 1])] };
  // A large answer first leaves non-zero bytes in the scratch: the small one must not show them.
  assert.deepEqual(encodeFlatResponseTransient(large), encodeFlatResponse(large));
  const t = encodeFlatResponseTransient(small);
  assert.deepEqual(t, encodeFlatResponse(small));
  assertResponsesEqual(decodeFlatResponse(t), small);
  // Over the scratch's limit an answer gets its own buffer, which the next call leaves alone.
  const huge = { modelName: 'm', modelVersion: '', id: '', outputs: [{ name: 'y', datatype: 'UINT8' as const, shape: [(1 << 20) + 1], data: new Uint8Array((1 << 20) + 1).fill(7) }] };
  const h = encodeFlatResponseTransient(huge);
  encodeFlatResponseTransient(small);
  assertResponsesEqual(decodeFlatResponse(h), huge);
});

test('flat error answer: the flatbuffers runtime and the verifying decoder read every field', () => {
  const cases: Array<[InferError, string, string, string]> = [
    [new InferError('IG_CONCURRENCY_LIMIT', 'model "ranker" is at its concurrency limit (12)', { retryAfterS: 1.2 }), '', 'ranker', ''],
    [new InferError('IG_BAD_TENSOR', 'input "x": 3 bytes is not a whole number of FP32 values ✗'), 'req-7', 'ranker', '3'],
    [new InferError('IG_NOT_FOUND', 'no model "nope"'), '', '', ''],
  ];
  for (const [e, id, model, version] of cases) {
    const bytes = encodeFlatError(e, id, model, version);
    assert.equal(bytes.byteLength % 4, 0);
    const r = FbResponse.getRootAsInferResponse(new ByteBuffer(bytes));
    assert.equal(r.modelName() ?? '', model);
    assert.equal(r.modelVersion() ?? '', version);
    assert.equal(r.id() ?? '', id);
    assert.equal(r.outputsLength(), 0);
    const info = r.error()!;
    assert.equal(info.name(), e.code);
    assert.equal(info.message(), e.message);
    assert.equal(info.code(), WIRE_ERROR_CODES[e.code]);
    assert.equal(info.status(), e.status);
    assert.equal(info.retryAfterS(), e.retryAfterS === undefined ? 0 : Math.ceil(e.retryAfterS));
    const back = decodeFlatResponse(bytes);
    assert.ok(back.error instanceof InferError);
    assert.equal(back.error.code, e.code);
    assert.equal(back.error.message, e.message);
    assert.equal(back.error.retryAfterS, e.retryAfterS === undefined ? undefined : Math.ceil(e.retryAfterS));
    assert.equal(back.id, id);
  }
});
