// The markdown of bench/efficiency-ab.ts: per point and client, each system's median of the
// repetitions with [min, max], efficiency included; then the ratios, each computed
// within one repetition (same minute, same machine state) and summarised the same way.
import type { Efficiency } from '../loadgen/result.js';

export interface AbRun {
  system: string;
  client: 'loadgen' | 'wrk';
  rep: number;
  workload: string;
  concurrency: number;
  requestsPerS: number;
  rowsPerS: number;
  p50Us: number | null;
  p99Us: number | null;
  errors: number;
  /** Other processes' CPU over the point (% of one core; loadgen only). */
  otherCpuPercent: number | null;
  efficiency: Efficiency | null;
}

export interface AbDoc {
  command: string;
  createdAt: string;
  machine: { cpus: number; cpuModel: string; loadAvgAtStart: number[]; node: string };
  systems: { id: string; note: string; command: string }[];
  settings: { reps: number; durationS: number; warmupS: number; seed: number };
  wallS: number;
  runs: AbRun[];
  /** The 1-thread in-process ceiling measured in each repetition (its best batch size by CPU
   *  per row); absent in runs before it was part of the A/B. */
  ceiling?: { rep: number; batch: number; cpuUsPerRow: number }[];
}

/** Median (mean of the middle two for an even count), min and max; null for no values. */
export function spread(values: readonly (number | null | undefined)[]): { median: number; min: number; max: number; n: number } | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

const num = (x: number, digits: number): string => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));

export function fmtSpread(values: readonly (number | null | undefined)[], digits = 0): string {
  const s = spread(values);
  if (s === null) return '-';
  return s.n === 1 ? num(s.median, digits) : `${num(s.median, digits)} [${num(s.min, digits)}, ${num(s.max, digits)}]`;
}

type Metric = (r: AbRun) => number | null | undefined;

/** The "stronger raw peer": whichever of the two did better in that repetition. */
const PEERS = ['raw-peer', 'raw-peer-2t'];
type Baseline = string | null | { best: 'min' | 'max'; of: string[] } | 'ceiling';
const STRONGER_LOW: Baseline = { best: 'min', of: PEERS };
const STRONGER_HIGH: Baseline = { best: 'max', of: PEERS };
const byThread = (r: AbRun, role: 'http' | 'workers'): number | null => {
  const t = r.efficiency?.serverCpuByThreadUsPerRequest;
  return t && r.requestsPerS > 0 ? t[role] * r.requestsPerS / r.rowsPerS : null;
};

const RATIOS: { name: string; goal: string; workload: string; concurrency: number; a: string; b: Baseline; metric: Metric; digits: number; bMetric?: Metric }[] = [
  { name: 'mean batch (requests), model without config.json', goal: '>= 4', workload: 'k1', concurrency: 16, a: 'noconfig', b: null, metric: (r) => r.efficiency?.meanBatchRequests, digits: 2 },
  { name: 'server CPU per request: without config.json / raw peer', goal: '<= 0.5x', workload: 'k1', concurrency: 16, a: 'noconfig', b: 'raw-peer', metric: (r) => r.efficiency?.serverCpuUsPerRequest, digits: 2 },
  { name: 'server CPU per request: auto-complete on / off', goal: '< 1x', workload: 'k1', concurrency: 16, a: 'noconfig', b: 'noconfig-off', metric: (r) => r.efficiency?.serverCpuUsPerRequest, digits: 2 },
  { name: 'req/s: auto-complete on / off', goal: '> 1x', workload: 'k1', concurrency: 16, a: 'noconfig', b: 'noconfig-off', metric: (r) => r.requestsPerS, digits: 2 },
  { name: 'req/s: without config.json / configured (max_batch_size 1024)', goal: '~1x', workload: 'k1', concurrency: 16, a: 'noconfig', b: 'configured', metric: (r) => r.requestsPerS, digits: 2 },
  { name: 'req/s: without config.json / raw peer', goal: '', workload: 'k1', concurrency: 16, a: 'noconfig', b: 'raw-peer', metric: (r) => r.requestsPerS, digits: 2 },
  { name: 'K=200 req/s: without config.json / raw peer', goal: '>= 1.5x', workload: 'k200', concurrency: 16, a: 'noconfig', b: 'raw-peer', metric: (r) => r.requestsPerS, digits: 2 },
  { name: 'K=200 req/s: without config.json / raw peer with 2 threads', goal: '>= 1.5x', workload: 'k200', concurrency: 16, a: 'noconfig', b: 'raw-peer-2t', metric: (r) => r.requestsPerS, digits: 2 },
  { name: 'K=200 req/s: without config.json / stronger raw peer', goal: '>= 1.5x', workload: 'k200', concurrency: 16, a: 'noconfig', b: STRONGER_HIGH, metric: (r) => r.requestsPerS, digits: 2 },
  { name: 'K=200 server CPU per row: without config.json / raw peer', goal: '', workload: 'k200', concurrency: 16, a: 'noconfig', b: 'raw-peer', metric: (r) => r.efficiency?.serverCpuUsPerRow, digits: 2 },
  { name: 'K=200 server CPU per row: without config.json / 1-thread in-process ceiling', goal: '<= 1.15x', workload: 'k200', concurrency: 16, a: 'noconfig', b: 'ceiling', metric: (r) => r.efficiency?.serverCpuUsPerRow, digits: 2 },
  { name: 'K=200 workers\' CPU per row / 1-thread in-process ceiling', goal: '', workload: 'k200', concurrency: 16, a: 'noconfig', b: 'ceiling', metric: (r) => byThread(r, 'workers'), digits: 2 },
  { name: 'K=200 HTTP thread CPU per row / 1-thread in-process ceiling', goal: '', workload: 'k200', concurrency: 16, a: 'noconfig', b: 'ceiling', metric: (r) => byThread(r, 'http'), digits: 2 },
  { name: 'K=1 p50 at 1 in flight: without config.json / raw peer', goal: '', workload: 'k1', concurrency: 1, a: 'noconfig', b: 'raw-peer', metric: (r) => r.p50Us, digits: 2 },
  { name: 'K=1 p50 at 1 in flight: without config.json / stronger raw peer', goal: '<= 1.1x', workload: 'k1', concurrency: 1, a: 'noconfig', b: STRONGER_LOW, metric: (r) => r.p50Us, digits: 2 },
  { name: 'K=1 p50 at 1 in flight: --lone-intra-op-threads 2 / stronger raw peer', goal: '<= 1.1x', workload: 'k1', concurrency: 1, a: 'noconfig-lone', b: STRONGER_LOW, metric: (r) => r.p50Us, digits: 2 },
  { name: 'K=1 p99 at 1 in flight: --lone-intra-op-threads 2 / default', goal: '', workload: 'k1', concurrency: 1, a: 'noconfig-lone', b: 'noconfig', metric: (r) => r.p99Us, digits: 2 },
  { name: 'K=1 req/s at 16 in flight: --lone-intra-op-threads 2 / default', goal: '~1x', workload: 'k1', concurrency: 16, a: 'noconfig-lone', b: 'noconfig', metric: (r) => r.requestsPerS, digits: 2 },
];

export function summarizeAb(doc: AbDoc): string {
  const m = doc.machine;
  const L: string[] = [`# Efficiency A/B: ${doc.createdAt}`, '',
    `- Command: \`${doc.command}\`; ${doc.settings.reps} repetitions, interleaved and rotated; each point ${doc.settings.durationS} s after ${doc.settings.warmupS} s warm-up; seed ${doc.settings.seed}; ${Math.round(doc.wallS)} s in all`,
    `- Machine: ${m.cpus} x ${m.cpuModel}, Node ${m.node}, load average at start ${m.loadAvgAtStart.map((x) => x.toFixed(2)).join(' ')}`,
    `- **Shared cores**: the client, the server and other helpers' work share these ${m.cpus} cores: absolute figures are noisy; compare systems within this run.`,
    '- Figures: median [min, max] over the repetitions. Server CPU = the server process\'s /proc CPU time over the point / answered requests (rows); mean batch from /metrics.', '',
    '## Systems', '', '| system | what | command |', '|---|---|---|'];
  for (const s of doc.systems) L.push(`| ${s.id} | ${s.note} | \`${s.command}\` |`);
  const groups = [...new Set(doc.runs.map((r) => `${r.client}|${r.workload}|${r.concurrency}`))];
  for (const g of groups) {
    const [client, workload, c] = g.split('|');
    L.push('', `## ${workload} at ${c} in flight (${client === 'wrk' ? 'wrk' : 'load generator'})`, '',
      '| system | req/s | p50 us | p99 us | server CPU us/request | server CPU us/row | mean batch requests | mean batch rows | errors | other CPU % |',
      '|---|---|---|---|---|---|---|---|---|---|');
    for (const s of doc.systems) {
      const rs = doc.runs.filter((r) => r.system === s.id && `${r.client}|${r.workload}|${r.concurrency}` === g);
      if (rs.length === 0) continue;
      const col = (f: Metric, d = 0): string => fmtSpread(rs.map(f), d);
      L.push(`| ${s.id} | ${col((r) => r.requestsPerS)} | ${col((r) => r.p50Us)} | ${col((r) => r.p99Us)} | ${col((r) => r.efficiency?.serverCpuUsPerRequest, 1)} | ` +
        `${col((r) => r.efficiency?.serverCpuUsPerRow, 2)} | ${col((r) => r.efficiency?.meanBatchRequests, 2)} | ${col((r) => r.efficiency?.meanBatchRows, 1)} | ` +
        `${rs.reduce((a, r) => a + r.errors, 0)} | ${col((r) => r.otherCpuPercent)} |`);
    }
    const split = doc.systems.map((s) => [s.id, doc.runs.filter((r) => r.system === s.id && `${r.client}|${r.workload}|${r.concurrency}` === g &&
      r.efficiency?.serverCpuByThreadUsPerRequest)] as const).filter(([, rs]) => rs.length > 0);
    if (split.length > 0) {
      L.push('', 'Server CPU by thread, us per request (native/thread_name.h; a peer\'s ORT threads count as other):', '',
        '| system | HTTP thread | workers | ORT threads | idle spinners | other (GC, runtime) |', '|---|---|---|---|---|---|');
      for (const [id, rs] of split) {
        const t = (role: 'http' | 'workers' | 'ort' | 'spin' | 'other'): string => fmtSpread(rs.map((r) => r.efficiency!.serverCpuByThreadUsPerRequest![role]), 1);
        L.push(`| ${id} | ${t('http')} | ${t('workers')} | ${t('ort')} | ${t('spin')} | ${t('other')} |`);
      }
    }
  }
  if (doc.ceiling && doc.ceiling.length > 0) {
    L.push('', '## 1-thread in-process ceiling (each repetition; best batch by CPU per row)', '', '| repetition | batch | CPU us/row |', '|---|---|---|',
      ...doc.ceiling.map((c) => `| ${c.rep} | ${c.batch} | ${c.cpuUsPerRow.toFixed(2)} |`));
  }
  const ratioRows: string[] = [];
  for (const client of ['loadgen', 'wrk'] as const) {
    for (const q of RATIOS) {
      const per = [...new Set(doc.runs.map((r) => r.rep))].map((rep) => {
        const pick = (sys: string): number | null => {
          const r = doc.runs.find((x) => x.client === client && x.rep === rep && x.system === sys && x.workload === q.workload && x.concurrency === q.concurrency);
          const v = r ? q.metric(r) : null;
          return typeof v === 'number' ? v : null;
        };
        const a = pick(q.a);
        if (q.b === null) return a;
        let b: number | null;
        if (q.b === 'ceiling') b = doc.ceiling?.find((c) => c.rep === rep)?.cpuUsPerRow ?? null;
        else if (typeof q.b === 'string') b = pick(q.b);
        else {
          const vs = q.b.of.map(pick).filter((v): v is number => v !== null);
          b = vs.length === 0 ? null : q.b.best === 'min' ? Math.min(...vs) : Math.max(...vs);
        }
        return a !== null && b !== null && b > 0 ? a / b : null;
      });
      if (spread(per) === null) continue;
      ratioRows.push(`| ${q.name} | ${client} | ${q.workload} c=${q.concurrency} | ${q.goal || '-'} | ${fmtSpread(per, q.digits)} |`);
    }
  }
  if (ratioRows.length > 0) {
    L.push('', '## Ratios (each within one repetition; median [min, max])', '', '| figure | client | point | goal | measured |', '|---|---|---|---|---|', ...ratioRows);
  }
  L.push('');
  return L.join('\n');
}
