// Triton/KServe API parity over real sockets: routing (405 with Allow, 404 before the body),
// content types, Retry-After, the repository index in every control mode, the model
// configuration and statistics extensions, and best-effort default warm-up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../fixtures/onnx-builder.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';
import type { ModelStatistics } from '../../src/core/service.js';
import { ModelVersion } from '../../src/repository/model-version.js';
import { parseModelConfig } from '../../src/repository/config.js';
import { warmupInputs } from '../../src/repository/warmup.js';
import { createGatewayMetrics } from '../../src/observability/gateway-metrics.js';
import { SabPool } from '../../src/batching/index.js';

let gw: TestGateway;
let repo: string;

/** start, limit, delta: float32 scalars -> Range. Zeros (delta 0) make ORT fail the run. */
function rangeModel(): Uint8Array {
  return buildModel({
    inputs: ['start', 'limit', 'delta'].map((name) => ({ name, dtype: 'float32' as const, shape: [] })),
    outputs: [{ name: 'y', dtype: 'float32', shape: [null] }],
    nodes: [{ op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['y'] }],
  });
}

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-parity-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64, dynamic_batching: { preferred_batch_size: [8] } });
  writeModel(repo, 'range', rangeModel());
  writeModel(repo, 'broken', new TextEncoder().encode('not onnx'), { max_batch_size: 8 });
  gw = await startTestGateway(repo, { workers: 1, modelControlMode: 'none' });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

const rankerBody = (k: number, seed: number): string =>
  JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: Array.from(seededRows(k, 128, seed)) }] });

test('a wrong method on a known route is 405 with Allow; an unknown route stays 404', async () => {
  for (const [method, path, allow] of [
    ['GET', '/v2/models/ranker/infer', 'POST'],
    ['POST', '/v2/health/live', 'GET'],
    ['DELETE', '/v2/models/ranker', 'GET'],
    ['GET', '/v2/repository/index', 'POST'],
  ] as const) {
    const r = await fetch(`${gw.url}${path}`, { method });
    assert.equal(r.status, 405, `${method} ${path}`);
    assert.equal(r.headers.get('allow'), allow);
    assert.equal(r.headers.get('x-infergate-error'), 'IG_METHOD_NOT_ALLOWED');
  }
  assert.equal((await fetch(`${gw.url}/v2/nothing`, { method: 'POST' })).status, 404);
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/infer/more`)).status, 404);
});

test('an unknown model is 404 before its body is read, whatever the body', async () => {
  const bad = await fetch(`${gw.url}/v2/models/nope/infer`, { method: 'POST', body: 'not json at all' });
  assert.equal(bad.status, 404);
  assert.match(((await bad.json()) as { error: string }).error, /unknown model "nope"/);
  const badVersion = await fetch(`${gw.url}/v2/models/ranker/versions/9/infer`, { method: 'POST', body: '{' });
  assert.equal(badVersion.status, 404);
  // The answer comes while the declared body has not been sent at all.
  const head = await new Promise<string>((resolve, reject) => {
    const s = connect(gw.port, '127.0.0.1', () => {
      s.write('POST /v2/models/nope/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"inp');
    });
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n\r\n')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
  assert.match(head, /^HTTP\/1\.1 404 /);
});

test('JSON is accepted whatever the Content-Type; a non-JSON body of another type is 415', async () => {
  const form = await fetch(`${gw.url}/v2/models/ranker/infer`, {
    method: 'POST', body: rankerBody(2, 1), headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(form.status, 200);
  const out = await form.json() as { outputs: { name: string; shape: number[] }[] };
  assert.deepEqual(out.outputs.map((o) => [o.name, o.shape]), [['score', [2, 1]]]);
  const html = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', body: '<p>hi</p>', headers: { 'Content-Type': 'text/html' } });
  assert.equal(html.status, 415);
});

test('503 model-not-ready answers carry Retry-After', async () => {
  const r = await fetch(`${gw.url}/v2/models/broken/infer`, { method: 'POST', body: '{"inputs":[]}' });
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('x-infergate-error'), 'IG_MODEL_NOT_READY');
  assert.equal(r.headers.get('retry-after'), '1');
});

test('the repository index answers without explicit model control; load and unload do not', async () => {
  const r = await fetch(`${gw.url}/v2/repository/index`, { method: 'POST' });
  assert.equal(r.status, 200);
  const index = await r.json() as { name: string; state: string }[];
  assert.deepEqual(index.map((e) => [e.name, e.state]).sort(), [['broken', 'UNAVAILABLE'], ['range', 'READY'], ['ranker', 'READY']]);
  const ready = await (await fetch(`${gw.url}/v2/repository/index`, { method: 'POST', body: '{"ready":true}' })).json() as { name: string }[];
  assert.deepEqual(ready.map((e) => e.name).sort(), ['range', 'ranker']);
  assert.equal((await fetch(`${gw.url}/v2/repository/models/ranker/unload`, { method: 'POST' })).status, 404);
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/ready`)).status, 200);
});

test('server metadata lists the extensions by Triton\'s names, and infergate\'s own', async () => {
  const meta = await (await fetch(`${gw.url}/v2`)).json() as { extensions: string[] };
  for (const e of ['model_repository', 'model_configuration', 'statistics', 'binary_tensor_data', 'flatbuffers', 'stream']) {
    assert.ok(meta.extensions.includes(e), e);
  }
});

test('the config endpoint shows the effective configuration with every default filled', async () => {
  const cfg = await (await fetch(`${gw.url}/v2/models/ranker/config`)).json() as Record<string, unknown>;
  assert.equal(cfg['name'], 'ranker');
  assert.equal(cfg['max_batch_size'], 64);
  assert.deepEqual(cfg['input'], [{ name: 'features', data_type: 'FP32', dims: [128] }]);
  assert.deepEqual(cfg['output'], [{ name: 'score', data_type: 'FP32', dims: [1] }]);
  assert.deepEqual(cfg['version_policy'], { latest: { num_versions: 1 } });
  assert.deepEqual(cfg['warmup'], { batch_sizes: [1, 8, 64] });
  const db = cfg['dynamic_batching'] as Record<string, unknown>;
  assert.deepEqual(db['preferred_batch_size'], [8]);
  assert.equal(db['max_queue_delay_microseconds'], 500);
  assert.equal(db['default_priority_level'], 2);
  const rt = cfg['runtime'] as Record<string, unknown>;
  assert.deepEqual(rt['execution_providers'], [{ name: 'cpu' }]);
  assert.equal(rt['intra_op_threads'], 1);
  const v1 = await (await fetch(`${gw.url}/v2/models/ranker/versions/1/config`)).json();
  assert.deepEqual(v1, cfg);
  const range = await (await fetch(`${gw.url}/v2/models/range/config`)).json() as Record<string, unknown>;
  assert.equal(range['max_batch_size'], 0);
  assert.deepEqual(range['warmup'], { batch_sizes: [] });
  assert.deepEqual((range['input'] as { dims: number[] }[]).map((t) => t.dims), [[], [], []]);
  assert.equal((await fetch(`${gw.url}/v2/models/nope/config`)).status, 404);
});

test('statistics add up after N requests, in Triton\'s shape', async () => {
  const rows = [1, 3, 2, 5];
  for (const [i, k] of rows.entries()) {
    assert.equal((await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', body: rankerBody(k, 10 + i) })).status, 200);
  }
  const fail = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', body: '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}' });
  assert.equal(fail.status, 400);
  const before = Date.now();
  const body = await (await fetch(`${gw.url}/v2/models/ranker/stats`)).json() as { model_stats: ModelStatistics[] };
  assert.equal(body.model_stats.length, 1);
  const s = body.model_stats[0]!;
  assert.equal(s.name, 'ranker');
  assert.equal(s.version, '1');
  // One at a time: every request is its own execution; the form-content-type test sent one of 2 rows.
  const sizes = [2, ...rows];
  assert.equal(s.inference_count, sizes.reduce((a, b) => a + b, 0));
  assert.equal(s.execution_count, sizes.length);
  const st = s.inference_stats;
  assert.equal(st.success.count, sizes.length);
  assert.equal(st.fail.count, 1);
  assert.equal(st.queue.count, sizes.length);
  for (const k of ['compute_input', 'compute_infer', 'compute_output'] as const) assert.equal(st[k].count, sizes.length, k);
  assert.ok(st.success.ns > st.compute_infer.ns && st.compute_infer.ns > 0, 'a request takes longer than its compute');
  assert.ok(s.last_inference > before - 60_000 && s.last_inference <= before);
  assert.deepEqual(s.batch_stats.map((b) => [b.batch_size, b.compute_infer.count]), [[1, 1], [2, 2], [3, 1], [5, 1]]);
  const all = await (await fetch(`${gw.url}/v2/models/stats`)).json() as { model_stats: ModelStatistics[] };
  assert.deepEqual(all.model_stats.map((m) => m.name).sort(), ['range', 'ranker']);
  const v = await (await fetch(`${gw.url}/v2/models/ranker/versions/1/stats`)).json() as { model_stats: ModelStatistics[] };
  assert.equal(v.model_stats[0]!.inference_count, s.inference_count);
  assert.equal((await fetch(`${gw.url}/v2/models/nope/stats`)).status, 404);
});

test('a model whose input cannot be zero is READY, with a warning naming ORT\'s reason', async () => {
  assert.equal((await fetch(`${gw.url}/v2/models/range/ready`)).status, 200);
  const warning = gw.logs.find((l) => l.startsWith('warn: model range version 1: warm-up'));
  assert.ok(warning, `no warm-up warning in the logs: ${gw.logs.join(' | ')}`);
  assert.match(warning, /delta/i, 'the warning carries ORT\'s reason');
  const scalar = (name: string, v: number) => ({ name, datatype: 'FP32', shape: [], data: [v] });
  const r = await fetch(`${gw.url}/v2/models/range/infer`, {
    method: 'POST', body: JSON.stringify({ inputs: [scalar('start', 1), scalar('limit', 4), scalar('delta', 1)] }),
  });
  assert.equal(r.status, 200);
  const out = await r.json() as { outputs: { shape: number[]; data: number[] }[] };
  assert.deepEqual([out.outputs[0]!.shape, out.outputs[0]!.data], [[3], [1, 2, 3]]);
});

test('a required warm-up plan (a configured sample list) that fails fails the load, with ORT\'s reason', async () => {
  const path = join(repo, 'range', '1', 'model.onnx');
  const deps = { pool: gw.pool, metrics: createGatewayMetrics(), sabPool: new SabPool() };
  const host = new ModelVersion('range', '1', path, parseModelConfig({}, 'range'), 1000, deps);
  const zeros = warmupInputs([{ name: 'start', datatype: 'FP32', shape: [] }, { name: 'limit', datatype: 'FP32', shape: [] },
    { name: 'delta', datatype: 'FP32', shape: [] }], 0, []);
  await host.load({ sets: zeros, required: true });
  assert.equal(host.state, 'UNAVAILABLE');
  assert.match(host.error ?? '', /delta/i);
  const lenient = new ModelVersion('range', '1', path, parseModelConfig({}, 'range'), 1001, deps);
  await lenient.load({ sets: zeros, required: false });
  assert.equal(lenient.state, 'READY');
  assert.match(lenient.warmupWarning ?? '', /delta/i);
  await lenient.unload();
});
