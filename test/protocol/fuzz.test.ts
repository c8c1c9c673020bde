// Hostile-input fuzzing: seeded mutations and truncations of valid messages plus random bytes.
// Every case must end in a decoded value or an InferError: never another exception, never a
// hang (the per-test timeout catches one), never a view outside the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFlatRequest, decodeFlatResponse, encodeFlatError, encodeFlatRequest, encodeFlatResponse } from '../../src/protocol/flatbuffers-codec.js';
import { decodeBinaryRequest, encodeBinaryRequest } from '../../src/protocol/binary-ext.js';
import { decodeJsonRequest, encodeJsonRequest } from '../../src/protocol/kserve-json.js';
import { checkTensorBytes } from '../../src/core/datatypes.js';
import { InferError } from '../../src/core/errors.js';
import type { WireTensor } from '../../src/core/types.js';
import { randomRequest, randomResponse, randomTensor, Rng } from './helpers.js';
import { mutateBytes } from '../../bench/hostile/mutate.js';

const mutate = mutateBytes;

/** Runs a decoder; `fn` returns the decoded tensors. */
function checkOutcome(fn: () => WireTensor[], body: Uint8Array, label: string): 'ok' | 'error' {
  let tensors: WireTensor[];
  try {
    tensors = fn();
  } catch (e) {
    if (!(e instanceof InferError)) assert.fail(`${label}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.ok(e.message.length > 0);
    return 'error';
  }
  for (const t of tensors) {
    if (t.data.buffer === body.buffer) {
      assert.ok(t.data.byteOffset >= body.byteOffset && t.data.byteOffset + t.data.byteLength <= body.byteOffset + body.byteLength,
        `${label}: tensor view outside the body`);
    }
    checkTensorBytes(t.datatype, t.shape, t.data, label);
  }
  return 'ok';
}

test('fuzz: FlatBuffers request decoder survives mutated, truncated and random bodies', { timeout: 60_000 }, () => {
  const rng = new Rng(0xf1a7);
  const seeds = [0, 1, 2, 3].map(() => encodeFlatRequest(randomRequest(rng)));
  seeds.push(encodeFlatRequest({ ...randomRequest(rng), inputs: [randomTensor(rng, 'x', 'BYTES', {}, [6])] }));
  const tally = { ok: 0, error: 0 };
  for (let i = 0; i < 4000; i++) {
    let body: Uint8Array;
    if (i % 10 === 9) {
      body = rng.bytes(rng.int(256));
      if (body.length >= 8 && rng.int(2)) body.set([73, 71, 82, 81], 4); // "IGRQ": get past the identifier check
    } else {
      body = seeds[rng.int(seeds.length)]!;
      for (let m = 0, n = 1 + rng.int(3); m < n; m++) body = mutate(rng, body);
    }
    tally[checkOutcome(() => decodeFlatRequest(body).inputs, body, `case ${i}`)]++;
  }
  // Both outcomes must occur, or the fuzzer is not reaching the decoder's interesting paths.
  assert.ok(tally.ok > 100 && tally.error > 1000, JSON.stringify(tally));
});

test('fuzz: FlatBuffers response decoder (client side) survives mutated bodies', { timeout: 60_000 }, () => {
  const rng = new Rng(0x5e5);
  const seeds = [encodeFlatResponse(randomResponse(rng)), encodeFlatError(new InferError('IG_QUEUE_FULL', 'full'), 'id', 'm')];
  for (let i = 0; i < 1500; i++) {
    let body = seeds[rng.int(seeds.length)]!;
    for (let m = 0, n = 1 + rng.int(3); m < n; m++) body = mutate(rng, body);
    checkOutcome(() => decodeFlatResponse(body).outputs, body, `case ${i}`);
  }
});

test('fuzz: JSON and binary-extension request decoders survive mutated bodies', { timeout: 60_000 }, () => {
  const rng = new Rng(0x15);
  const req = randomRequest(rng, { safeInt64: true });
  const json = encodeJsonRequest(req);
  const bin = encodeBinaryRequest(req);
  for (let i = 0; i < 1500; i++) {
    const body = mutate(rng, json);
    checkOutcome(() => decodeJsonRequest(body, 'm', '').inputs, body, `json case ${i}`);
    const bbody = mutate(rng, bin.body);
    const headerLength = rng.int(4) === 0 ? rng.int(bbody.length + 2) : bin.headerLength;
    checkOutcome(() => decodeBinaryRequest(bbody, headerLength, 'm', '').inputs, bbody, `binary case ${i}`);
  }
});
