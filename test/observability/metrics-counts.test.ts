// /metrics after real traffic adds up: every infer request sent is counted once, as a success or
// as a failure by code (also those refused before the model saw them: unknown model, a body
// that does not decode); rows / batches is the mean batch the batcher formed, as the statistics
// extension reports it; the wire-stage buckets resolve microseconds; process and event-loop
// metrics are there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';
import type { ModelStatistics } from '../../src/core/service.js';

let gw: TestGateway;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-metrics-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 2000 } });
  gw = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw.close();
  rmSync(repo, { recursive: true, force: true });
});

/** Sum of every sample of `name` whose labels contain each of `match`. */
function sum(text: string, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) total += Number(m[3]);
  }
  return total;
}

const infer = (model: string, body: string): Promise<number> =>
  fetch(`${gw.url}/v2/models/${model}/infer`, { method: 'POST', body }).then(async (r) => { await r.arrayBuffer(); return r.status; });

const rankerBody = (rows: number, seed: number, cols = 128): string =>
  JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, cols], data: [...seededRows(rows, cols, seed)] }] });

test('successes + failures = requests sent; rows / batches = the mean batch formed', { timeout: 60_000 }, async () => {
  const sent: Promise<number>[] = [];
  let okRows = 0;
  for (let i = 0; i < 240; i++) {
    const rows = 1 + (i % 7);
    okRows += rows;
    sent.push(infer('ranker', rankerBody(rows, i)));
    if (i % 60 === 0) await Promise.all(sent.slice(-8)); // waves, so batches of several requests form
  }
  // Failures of every kind: refused by validation (wrong width), by the decoder (not JSON), and
  // before the body (an unknown model).
  for (let i = 0; i < 6; i++) sent.push(infer('ranker', rankerBody(1, i, 127)));
  for (let i = 0; i < 5; i++) sent.push(infer('ranker', '{"inputs": [ nope'));
  for (let i = 0; i < 4; i++) sent.push(infer('no_such_model', rankerBody(1, i)));
  const statuses = await Promise.all(sent);
  assert.equal(statuses.filter((s) => s === 200).length, 240);
  assert.equal(statuses.filter((s) => s !== 200).length, 15);

  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const ok = sum(text, 'infergate_request_success_total');
  const failed = sum(text, 'infergate_request_failure_total');
  assert.equal(ok, 240);
  assert.equal(ok + failed, sent.length, 'every request counted once');
  assert.equal(sum(text, 'infergate_request_failure_total', { code: 'IG_SHAPE_MISMATCH' }) + sum(text, 'infergate_request_failure_total', { code: 'IG_BAD_TENSOR' }), 6);
  assert.equal(sum(text, 'infergate_request_failure_total', { code: 'IG_BAD_JSON' }), 5);
  assert.equal(sum(text, 'infergate_request_failure_total', { model: '', code: 'IG_MODEL_NOT_FOUND' }), 4);
  assert.equal(sum(text, 'infergate_request_duration_us_count'), 240, 'one latency sample per success');

  const rows = sum(text, 'infergate_rows_total', { model: 'ranker' });
  const batches = sum(text, 'infergate_batch_size_count', { model: 'ranker' });
  assert.equal(rows, okRows, 'the rows of the successful requests, each computed once');
  assert.equal(sum(text, 'infergate_batch_size_sum', { model: 'ranker' }), rows, 'the batch-size histogram sums to the rows');
  const stats = (await (await fetch(`${gw.url}/v2/models/ranker/stats`)).json() as { model_stats: ModelStatistics[] }).model_stats[0]!;
  assert.equal(batches, stats.execution_count, 'one batch per model execution');
  assert.equal(rows, stats.inference_count, 'rows computed = inferences of the statistics extension');
  assert.equal(sum(text, 'infergate_batch_requests_sum', { model: 'ranker' }), 240, 'every successful request was in exactly one batch');
  const meanBatch = rows / batches;
  assert.ok(meanBatch >= 1, `mean batch ${meanBatch}`);

  // The wire stages take microseconds: their first buckets are 1 us, not 50.
  assert.match(text, /infergate_decode_duration_us_bucket\{format="json",le="1"\} \d+/);
  // Process and event-loop metrics under prom-client's names.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.match(text, new RegExp(`^${name} \\d`, 'm'), name);
  }
  assert.ok(sum(text, 'process_resident_memory_bytes') > 1e6);
  assert.ok(sum(text, 'process_cpu_seconds_total') > 0);
});
