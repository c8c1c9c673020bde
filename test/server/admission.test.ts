// Admission control end to end (real sockets, real addon): a full queue sheds at once with
// 503/429 + Retry-After; a request whose deadline passes while queued is answered 504 and never
// computed; a client that disconnects while queued is dropped from its batch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';

let gw: TestGateway;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-adm-'));
  const ranker = buildRanker();
  // One request per batch (K=1000 rows, max batch 1000), so queued requests wait for the worker.
  writeModel(repo, 'shed503', ranker, { max_batch_size: 1000, dynamic_batching: { max_queue_size: 2, max_queue_delay_microseconds: 0 }, warmup: { batch_sizes: [1] } });
  writeModel(repo, 'shed429', ranker, { max_batch_size: 1000, dynamic_batching: { max_queue_size: 2, max_queue_delay_microseconds: 0, shed_status: 429, retry_after_seconds: 3 }, warmup: { batch_sizes: [1] } });
  writeModel(repo, 'slow', ranker, { max_batch_size: 1000, dynamic_batching: { max_queue_delay_microseconds: 0 }, warmup: { batch_sizes: [1] } });
  gw = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

function body(model: string, k: number, seed: number, priority = 0): Uint8Array {
  return encodeFlatRequest({
    modelName: model, modelVersion: '', id: `${model}-${seed}`, timeoutUs: 0, priority, parameters: {}, outputs: [],
    inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: new Uint8Array(seededRows(k, 128, seed).buffer) }],
  });
}

function post(model: string, b: Uint8Array, headers: Record<string, string> = {}) {
  return fetch(`${gw.url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers', ...headers }, body: b })
    .then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), code: r.headers.get('x-infergate-error'), text: await r.text() }));
}

/** Waits (bounded) until the worker is busy and requests are queued behind it. */
async function untilQueued(model: string, depth: number): Promise<void> {
  const c = gw.manager.host(model).counters!;
  for (let i = 0; i < 500 && c.queueDepth < depth; i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(c.queueDepth >= depth, `queue depth reached ${c.queueDepth}, wanted ${depth}`);
}

function rowsTotal(metrics: string, model: string): number {
  const m = new RegExp(`infergate_rows_total\\{model="${model}",version="1"\\} (\\d+)`).exec(metrics);
  return m ? Number(m[1]) : 0;
}

for (const [model, status, code, retryAfter] of [['shed503', 503, 'IG_QUEUE_FULL', '1'], ['shed429', 429, 'IG_TOO_MANY_REQUESTS', '3']] as const) {
  test(`a full queue sheds at once with ${status} and Retry-After (${model})`, async () => {
    const b = body(model, 1000, 1);
    const results = await Promise.all(Array.from({ length: 24 }, () => post(model, b)));
    const shed = results.filter((r) => r.status === status);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(shed.length + ok.length, results.length, `only 200 or ${status}: ${JSON.stringify(results.map((r) => r.status))}`);
    assert.ok(shed.length > 0, 'some requests were shed');
    for (const r of shed) {
      assert.equal(r.retryAfter, retryAfter);
      assert.equal(r.code, code);
    }
    const counters = gw.manager.host(model).counters!;
    assert.equal(counters.rejected[code], shed.length);
    assert.equal(counters.completed, ok.length);
  });
}

test('a request whose deadline passes while queued is answered 504 and never computed', async () => {
  const before = rowsTotal(await (await fetch(`${gw.url}/metrics`)).text(), 'slow');
  // Four 1000-row batches at priority 1 keep the single worker busy for several milliseconds...
  const busy = Array.from({ length: 4 }, (_, i) => post('slow', body('slow', 1000, 10 + i, 1)));
  // ...while a 3-row request with a 1 ms deadline waits behind them at the default (lower)
  // priority. (At the same priority it would head the queue, earliest deadline first, and run
  // inline at once: test/batching/deadline.test.ts.)
  await untilQueued('slow', 2);
  const late = await post('slow', body('slow', 3, 99), { 'X-Infergate-Timeout-Us': '1000' });
  const done = await Promise.all(busy);
  assert.ok(done.every((r) => r.status === 200));
  assert.equal(late.status, 504, late.text);
  assert.equal(late.code, 'IG_DEADLINE_EXCEEDED');
  const after = rowsTotal(await (await fetch(`${gw.url}/metrics`)).text(), 'slow');
  assert.equal(after - before, 4000, 'only the busy requests\' rows were computed');
  assert.ok(gw.manager.host('slow').counters!.expired >= 1);
});

test('a client that disconnects while queued is dropped from its batch', async () => {
  const counters = gw.manager.host('slow').counters!;
  const cancelledBefore = counters.cancelled;
  const admittedBefore = counters.admitted;
  const before = rowsTotal(await (await fetch(`${gw.url}/metrics`)).text(), 'slow');
  const busy = Array.from({ length: 6 }, (_, i) => post('slow', body('slow', 1000, 20 + i)));
  await untilQueued('slow', 3);
  // A raw socket sends a 5-row request and hangs up before the answer.
  const b = body('slow', 5, 77);
  await new Promise<void>((resolve, reject) => {
    const s = connect(gw.port, '127.0.0.1', () => {
      s.write(`POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-flatbuffers\r\nContent-Length: ${b.byteLength}\r\n\r\n`);
      s.write(b, () => {
        // Hang up once the request is queued (admitted behind the busy ones), not before.
        const hangUp = (): void => {
          if (counters.admitted >= admittedBefore + 7) { s.destroy(); resolve(); } else setTimeout(hangUp, 1);
        };
        hangUp();
      });
    });
    s.on('error', reject);
  });
  const done = await Promise.all(busy);
  assert.ok(done.every((r) => r.status === 200));
  // Let the server notice the abort and finish the busy batches.
  for (let i = 0; i < 100 && counters.cancelled === cancelledBefore; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(counters.cancelled, cancelledBefore + 1);
  const after = rowsTotal(await (await fetch(`${gw.url}/metrics`)).text(), 'slow');
  assert.equal(after - before, 6000, 'the disconnected request\'s rows were never computed');
});
