// Seeded fixtures for the protocol tests: random tensors of every datatype, requests and
// responses, and deep comparison of the protocol-neutral types.
import assert from 'node:assert/strict';
import { Rng as MutateRng } from '../../bench/hostile/mutate.js';
import { packBytes } from '../../src/core/datatypes.js';
import { InferError, type ErrorCode } from '../../src/core/errors.js';
import type { DataType, InferRequest, InferResponse, WireTensor } from '../../src/core/types.js';

export const ALL_DATATYPES: readonly DataType[] = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES',
];

/** mulberry32 (the campaign's generator, bench/hostile/mutate.ts): fixtures must be identical on
 *  every run and machine. */
export class Rng extends MutateRng {
  float(): number {
    return this.u32() / 4294967296;
  }
}

const WORDS = ['', 'a', 'hello', 'naïve', '日本語', 'emoji 🚀', 'quote " and \\ slash', 'tab\tnew\nline'];

export interface RandomTensorOptions {
  /** Keep 64-bit integers within +-2^53 (JSON responses carry them as numbers). */
  safeInt64?: boolean;
}

/** A random tensor of `datatype` with a random shape of rank 0..3 (each dim 0..4). */
export function randomTensor(rng: Rng, name: string, datatype: DataType, opts: RandomTensorOptions = {}, shape?: number[]): WireTensor {
  shape ??= Array.from({ length: rng.int(4) }, () => rng.int(5));
  const n = shape.reduce((a, b) => a * b, 1);
  let data: Uint8Array;
  switch (datatype) {
    case 'BYTES':
      data = packBytes(Array.from({ length: n }, () => WORDS[rng.int(WORDS.length)]!));
      break;
    case 'BOOL':
      data = Uint8Array.from({ length: n }, () => rng.int(2));
      break;
    case 'FP16': {
      const v = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        let h = rng.u32() & 0xffff;
        if (((h >>> 10) & 0x1f) === 0x1f) h &= 0x7bff; // no Inf/NaN
        if (h === 0x8000) h = 0; // -0 prints as 0 in JSON
        v[i] = h;
      }
      data = new Uint8Array(v.buffer);
      break;
    }
    case 'FP32': {
      const v = Float32Array.from({ length: n }, () => (rng.float() - 0.5) * 10 ** (rng.int(20) - 10));
      data = new Uint8Array(v.buffer);
      break;
    }
    case 'FP64': {
      const v = Float64Array.from({ length: n }, () => (rng.float() - 0.5) * 10 ** (rng.int(40) - 20));
      data = new Uint8Array(v.buffer);
      break;
    }
    case 'INT64':
    case 'UINT64': {
      const v = datatype === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        let b = (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
        if (opts.safeInt64) b &= (1n << 52n) - 1n;
        v[i] = datatype === 'INT64' ? BigInt.asIntN(64, opts.safeInt64 && rng.int(2) ? -b : b) : b;
      }
      data = new Uint8Array(v.buffer);
      break;
    }
    default: {
      const size = { UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, UINT32: 4, INT32: 4 }[datatype as string]!;
      data = rng.bytes(n * size);
    }
  }
  return { name, datatype, shape, data };
}

/** One input per datatype, plus parameters of every kind. */
export function randomRequest(rng: Rng, opts: RandomTensorOptions = {}): InferRequest {
  return {
    modelName: 'ranker',
    modelVersion: '3',
    id: `req-${rng.u32()}`,
    timeoutUs: rng.int(1_000_000),
    priority: rng.int(4),
    parameters: { flag: true, count: 7, ratio: 0.25, label: 'x' },
    inputs: ALL_DATATYPES.map((dt) => randomTensor(rng, `in_${dt.toLowerCase()}`, dt, opts)),
    outputs: [{ name: 'scores' }, { name: 'ids' }],
  };
}

export function randomResponse(rng: Rng, opts: RandomTensorOptions = {}): InferResponse {
  return {
    modelName: 'ranker',
    modelVersion: '3',
    id: `resp-${rng.u32()}`,
    outputs: ALL_DATATYPES.map((dt) => randomTensor(rng, `out_${dt.toLowerCase()}`, dt, opts)),
  };
}

/** Tensors compared by value (bytes), whatever buffer they live in. */
export function plainTensor(t: WireTensor): { name: string; datatype: DataType; shape: number[]; data: number[] } {
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: Array.from(t.data) };
}

export function assertTensorsEqual(actual: readonly WireTensor[], expected: readonly WireTensor[]): void {
  assert.deepEqual(actual.map(plainTensor), expected.map(plainTensor));
}

export function assertRequestsEqual(actual: InferRequest, expected: InferRequest): void {
  const { inputs: a, ...restA } = actual;
  const { inputs: e, ...restE } = expected;
  assert.deepEqual({ ...restA, parameters: { ...restA.parameters } }, { ...restE, parameters: { ...restE.parameters } });
  assertTensorsEqual(a, e);
}

export function assertResponsesEqual(actual: InferResponse, expected: InferResponse): void {
  assert.equal(actual.modelName, expected.modelName);
  assert.equal(actual.modelVersion, expected.modelVersion);
  assert.equal(actual.id, expected.id);
  assertTensorsEqual(actual.outputs, expected.outputs);
}

/** Asserts that fn throws an InferError with `code` whose message matches `message`. */
export function assertInferError(fn: () => unknown, code: ErrorCode, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InferError, `expected InferError, got ${String(e)}`);
    assert.equal(e.code, code, `code for: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
}

/** A copy of `bytes` at a chosen byte offset of a fresh buffer (alignment tests). */
export function atOffset(bytes: Uint8Array, offset: number): Uint8Array {
  const buf = new Uint8Array(bytes.byteLength + offset);
  buf.set(bytes, offset);
  return buf.subarray(offset);
}
