// The caller's client against a real gateway: typed tensors in and out in every wire format
// (FlatBuffers, binary extension, JSON) with equal answers; the gateway's errors as typed
// errors; the deadline sent as the timeout header the gateway enforces; the caller's
// traceparent sent on; one pooled keep-alive connection for sequential calls; the WebSocket
// stream with many requests in flight on one connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';
import { InferClient, InferClientError } from '../../src/client/index.js';
import { fromWire, toWire } from '../../src/client/tensors.js';

let gw: TestGateway;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-client-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 500 } });
  gw = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw.close();
  rmSync(repo, { recursive: true, force: true });
});

test('typed tensors: classes give datatypes; strings are BYTES; wire bytes round-trip', () => {
  const f = toWire('x', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
  assert.equal(f.datatype, 'FP32');
  assert.deepEqual(fromWire(f).data, new Float32Array([1, 2, 3, 4]));
  const i = toWire('ids', { shape: [3], data: new BigInt64Array([1n, -2n, 3n]) });
  assert.equal(i.datatype, 'INT64');
  assert.deepEqual(fromWire(i).data, new BigInt64Array([1n, -2n, 3n]));
  const s = toWire('q', { shape: [2], data: ['héllo', ''] });
  assert.equal(s.datatype, 'BYTES');
  assert.deepEqual(fromWire(s).data, ['héllo', '']);
  assert.equal(toWire('h', { shape: [1], data: new Uint16Array([0x3c00]), datatype: 'FP16' }).datatype, 'FP16');
  assert.throws(() => toWire('x', { shape: [3], data: new Float32Array(2) }), /shape|bytes|element/i);
  assert.throws(() => toWire('x', { shape: [2], data: new Float32Array(2), datatype: 'INT32' }), /Int32Array/);
});

test('every wire format gives the same typed answer', async () => {
  const client = new InferClient(gw.url);
  try {
    const features = seededRows(5, 128, 7);
    const answers = [];
    for (const format of ['flatbuffers', 'binary', 'json'] as const) {
      const r = await client.infer('ranker', { features: { shape: [5, 128], data: features } }, { format, id: `f-${format}` });
      assert.equal(r.id, `f-${format}`);
      assert.equal(r.modelName, 'ranker');
      const score = r.outputs['score']!;
      assert.equal(score.datatype, 'FP32');
      assert.deepEqual(score.shape, [5, 1]);
      assert.ok(score.data instanceof Float32Array, format);
      answers.push([...score.data as Float32Array]);
    }
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    assert.equal(await client.ready(), true);
    const meta = await client.metadata('ranker');
    assert.deepEqual(meta.inputs.map((t) => [t.name, t.datatype, t.shape]), [['features', 'FP32', [-1, 128]]]);
  } finally {
    client.close();
  }
});

test('errors arrive typed: code, status, retryable; the deadline is enforced by the gateway', async () => {
  const client = new InferClient(gw.url);
  try {
    const features = { shape: [1, 128], data: new Float32Array(128) };
    for (const format of ['flatbuffers', 'json'] as const) {
      const unknown = await client.infer('nope', { features }, { format }).then(() => undefined, (e: unknown) => e);
      assert.ok(unknown instanceof InferClientError);
      assert.equal(unknown.code, 'IG_MODEL_NOT_FOUND');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.retryable, false);
      const wide = await client.infer('ranker', { features: { shape: [1, 127], data: new Float32Array(127) } }, { format }).then(() => undefined, (e: unknown) => e);
      assert.ok(wide instanceof InferClientError && wide.status === 400, String(wide));
      assert.match(wide.message, /features/);
    }
    // 1 us from arrival: expired before any batch runs. The gateway answers 504 and never computes it.
    const late = await client.infer('ranker', { features }, { timeoutUs: 1 }).then(() => undefined, (e: unknown) => e);
    assert.ok(late instanceof InferClientError, String(late));
    assert.equal(late.code, 'IG_DEADLINE_EXCEEDED');
    assert.equal(late.retryable, true);
  } finally {
    client.close();
  }
});

test('headers on the wire: timeout, traceparent; sequential calls share one pooled connection', async () => {
  const seen: IncomingHttpHeaders[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ model_name: 'm', model_version: '1', id: '', outputs: [{ name: 'y', datatype: 'INT32', shape: [2], data: [7, 8] }] }));
    });
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const client = new InferClient(url, { format: 'json', traceContext: () => ({ traceparent: tp, tracestate: 'vendor=1' }) });
  try {
    for (let i = 0; i < 10; i++) {
      const r = await client.infer('m', { x: { shape: [1], data: new Int32Array([i]) } }, { timeoutUs: 25_000 });
      assert.deepEqual(r.outputs['y']!.data, new Int32Array([7, 8]));
    }
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client.infer('m', { x: { shape: [1], data: new Int32Array([0]) } }, { traceparent: own });
    assert.equal(seen.length, 11);
    assert.equal(seen[0]!['x-infergate-timeout-us'], '25000');
    assert.equal(seen[0]!['traceparent'], tp);
    assert.equal(seen[0]!['tracestate'], 'vendor=1');
    assert.equal(seen[10]!['traceparent'], own, "a call's own traceparent wins");
    assert.equal(seen[10]!['x-infergate-timeout-us'], undefined, 'no deadline, no header');
    assert.equal(connections, 1, 'one keep-alive connection for sequential calls');
  } finally {
    client.close();
    await new Promise((r) => server.close(r));
  }
});

test('the WebSocket stream: many requests in flight on one connection, answers matched by id', async () => {
  const client = new InferClient(gw.url);
  const stream = await client.stream();
  try {
    const inputs = Array.from({ length: 32 }, (_, i) => seededRows(1 + (i % 4), 128, 100 + i));
    const viaStream = await Promise.all(inputs.map((rows, i) =>
      stream.infer('ranker', { features: { shape: [rows.length / 128, 128], data: rows } }, i % 2 === 0 ? { id: `mine-${i}` } : {})));
    for (let i = 0; i < inputs.length; i++) {
      const http = await client.infer('ranker', { features: { shape: [inputs[i]!.length / 128, 128], data: inputs[i]! } });
      assert.deepEqual(viaStream[i]!.outputs['score']!.data, http.outputs['score']!.data, `request ${i}`);
      if (i % 2 === 0) assert.equal(viaStream[i]!.id, `mine-${i}`);
    }
    const err = await stream.infer('nope', { features: { shape: [1, 128], data: new Float32Array(128) } }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof InferClientError && err.code === 'IG_MODEL_NOT_FOUND', String(err));
  } finally {
    await stream.close();
    client.close();
  }
  await assert.rejects(stream.infer('ranker', { features: { shape: [1, 128], data: new Float32Array(128) } }), /closed/);
});
