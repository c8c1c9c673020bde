// --max-inputs holds on every transport that carries FlatBuffers: HTTP and the WebSocket stream
// refuse a request with more input tensors than the limit with the same clear error, before any
// tensor is read, and the connection goes on serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { WsConnection } from '../../bench/loadgen/ws-conn.js';
import { decodeFlatResponse, encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import type { InferRequest } from '../../src/core/types.js';
import { makeTestRepo, seededRows } from '../helpers/fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let repo: string;
before(async () => {
  repo = makeTestRepo().repo;
  gw = await startTestGateway(repo, { workers: 1, json: { maxInputs: 2 } });
});
after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

const request = (id: string, inputs: number): Uint8Array => encodeFlatRequest({
  modelName: 'ranker', modelVersion: '', id, timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
  inputs: Array.from({ length: inputs }, (_, i) => ({
    name: i === 0 ? 'features' : `extra${i}`, datatype: 'FP32' as const, shape: [1, 128], data: new Uint8Array(seededRows(1, 128, i).buffer),
  })),
} satisfies InferRequest);

test('HTTP: three inputs over a limit of two is a 400 naming the limit', async () => {
  const r = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: request('h3', 3) });
  assert.equal(r.status, 400);
  const answer = decodeFlatResponse(new Uint8Array(await r.arrayBuffer()));
  assert.equal(answer.error?.code, 'IG_BAD_FLATBUFFER');
  assert.match(answer.error?.message ?? '', /inputs: 3 elements exceeds the limit of 2/);
  const ok = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: request('h1', 1) });
  assert.equal(ok.status, 200);
});

test('WebSocket: the same limit, the same error, and the stream keeps serving', async () => {
  const frames: ReturnType<typeof decodeFlatResponse>[] = [];
  let done!: () => void;
  const both = new Promise<void>((resolve) => { done = resolve; });
  const conn = await WsConnection.connect('127.0.0.1', gw.port, '/v2/stream', {
    onMessage(payload) {
      const d = decodeFlatResponse(new Uint8Array(payload));
      frames.push(d);
      if (frames.length === 2) done();
    },
    onClose() {},
  });
  for (const bytes of [request('w3', 3), request('w1', 1)]) conn.sendBinary(bytes.byteLength, (p) => p.set(bytes));
  await both;
  conn.close();
  // The refused frame could not be decoded, so its answer may not carry its id: find it by error.
  const refused = frames.find((f) => f.error !== undefined);
  const served = frames.find((f) => f.error === undefined);
  assert.equal(refused?.error?.code, 'IG_BAD_FLATBUFFER', JSON.stringify(frames.map((f) => [f.id, f.error?.code, f.error?.message])));
  assert.match(refused?.error?.message ?? '', /inputs: 3 elements exceeds the limit of 2/);
  assert.equal(served?.id, 'w1');
  assert.equal(served?.outputs.length, 1);
});
