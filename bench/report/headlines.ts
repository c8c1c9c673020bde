// The numbers a reader wants first, computed from a suite results document: per system the
// K=1 maximum throughput (under the p99 budget and regardless), the p50 at one request in
// flight, K=200 and mixed throughput; and issue 4's targets as measured ratios.
import type { SuiteResults, SuiteRun, SystemId } from './results.js';

export const P99_BUDGET_US = 2000;

/** The protocol each system's headline uses (its native, fastest wire format). */
export const PRIMARY_PROTOCOL: Record<SystemId, string> = { infergate: 'flatbuffers', 'infergate-latency': 'flatbuffers', 'infergate-noconfig': 'flatbuffers', 'raw-peer': 'raw', 'raw-peer-ort': 'raw', 'json-peer': 'json' };

export interface SystemHeadline {
  system: SystemId;
  protocol: string;
  k1MaxRps: number | null;
  k1MaxRpsInBudget: number | null;
  k1P50AtOneUs: number | null;
  k200MaxRps: number | null;
  k200MaxRowsPerS: number | null;
  mixedMaxRowsPerS: number | null;
}

export interface TargetCheck {
  target: string;
  measured: number | null;
  goal: string;
  met: boolean | null;
  detail: string;
}

const ok = (r: SuiteRun): boolean => r.result !== null && r.result.counts.answered > 0;
const clean = (r: SuiteRun): boolean => ok(r) && r.result!.counts.errors === 0 && r.result!.counts.unsent === 0;

function best(runs: SuiteRun[], key: (r: SuiteRun) => number): number | null {
  const v = runs.filter(ok).map(key);
  return v.length ? Math.max(...v) : null;
}

export function systemHeadline(res: SuiteResults, system: SystemId, protocol = PRIMARY_PROTOCOL[system]): SystemHeadline {
  const mine = res.runs.filter((r) => r.system === system && r.protocol === protocol);
  const wl = (w: string): SuiteRun[] => mine.filter((r) => r.workload === w);
  const atOne = wl('k1').find((r) => r.mode === 'closed' && r.concurrency === 1 && ok(r));
  return {
    system, protocol,
    k1MaxRps: best(wl('k1'), (r) => r.result!.throughput.requestsPerS),
    k1MaxRpsInBudget: best(wl('k1').filter((r) => clean(r) && r.result!.latencyUs.p99 <= P99_BUDGET_US), (r) => r.result!.throughput.requestsPerS),
    k1P50AtOneUs: atOne ? atOne.result!.latencyUs.p50 : null,
    k200MaxRps: best(wl('k200'), (r) => r.result!.throughput.requestsPerS),
    k200MaxRowsPerS: best(wl('k200'), (r) => r.result!.throughput.rowsPerS),
    mixedMaxRowsPerS: best(wl('mixed'), (r) => r.result!.throughput.rowsPerS),
  };
}

export function ceilingBestRowsPerS(res: SuiteResults): { rowsPerS: number; batch: number; threads: number } | null {
  let out: { rowsPerS: number; batch: number; threads: number } | null = null;
  for (const c of res.ceiling) if (!out || c.best.rowsPerS > out.rowsPerS) out = { rowsPerS: c.best.rowsPerS, batch: c.best.batch, threads: c.threads };
  return out;
}

const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? a / b : null);

/** Each target compares with the stronger raw peer on that figure (1 intra-op thread, or ORT's
 *  defaults): the demanding reading of "the raw-body peer". */
function strongerPeer(res: SuiteResults, value: (h: SystemHeadline) => number | null, higherIsBetter: boolean): { v: number | null; name: string } {
  let out: { v: number | null; name: string } = { v: null, name: 'raw peer' };
  for (const id of ['raw-peer', 'raw-peer-ort'] as const) {
    const v = value(systemHeadline(res, id));
    if (v === null) continue;
    if (out.v === null || (higherIsBetter ? v > out.v : v < out.v)) out = { v, name: id === 'raw-peer' ? 'raw peer (1 thread)' : 'raw peer (ORT defaults)' };
  }
  return out;
}

export function targetChecks(res: SuiteResults): TargetCheck[] {
  const ig = systemHeadline(res, 'infergate');
  const lat = res.runs.some((r) => r.system === 'infergate-latency') ? systemHeadline(res, 'infergate-latency') : null;
  const k1 = strongerPeer(res, (h) => h.k1MaxRps, true);
  const k200 = strongerPeer(res, (h) => h.k200MaxRps, true);
  const p50 = strongerPeer(res, (h) => h.k1P50AtOneUs, false);
  const ceil = ceilingBestRowsPerS(res);
  const check = (target: string, measured: number | null, goal: string, pass: (v: number) => boolean, detail: string): TargetCheck =>
    ({ target, measured, goal, met: measured === null ? null : pass(measured), detail });
  return [
    check('K=1 max throughput (p99 <= 2 ms) vs raw-body peer', ratio(ig.k1MaxRpsInBudget, k1.v), '>= 4x', (v) => v >= 4,
      `infergate ${fmtN(ig.k1MaxRpsInBudget)} req/s vs ${k1.name} ${fmtN(k1.v)} req/s`),
    check('K=200 max throughput vs raw-body peer', ratio(ig.k200MaxRps, k200.v), '>= 1.7x', (v) => v >= 1.7,
      `infergate ${fmtN(ig.k200MaxRps)} req/s vs ${k200.name} ${fmtN(k200.v)} req/s`),
    check('K=200 rows/s vs in-process ceiling', ratio(ig.k200MaxRowsPerS, ceil?.rowsPerS ?? null), '>= 0.75x', (v) => v >= 0.75,
      `infergate ${fmtN(ig.k200MaxRowsPerS)} rows/s vs ceiling ${fmtN(ceil?.rowsPerS ?? null)} rows/s` +
      (ceil ? ` (batch ${ceil.batch}, ${ceil.threads} intra-op thread${ceil.threads > 1 ? 's' : ''})` : '')),
    check('K=1 p50 at 1 in flight vs raw-body peer', ratio(ig.k1P50AtOneUs, p50.v), '<= 1.25x', (v) => v <= 1.25,
      `infergate ${fmtN(ig.k1P50AtOneUs)} us vs ${p50.name} ${fmtN(p50.v)} us`),
    // The latency mode is an SRE's choice, so it gets its own row; the targets above are the defaults'.
    ...(lat ? [check('K=1 p50 at 1 in flight, latency mode, vs raw-body peer', ratio(lat.k1P50AtOneUs, p50.v), '<= 1.25x', (v) => v <= 1.25,
      `infergate latency mode ${fmtN(lat.k1P50AtOneUs)} us vs ${p50.name} ${fmtN(p50.v)} us`)] : []),
  ];
}

export function fmtN(v: number | null, digits = 0): string {
  if (v === null || !Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
