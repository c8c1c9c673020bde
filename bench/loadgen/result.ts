// The load generator's result: one JSON document per run (schema "infergate.loadgen/1"), and
// the human table printed from it, in perf_analyzer's spirit.
import type { Histogram } from 'hdr-histogram-js';
import type { LoadOptions } from './options.js';
import type { ServerMetrics } from './metrics-scrape.js';
import type { ByThread } from './cpu-sample.js';

export const LOADGEN_SCHEMA = 'infergate.loadgen/1';

export interface LatencySummaryUs {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  schema: typeof LOADGEN_SCHEMA;
  label: string;
  startedAt: string;
  options: LoadOptions;
  target: { inputName: string; features: number; discoveredFrom: 'options' | 'metadata' | 'default' };
  workload: { name: string; templates: number; meanRows: number };
  /** Seconds from the start of the measured window to its last answer (>= durationS). */
  elapsedS: number;
  counts: {
    /** Open loop: requests whose intended send time fell in the window (= sent + unsent). */
    scheduled: number;
    sent: number;
    answered: number;
    errors: number;
    /** Key: HTTP status ("503"), or 'conn', 'timeout', 'bad-response'. */
    errorsByStatus: Record<string, number>;
    /** Open loop: scheduled but never sent before the window closed (client backlog). */
    unsent: number;
    rowsAnswered: number;
    /** Successful answers within options.budgetUs (0 when no budget was given). */
    withinBudget: number;
  };
  throughput: { requestsPerS: number; rowsPerS: number };
  /** Successful requests only. Open loop: from the intended send time; closed loop: from the send. */
  latencyUs: LatencySummaryUs;
  /** Open loop only: from the actual send (the difference is the client-side backlog wait). */
  serviceLatencyUs: LatencySummaryUs | null;
  /** Open loop only: actual send minus intended send, all sent requests (the client's own lateness:
   * timer wake-up, plus waiting for a free connection when the server falls behind). */
  scheduleLagUs: LatencySummaryUs | null;
  /** (percentile, us) pairs for a percentile-distribution plot. */
  percentileCurve: Array<[number, number]>;
  server: ServerMetrics | null;
  /** CPU over the measured window, in % of one core (Linux /proc; null where unavailable):
   * the load generator, the server (with --server-pid), the whole machine, and the rest. */
  loadgen: { cpuPercent: number; pid: number; wsUnmatched: number; serverCpuPercent: number | null; machineCpuPercent: number | null; otherCpuPercent: number | null };
  /** What each answer cost the server (efficiencyOf); absent in results written before it. */
  efficiency?: Efficiency;
}

/** The server's efficiency over the window: CPU per answered request and row (from /proc, with
 *  --server-pid), and the mean batch in requests and rows (from /metrics; null for servers
 *  without a batch-size histogram, such as the peers, which run one request per run). */
export interface Efficiency {
  serverCpuUsPerRequest: number | null;
  serverCpuUsPerRow: number | null;
  meanBatchRequests: number | null;
  meanBatchRows: number | null;
  /** serverCpuUsPerRequest split by thread role (cpu-sample.ts); absent in older results and
   *  where /proc has no task list. */
  serverCpuByThreadUsPerRequest?: ByThread | null;
}

export function efficiencyOf(serverCpuS: number | null, answered: number, rowsAnswered: number, server: ServerMetrics | null,
  byThreadS: ByThread | null = null): Efficiency {
  const per = (n: number): number | null => (serverCpuS === null || n <= 0 ? null : (serverCpuS * 1e6) / n);
  const b = server?.batchSize;
  const batches = b?.batches ?? 0;
  const requests = server?.requestSuccessDelta ?? null;
  return {
    serverCpuUsPerRequest: per(answered),
    serverCpuUsPerRow: per(rowsAnswered),
    meanBatchRequests: requests !== null && batches > 0 ? requests / batches : null,
    meanBatchRows: b?.meanRows ?? null,
    serverCpuByThreadUsPerRequest: byThreadS === null || answered <= 0 ? null
      : { http: byThreadS.http * 1e6 / answered, workers: byThreadS.workers * 1e6 / answered, ort: byThreadS.ort * 1e6 / answered,
        spin: byThreadS.spin * 1e6 / answered, other: byThreadS.other * 1e6 / answered },
  };
}

export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 100];

export function summarize(h: Histogram): LatencySummaryUs {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    min: h.minNonZeroValue,
    mean: Math.round(h.mean * 10) / 10,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

export function percentileCurve(h: Histogram): Array<[number, number]> {
  if (h.totalCount === 0) return [];
  return CURVE_PERCENTILES.map((p) => [p, p === 100 ? h.maxValue : h.getValueAtPercentile(p)]);
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

export function formatTable(r: LoadResult): string {
  const o = r.options;
  const how = o.mode === 'open' ? `open loop ${o.arrival} ${fmt(o.rate)} req/s` : `closed loop c=${o.concurrency}`;
  const errs = Object.entries(r.counts.errorsByStatus).map(([k, v]) => `${k}: ${v}`).join(', ');
  const l = r.latencyUs;
  const lines = [
    `infergate loadgen  ${r.label ? `${r.label}  ` : ''}${o.url}  ${o.protocol}  ${o.workload}  ${how}  conns=${o.connections}`,
    `  window      ${o.durationS} s measured (+${o.warmupS} s warm-up), elapsed ${r.elapsedS.toFixed(2)} s`,
    `  requests    sent ${r.counts.sent} = answered ${r.counts.answered} + errors ${r.counts.errors}${errs ? ` (${errs})` : ''}` +
      (o.mode === 'open' ? `; unsent ${r.counts.unsent} of ${r.counts.scheduled} scheduled` : ''),
    `  throughput  ${fmt(r.throughput.requestsPerS)} req/s, ${fmt(r.throughput.rowsPerS)} rows/s`,
    `  latency us  p50 ${fmt(l.p50)}  p90 ${fmt(l.p90)}  p95 ${fmt(l.p95)}  p99 ${fmt(l.p99)}  p99.9 ${fmt(l.p999)}  max ${fmt(l.max)}  (mean ${fmt(l.mean)})`,
  ];
  if (r.serviceLatencyUs) {
    const s = r.serviceLatencyUs;
    lines.push(`  from send   p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}  (latency above counts from the intended send time)`);
    if (r.scheduleLagUs) lines.push(`  send lag    p50 ${fmt(r.scheduleLagUs.p50)}  p99 ${fmt(r.scheduleLagUs.p99)}  (actual minus intended send time)`);
  }
  const s = r.server;
  if (s) {
    const parts: string[] = [];
    if (s.queueMeanUs !== null) parts.push(`queue ${fmt(s.queueMeanUs)} us`);
    if (s.computeMeanUs !== null) parts.push(`compute ${fmt(s.computeMeanUs)} us`);
    if (s.batchSize?.meanRows != null) parts.push(`batch ${fmt(s.batchSize.meanRows)} rows mean over ${s.batchSize.batches} batches`);
    if (s.requestSuccessDelta !== null) parts.push(`server success count ${s.requestSuccessDelta}`);
    if ((s.snapshotLagMs ?? 0) > 5) parts.push(`first snapshot ${fmt(s.snapshotLagMs!)} ms into the window`);
    lines.push(`  server      ${parts.length > 0 ? parts.join(', ') : '/metrics read, no known families moved'}`);
  } else if (o.scrapeMetrics) {
    lines.push('  server      no /metrics');
  }
  const e = r.efficiency;
  if (e && (e.serverCpuUsPerRequest !== null || e.meanBatchRequests !== null)) {
    lines.push(`  efficiency  server CPU ${e.serverCpuUsPerRequest === null ? '-' : fmt(e.serverCpuUsPerRequest)} us/request, ` +
      `${e.serverCpuUsPerRow === null ? '-' : fmt(e.serverCpuUsPerRow)} us/row; mean batch ` +
      `${e.meanBatchRequests === null ? '-' : fmt(e.meanBatchRequests)} requests, ${e.meanBatchRows === null ? '-' : fmt(e.meanBatchRows)} rows`);
    const t = e.serverCpuByThreadUsPerRequest;
    if (t) lines.push(`  by thread   us/request: HTTP thread ${fmt(t.http)}, workers ${fmt(t.workers)}, ORT threads ${fmt(t.ort)}, ` +
      `idle spinners ${fmt(t.spin)}, other ${fmt(t.other)}`);
  }
  const g = r.loadgen;
  lines.push(`  cpu         loadgen ${fmt(g.cpuPercent)}%` + (g.serverCpuPercent !== null ? `, server ${fmt(g.serverCpuPercent)}%` : '') +
    (g.otherCpuPercent !== null ? `, other processes ${fmt(g.otherCpuPercent)}%` : '') + ' (of one core)');
  return lines.join('\n');
}
