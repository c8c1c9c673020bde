// Auto-complete end to end: a model dropped in without a config.json batches (mean batch > 1
// under concurrent load, read from the statistics endpoint), GET .../config and the log say what
// was completed and why; a fixed first dim and an explicit max_batch_size 0 keep 0; and
// --disable-auto-complete-config (ScanOptions.autoComplete.enabled false) turns it off.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, seededFloat32 } from '../fixtures/onnx-builder.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';
import type { ModelStatistics } from '../../src/core/service.js';

let repo: string;
let gw: TestGateway;

/** x float32[4, 8] -> MatMul -> y float32[4, 1]: a fixed first dim. */
function fixedModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [4, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [4, 1] }],
    initializers: [{ name: 'w', dtype: 'float32', dims: [8, 1], data: seededFloat32(8, 7) }],
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
  });
}

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-autocomplete-'));
  writeModel(repo, 'noconfig', buildRanker());
  writeModel(repo, 'explicit0', buildRanker(), { max_batch_size: 0 });
  writeModel(repo, 'fixed', fixedModel());
  gw = await startTestGateway(repo, { workers: 1, scan: { autoComplete: { enabled: true, defaultMaxBatchSize: 32 } } });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

const config = async (g: TestGateway, m: string): Promise<Record<string, unknown>> => (await fetch(`${g.url}/v2/models/${m}/config`)).json() as Promise<Record<string, unknown>>;
const rankerBody = (seed: number): string =>
  JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: Array.from(seededRows(1, 128, seed)) }] });

test('a model without config.json whose tensors have a dynamic first dim is completed: config and log say so', async () => {
  const cfg = await config(gw, 'noconfig');
  assert.equal(cfg['max_batch_size'], 32);
  assert.deepEqual(cfg['input'], [{ name: 'features', data_type: 'FP32', dims: [128] }]);
  const ac = cfg['auto_complete'] as { applied: boolean; max_batch_size: number; reason: string };
  assert.equal(ac.applied, true);
  assert.equal(ac.max_batch_size, 32);
  assert.match(ac.reason, /every input and output has a dynamic first dim/);
  assert.ok(gw.logs.some((l) => /^model noconfig version 1: auto-complete: no max_batch_size is set/.test(l)), gw.logs.join('\n'));
});

test('a fixed first dim and an explicit max_batch_size 0 keep 0, and say why', async () => {
  const fixed = await config(gw, 'fixed');
  assert.equal(fixed['max_batch_size'], 0);
  assert.match((fixed['auto_complete'] as { reason: string }).reason, /input "x" has shape \[4,8\]: its first dim is fixed/);
  assert.ok(gw.logs.some((l) => l.startsWith('model fixed version 1: auto-complete: nothing completed: input "x"')));
  const explicit = await config(gw, 'explicit0');
  assert.equal(explicit['max_batch_size'], 0);
  assert.equal((explicit['auto_complete'] as { reason: string }).reason, 'max_batch_size 0 is set by explicit0/config.json');
  // A model that does not batch still answers its own shapes.
  const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [4, 8], data: Array.from(seededRows(4, 8, 3)) }] });
  assert.equal((await fetch(`${gw.url}/v2/models/fixed/infer`, { method: 'POST', body })).status, 200);
});

test('the completed model batches: mean batch > 1 request under concurrent load', async () => {
  const stats = async (): Promise<ModelStatistics> => ((await (await fetch(`${gw.url}/v2/models/noconfig/stats`)).json()) as { model_stats: ModelStatistics[] }).model_stats[0]!;
  const before = await stats();
  const inFlight = 32;
  const perClient = 20;
  await Promise.all(Array.from({ length: inFlight }, async (_, c) => {
    for (let i = 0; i < perClient; i++) {
      const r = await fetch(`${gw.url}/v2/models/noconfig/infer`, { method: 'POST', body: rankerBody(c * 1000 + i) });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
  }));
  const after = await stats();
  const requests = after.inference_count - before.inference_count;
  const batches = after.execution_count - before.execution_count;
  assert.equal(requests, inFlight * perClient);
  assert.ok(requests / batches > 1, `mean batch ${requests / batches} requests (${requests} requests in ${batches} batches)`);
  assert.ok(after.batch_stats.every((b) => b.batch_size <= 32));
  // The batch cost deadline-aware batching learns from these batches is exported.
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  const perRow = /infergate_batch_cost_per_row_us\{model="noconfig",version="1"\} (\S+)/.exec(metrics);
  const fixed = /infergate_batch_cost_fixed_us\{model="noconfig",version="1"\} (\S+)/.exec(metrics);
  assert.ok(perRow && fixed, metrics);
  assert.ok(Number(perRow[1]) + Number(fixed[1]) > 0, `learned cost ${fixed[1]} + ${perRow[1]} x rows`);
});

test('--disable-auto-complete-config keeps max_batch_size 0 for the same model', async () => {
  const off = await startTestGateway(repo, { workers: 1, scan: { autoComplete: { enabled: false, defaultMaxBatchSize: 32 } } });
  try {
    const cfg = await config(off, 'noconfig');
    assert.equal(cfg['max_batch_size'], 0);
    assert.deepEqual(cfg['input'], [{ name: 'features', data_type: 'FP32', dims: [-1, 128] }]);
    assert.match((cfg['auto_complete'] as { reason: string }).reason, /--disable-auto-complete-config/);
  } finally {
    await off.close();
  }
});
