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
  assert.deepEqual(efficiencyOf(0.05, 1000, 2000, server), { serverCpuUsPerRequest: 50, serverCpuUsPerRow: 25, meanBatchRequests: 8, meanBatchRows: 16, serverCpuByThreadUsPerRequest: null });
  // A peer: no /metrics, and a run without the server's pid.
  assert.deepEqual(efficiencyOf(null, 1000, 1000, null), { serverCpuUsPerRequest: null, serverCpuUsPerRow: null, meanBatchRequests: null, meanBatchRows: null, serverCpuByThreadUsPerRequest: null });
  // The split by thread, per answered request.
  assert.deepEqual(efficiencyOf(0.05, 1000, 2000, server, { http: 0.01, workers: 0.03, ort: 0, spin: 0.002, other: 0.008 }).serverCpuByThreadUsPerRequest,
    { http: 10, workers: 30, ort: 0, spin: 2, other: 8 });
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

test('summarizeAb: the stronger peer is the better of the two in each repetition; CPU per row against the ceiling of the same repetition, split by thread', () => {
  const run = (system: string, rep: number, workload: string, concurrency: number, rps: number, p50: number, cpuPerRow: number | null,
    byThread: { http: number; workers: number } | null = null): AbRun => ({
    system, client: 'loadgen', rep, workload, concurrency, requestsPerS: rps, rowsPerS: rps * (workload === 'k200' ? 200 : 1), p50Us: p50, p99Us: 900, errors: 0,
    otherCpuPercent: 0, efficiency: { serverCpuUsPerRequest: null, serverCpuUsPerRow: cpuPerRow, meanBatchRequests: null, meanBatchRows: null,
      serverCpuByThreadUsPerRequest: byThread && { ...byThread, ort: 0, spin: 0, other: 0 } },
  });
  const runs = [
    // rep 1: the 1-thread peer is the stronger at 1 in flight, the 2-thread one at K=200; rep 2 the other way round.
    run('noconfig', 1, 'k1', 1, 5000, 110, null), run('raw-peer', 1, 'k1', 1, 9000, 100, null), run('raw-peer-2t', 1, 'k1', 1, 8000, 200, null),
    run('noconfig', 2, 'k1', 1, 5000, 120, null), run('raw-peer', 2, 'k1', 1, 9000, 300, null), run('raw-peer-2t', 2, 'k1', 1, 8000, 60, null),
    run('noconfig', 1, 'k200', 16, 3000, 1, 4, { http: 200, workers: 600 }), run('raw-peer', 1, 'k200', 16, 1000, 1, 3), run('raw-peer-2t', 1, 'k200', 16, 2000, 1, 5),
    run('noconfig', 2, 'k200', 16, 3000, 1, 6, { http: 400, workers: 800 }), run('raw-peer', 2, 'k200', 16, 2500, 1, 3), run('raw-peer-2t', 2, 'k200', 16, 1500, 1, 5),
  ];
  const md = summarizeAb({
    command: 'x', createdAt: '2026-12-01T00:00:00Z', machine: { cpus: 2, cpuModel: 'test', loadAvgAtStart: [1, 1, 1], node: '20' },
    systems: ['noconfig', 'raw-peer', 'raw-peer-2t'].map((id) => ({ id, note: id, command: id })),
    settings: { reps: 2, durationS: 3, warmupS: 1, seed: 1 }, wallS: 60, runs,
    ceiling: [{ rep: 1, batch: 400, cpuUsPerRow: 2 }, { rep: 2, batch: 800, cpuUsPerRow: 4 }],
  });
  // p50: 110/100 = 1.1 and 120/60 = 2.0; req/s: 3000/2000 = 1.5 and 3000/2500 = 1.2.
  assert.match(md, /\| K=1 p50 at 1 in flight: without config.json \/ stronger raw peer \| loadgen \| k1 c=1 \| <= 1.1x \| 1.55 \[1.10, 2.00\] \|/);
  assert.match(md, /\| K=200 req\/s: without config.json \/ stronger raw peer \| loadgen \| k200 c=16 \| >= 1.5x \| 1.35 \[1.20, 1.50\] \|/);
  // CPU per row 4/2 = 2 and 6/4 = 1.5; workers 600/200 rows = 3 us/row / 2 = 1.5 and 800/200 / 4 = 1; HTTP 1/2 and 2/4.
  assert.match(md, /\| K=200 server CPU per row: without config.json \/ 1-thread in-process ceiling \| loadgen \| k200 c=16 \| <= 1.15x \| 1.75 \[1.50, 2.00\] \|/);
  assert.match(md, /\| K=200 workers' CPU per row \/ 1-thread in-process ceiling \| loadgen \| k200 c=16 \| - \| 1.25 \[1.00, 1.50\] \|/);
  assert.match(md, /\| K=200 HTTP thread CPU per row \/ 1-thread in-process ceiling \| loadgen \| k200 c=16 \| - \| 0.50 \[0.50, 0.50\] \|/);
  assert.match(md, /\| noconfig \| 300.0 \[200.0, 400.0\] \| 700.0 \[600.0, 800.0\] \| 0.0 \[0.0, 0.0\] \|/, 'the by-thread table');
  assert.match(md, /\| 2 \| 800 \| 4.00 \|/, 'the ceiling table');
});
