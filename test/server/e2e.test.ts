// End-to-end over real sockets: uWS + Piscina + the native addon, no mocks. Every encoding must
// give the same numbers as a direct addon run on the same rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Session } from '../../src/runtime/index.js';
import { encodeFlatRequest, decodeFlatResponse } from '../../src/protocol/flatbuffers-codec.js';
import { encodeBinaryRequest, decodeBinaryResponse } from '../../src/protocol/binary-ext.js';
import type { InferRequest } from '../../src/core/types.js';
import { WsConnection } from '../../bench/loadgen/ws-conn.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InlinePolicy } from '../../src/pool/inline.js';
import { makeTestRepo, seededRows } from '../helpers/fixtures.js';

let gw: TestGateway;
let repo: string;
let reference: Session;

before(async () => {
  const r = makeTestRepo();
  repo = r.repo;
  reference = Session.load(r.rankerPath, { intraOpThreads: 1 });
  gw = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw?.close();
  reference?.unload();
  rmSync(repo, { recursive: true, force: true });
});

async function expected(rows: Float32Array, k: number): Promise<Float32Array> {
  const out = await reference.run({ features: { dtype: 'float32', shape: [k, 128], data: rows } });
  return out['score']!.data as Float32Array;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5, `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

function flatRequest(rows: Float32Array, k: number, id: string, model = 'ranker'): InferRequest {
  return {
    modelName: model, modelVersion: '', id, timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
    inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength) }],
  };
}

const f32 = (u: Uint8Array): Float32Array => new Float32Array(u.slice().buffer);

test('health, server metadata and model metadata', async () => {
  assert.equal((await fetch(`${gw.url}/v2/health/live`)).status, 200);
  assert.equal((await fetch(`${gw.url}/v2/health/ready`)).status, 200);
  const meta = await (await fetch(`${gw.url}/v2`)).json() as { name: string; extensions: string[] };
  assert.equal(meta.name, 'infergate');
  assert.ok(meta.extensions.includes('binary_tensor_data'));
  const m = await (await fetch(`${gw.url}/v2/models/ranker`)).json() as { name: string; versions: string[]; platform: string; inputs: unknown[]; outputs: unknown[] };
  assert.deepEqual(m, {
    name: 'ranker', versions: ['1'], platform: 'onnxruntime_onnx',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 128] }],
    outputs: [{ name: 'score', datatype: 'FP32', shape: [-1, 1] }],
  });
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/versions/1`)).status, 200);
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/ready`)).status, 200);
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/versions/1/ready`)).status, 200);
});

test('unknown model and version are 404 with a clear message', async () => {
  const r = await fetch(`${gw.url}/v2/models/nope`);
  assert.equal(r.status, 404);
  assert.match(((await r.json()) as { error: string }).error, /unknown model "nope"/);
  const v = await fetch(`${gw.url}/v2/models/ranker/versions/7`);
  assert.equal(v.status, 404);
  assert.match(((await v.json()) as { error: string }).error, /no version "7"/);
  assert.equal((await fetch(`${gw.url}/v2/nothing/here`)).status, 404);
});

test('a broken model file is reported not ready and the others still serve', async () => {
  assert.equal((await fetch(`${gw.url}/v2/models/broken/ready`)).status, 503);
  const r = await fetch(`${gw.url}/v2/models/broken/infer`, { method: 'POST', body: '{"inputs":[]}' });
  assert.equal(r.status, 503);
  assert.match(((await r.json()) as { error: string }).error, /broken/);
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/ready`)).status, 200);
  assert.equal((await fetch(`${gw.url}/v2/health/ready`)).status, 200);
});

test('KServe JSON infer (flat and nested data) equals a direct addon run', async () => {
  const k = 3;
  const rows = seededRows(k, 128, 11);
  const want = await expected(rows, k);
  const flat = { id: 'j1', inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: [...rows] }] };
  const r = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(flat) });
  assert.equal(r.status, 200);
  const body = await r.json() as { id: string; model_name: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[] };
  assert.equal(body.id, 'j1');
  assert.equal(body.model_name, 'ranker');
  assert.deepEqual(body.outputs[0]!.shape, [k, 1]);
  assertClose(body.outputs[0]!.data, want, 'json');
  const nested = { inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: [0, 1, 2].map((i) => [...rows.subarray(i * 128, (i + 1) * 128)]) }] };
  const r2 = await fetch(`${gw.url}/v2/models/ranker/versions/1/infer`, { method: 'POST', body: JSON.stringify(nested) });
  assertClose(((await r2.json()) as typeof body).outputs[0]!.data, want, 'nested json');
});

test('binary tensor extension infer equals a direct addon run', async () => {
  const k = 5;
  const rows = seededRows(k, 128, 12);
  const want = await expected(rows, k);
  const req = flatRequest(rows, k, 'b1');
  req.outputs = [{ name: 'score', binaryData: true }];
  const { body, headerLength } = encodeBinaryRequest(req, new Set(['features']));
  const r = await fetch(`${gw.url}/v2/models/ranker/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(headerLength) },
    body,
  });
  assert.equal(r.status, 200);
  const hl = Number(r.headers.get('inference-header-content-length'));
  assert.ok(hl > 0, 'binary response header length');
  const resp = decodeBinaryResponse(new Uint8Array(await r.arrayBuffer()), hl);
  assertClose(f32(resp.outputs[0]!.data), want, 'binary');
});

test('FlatBuffers infer equals a direct addon run, and errors come back as FlatBuffers', async () => {
  const k = 7;
  const rows = seededRows(k, 128, 13);
  const want = await expected(rows, k);
  const r = await fetch(`${gw.url}/v2/models/ranker/infer`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: encodeFlatRequest(flatRequest(rows, k, 'f1')),
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/x-flatbuffers');
  const resp = decodeFlatResponse(new Uint8Array(await r.arrayBuffer()));
  assert.equal(resp.id, 'f1');
  assert.deepEqual(resp.outputs[0]!.shape, [k, 1]);
  assertClose(f32(resp.outputs[0]!.data), want, 'flatbuffers');

  const bad = await fetch(`${gw.url}/v2/models/ranker/infer`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  });
  assert.equal(bad.status, 400);
  const e = decodeFlatResponse(new Uint8Array(await bad.arrayBuffer()));
  assert.equal(e.error?.code, 'IG_BAD_FLATBUFFER');
});

test('WebSocket stream: many requests in flight, answers matched by id, same numbers', async () => {
  const n = 20;
  const inputs = Array.from({ length: n }, (_, i) => seededRows(1 + (i % 4), 128, 100 + i));
  const wants = await Promise.all(inputs.map((rows, i) => expected(rows, 1 + (i % 4))));
  const got = new Map<string, Float32Array>();
  let done!: () => void;
  const allDone = new Promise<void>((res) => { done = res; });
  const conn = await WsConnection.connect('127.0.0.1', gw.port, '/v2/stream', {
    onMessage(payload) {
      const resp = decodeFlatResponse(new Uint8Array(payload));
      assert.equal(resp.error, undefined, `stream error: ${resp.error?.message}`);
      got.set(resp.id, f32(resp.outputs[0]!.data));
      if (got.size === n) done();
    },
    onClose() {},
  });
  for (let i = 0; i < n; i++) {
    const bytes = encodeFlatRequest(flatRequest(inputs[i]!, 1 + (i % 4), `ws-${i}`));
    conn.sendBinary(bytes.byteLength, (p) => p.set(bytes));
  }
  await allDone;
  for (let i = 0; i < n; i++) assertClose(got.get(`ws-${i}`)!, wants[i]!, `ws-${i}`);
  conn.close();
});

test('max_batch_size 0 takes the request shapes as they are', async () => {
  const meta = await (await fetch(`${gw.url}/v2/models/ranker_fixed`)).json() as { inputs: { shape: number[] }[] };
  assert.deepEqual(meta.inputs[0]!.shape, [-1, 128]);
  const rows = seededRows(2, 128, 14);
  const want = await expected(rows, 2);
  const r = await fetch(`${gw.url}/v2/models/ranker_fixed/infer`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: encodeFlatRequest(flatRequest(rows, 2, 'x', 'ranker_fixed')),
  });
  assert.equal(r.status, 200);
  assertClose(f32(decodeFlatResponse(new Uint8Array(await r.arrayBuffer())).outputs[0]!.data), want, 'fixed');
});

test('bad bodies get 4xx with a message that names the problem', async () => {
  const post = (body: string, ct = 'application/json') =>
    fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', headers: { 'Content-Type': ct }, body });
  const cases: [string, number, RegExp, string?][] = [
    ['{not json', 400, /JSON/i],
    ['{"inputs":[{"name":"nope","datatype":"FP32","shape":[1,128],"data":[' + new Array(128).fill(1).join(',') + ']}]}', 400, /no input "nope"/],
    ['{"inputs":[{"name":"features","datatype":"INT32","shape":[1,128],"data":[' + new Array(128).fill(1).join(',') + ']}]}', 400, /must be FP32/],
    ['{"inputs":[{"name":"features","datatype":"FP32","shape":[1,64],"data":[' + new Array(64).fill(1).join(',') + ']}]}', 400, /dim 1 must be 128/],
    ['{"inputs":[{"name":"features","datatype":"FP32","shape":[1,128],"data":[1,2,3]}]}', 400, /128|elements|3/],
    ['{"inputs":[]}', 400, /features/],
    ['{"inputs":[{"name":"features","datatype":"FP32","shape":[1,128],"data":[' + new Array(128).fill(1).join(',') + ']}],"outputs":[{"name":"zzz"}]}', 400, /no output "zzz"/],
    ['hello', 415, /Content-Type/, 'text/html'],
  ];
  for (const [body, status, re, ct] of cases) {
    const r = await post(body, ct);
    assert.equal(r.status, status, `status for ${body.slice(0, 60)}`);
    const j = await r.json() as { error: string };
    assert.match(j.error, re, `message for ${body.slice(0, 60)}: ${j.error}`);
  }
  // The server survived all of it.
  assert.equal((await fetch(`${gw.url}/v2/health/live`)).status, 200);
});

test('a body over --max-body-bytes is 413', async () => {
  const small = await startTestGateway(repo, { workers: 1, maxBodyBytes: 1024 });
  try {
    const r = await fetch(`${small.url}/v2/models/ranker/infer`, { method: 'POST', body: 'x'.repeat(4096) });
    assert.equal(r.status, 413);
    assert.match(((await r.json()) as { error: string }).error, /exceeds the limit of 1024 bytes/);
  } finally {
    await small.close();
  }
});

test('concurrent requests are batched and each gets exactly its own rows back', async () => {
  const n = 48;
  const before = gw.manager.host('ranker').counters!.batches;
  const inputs = Array.from({ length: n }, (_, i) => seededRows(1, 128, 1000 + i));
  const wants = await Promise.all(inputs.map((rows) => expected(rows, 1)));
  const results = await Promise.all(inputs.map(async (rows, i) => {
    const r = await fetch(`${gw.url}/v2/models/ranker/infer`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: encodeFlatRequest(flatRequest(rows, 1, `c${i}`)),
    });
    return decodeFlatResponse(new Uint8Array(await r.arrayBuffer()));
  }));
  results.forEach((resp, i) => {
    assert.equal(resp.id, `c${i}`);
    assertClose(f32(resp.outputs[0]!.data), wants[i]!, `c${i}`);
  });
  const batches = gw.manager.host('ranker').counters!.batches - before;
  assert.ok(batches < n, `expected fewer batches than requests, got ${batches} for ${n}`);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  const m = /infergate_batch_requests_bucket\{model="ranker",version="1",le="1"\} (\d+)/.exec(metrics);
  const total = /infergate_batch_requests_count\{model="ranker",version="1"\} (\d+)/.exec(metrics);
  assert.ok(m && total, 'batch histogram exported');
  assert.ok(Number(total![1]) > Number(m![1]), 'some batches held more than one request');
});

test('/metrics breaks each request into wire stages by format: body read, decode, encode', async () => {
  const count = async (family: string, format: string): Promise<number> => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const m = new RegExp(`${family}_count\\{format="${format}"\\} (\\d+)`).exec(text);
    return Number(m?.[1] ?? 0);
  };
  const before = await Promise.all([count('infergate_body_read_duration_us', 'flatbuffers'), count('infergate_decode_duration_us', 'flatbuffers'),
    count('infergate_encode_duration_us', 'flatbuffers'), count('infergate_decode_duration_us', 'json')]);
  const rows = seededRows(1, 128, 5);
  const r = await fetch(`${gw.url}/v2/models/ranker/infer`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: encodeFlatRequest(flatRequest(rows, 1, 'w1')),
  });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  const after = await Promise.all([count('infergate_body_read_duration_us', 'flatbuffers'), count('infergate_decode_duration_us', 'flatbuffers'),
    count('infergate_encode_duration_us', 'flatbuffers'), count('infergate_decode_duration_us', 'json')]);
  assert.deepEqual(after.map((v, i) => v - before[i]!), [1, 1, 1, 0]);
});

test('inline: small batches skip the worker, with the same numbers', async () => {
  // The compute guard is lifted: on a loaded test machine a cold first run can exceed 200 us,
  // and the guard has its own unit test.
  const quiet = await startTestGateway(repo, { workers: 1, inline: new InlinePolicy({ maxRows: 4, maxComputeUs: 1_000_000 }) });
  try {
    const scrape = async () => {
      const text = await (await fetch(`${quiet.url}/metrics`)).text();
      const inline = /infergate_inline_batches_total\{model="ranker",version="1"\} (\d+)/.exec(text);
      const hops = /infergate_worker_hop_duration_us_count\{model="ranker",version="1"\} (\d+)/.exec(text);
      return { inline: Number(inline?.[1] ?? 0), hops: Number(hops?.[1] ?? 0) };
    };
    const before = await scrape();
    for (const k of [1, 4, 9]) {
      const rows = seededRows(k, 128, 70 + k);
      const r = await fetch(`${quiet.url}/v2/models/ranker/infer`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: encodeFlatRequest(flatRequest(rows, k, `i${k}`)),
      });
      assert.equal(r.status, 200);
      assertClose(f32(decodeFlatResponse(new Uint8Array(await r.arrayBuffer())).outputs[0]!.data), await expected(rows, k), `inline k=${k}`);
    }
    const after = await scrape();
    assert.equal(after.inline - before.inline, 2, 'K=1 and K=4 ran inline');
    assert.equal(after.hops - before.hops, 1, 'K=9 (over maxRows) took the worker hop');
  } finally {
    await quiet.close();
  }
});
