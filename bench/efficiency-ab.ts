// `node dist/bench/efficiency-ab.js`: issue 14's headlines as one A/B run. The ranker model as a
// user deploys it (no config.json) with auto-complete (the default) and without it
// (--disable-auto-complete-config: what every such model got before), the configured ranker
// (models/ranker/config.json: max_batch_size 1024) and the raw-body peer (1 and 2 ORT threads), at K=1 with
// 1 and 16 in flight and K=200 with 16. Every point reports server CPU per request and per row
// and the mean batch in requests and rows; each system is started afresh per repetition and the
// repetitions are interleaved and rotated (ABCD BCDA CDAB), so drift on this shared machine hits
// all alike;
// figures are the median of the repetitions with min and max. With wrk installed it drives the
// K=1 c=16 and K=200 c=16 points too (a second client). Each repetition also measures the
// 1-thread in-process ceiling (peers/in-process-ceiling.ts, CPU per row at its best batch), the
// baseline of the K=200 CPU-per-row target, and every gateway point splits the server's CPU by
// thread (HTTP thread, workers, ORT threads, spinners, other: bench/loadgen/cpu-sample.ts).
//
// Options: --reps 3 --duration-s 3 --warmup-s 1 --seed 1 --systems a,b,... --out FILE.json
//          --mbs-sweep 8,32,... (instead of the systems: the model without config.json at each
//          --default-max-batch-size, for docs/decisions/013) --no-wrk
import { parseRepOptions } from './harness/rep-options.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoadgen, startGateway, startPeer, type ServerHandle } from './harness/processes.js';
import { findWrk } from './harness/cross-check.js';
import { runWrkPoint, type WrkPoint } from './harness/wrk-point.js';
import type { LoadResult } from './loadgen/result.js';
import { summarizeAb, type AbDoc, type AbRun } from './report/ab-summary.js';
import type { CeilingResult } from './peers/in-process-ceiling.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODEL = 'ranker';

interface SystemSpec { id: string; repo: 'noconfig' | 'models' | null; args: string[]; note: string; peerThreads?: number; onlyK1?: boolean }

const SYSTEMS: Record<string, SystemSpec> = {
  'noconfig': { id: 'noconfig', repo: 'noconfig', args: [], note: 'ranker without config.json, auto-complete on (default)' },
  'noconfig-off': { id: 'noconfig-off', repo: 'noconfig', args: ['--disable-auto-complete-config'], note: 'ranker without config.json, --disable-auto-complete-config (max_batch_size 0: the behaviour before)' },
  // Lone-request sessions (docs/decisions/018): a low-load latency option; K=1 only.
  'noconfig-lone': { id: 'noconfig-lone', repo: 'noconfig', args: ['--lone-intra-op-threads', '2'], note: 'ranker without config.json, --lone-intra-op-threads 2 (K=1 points only)', onlyK1: true },
  'configured': { id: 'configured', repo: 'models', args: [], note: 'models/ranker with its config.json (max_batch_size 1024)' },
  'raw-peer': { id: 'raw-peer', repo: null, args: [], note: 'node:http + raw float32 + onnxruntime-node, 1 intra-op thread' },
  // The "stronger raw peer" at K=200 may be this one where a second core adds compute.
  'raw-peer-2t': { id: 'raw-peer-2t', repo: null, args: [], note: 'node:http + raw float32 + onnxruntime-node, 2 intra-op threads', peerThreads: 2 },
};

const POINTS = [
  { workload: 'k1', concurrency: 1, wrk: false },
  { workload: 'k1', concurrency: 16, wrk: true },
  { workload: 'k200', concurrency: 16, wrk: true },
] as const;

function parse(argv: string[]) {
  const o = { reps: 3, durationS: 3, warmupS: 1, seed: 1, systems: Object.keys(SYSTEMS), out: '', mbsSweep: [] as number[], wrk: true };
  return parseRepOptions(argv, o, (flag, value) => {
    switch (flag) {
      case '--seed': o.seed = Number(value()); return true;
      case '--mbs-sweep': o.mbsSweep = value().split(',').map(Number); return true;
      case '--no-wrk': o.wrk = false; return true;
      default: return false;
    }
  });
}

function log(msg: string): void {
  process.stdout.write(`[ab] ${msg}\n`);
}

/** The 1-thread in-process ceiling now: its batch with the least CPU per row. */
async function measureCeiling(modelPath: string, out: string): Promise<{ batch: number; cpuUsPerRow: number }> {
  await promisify(execFile)(process.execPath, [join(root, 'dist', 'bench', 'peers', 'in-process-ceiling.js'), '--model', modelPath, '--threads', '1',
    '--batches', '200,400,800,1000', '--time-ms', '500', '--json', out], { timeout: 120_000 });
  const r = JSON.parse(readFileSync(out, 'utf8')) as CeilingResult;
  const best = r.points.reduce((a, b) => ((b.cpuUsPerRow ?? Infinity) < (a.cpuUsPerRow ?? Infinity) ? b : a));
  return { batch: best.batch, cpuUsPerRow: best.cpuUsPerRow ?? 1e6 / best.rowsPerS };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const specs: SystemSpec[] = o.mbsSweep.length > 0
    ? o.mbsSweep.map((n) => ({ id: `noconfig-mbs${n}`, repo: 'noconfig', args: ['--default-max-batch-size', String(n)], note: `ranker without config.json, --default-max-batch-size ${n}` }))
    : o.systems.map((s) => { const spec = SYSTEMS[s]; if (!spec) throw new Error(`unknown system "${s}"`); return spec; });
  const modelPath = join(root, 'models', MODEL, '1', 'model.onnx');
  if (!existsSync(modelPath)) throw new Error(`${modelPath} is missing (npm run build generates it)`);
  const tmp = mkdtempSync(join(tmpdir(), 'infergate-ab-'));
  // The model as a user drops it in: <repo>/ranker/1/model.onnx, nothing else.
  const noconfig = join(tmp, 'repo');
  mkdirSync(join(noconfig, MODEL, '1'), { recursive: true });
  symlinkSync(modelPath, join(noconfig, MODEL, '1', 'model.onnx'));
  const wrk = o.wrk ? await findWrk() : null;
  const runs: AbRun[] = [];
  const ceiling: NonNullable<AbDoc['ceiling']> = [];
  const commands: Record<string, string> = {};
  const timeoutMs = (o.durationS + o.warmupS) * 1000 + 60_000;
  const t0 = performance.now();
  log(`${specs.map((s) => s.id).join(', ')}; ${o.reps} repetitions; ${o.durationS} s + ${o.warmupS} s per point; wrk ${wrk ? 'yes' : 'no'}; ${cpus().length} shared cores`);
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      // Each repetition starts one system later (ABCD BCDA CDAB): no system always runs first
      // after a start-up or always lands in the same phase of the machine's other work.
      const order = specs.map((_, i) => specs[(i + rep - 1) % specs.length]!);
      const c = await measureCeiling(modelPath, join(tmp, 'ceiling.json'));
      ceiling.push({ rep, ...c });
      log(`rep ${rep} ceiling: ${c.cpuUsPerRow.toFixed(2)} us/row CPU at batch ${c.batch} (1 thread, in process)`);
      for (const s of order) {
        let server: ServerHandle;
        try {
          server = s.repo === null
            ? await startPeer(root, 'raw-peer.js', ['--model', modelPath, '--threads', String(s.peerThreads ?? 1), '--model-name', MODEL])
            : await startGateway(root, s.repo === 'noconfig' ? noconfig : 'models', MODEL, s.args);
        } catch (e) {
          log(`${s.id}: NOT AVAILABLE: ${(e as Error).message}`);
          continue;
        }
        commands[s.id] = server.command.replace(tmp, '$TMP');
        try {
          for (const p of POINTS) {
            if (s.onlyK1 && p.workload !== 'k1') continue;
            const protocol = s.repo === null ? 'raw' : 'flatbuffers';
            const args = ['--url', server.url, '--model', MODEL, '--protocol', protocol, '--workload', p.workload, '--mode', 'closed',
              '--concurrency', String(p.concurrency), '--duration-s', String(o.durationS), '--warmup-s', String(o.warmupS),
              '--seed', String(o.seed), '--label', s.id, '--server-pid', String(server.proc.pid)];
            const r: LoadResult = await runLoadgen(root, args, join(tmp, 'run.json'), timeoutMs);
            runs.push({ system: s.id, client: 'loadgen', rep, workload: p.workload, concurrency: p.concurrency, requestsPerS: r.throughput.requestsPerS,
              rowsPerS: r.throughput.rowsPerS, p50Us: r.latencyUs.p50, p99Us: r.latencyUs.p99, errors: r.counts.errors,
              otherCpuPercent: r.loadgen.otherCpuPercent, efficiency: r.efficiency ?? null });
            const e = r.efficiency;
            log(`rep ${rep} ${s.id} ${p.workload} c=${p.concurrency}: ${Math.round(r.throughput.requestsPerS)} req/s p99 ${r.latencyUs.p99} us; ` +
              `CPU ${e?.serverCpuUsPerRequest?.toFixed(1) ?? '-'} us/req ${e?.serverCpuUsPerRow?.toFixed(2) ?? '-'} us/row; ` +
              `batch ${e?.meanBatchRequests?.toFixed(2) ?? '-'} req ${e?.meanBatchRows?.toFixed(1) ?? '-'} rows; other CPU ${r.loadgen.otherCpuPercent?.toFixed(0) ?? '-'}%`);
            if (wrk && p.wrk) {
              const w: WrkPoint = await runWrkPoint({ tmp, url: server.url, model: MODEL, protocol, workload: p.workload, seed: o.seed,
                connections: p.concurrency, durationS: o.durationS, serverPid: server.proc.pid ?? 0 });
              commands[`wrk ${s.id}`] = w.command.replace(tmp, '$TMP');
              runs.push({ system: s.id, client: 'wrk', rep, workload: p.workload, concurrency: p.concurrency, requestsPerS: w.requestsPerS,
                rowsPerS: w.rowsPerS, p50Us: w.p50Us, p99Us: w.p99Us, errors: w.errors, otherCpuPercent: null, efficiency: w.efficiency });
              log(`rep ${rep} ${s.id} ${p.workload} c=${p.concurrency} (wrk): ${Math.round(w.requestsPerS)} req/s p99 ${w.p99Us ?? '-'} us; ` +
                `CPU ${w.efficiency.serverCpuUsPerRequest?.toFixed(1) ?? '-'} us/req; batch ${w.efficiency.meanBatchRequests?.toFixed(2) ?? '-'} req`);
            }
          }
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const command = `node dist/bench/efficiency-ab.js ${process.argv.slice(2).join(' ')}`.trim();
  const doc = {
    schema: 'infergate.efficiency-ab/1', createdAt: new Date().toISOString(), command,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAvgAtStart: loadavg(), node: process.versions.node },
    systems: specs.map((s) => ({ id: s.id, note: s.note, command: commands[s.id] ?? '' })), wrkCommands: Object.entries(commands).filter(([k]) => k.startsWith('wrk ')),
    settings: { reps: o.reps, durationS: o.durationS, warmupS: o.warmupS, seed: o.seed }, wallS: (performance.now() - t0) / 1000, runs, ceiling,
  };
  const md = summarizeAb(doc);
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(doc, null, 2) + '\n');
    writeFileSync(o.out.replace(/\.json$/, '') + '.md', md);
    log(`wrote ${o.out} and its .md`);
  }
  process.stdout.write(md);
}

main().catch((e: unknown) => {
  console.error(`efficiency-ab: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
