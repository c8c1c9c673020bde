// Faults on the request path (issue 16, point 5): a worker thread that dies mid-batch answers its
// requests 500 IG_WORKER_EXITED, the pool replaces it and later requests succeed; a model whose
// run throws for one input fails only that request; afterwards nothing is leaked: no request
// queued, no batch in flight, no pool task, no shared input buffer checked out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../fixtures/onnx-builder.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';

let gw: TestGateway;
let repo: string;
let exits = 0;

/** ids int64[N,1] -> Gather from a 10 x 4 table -> vec float32[N,1,4]. An id >= 10 fails in ORT. */
function embedModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'ids', dtype: 'int64', shape: ['batch', 1] }],
    outputs: [{ name: 'vec', dtype: 'float32', shape: ['batch', 1, 4] }],
    initializers: [{ name: 'table', dtype: 'float32', dims: [10, 4], data: new Float32Array(40).map((_, i) => i) }],
    nodes: [{ op: 'Gather', inputs: ['table', 'ids'], outputs: ['vec'], attrs: { axis: { int: 0 } } }],
  });
}

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-faults-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64 });
  // The worker that starts a batch of "crasher" exits (test-only fault injection); no warm-up,
  // which would run it in a worker while loading.
  writeModel(repo, 'crasher', buildRanker(), { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 20000, preferred_batch_size: [3] }, warmup: { batch_sizes: [] } });
  writeModel(repo, 'embed', embedModel(), { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 20000, preferred_batch_size: [3] } });
  // Inline off: every batch runs in a worker thread.
  gw = await startTestGateway(repo, { workers: 1, inline: { maxRows: 0 }, faults: { exitOnModel: 'crasher' } });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

const post = (path: string, body: string) => fetch(`${gw.url}${path}`, { method: 'POST', body });
const row = (seed: number) => JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: new Array(128).fill(seed / 10) }] });

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  assert.ok(line !== undefined, `metric ${name} is exposed`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Every counter that holds a slot or a buffer is back to 0. */
async function assertNothingHeld(): Promise<void> {
  for (let i = 0; i < 200 && gw.pool.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
  for (const name of ['ranker', 'crasher', 'embed']) {
    const c = gw.manager.host(name).counters!;
    assert.equal(c.queueDepth, 0, `${name}: queue empty`);
    assert.equal(c.inFlightBatches, 0, `${name}: no batch in flight`);
    assert.equal(c.inFlightRows, 0, `${name}: no rows in flight`);
  }
  assert.equal(gw.pool.inFlight, 0, 'no pool task in flight');
  assert.equal(await metric('infergate_inflight_batches'), 0);
  assert.equal(await metric('infergate_batch_buffers_checked_out'), 0, 'every shared input buffer was released');
}

test('a worker that dies mid-batch: its requests get 500 IG_WORKER_EXITED, the pool replaces it, later requests succeed', async () => {
  assert.equal((await post('/v2/models/ranker/infer', row(1))).status, 200);
  // Three at once (they may share a batch); every batch of "crasher" kills its worker.
  const answers = await Promise.all([1, 2, 3].map((s) => post('/v2/models/crasher/infer', row(s))));
  for (const r of answers) {
    assert.equal(r.status, 500);
    const body = await r.json() as { error: string; code: string };
    assert.equal(body.code, 'IG_WORKER_EXITED');
    assert.match(body.error, /worker thread running this batch died/);
    assert.equal(r.headers.get('x-infergate-error'), 'IG_WORKER_EXITED');
  }
  // One exit per batch: a batch whose worker died is not rerun request by request.
  const batches = gw.manager.host('crasher').counters!.batches;
  assert.ok(batches >= 1 && batches <= 3);
  assert.equal(gw.pool.pool.workerExits, batches);
  // Again, twice: each time a fresh worker takes the batch and the pool replaces it.
  for (let i = 0; i < 2; i++) assert.equal((await post('/v2/models/crasher/infer', row(4))).status, 500);
  exits = batches + 2;
  assert.equal(gw.pool.pool.workerExits, exits);
  assert.equal(await metric('infergate_worker_exits_total'), exits);
  // The replacement serves: every later request of another model succeeds.
  const later = await Promise.all([5, 6, 7, 8].map((s) => post('/v2/models/ranker/infer', row(s))));
  for (const r of later) assert.equal(r.status, 200);
  assert.equal((await fetch(`${gw.url}/v2/health/ready`)).status, 200);
  await assertNothingHeld();
});

test('a model whose run throws for one input fails only that request; nothing is held afterwards', async () => {
  const req = (id: number) => JSON.stringify({ inputs: [{ name: 'ids', datatype: 'INT64', shape: [1, 1], data: [id] }] });
  const before = gw.manager.host('embed').counters!.batches;
  const [a, bad, c] = await Promise.all([2, 99, 5].map((id) => post('/v2/models/embed/infer', req(id))));
  assert.equal(a!.status, 200);
  assert.equal(c!.status, 200);
  assert.equal(bad!.status, 500);
  assert.equal(((await bad!.json()) as { code: string }).code, 'IG_INFERENCE_FAILED');
  assert.deepEqual(((await a!.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [8, 9, 10, 11]);
  assert.deepEqual(((await c!.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [20, 21, 22, 23]);
  assert.equal(gw.manager.host('embed').counters!.batches - before, 1, 'they shared one batch');
  assert.equal(gw.pool.pool.workerExits, exits, 'a failing run is not a dead worker');
  await assertNothingHeld();
});
