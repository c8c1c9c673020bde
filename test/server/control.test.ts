// Explicit model control (index, load, unload), and isolation of a request that breaks its
// batch: only the culprit fails, the rest of its batch is answered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../fixtures/onnx-builder.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { ADMIN_AUTH, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';

let gw: TestGateway;
let repo: string;

/** ids int64[N,1] -> Gather from a 10 x 4 table -> vec float32[N,1,4]. An id >= 10 fails in ORT. */
function embedModel(): Uint8Array {
  const table = new Float32Array(40).map((_, i) => i);
  return buildModel({
    inputs: [{ name: 'ids', dtype: 'int64', shape: ['batch', 1] }],
    outputs: [{ name: 'vec', dtype: 'float32', shape: ['batch', 1, 4] }],
    initializers: [{ name: 'table', dtype: 'float32', dims: [10, 4], data: table }],
    nodes: [{ op: 'Gather', inputs: ['table', 'ids'], outputs: ['vec'], attrs: { axis: { int: 0 } } }],
  });
}

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-ctl-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64 });
  writeModel(repo, 'blocker', buildRanker(), { max_batch_size: 8192, warmup: { batch_sizes: [1] } });
  // A long queue delay so that concurrent requests share a batch.
  writeModel(repo, 'embed', embedModel(), { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 20000, preferred_batch_size: [3] } });
  // Inline off: with it, an embed request arriving while the worker is busy runs inline at once
  // (decide rule I) instead of waiting to share a batch, which the isolation test needs.
  gw = await startTestGateway(repo, { workers: 1, modelControlMode: 'explicit', inline: { maxRows: 0 } });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

const post = (path: string, body = '') => fetch(`${gw.url}${path}`, { method: 'POST', body, headers: ADMIN_AUTH });

test('repository index lists every model with its state', async () => {
  const r = await post('/v2/repository/index');
  assert.equal(r.status, 200);
  const index = await r.json() as { name: string; version?: string; state: string }[];
  assert.deepEqual(index.map((e) => [e.name, e.version, e.state]).sort(), [['blocker', '1', 'READY'], ['embed', '1', 'READY'], ['ranker', '1', 'READY']]);
});

test('unload then load a model; a reload from a broken file fails with the reason and the loaded version keeps serving', async () => {
  assert.equal((await post('/v2/repository/models/ranker/unload')).status, 200);
  // Unloaded, but still in the repository: 503 with Retry-After, never 404.
  const meta = await fetch(`${gw.url}/v2/models/ranker`);
  assert.equal(meta.status, 503);
  const infer = await post('/v2/models/ranker/infer', '{"inputs":[]}');
  assert.equal(infer.status, 503);
  assert.equal(infer.headers.get('retry-after'), '1');
  assert.equal(((await infer.json()) as { code: string }).code, 'IG_MODEL_NOT_READY');
  assert.equal((await post('/v2/repository/models/ranker/load')).status, 200);
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/ready`)).status, 200);

  writeFileSync(join(repo, 'ranker', '1', 'model.onnx'), 'garbage');
  const bad = await post('/v2/repository/models/ranker/load');
  assert.equal(bad.status, 500);
  assert.match(((await bad.json()) as { error: string }).error, /ranker/);
  // The version loaded before keeps serving.
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/ready`)).status, 200);
  const row = JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: new Array(128).fill(0.5) }] });
  assert.equal((await post('/v2/models/ranker/infer', row)).status, 200);
  // The other model never stopped serving.
  assert.equal((await fetch(`${gw.url}/v2/models/embed/ready`)).status, 200);
  const missing = await post('/v2/repository/models/nope/load');
  assert.ok(missing.status >= 400);
});

test('a request that breaks its batch fails alone; the others in the batch are answered', async () => {
  const req = (id: number) => JSON.stringify({ inputs: [{ name: 'ids', datatype: 'INT64', shape: [1, 1], data: [id] }] });
  // Occupy the only worker with a large batch of another model, so the three embed requests
  // queue up and leave together as one batch of 3 (the preferred size).
  const k = 8192;
  const blocker = post('/v2/models/blocker/infer', JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: new Array(k * 128).fill(0.5) }] }));
  const bc = gw.manager.host('blocker').counters!;
  for (let i = 0; i < 1000 && bc.inFlightBatches === 0; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(bc.inFlightBatches, 1, 'blocker batch running');
  const [a, bad, c] = await Promise.all([2, 99, 5].map((id) => post('/v2/models/embed/infer', req(id))));
  assert.equal((await blocker).status, 200);
  assert.equal(a!.status, 200);
  assert.equal(c!.status, 200);
  assert.equal(bad!.status, 500);
  const ja = await a!.json() as { outputs: { data: number[] }[] };
  const jc = await c!.json() as { outputs: { data: number[] }[] };
  assert.deepEqual(ja.outputs[0]!.data, [8, 9, 10, 11]);
  assert.deepEqual(jc.outputs[0]!.data, [20, 21, 22, 23]);
  const jb = await bad!.json() as { error: string; code: string };
  assert.equal(jb.code, 'IG_INFERENCE_FAILED');
  assert.match(jb.error, /embed/);
  // They did share a batch (the isolation path was taken, not three separate batches).
  const c3 = gw.manager.host('embed').counters!;
  assert.equal(c3.batches, 1, 'one batch of 3 ran');
  assert.equal(c3.rows, 3);
});
