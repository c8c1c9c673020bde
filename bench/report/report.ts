// Builds the markdown report and its SVG plots from a suite results document.
// writeReport(results, '<dir>/<stem>') writes <stem>.md and <stem>/*.svg (linked relatively).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ceilingBestRowsPerS, fmtN, P99_BUDGET_US, PRIMARY_PROTOCOL, systemHeadline, targetChecks } from './headlines.js';
import type { LoadResult } from '../loadgen/result.js';
import type { SuiteResults, SuiteRun, SystemId } from './results.js';
import { barChart, lineChart, PALETTE, type Series } from './svg.js';

const SYSTEM_ORDER: SystemId[] = ['infergate', 'infergate-latency', 'infergate-noconfig', 'raw-peer', 'raw-peer-ort', 'json-peer'];

/** Stable colour per (system, protocol) line across every plot. */
function lineKeys(res: SuiteResults): string[] {
  const keys: string[] = [];
  for (const s of SYSTEM_ORDER) for (const r of res.runs) if (r.system === s && !keys.includes(`${s} ${r.protocol}`)) keys.push(`${s} ${r.protocol}`);
  return keys;
}

/**
 * Closed-loop sweeps as lines (in order of concurrency), open-loop points as squares (p99 only).
 * Open-loop points whose offered rate was not sustained (over 0.1% left unsent) are left out:
 * their latency is the client backlog's, not a point on the curve (the run table has them).
 */
function latencyThroughputChart(res: SuiteResults, workload: string): string {
  const keys = lineKeys(res);
  const series: Series[] = [];
  for (const key of keys) {
    const runs = res.runs.filter((r) => `${r.system} ${r.protocol}` === key && r.workload === workload && r.result && r.result.counts.answered > 0);
    if (runs.length === 0) continue;
    const color = PALETTE[keys.indexOf(key) % PALETTE.length]!;
    const closed = runs.filter((r) => r.mode === 'closed').sort((a, b) => a.concurrency - b.concurrency).map((r) => r.result!);
    const open = runs.filter((r) => r.mode === 'open' && r.result!.counts.unsent <= r.result!.counts.scheduled * 0.001).map((r) => r.result!);
    const pt = (r: LoadResult, y: number, label: string) => ({ x: r.throughput.requestsPerS, y, label });
    if (closed.length) {
      series.push({ name: `${key} p99`, color, points: closed.map((r) => pt(r, r.latencyUs.p99, `c=${r.options.concurrency}`)) });
      series.push({ name: `${key} p50`, color, dashed: true, points: closed.map((r) => pt(r, r.latencyUs.p50, `c=${r.options.concurrency}`)) });
    }
    if (open.length) {
      series.push({ name: `${key} open-loop p99`, color, markersOnly: true, marker: 'square', points: open.map((r) => pt(r, r.latencyUs.p99, `open ${Math.round(r.options.rate)}/s`)) });
    }
  }
  return lineChart({
    title: `Latency vs throughput, ${workload}`,
    xLabel: 'throughput (requests/s)', yLabel: 'latency (us, log)', yLog: true, series, width: 900,
  });
}

/** Percentile p maps to -log10(1 - p/100): 90 -> 1, 99 -> 2, 99.9 -> 3 (HdrHistogram's plot). */
const pctX = (p: number): number => -Math.log10(1 - Math.min(p, 99.999) / 100);

function percentileChart(res: SuiteResults, workload: string): string {
  const keys = lineKeys(res);
  const series: Series[] = [];
  for (const s of SYSTEM_ORDER) {
    const protocol = PRIMARY_PROTOCOL[s];
    const runs = res.runs.filter((r) => r.system === s && r.protocol === protocol && r.workload === workload && r.result && r.result.percentileCurve.length > 0);
    if (runs.length === 0) continue;
    const color = PALETTE[keys.indexOf(`${s} ${protocol}`) % PALETTE.length]!;
    const atOne = runs.find((r) => r.mode === 'closed' && r.concurrency === 1);
    const top = runs.reduce((a, b) => (b.result!.throughput.requestsPerS > a.result!.throughput.requestsPerS ? b : a));
    // The max is drawn at 99.999 (the "max" tick): HdrHistogram's plots end at the max too.
    const curve = (r: SuiteRun) => r.result!.percentileCurve.filter(([p]) => p >= 50 && (p <= 99.99 || p === 100))
      .map(([p, v]) => ({ x: pctX(p), y: v, label: p === 100 ? 'max' : `p${p}` }));
    if (atOne) series.push({ name: `${s} 1 in flight`, color, dashed: true, points: curve(atOne) });
    if (top !== atOne) series.push({ name: `${s} at ${Math.round(top.result!.throughput.requestsPerS)} req/s`, color, points: curve(top) });
  }
  return lineChart({
    title: `Latency by percentile, ${workload}`, xLabel: 'percentile', yLabel: 'latency (us, log)', yLog: true, series,
    xTicks: [...[50, 90, 99, 99.9, 99.99].map((p) => ({ value: pctX(p), text: `${p}%` })), { value: pctX(100), text: 'max' }],
  });
}

function batchChart(res: SuiteResults): { svg: string; caption: string } {
  const candidates = res.runs.filter((r) => r.system === 'infergate' && r.result?.server?.batchSize && r.result.server.batchSize.batches > 0);
  // The busiest K=1 run on the headline protocol shows the batcher at its fullest.
  const byRate = (a: SuiteRun, b: SuiteRun): number => b.result!.throughput.requestsPerS - a.result!.throughput.requestsPerS;
  const k1 = candidates.filter((r) => r.workload === 'k1').sort(byRate);
  const pick = k1.find((r) => r.protocol === PRIMARY_PROTOCOL.infergate) ?? k1[0] ?? candidates[0];
  if (!pick) {
    return {
      svg: barChart({ title: 'Batch size distribution', xLabel: 'batch size (rows, bucket upper bound)', yLabel: 'batches', bars: [], note: 'no batch-size histogram in /metrics for these runs' }),
      caption: 'No batch-size histogram was read from /metrics (the gateway was not available or exposes none).',
    };
  }
  const b = pick.result!.server!.batchSize!;
  const what = `${pick.protocol} ${pick.workload} ${pick.mode === 'open' ? `open ${Math.round(pick.rate)}/s` : `c=${pick.concurrency}`}`;
  return {
    svg: barChart({
      title: `Batch size distribution (${what})`, xLabel: 'batch size (rows, bucket upper bound)', yLabel: 'batches',
      bars: b.buckets.map((x) => ({ label: x.le === '+Inf' ? 'inf' : x.le, value: x.count })),
      note: `${b.batches} batches, mean ${fmtN(b.meanRows, 1)} rows (${b.family}, delta over the measured window)`,
    }),
    caption: `From ${b.family} in /metrics, delta over the ${what} run: ${b.batches} batches, mean ${fmtN(b.meanRows, 1)} rows.`,
  };
}

function ceilingChart(res: SuiteResults): string {
  return lineChart({
    title: 'In-process ceiling: onnxruntime-node, no network',
    xLabel: 'batch size (rows, log)', yLabel: 'rows/s', xLog: true,
    series: res.ceiling.map((c) => ({ name: `${c.threads} intra-op thread${c.threads > 1 ? 's' : ''}`, points: c.points.map((p) => ({ x: p.batch, y: p.rowsPerS, label: `batch ${p.batch}` })) })),
  });
}

/** Other processes using more than this (% of one core) during a point mark it as disturbed. */
export const DISTURBED_OTHER_CPU_PERCENT = 25;

const otherCpu = (x: NonNullable<SuiteRun['result']>): number | null => x.loadgen.otherCpuPercent ?? null;

function cpuCell(x: NonNullable<SuiteRun['result']>): string {
  const g = x.loadgen;
  const other = otherCpu(x);
  return `${fmtN(g.cpuPercent)} / ${fmtN(g.serverCpuPercent ?? null)} / ${fmtN(other)}${other !== null && other > DISTURBED_OTHER_CPU_PERCENT ? ' **busy**' : ''}`;
}

function runRow(r: SuiteRun): string {
  const how = r.mode === 'open' ? `open ${fmtN(r.rate)}/s` : `c=${r.concurrency}`;
  if (!r.result) return `| ${r.system} | ${r.protocol} | ${r.workload} | ${how} | failed: ${r.error ?? '?'} ||||||||||||`;
  const x = r.result;
  const errs = Object.entries(x.counts.errorsByStatus).map(([k, v]) => `${k}:${v}`).join(' ') || '0';
  const srv = x.server;
  const split = srv && (srv.queueMeanUs !== null || srv.computeMeanUs !== null) ? `${fmtN(srv.queueMeanUs)} / ${fmtN(srv.computeMeanUs)}` : '-';
  const e = x.efficiency;
  const t = e?.serverCpuByThreadUsPerRequest;
  const byThread = t ? `${fmtN(t.http)} / ${fmtN(t.workers)} / ${fmtN(t.ort)} / ${fmtN(t.spin)} / ${fmtN(t.other)}` : '-';
  const eff = `${fmtN(e?.serverCpuUsPerRequest ?? null)} / ${fmtN(e?.serverCpuUsPerRow ?? null, 1)} | ${byThread} | ${fmtN(e?.meanBatchRequests ?? null, 1)} / ${fmtN(e?.meanBatchRows ?? null, 1)}`;
  return `| ${r.system} | ${r.protocol} | ${r.workload} | ${how} | ${fmtN(x.throughput.requestsPerS)} | ${fmtN(x.throughput.rowsPerS)} | ${fmtN(x.latencyUs.p50)} | ${fmtN(x.latencyUs.p90)} | ${fmtN(x.latencyUs.p99)} | ${fmtN(x.latencyUs.p999)} | ${fmtN(x.latencyUs.max)} | ${errs}${x.counts.unsent ? ` (unsent ${x.counts.unsent})` : ''} | ${split} | ${eff} | ${cpuCell(x)} |`;
}

const shortName = (family: string): string => family.replace(/^infergate_/, '').replace(/_duration_us$/, '').replace(/_/g, ' ');

/** Where the time of one request goes at 1 in flight: client mean vs the server's own means. */
function breakdown(res: SuiteResults): string[] {
  const runs = res.runs.filter((r) => r.system === 'infergate' && r.mode === 'closed' && r.concurrency === 1 && r.result?.server);
  if (runs.length === 0) return [];
  const families = [...new Set(runs.flatMap((r) => Object.keys(r.result!.server!.means)))].filter((f) => /_(us|seconds|ms)$/.test(f)).sort();
  const total = families.find((f) => /request_duration/.test(f));
  const L = ['## Where the time goes at 1 request in flight (infergate)', '',
    'Means in microseconds. Client = the load generator\'s mean latency; the other columns are the gateway\'s own means from /metrics ' +
    'over the same window (per request, except compute and worker hop, which the gateway records per batch; at 1 in flight a batch is one request). ' +
    'Inline = share of batches run on the HTTP thread (small batches of a fast model: src/pool/inline.ts); the worker hop is the mean over the other batches only (at 1 in flight, K=1, a few warm-up stragglers). ' +
    (total ? `Outside the server = client - ${shortName(total)}: network, HTTP framing and the load generator.` : ''), '',
    `| protocol | workload | client p50 | client mean | inline | ${families.map(shortName).join(' | ')}${total ? ' | outside the server' : ''} |`,
    `|---|---|---|---|---|${families.map(() => '---|').join('')}${total ? '---|' : ''}`];
  for (const r of runs) {
    const x = r.result!;
    const m = x.server!.means;
    const batches = x.server!.batchSize?.batches ?? 0;
    const inline = x.server!.inlineBatches;
    const inlinePct = inline !== null && inline !== undefined && batches > 0 ? `${Math.round((inline / batches) * 100)}%` : '-';
    L.push(`| ${r.protocol} | ${r.workload} | ${fmtN(x.latencyUs.p50)} | ${fmtN(x.latencyUs.mean)} | ${inlinePct} | ${families.map((f) => fmtN(m[f] ?? null)).join(' | ')}` +
      `${total ? ` | ${fmtN(m[total] !== undefined ? x.latencyUs.mean - m[total]! : null)}` : ''} |`);
  }
  L.push('');
  return L;
}

function disturbedNote(res: SuiteResults): string[] {
  const busy = res.runs.filter((r) => r.result && (otherCpu(r.result) ?? 0) > DISTURBED_OTHER_CPU_PERCENT);
  if (busy.length === 0) return [];
  return [`> ${busy.length} of ${res.runs.length} points ran while other processes were busy on this machine ` +
    `(${busy.map((r) => `${r.system} ${r.protocol} ${r.workload} ${r.mode === 'open' ? `open ${fmtN(r.rate)}/s` : `c=${r.concurrency}`}`).join('; ')}).`, ''];
}

export function renderMarkdown(res: SuiteResults, svgDir: string): string {
  const m = res.machine;
  const L: string[] = [];
  L.push(`# infergate bench: ${res.createdAt.slice(0, 10)} on ${m.host}`, '');
  L.push(`- Machine: ${m.cpus} x ${m.cpuModel}, ${fmtN(m.memGiB, 1)} GiB, ${m.platform}, Node ${m.node}; load average at start ${m.loadAvgAtStart.map((v) => v.toFixed(2)).join(' ')}`);
  L.push(`- Command: \`${res.command}\``);
  L.push(`- Date: ${res.createdAt}; whole suite ${fmtN(res.wallS)} s; each point ${res.settings.durationS} s measured after ${res.settings.warmupS} s warm-up; seed ${res.settings.seed}`);
  L.push(`- Model: \`${res.settings.modelPath}\`; peers use onnxruntime-node with ${res.settings.peerThreads} intra-op thread(s), as the gateway's default per worker`);
  if (res.sharedCores) {
    L.push('', `> **Shared cores.** The load generator, the server under test and the suite all run on the same ${m.cpus} cores, ` +
      'so every number here includes the load generator\'s CPU (its share is in the last column of the run table). ' +
      'Absolute figures are lower than with a separate client machine; ratios between systems measured in this run are the meaningful part.');
  }
  L.push('', '## Systems', '', '| system | available | note |', '|---|---|---|');
  for (const s of res.systems) L.push(`| ${s.title} | ${s.available ? 'yes' : '**no**'} | ${s.note.replace(/\|/g, '\\|')} |`);

  L.push('', '## Headlines', '', `| system | protocol | K=1 max req/s | K=1 max req/s at p99 <= ${P99_BUDGET_US / 1000} ms | K=1 p50 at 1 in flight (us) | K=200 max req/s | K=200 rows/s | mixed rows/s |`, '|---|---|---|---|---|---|---|---|');
  for (const s of SYSTEM_ORDER) {
    if (!res.runs.some((r) => r.system === s)) continue;
    const protocols = [...new Set(res.runs.filter((r) => r.system === s).map((r) => r.protocol))];
    for (const p of protocols) {
      const h = systemHeadline(res, s, p);
      L.push(`| ${s} | ${p} | ${fmtN(h.k1MaxRps)} | ${fmtN(h.k1MaxRpsInBudget)} | ${fmtN(h.k1P50AtOneUs)} | ${fmtN(h.k200MaxRps)} | ${fmtN(h.k200MaxRowsPerS)} | ${fmtN(h.mixedMaxRowsPerS)} |`);
    }
  }
  const ceil = ceilingBestRowsPerS(res);
  if (ceil) L.push(`| in-process ceiling | none | | | | | ${fmtN(ceil.rowsPerS)} (batch ${ceil.batch}, ${ceil.threads} thr) | |`);

  L.push('', '## Targets (issue 4)', '', '| target | goal | measured | met | detail |', '|---|---|---|---|---|');
  for (const t of targetChecks(res)) {
    L.push(`| ${t.target} | ${t.goal} | ${t.measured === null ? '-' : `${t.measured.toFixed(2)}x`} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**missed**'} | ${t.detail} |`);
  }

  const workloads = [...new Set(res.runs.map((r) => r.workload))];
  L.push('', '## Plots', '', 'Latency vs throughput: lines are closed-loop concurrency sweeps (p99 solid, p50 dashed); squares are open-loop p99 at 50% and 80% ' +
    'of the best closed-loop rate (latency from the intended send time; points that could not sustain their rate are left out, see the run table).', '');
  for (const w of workloads) L.push(`![latency vs throughput ${w}](${svgDir}/latency-throughput-${w}.svg)`, '');
  L.push(`![latency percentiles k1](${svgDir}/percentiles-k1.svg)`, '');
  const batch = batchChart(res);
  L.push(`![batch sizes](${svgDir}/batch-size.svg)`, '', batch.caption, '');
  if (res.ceiling.length) L.push(`![in-process ceiling](${svgDir}/ceiling.svg)`, '');

  L.push(...breakdown(res));

  if (res.ceiling.length) {
    L.push('## In-process ceiling', '', '| batch | ' + res.ceiling.map((c) => `rows/s (${c.threads} thr) | p50 us (${c.threads} thr)`).join(' | ') + ' |',
      '|---|' + res.ceiling.map(() => '---|---|').join(''));
    for (let i = 0; i < res.ceiling[0]!.points.length; i++) {
      const b = res.ceiling[0]!.points[i]!.batch;
      L.push(`| ${b} | ` + res.ceiling.map((c) => { const p = c.points.find((q) => q.batch === b); return `${fmtN(p?.rowsPerS ?? null)} | ${fmtN(p?.p50Us ?? null)}`; }).join(' | ') + ' |');
    }
    L.push('');
  }

  L.push('## All runs', '', 'Latency in microseconds, successful requests only; open loop counts from each request\'s intended send time (no coordinated omission). ' +
    'Server queue / compute = the gateway\'s mean queue time per request / mean compute time per batch, from /metrics. ' +
    'Server CPU per request / row = the server process\'s CPU time over the window (/proc) / answered requests / rows; by thread = that per request split into the HTTP thread / workers / ORT threads / idle spinners / other (GC, runtime; a peer\'s ORT threads too), from /proc/<pid>/task and the gateway\'s thread names; mean batch = requests and rows per batch from /metrics (peers: one request per run). ' +
    'CPU = load generator / server / other processes over the window, in % of one core (from /proc); ' +
    `**busy** marks points during which other processes used more than ${DISTURBED_OTHER_CPU_PERCENT}% of a core: treat those with suspicion.`, '',
    ...disturbedNote(res),
    '| system | protocol | workload | load | req/s | rows/s | p50 | p90 | p99 | p99.9 | max | errors | server queue / compute | server CPU us per request / row | by thread us/request: HTTP / workers / ORT / spin / other | mean batch requests / rows | CPU % loadgen / server / other |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of res.runs) L.push(runRow(r));

  if (res.crossCheck.length) {
    L.push('', '## Cross-check against an independent load generator', '', '| tool | target | tool req/s | loadgen req/s | difference | tool p50 us | loadgen p50 us |', '|---|---|---|---|---|---|---|');
    for (const c of res.crossCheck) L.push(`| ${c.tool} | ${c.target} | ${fmtN(c.toolRequestsPerS)} | ${fmtN(c.loadgenRequestsPerS)} | ${(c.difference * 100).toFixed(1)}% | ${fmtN(c.toolP50Us)} | ${fmtN(c.loadgenP50Us)} |`);
    L.push('', `Command: \`${res.crossCheck[0]!.command}\``);
  }
  L.push('');
  return L.join('\n');
}

/** Writes `<stemPath>.md` and `<stemPath>/*.svg`; returns the markdown path. */
export function writeReport(res: SuiteResults, stemPath: string): string {
  const svgDir = stemPath;
  mkdirSync(svgDir, { recursive: true });
  const workloads = [...new Set(res.runs.map((r) => r.workload))];
  for (const w of workloads) writeFileSync(join(svgDir, `latency-throughput-${w}.svg`), latencyThroughputChart(res, w));
  writeFileSync(join(svgDir, 'percentiles-k1.svg'), percentileChart(res, 'k1'));
  writeFileSync(join(svgDir, 'batch-size.svg'), batchChart(res).svg);
  if (res.ceiling.length) writeFileSync(join(svgDir, 'ceiling.svg'), ceilingChart(res));
  const md = `${stemPath}.md`;
  mkdirSync(dirname(md), { recursive: true });
  writeFileSync(md, renderMarkdown(res, basename(svgDir)));
  return md;
}
