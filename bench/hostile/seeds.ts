// Valid requests the campaign mutates: the ranker (FP32 features [k,128]) in every wire format
// over sockets, and a wider set of datatypes for the in-process decoders.
import { encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { encodeJsonRequest } from '../../src/protocol/kserve-json.js';
import { encodeBinaryRequest } from '../../src/protocol/binary-ext.js';
import { packBytes } from '../../src/core/datatypes.js';
import type { InferRequest, WireTensor } from '../../src/core/types.js';
import type { Rng } from './mutate.js';

export interface Seed {
  json: Uint8Array;
  flat: Uint8Array;
  binary: { body: Uint8Array; headerLength: number };
}

function features(rng: Rng, rows: number): WireTensor {
  const v = new Float32Array(rows * 128);
  for (let i = 0; i < v.length; i++) v[i] = (rng.u32() / 4294967296) * 2 - 1;
  return { name: 'features', datatype: 'FP32', shape: [rows, 128], data: new Uint8Array(v.buffer) };
}

function request(model: string, inputs: WireTensor[], extra: Partial<InferRequest> = {}): InferRequest {
  return { modelName: model, modelVersion: '', id: 'fuzz-1', timeoutUs: 0, priority: 0, parameters: {}, inputs, outputs: [], ...extra };
}

function seedOf(req: InferRequest): Seed {
  return { json: encodeJsonRequest(req), flat: encodeFlatRequest(req), binary: encodeBinaryRequest(req) };
}

/** Requests the ranker answers 200: 1 to 4 rows, with and without an output list and parameters. */
export function rankerSeeds(rng: Rng): Seed[] {
  return [
    seedOf(request('ranker', [features(rng, 1)])),
    seedOf(request('ranker', [features(rng, 4)], { outputs: [{ name: 'score' }], parameters: { tag: 'x', n: 3, b: true } })),
    seedOf(request('ranker', [features(rng, 2)], { outputs: [{ name: 'score', binaryData: true }], priority: 1, timeoutUs: 5_000_000 })),
  ];
}

/** Every decoder path: BYTES, 64-bit integers, BOOL, FP16, nested shapes, parameters. */
export function decoderSeeds(rng: Rng): Seed[] {
  const i64 = new BigInt64Array([1n, -2n, 9007199254740993n, -(2n ** 63n)]);
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0]);
  return [
    ...rankerSeeds(rng),
    seedOf(request('m', [
      { name: 's', datatype: 'BYTES', shape: [3], data: packBytes(['a', 'naïve', 'quote " \\']) },
      { name: 'i', datatype: 'INT64', shape: [2, 2], data: new Uint8Array(i64.buffer) },
      { name: 'b', datatype: 'BOOL', shape: [4], data: new Uint8Array([1, 0, 1, 1]) },
      { name: 'h', datatype: 'FP16', shape: [1, 4], data: new Uint8Array(f16.buffer) },
    ], { parameters: { a: 'x', b: 2.5, c: false }, outputs: [{ name: 'o' }, { name: 'p', binaryData: false }] })),
  ];
}
