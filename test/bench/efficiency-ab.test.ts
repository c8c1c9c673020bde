// The efficiency figures of every bench point (efficiencyOf), wrk's output as the A/B reads it,
// and the A/B summary's medians and within-repetition ratios (bench/report/ab-summary.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { efficiencyOf } from '../../bench/loadgen/result.js';
import { parseWrkRun } from '../../bench/harness/wrk-point.js';
import { fmtSpread, spread, summarizeAb, type AbRun } from '../../bench/report/ab-summary.js';
import type { ServerMetrics } from '../../bench/loadgen/metrics-scrape.js';

test('efficiencyOf: CPU per request and row from the server\'s CPU seconds; mean batch in requests and rows from /metrics', () => {
  const server: ServerMetrics = {
    means: {}, queueMeanUs: null, computeMeanUs: null, requestSuccessDelta: 1000,
    batchSize: { family: 'infergate_batch_size', buckets: [], batches: 125, meanRows: 16 },
  };
  assert.deepEqual(efficiencyOf(0.05, 1000, 2000, server), { serverCpuUsPerRequest: 50, serverCpuUsPerRow: 25, meanBatchRequests: 8, meanBatchRows: 16 });
  // A peer: no /metrics, and a run without the server's pid.
  assert.deepEqual(efficiencyOf(null, 1000, 1000, null), { serverCpuUsPerRequest: null, serverCpuUsPerRow: null, meanBatchRequests: null, meanBatchRows: null });
  assert.equal(efficiencyOf(1, 0, 0, null).serverCpuUsPerRequest, null, 'nothing answered: no per-request figure');
});

test('parseWrkRun reads requests, rate, p50/p99 and errors', () => {
  const out = `Running 3s test @ http://127.0.0.1:1/v2/models/ranker/infer
  1 threads and 16 connections
  Latency Distribution
     50%  465.00us
     75%  600.00us
     90%  800.00us
     99%    1.23ms
  12345 requests in 3.00s, 1.23MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   4115.00
Transfer/sec:    420.00KB
`;
  assert.deepEqual(parseWrkRun(out), { requests: 12345, requestsPerS: 4115, p50Us: 465, p99Us: 1230, errors: 7 });
  assert.throws(() => parseWrkRun('nothing'), /no request count/);
});

test('spread: median of odd and even counts, min, max; nulls are skipped', () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.deepEqual(spread([4, 1, null, 2, 3]), { median: 2.5, min: 1, max: 4, n: 4 });
  assert.equal(spread([null, undefined]), null);
  assert.equal(fmtSpread([10.5, 12, 11], 1), '11.0 [10.5, 12.0]');
  assert.equal(fmtSpread([]), '-');
});

test('summarizeAb: ratios are taken within each repetition, then summarised', () => {
  const run = (system: string, rep: number, rps: number, cpu: number, batch: number | null): AbRun => ({
    system, client: 'loadgen', rep, workload: 'k1', concurrency: 16, requestsPerS: rps, rowsPerS: rps, p50Us: 100, p99Us: 900, errors: 0,
    otherCpuPercent: 5, efficiency: { serverCpuUsPerRequest: cpu, serverCpuUsPerRow: cpu, meanBatchRequests: batch, meanBatchRows: batch },
  });
  // Rep 2 is slow for both systems: the per-rep ratio stays 0.5 where a ratio of medians would not.
  const runs = [run('noconfig', 1, 30_000, 20, 6), run('raw-peer', 1, 20_000, 40, null),
    run('noconfig', 2, 10_000, 60, 4), run('raw-peer', 2, 8_000, 120, null),
    run('noconfig', 3, 32_000, 22, 7), run('raw-peer', 3, 21_000, 44, null)];
  const md = summarizeAb({
    command: 'node dist/bench/efficiency-ab.js', createdAt: '2026-12-01T00:00:00Z',
    machine: { cpus: 2, cpuModel: 'test', loadAvgAtStart: [1, 1, 1], node: '20' },
    systems: [{ id: 'noconfig', note: 'a', command: 'x' }, { id: 'raw-peer', note: 'b', command: 'y' }],
    settings: { reps: 3, durationS: 3, warmupS: 1, seed: 1 }, wallS: 60, runs,
  });
  assert.match(md, /\| noconfig \| 30,000 \[10,000, 32,000\] \|/);
  assert.match(md, /\| server CPU per request: without config.json \/ raw peer \| loadgen \| k1 c=16 \| <= 0.5x \| 0.50 \[0.50, 0.50\] \|/);
  assert.match(md, /\| mean batch \(requests\), model without config.json \| loadgen \| k1 c=16 \| >= 4 \| 6.00 \[4.00, 7.00\] \|/);
  assert.match(md, /Shared cores/);
});
