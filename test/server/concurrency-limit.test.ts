// The concurrency limit end to end (real sockets, real addon): under a burst far above what the
// model can take at once, requests beyond the limit are answered 429 IG_CONCURRENCY_LIMIT with
// Retry-After without ever being queued, and every admitted request is answered; the current
// limit is a Prometheus gauge.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';

let gw: TestGateway;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-cl-'));
  const ranker = buildRanker();
  const base = { max_batch_size: 1000, dynamic_batching: { max_queue_delay_microseconds: 0, retry_after_seconds: 2 }, warmup: { batch_sizes: [1] } };
  writeModel(repo, 'fixed4', ranker, { ...base, concurrency_limit: { mode: 'fixed', initial_limit: 4 } });
  writeModel(repo, 'adaptive', ranker, { ...base, concurrency_limit: { mode: 'adaptive', initial_limit: 16, min_limit: 2, max_limit: 64 } });
  writeModel(repo, 'unlimited', ranker, base);
  gw = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

function body(model: string, k: number, seed: number): Uint8Array {
  return encodeFlatRequest({
    modelName: model, modelVersion: '', id: `${model}-${seed}`, timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
    inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: new Uint8Array(seededRows(k, 128, seed).buffer) }],
  });
}

function post(model: string, b: Uint8Array) {
  return fetch(`${gw.url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: b })
    .then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), code: r.headers.get('x-infergate-error'), bytes: (await r.arrayBuffer()).byteLength }));
}

const metric = (text: string, name: string, model: string): number | undefined => {
  const m = new RegExp(`^${name}\\{model="${model}",version="1"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

for (const [model, limitAtMost] of [['fixed4', 4], ['adaptive', 64]] as const) {
  test(`a burst far above the limit: the excess gets 429 at once, the admitted are answered (${model})`, async () => {
    const b = body(model, 1000, 1);
    const results = await Promise.all(Array.from({ length: 80 }, () => post(model, b)));
    const limited = results.filter((r) => r.status === 429);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(limited.length + ok.length, results.length, `only 200 or 429: ${JSON.stringify(results.map((r) => r.status))}`);
    assert.ok(limited.length > 0, 'some requests were refused');
    assert.ok(ok.length > 0, 'some requests were admitted');
    for (const r of limited) {
      assert.equal(r.code, 'IG_CONCURRENCY_LIMIT');
      assert.equal(r.retryAfter, '2');
    }
    for (const r of ok) assert.ok(r.bytes > 4000, 'an admitted request gets its 1000 scores');
    const host = gw.manager.host(model);
    const gate = host.gate!;
    // Never queued: the gate never held more than the limit, and the batcher saw only the admitted.
    assert.ok(gate.peakInFlight <= limitAtMost, `peak ${gate.peakInFlight}`);
    assert.equal(gate.inFlight, 0);
    assert.equal(gate.refused, limited.length);
    assert.equal(host.counters!.completed, ok.length);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    assert.equal(metric(text, 'infergate_concurrency_limit', model), gate.limit);
    assert.equal(metric(text, 'infergate_concurrency_refused_total', model), limited.length);
    assert.match(text, new RegExp(`infergate_request_failure_total\\{code="IG_CONCURRENCY_LIMIT",model="${model}",version="1"\\} ${limited.length}`));
  });
}

test('without concurrency_limit (the default) nothing is refused and no gauge is exported', async () => {
  const b = body('unlimited', 1000, 2);
  const results = await Promise.all(Array.from({ length: 24 }, () => post('unlimited', b)));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
  assert.equal(gw.manager.host('unlimited').gate, undefined);
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  assert.equal(metric(text, 'infergate_concurrency_limit', 'unlimited'), undefined);
});

test('a full limit refuses before the body is read; the connection then carries the next request', async () => {
  const gate = gw.manager.host('fixed4').gate!;
  const admitted = Array.from({ length: 4 }, () => gate.acquire(1000)); // 4 batches of 1000 rows: full
  const refusedBefore = gate.refused;
  const b = body('fixed4', 1000, 3);
  const head = `POST /v2/models/fixed4/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-flatbuffers\r\nContent-Length: ${b.byteLength}\r\n\r\n`;
  const socket = net.connect(gw.port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d: Buffer) => { received += d.toString('latin1'); });
  const until = async (pattern: RegExp, what: string): Promise<void> => {
    for (let i = 0; i < 500 && !pattern.test(received); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(received, pattern, what);
  };
  try {
    socket.write(head); // the head alone: the answer must not wait for a body
    await until(/^HTTP\/1\.1 429 [^]*\r\n\r\n/, 'a 429 before any byte of the body');
    assert.match(received, /\r\nX-Infergate-Error: IG_CONCURRENCY_LIMIT\r\n/i);
    assert.match(received, /\r\nRetry-After: 2\r\n/i);
    assert.equal(gate.refused, refusedBefore + 1);
    assert.equal(gate.inFlight, 4, 'the refusal admitted nothing');
    for (const t of admitted) gate.release(t, 1000, false);
    // The body the refused request announced, then a second request on the same connection.
    received = '';
    socket.write(Buffer.from(b));
    socket.write(head);
    socket.write(Buffer.from(b));
    await until(/^HTTP\/1\.1 200 /, 'the next request on the connection is answered');
  } finally {
    socket.destroy();
  }
  assert.equal(gate.inFlight, 0);
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  assert.equal(metric(text, 'infergate_concurrency_refused_total', 'fixed4'), gate.refused);
});

test('a full limit refuses inference only: statistics, metadata and readiness still answer, and nothing is counted', async () => {
  const gate = gw.manager.host('fixed4').gate!;
  const admitted = Array.from({ length: 4 }, () => gate.acquire(1000));
  const refusedBefore = gate.refused;
  try {
    for (const path of ['/v2/models/fixed4/stats', '/v2/models/fixed4', '/v2/models/fixed4/ready', '/v2/models/fixed4/config']) {
      const r = await fetch(`${gw.url}${path}`);
      assert.equal(r.status, 200, `${path} while the limit is full`);
      await r.arrayBuffer();
    }
    assert.equal(gate.refused, refusedBefore, 'no request was refused');
    assert.equal((await post('fixed4', body('fixed4', 1, 4))).status, 429, 'inference is refused');
  } finally {
    for (const t of admitted) gate.release(t, 1000, false);
  }
  assert.equal((await fetch(`${gw.url}/v2/models/nope/stats`)).status, 404);
});
