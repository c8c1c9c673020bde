// Reading the server's split from two /metrics snapshots: means per request from _sum/_count
// deltas (with unit conversion), the model label filter, and the batch-size histogram delta.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheus, serverDelta } from '../../bench/loadgen/metrics-scrape.js';

const before = `# HELP infergate_queue_duration_us Time in queue
# TYPE infergate_queue_duration_us summary
infergate_queue_duration_us_sum{model="ranker"} 1000
infergate_queue_duration_us_count{model="ranker"} 10
infergate_queue_duration_us_sum{model="dlrm"} 5
infergate_queue_duration_us_count{model="dlrm"} 1
infergate_compute_duration_seconds_sum{model="ranker"} 0.5
infergate_compute_duration_seconds_count{model="ranker"} 10
infergate_request_success_total{model="ranker",protocol="http"} 10
infergate_batch_size_bucket{model="ranker",le="1"} 4
infergate_batch_size_bucket{model="ranker",le="8"} 6
infergate_batch_size_bucket{model="ranker",le="+Inf"} 6
infergate_batch_size_sum{model="ranker"} 20
infergate_batch_size_count{model="ranker"} 6
infergate_inline_batches_total{model="ranker",version="1"} 2
`;
const after = `infergate_queue_duration_us_sum{model="ranker"} 4000
infergate_queue_duration_us_count{model="ranker"} 40
infergate_queue_duration_us_sum{model="dlrm"} 99999
infergate_queue_duration_us_count{model="dlrm"} 2
infergate_compute_duration_seconds_sum{model="ranker"} 2.0
infergate_compute_duration_seconds_count{model="ranker"} 40
infergate_request_success_total{model="ranker",protocol="http"} 35
infergate_request_success_total{model="ranker",protocol="ws"} 5
infergate_batch_size_bucket{model="ranker",le="1"} 5
infergate_batch_size_bucket{model="ranker",le="8"} 9
infergate_batch_size_bucket{model="ranker",le="+Inf"} 10
infergate_batch_size_sum{model="ranker"} 120
infergate_batch_size_count{model="ranker"} 10
infergate_inline_batches_total{model="ranker",version="1"} 5
`;

test('parsePrometheus reads names, labels (with escapes) and special values; skips comments and junk', () => {
  const s = parsePrometheus('# TYPE x counter\nx_total{a="1",b="q\\"x"} 3\nbad line here\ny +Inf\n\nz 1.5e3 1700000000\n');
  assert.deepEqual(s, [
    { name: 'x_total', labels: { a: '1', b: 'q"x' }, value: 3 },
    { name: 'y', labels: {}, value: Infinity },
    { name: 'z', labels: {}, value: 1500 },
  ]);
});

test('serverDelta: per-request means in us, only the model asked for, batch sizes per bucket', () => {
  const d = serverDelta(parsePrometheus(before), parsePrometheus(after), 'ranker');
  assert.equal(d.queueMeanUs, 100); // (4000-1000)/(40-10)
  assert.equal(d.computeMeanUs, 50_000); // 1.5 s / 30, in us
  assert.equal(d.requestSuccessDelta, 30); // label sets summed: 40 - 10
  assert.ok(d.batchSize);
  assert.equal(d.batchSize.family, 'infergate_batch_size');
  assert.deepEqual(d.batchSize.buckets, [{ le: '1', count: 1 }, { le: '8', count: 2 }, { le: '+Inf', count: 1 }]);
  assert.equal(d.batchSize.batches, 4);
  assert.equal(d.batchSize.meanRows, 25);
  assert.equal(d.means['infergate_batch_size'], undefined, 'batch size is not a duration mean');
  assert.equal(d.inlineBatches, 3, 'batches run inline in the window');
});

test('serverDelta tolerates a server without any known family', () => {
  const d = serverDelta(parsePrometheus('process_cpu_seconds_total 1\n'), parsePrometheus('process_cpu_seconds_total 2\n'), 'ranker');
  assert.deepEqual(d, { means: {}, queueMeanUs: null, computeMeanUs: null, requestSuccessDelta: null, batchSize: null, inlineBatches: null });
});
