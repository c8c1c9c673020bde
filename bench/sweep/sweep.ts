// `infergate bench sweep`: an SRE tuning sweep in the spirit of Triton's model_analyzer online
// mode. Each grid point (workers x ORT intra-op threads x max batch size x max queue delay)
// starts a fresh gateway process, drives it with the load generator (another process) at the
// target load, and records throughput and latency. The recommendation is the point with the
// most rows/s whose p99 fits the budget with no errors; it is printed and written as a
// ready-to-use model config.json plus a server --config file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoadgen, startGateway } from '../harness/processes.js';
import type { LoadResult } from '../loadgen/result.js';
import { BATCHING_SETTINGS, RUNTIME_SETTINGS, SERVER_SETTINGS, type Setting } from '../../src/core/settings/index.js';
import { type ModelConfigJson, configPatch, mergeConfigLayers } from '../../src/repository/config.js';

export interface SweepOptions {
  repo: string;
  model: string;
  workload: string;
  protocol: string;
  /** Closed loop at this concurrency, or open loop at `rate` when rate > 0. */
  concurrency: number;
  rate: number;
  p99BudgetUs: number;
  workers: number[];
  intraOpThreads: number[];
  maxBatchSizes: number[];
  maxQueueDelaysUs: number[];
  /** Points whose workers x threads exceed this many cores are left out (oversubscribed);
   *  undefined keeps every point. */
  cores?: number;
  durationS: number;
  warmupS: number;
  outDir: string;
}

export interface SweepPoint {
  workers: number;
  intraOpThreads: number;
  maxBatchSize: number;
  maxQueueDelayUs: number;
  requestsPerS: number;
  rowsPerS: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  meanBatchRows: number | null;
  feasible: boolean;
  failure?: string;
}

/** The per-model settings a grid point sets, as rows of the settings tables (their config.json keys). */
function perModel(g: { maxBatchSize: number; maxQueueDelayUs: number; intraOpThreads: number }): [Setting, number][] {
  return [[BATCHING_SETTINGS.maxBatchSize, g.maxBatchSize], [BATCHING_SETTINGS.maxQueueDelayUs, g.maxQueueDelayUs],
    [RUNTIME_SETTINGS.intraOpThreads, g.intraOpThreads]];
}

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export function gridOf(o: SweepOptions): Omit<SweepPoint, 'requestsPerS' | 'rowsPerS' | 'p50Us' | 'p99Us' | 'errors' | 'meanBatchRows' | 'feasible'>[] {
  const out = [];
  for (const workers of o.workers) for (const intraOpThreads of o.intraOpThreads)
    if (o.cores === undefined || workers * intraOpThreads <= o.cores) for (const maxBatchSize of o.maxBatchSizes) for (const maxQueueDelayUs of o.maxQueueDelaysUs)
      out.push({ workers, intraOpThreads, maxBatchSize, maxQueueDelayUs });
  return out;
}

/** Best feasible point: most rows/s with p99 within budget and no errors; ties go to lower p99. */
export function recommend(points: readonly SweepPoint[]): SweepPoint | undefined {
  let best: SweepPoint | undefined;
  for (const p of points) {
    if (!p.feasible) continue;
    if (!best || p.rowsPerS > best.rowsPerS * 1.02 || (p.rowsPerS >= best.rowsPerS * 0.98 && p.p99Us < best.p99Us)) best = p;
  }
  return best;
}

async function measure(o: SweepOptions, g: ReturnType<typeof gridOf>[number], index: number): Promise<SweepPoint> {
  const m = o.model;
  const args = [`--${SERVER_SETTINGS.workers.flag!}`, String(g.workers), '--log-level', 'warn'];
  for (const [setting, value] of perModel(g)) args.push('--model-override', `${m}.${setting.configKey!}=${value}`);
  const base = { ...g, requestsPerS: 0, rowsPerS: 0, p50Us: 0, p99Us: 0, errors: 0, meanBatchRows: null, feasible: false };
  let server;
  try {
    server = await startGateway(ROOT, o.repo, m, args);
  } catch (e) {
    return { ...base, failure: (e as Error).message.split('\n')[0]! };
  }
  try {
    const load = ['--url', server.url, '--model', m, '--protocol', o.protocol, '--workload', o.workload,
      '--duration-s', String(o.durationS), '--warmup-s', String(o.warmupS)];
    if (o.rate > 0) load.push('--mode', 'open', '--rate', String(o.rate));
    else load.push('--mode', 'closed', '--concurrency', String(o.concurrency));
    const r: LoadResult = await runLoadgen(ROOT, load, join(o.outDir, `point-${index}.json`), (o.durationS + o.warmupS) * 1000 + 60_000);
    return {
      ...g,
      requestsPerS: r.throughput.requestsPerS,
      rowsPerS: r.throughput.rowsPerS,
      p50Us: r.latencyUs.p50,
      p99Us: r.latencyUs.p99,
      errors: r.counts.errors,
      meanBatchRows: r.server?.batchSize?.meanRows ?? null,
      feasible: r.counts.errors === 0 && r.latencyUs.count > 0 && r.latencyUs.p99 <= o.p99BudgetUs,
    };
  } catch (e) {
    return { ...base, failure: (e as Error).message.split('\n')[0]! };
  } finally {
    await server.stop();
  }
}

export function formatSweepTable(points: readonly SweepPoint[], best: SweepPoint | undefined): string {
  const head = 'workers threads max_batch delay_us     req/s      rows/s   p50_us   p99_us errors batch fit';
  const rows = points.map((p) => [
    String(p.workers).padStart(7), String(p.intraOpThreads).padStart(7), String(p.maxBatchSize).padStart(9),
    String(p.maxQueueDelayUs).padStart(8), p.requestsPerS.toFixed(0).padStart(9), p.rowsPerS.toFixed(0).padStart(11),
    p.p50Us.toFixed(0).padStart(8), p.p99Us.toFixed(0).padStart(8), String(p.errors).padStart(6),
    (p.meanBatchRows === null ? '-' : p.meanBatchRows.toFixed(1)).padStart(5),
    p === best ? ' <= best' : p.failure ? ` failed: ${p.failure}` : p.feasible ? '  yes' : '  no',
  ].join(' '));
  return [head, ...rows].join('\n');
}

export async function runSweep(o: SweepOptions, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<{ points: SweepPoint[]; best: SweepPoint | undefined }> {
  mkdirSync(o.outDir, { recursive: true });
  const grid = gridOf(o);
  log(`sweep: ${grid.length} points x ${o.durationS + o.warmupS} s on ${hostname()} (model ${o.model}, workload ${o.workload}, ` +
    `${o.rate > 0 ? `open loop ${o.rate} req/s` : `closed loop ${o.concurrency} in flight`}, p99 budget ${o.p99BudgetUs} us)`);
  const points: SweepPoint[] = [];
  for (let i = 0; i < grid.length; i++) {
    const p = await measure(o, grid[i]!, i);
    points.push(p);
    log(`  [${i + 1}/${grid.length}] workers=${p.workers} threads=${p.intraOpThreads} max_batch=${p.maxBatchSize} delay=${p.maxQueueDelayUs}us: ` +
      (p.failure ? `failed: ${p.failure}` : `${p.rowsPerS.toFixed(0)} rows/s, p99 ${p.p99Us.toFixed(0)} us, ${p.errors} errors`));
  }
  const best = recommend(points);
  log('');
  log(formatSweepTable(points, best));
  const stamp = { machine: hostname(), cores: availableParallelism(), date: new Date().toISOString(), options: o };
  writeFileSync(join(o.outDir, 'sweep.json'), `${JSON.stringify({ ...stamp, points, best: best ?? null }, null, 2)}\n`);
  if (best) {
    const modelConfig = perModel(best).reduce<ModelConfigJson>((acc, [s, v]) => mergeConfigLayers(acc, configPatch(s.configKey!.split('.'), v)), {});
    writeFileSync(join(o.outDir, 'config.json'), `${JSON.stringify(modelConfig, null, 2)}\n`);
    writeFileSync(join(o.outDir, 'serve-config.json'), `${JSON.stringify({ [SERVER_SETTINGS.workers.key]: best.workers }, null, 2)}\n`);
    log('');
    log(`recommended: workers=${best.workers}, intra_op_threads=${best.intraOpThreads}, max_batch_size=${best.maxBatchSize}, ` +
      `max_queue_delay_microseconds=${best.maxQueueDelayUs} (${best.rowsPerS.toFixed(0)} rows/s at p99 ${best.p99Us.toFixed(0)} us)`);
    log(`wrote ${join(o.outDir, 'config.json')} (merge into ${o.model}/config.json) and ${join(o.outDir, 'serve-config.json')} (for --config)`);
  } else {
    log(`no point met the p99 budget of ${o.p99BudgetUs} us without errors: lower the load or raise the budget`);
  }
  return { points, best };
}
