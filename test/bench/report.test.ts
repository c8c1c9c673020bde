// The report generator and the workload profiles: headline numbers and target ratios computed
// from a synthetic results document, SVG axes that always contain the data, and the mixed
// profile's shape (most requests K=1, about half the rows in the large ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeWorkload } from '../../bench/loadgen/workload.js';
import type { LoadResult } from '../../bench/loadgen/result.js';
import { systemHeadline, targetChecks } from '../../bench/report/headlines.js';
import { renderMarkdown } from '../../bench/report/report.js';
import { SUITE_SCHEMA, type SuiteResults, type SuiteRun, type SystemId } from '../../bench/report/results.js';
import { lineChart, linearTicks, logTicks } from '../../bench/report/svg.js';

function run(system: SystemId, protocol: string, workload: string, concurrency: number, rps: number, p50: number, p99: number, errors = 0): SuiteRun {
  const rows = workload === 'k200' ? 200 : 1;
  const result = {
    counts: { scheduled: 1, sent: 1, answered: 1000, errors, errorsByStatus: errors ? { '503': errors } : {}, unsent: 0, rowsAnswered: 1000 * rows },
    throughput: { requestsPerS: rps, rowsPerS: rps * rows },
    latencyUs: { count: 1000, min: 1, mean: p50, p50, p90: p99, p95: p99, p99, p999: p99, max: p99 },
    percentileCurve: [[50, p50], [99, p99], [100, p99]],
    options: { mode: 'closed', concurrency, rate: 0 },
    server: null,
    loadgen: { cpuPercent: 30, pid: 1, wsUnmatched: 0 },
  } as unknown as LoadResult;
  return { system, protocol, workload, mode: 'closed', concurrency, rate: 0, result, error: null };
}

function results(): SuiteResults {
  return {
    schema: SUITE_SCHEMA, createdAt: '2026-01-02T03:04:05.000Z', command: 'npm run bench',
    machine: { host: 'box', cpus: 2, cpuModel: 'Test CPU', memGiB: 8, node: '20.0.0', platform: 'linux-x64', loadAvgAtStart: [0.1, 0.2, 0.3] },
    sharedCores: true,
    settings: { durationS: 5, warmupS: 1, seed: 1, modelPath: 'models/ranker/1/model.onnx', peerThreads: 1, quick: false },
    systems: [
      { id: 'raw-peer', title: 'raw', available: true, note: '', command: 'x' },
      { id: 'infergate', title: 'gw', available: true, note: '', command: 'y' },
    ],
    ceiling: [{ schema: 'infergate.ceiling/1', model: 'm', threads: 1, points: [{ batch: 200, runs: 10, rowsPerS: 400_000, runsPerS: 2000, p50Us: 500, p99Us: 600 }],
      best: { batch: 200, runs: 10, rowsPerS: 400_000, runsPerS: 2000, p50Us: 500, p99Us: 600 } }],
    runs: [
      run('raw-peer', 'raw', 'k1', 1, 8000, 100, 300),
      run('raw-peer', 'raw', 'k1', 16, 10_000, 1500, 3000),
      run('raw-peer', 'raw', 'k200', 4, 1000, 4000, 6000),
      run('infergate', 'flatbuffers', 'k1', 1, 7000, 120, 400),
      run('infergate', 'flatbuffers', 'k1', 64, 45_000, 900, 1900),
      run('infergate', 'flatbuffers', 'k1', 256, 60_000, 3000, 8000), // over the p99 budget
      run('infergate', 'flatbuffers', 'k1', 128, 50_000, 1000, 1500, 3), // errors: not in budget
      run('infergate', 'flatbuffers', 'k200', 16, 1500, 9000, 12_000),
    ],
    crossCheck: [], wallS: 200,
  };
}

test('headlines: max throughput under the p99 budget excludes runs over budget or with errors', () => {
  const h = systemHeadline(results(), 'infergate');
  assert.equal(h.k1MaxRps, 60_000);
  assert.equal(h.k1MaxRpsInBudget, 45_000);
  assert.equal(h.k1P50AtOneUs, 120);
  assert.equal(h.k200MaxRowsPerS, 300_000);
});

test('targets: measured ratios against the raw peer and the ceiling, met or missed', () => {
  const t = targetChecks(results());
  assert.deepEqual(t.map((x) => x.measured), [4.5, 1.5, 0.75, 1.2]);
  assert.deepEqual(t.map((x) => x.met), [true, false, true, true]);
});

test('targets: each ratio is taken against the stronger raw peer on that figure', () => {
  const r = results();
  r.systems.push({ id: 'raw-peer-ort', title: 'raw ort', available: true, note: '', command: 'z' });
  r.runs.push(run('raw-peer-ort', 'raw', 'k1', 1, 9000, 60, 200), run('raw-peer-ort', 'raw', 'k1', 16, 9000, 1500, 3000),
    run('raw-peer-ort', 'raw', 'k200', 1, 1200, 800, 1000));
  const t = targetChecks(r);
  // K=1 max: 1 thread is stronger (10,000); K=200: ORT defaults (1,200); p50: ORT defaults (60 us).
  assert.deepEqual(t.map((x) => x.measured), [4.5, 1.25, 0.75, 2]);
  assert.match(t[0]!.detail, /raw peer \(1 thread\) 10,000 req\/s/);
  assert.match(t[1]!.detail, /raw peer \(ORT defaults\) 1,200 req\/s/);
  assert.match(t[3]!.detail, /infergate 120 us vs raw peer \(ORT defaults\) 60 us/);
  assert.deepEqual(t.map((x) => x.met), [true, false, true, false]);
});

test('targets: the latency mode gets its own p50 row, only when it was measured', () => {
  const r = results();
  assert.equal(targetChecks(r).length, 4);
  r.systems.push({ id: 'infergate-latency', title: 'gw latency', available: true, note: '', command: 'w' });
  r.runs.push(run('infergate-latency', 'flatbuffers', 'k1', 1, 8000, 110, 300));
  const t = targetChecks(r);
  assert.equal(t.length, 5);
  assert.equal(t[4]!.measured, 1.1);
  assert.equal(t[4]!.met, true);
  assert.match(t[4]!.detail, /latency mode 110 us vs raw peer \(1 thread\) 100 us/);
});

test('markdown report: machine, shared-core warning, headline table, targets, plots', () => {
  const md = renderMarkdown(results(), 'svgs');
  assert.match(md, /# infergate bench: 2026-01-02 on box/);
  assert.match(md, /\*\*Shared cores\.\*\*/);
  assert.match(md, /\| infergate \| flatbuffers \| 60,000 \| 45,000 \| 120 \| 1,500 \| 300,000 \| - \|/);
  assert.match(md, /K=200 max throughput vs raw-body peer \| >= 1\.7x \| 1\.50x \| \*\*missed\*\*/);
  assert.match(md, /!\[latency vs throughput k1\]\(svgs\/latency-throughput-k1\.svg\)/);
  assert.match(md, /No batch-size histogram/);
});

test('svg axes always contain the data; charts are one well-formed svg element', () => {
  for (const [lo, hi] of [[0, 377_675], [0, 5.25], [3, 7], [0, 1]] as const) {
    const t = linearTicks(lo, hi);
    assert.ok(t[0]! <= lo && t[t.length - 1]! >= hi, `ticks ${t.join(',')} cover [${lo}, ${hi}]`);
  }
  assert.deepEqual(logTicks(1, 1000), [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
  const svg = lineChart({ title: 'a < b & "c"', xLabel: 'x', yLabel: 'y', yLog: true, series: [{ name: 's', points: [{ x: 1, y: 10 }, { x: 2, y: 1000 }] }] });
  assert.equal(svg.match(/<svg /g)?.length, 1);
  assert.ok(svg.trim().endsWith('</svg>'));
  assert.match(svg, /a &lt; b &amp; &quot;c&quot;/);
});

test('mixed profile: most requests K=1, about half the rows in requests of 500..1000 rows, seeded', () => {
  const w = makeWorkload('mixed', 4, 7);
  let large = 0, rowsLarge = 0, rows = 0;
  const n = 300_000;
  for (let i = 0; i < n; i++) {
    const k = w.templates[w.nextTemplate()]!.rows;
    rows += k;
    if (k > 1) {
      large++;
      rowsLarge += k;
      assert.ok(k >= 500 && k <= 1000);
    }
  }
  assert.ok(large / n < 0.01, `large share ${large / n}`);
  assert.ok(rowsLarge / rows > 0.35 && rowsLarge / rows < 0.65, `rows in large requests ${rowsLarge / rows}`);
  const seq = (seed: number): number[] => { const x = makeWorkload('mixed', 4, seed); return Array.from({ length: 3000 }, () => x.nextTemplate()); };
  assert.deepEqual(seq(7), seq(7));
  assert.notDeepEqual(seq(7), seq(8));
  assert.deepEqual(makeWorkload('mixed', 4, 7).templates[70]!.data, w.templates[70]!.data);
  assert.throws(() => makeWorkload('k7' as never, 4, 1), /unknown workload "k7"/);
});
