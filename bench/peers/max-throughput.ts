// `node dist/bench/peers/max-throughput.js`: issue 14's "K=1 maximum throughput at p99 <= 2 ms
// against the raw peer's maximum at any p99". Each system is driven closed loop at a ladder of
// concurrencies (perf_analyzer's concurrency sweep, the way Triton measures the same thing);
// a system's latency-bound maximum is the highest req/s of a point whose p99 is within the
// budget, its maximum the highest req/s of any point. Systems are started afresh per repetition,
// the repetitions interleaved and rotated; the headline is the per-repetition ratio
// (gateway within the budget / raw peer at any p99), median [min, max].
//
// Options: --reps 3 --duration-s 3 --warmup-s 1 --budget-us 2000 --concurrency 1,2,4,...
//          --systems noconfig,raw-peer,... --workload k1 --out FILE.json
import { cpus, loadavg, tmpdir } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runLoadgen, startGateway, startPeer, type ServerHandle } from '../harness/processes.js';
import { spread } from '../report/ab-summary.js';
import { parseRepOptions } from '../harness/rep-options.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MODEL = 'ranker';

interface SystemSpec { id: string; kind: 'gateway-noconfig' | 'gateway-models' | 'peer'; args: string[]; note: string }
const SYSTEMS: Record<string, SystemSpec> = {
  'noconfig': { id: 'noconfig', kind: 'gateway-noconfig', args: [], note: 'infergate, ranker without config.json (auto-complete)' },
  'configured': { id: 'configured', kind: 'gateway-models', args: [], note: 'infergate, models/ranker with its config.json' },
  'raw-peer': { id: 'raw-peer', kind: 'peer', args: ['--threads', '1'], note: 'node:http + raw float32 + onnxruntime-node, 1 intra-op thread' },
  'raw-peer-2t': { id: 'raw-peer-2t', kind: 'peer', args: ['--threads', '2'], note: 'node:http + raw float32 + onnxruntime-node, 2 intra-op threads' },
};

interface Point { system: string; rep: number; concurrency: number; requestsPerS: number; p50Us: number; p99Us: number; errors: number; serverCpuUsPerRequest: number | null; meanBatchRequests: number | null }

function parse(argv: string[]) {
  const o = { reps: 3, durationS: 3, warmupS: 1, budgetUs: 2000, ladder: [1, 2, 4, 8, 16, 32, 64, 128], systems: Object.keys(SYSTEMS), workload: 'k1', out: '' };
  parseRepOptions(argv, o, (flag, value) => {
    switch (flag) {
      case '--budget-us': o.budgetUs = Number(value()); return true;
      case '--concurrency': o.ladder = value().split(',').map(Number); return true;
      case '--workload': o.workload = value(); return true;
      default: return false;
    }
  });
  for (const s of o.systems) if (!SYSTEMS[s]) throw new Error(`unknown system "${s}" (known: ${Object.keys(SYSTEMS).join(', ')})`);
  if (!o.ladder.every((c) => Number.isInteger(c) && c > 0)) throw new Error('--concurrency takes positive integers');
  return o;
}

const log = (msg: string): void => void process.stdout.write(`[max-throughput] ${msg}\n`);
const fmt = (x: number | null, d = 0): string => (x === null ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));

/** Highest req/s over the points (within the budget when one is given); null when none. */
export function bestPoint(points: readonly Point[], budgetUs?: number): Point | null {
  let best: Point | null = null;
  for (const p of points) {
    if (p.errors > 0 || (budgetUs !== undefined && p.p99Us > budgetUs)) continue;
    if (best === null || p.requestsPerS > best.requestsPerS) best = p;
  }
  return best;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const modelPath = join(root, 'models', MODEL, '1', 'model.onnx');
  if (!existsSync(modelPath)) throw new Error(`${modelPath} is missing (npm run build generates it)`);
  const tmp = mkdtempSync(join(tmpdir(), 'infergate-maxtp-'));
  const noconfig = join(tmp, 'repo');
  mkdirSync(join(noconfig, MODEL, '1'), { recursive: true });
  symlinkSync(modelPath, join(noconfig, MODEL, '1', 'model.onnx'));
  const specs = o.systems.map((s) => SYSTEMS[s]!);
  const points: Point[] = [];
  const commands: Record<string, string> = {};
  const t0 = performance.now();
  log(`${o.systems.join(', ')}; ${o.workload}; concurrency ${o.ladder.join(',')}; budget p99 <= ${o.budgetUs} us; ${o.reps} repetitions; ${cpus().length} shared cores`);
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const s of specs.map((_, i) => specs[(i + rep - 1) % specs.length]!)) {
        const server: ServerHandle = s.kind === 'peer'
          ? await startPeer(root, 'raw-peer.js', ['--model', modelPath, '--model-name', MODEL, ...s.args])
          : await startGateway(root, s.kind === 'gateway-noconfig' ? noconfig : 'models', MODEL, s.args);
        commands[s.id] = server.command.replace(tmp, '$TMP');
        try {
          for (const c of o.ladder) {
            const r = await runLoadgen(root, ['--url', server.url, '--model', MODEL, '--protocol', s.kind === 'peer' ? 'raw' : 'flatbuffers',
              '--workload', o.workload, '--mode', 'closed', '--concurrency', String(c), '--duration-s', String(o.durationS),
              '--warmup-s', String(o.warmupS), '--server-pid', String(server.proc.pid)], join(tmp, 'run.json'), (o.durationS + o.warmupS) * 1000 + 60_000);
            const p: Point = { system: s.id, rep, concurrency: c, requestsPerS: r.throughput.requestsPerS, p50Us: r.latencyUs.p50, p99Us: r.latencyUs.p99,
              errors: r.counts.errors, serverCpuUsPerRequest: r.efficiency?.serverCpuUsPerRequest ?? null, meanBatchRequests: r.efficiency?.meanBatchRequests ?? null };
            points.push(p);
            log(`rep ${rep} ${s.id} c=${c}: ${fmt(p.requestsPerS)} req/s p50 ${p.p50Us} us p99 ${p.p99Us} us; CPU ${fmt(p.serverCpuUsPerRequest, 1)} us/req; batch ${fmt(p.meanBatchRequests, 2)}`);
          }
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const md = summarize(o, specs, points, commands, (performance.now() - t0) / 1000);
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify({ schema: 'infergate.max-throughput/1', createdAt: new Date().toISOString(),
      command: `node dist/bench/peers/max-throughput.js ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAvgAtEnd: loadavg(), node: process.versions.node },
      settings: o, systems: specs.map((s) => ({ ...s, command: commands[s.id] ?? '' })), points }, null, 2) + '\n');
    writeFileSync(o.out.replace(/\.json$/, '') + '.md', md);
  }
  process.stdout.write(md);
}

function summarize(o: ReturnType<typeof parse>, specs: SystemSpec[], points: Point[], commands: Record<string, string>, wallS: number): string {
  const L = [`# Maximum throughput: ${o.workload}, p99 <= ${o.budgetUs} us against any p99`, '',
    `- Command: \`node dist/bench/peers/max-throughput.js ${process.argv.slice(2).join(' ')}\`; ${Math.round(wallS)} s`,
    `- Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}, Node ${process.versions.node}; the load generator shares these cores`,
    `- Closed loop at concurrency ${o.ladder.join(', ')}; ${o.durationS} s per point after ${o.warmupS} s warm-up; ${o.reps} repetitions, rotated`, '',
    '| system | max req/s with p99 within budget (at concurrency) | max req/s at any p99 (at concurrency, p99) | command |', '|---|---|---|---|'];
  for (const s of specs) {
    const within: (number | null)[] = [];
    const any: (number | null)[] = [];
    const where: string[] = [];
    for (let rep = 1; rep <= o.reps; rep++) {
      const ps = points.filter((p) => p.system === s.id && p.rep === rep);
      const b = bestPoint(ps, o.budgetUs);
      const a = bestPoint(ps);
      within.push(b?.requestsPerS ?? null);
      any.push(a?.requestsPerS ?? null);
      where.push(`${b ? `c${b.concurrency}` : '-'}/${a ? `c${a.concurrency} ${fmt(a.p99Us / 1000, 1)} ms` : '-'}`);
    }
    const sw = spread(within);
    const sa = spread(any);
    L.push(`| ${s.id} | ${sw ? `${fmt(sw.median)} [${fmt(sw.min)}, ${fmt(sw.max)}]` : 'none'} | ${sa ? `${fmt(sa.median)} [${fmt(sa.min)}, ${fmt(sa.max)}]` : '-'} (${where.join('; ')}) | \`${commands[s.id] ?? ''}\` |`);
  }
  const gateways = specs.filter((s) => s.kind !== 'peer');
  const peers = specs.filter((s) => s.kind === 'peer');
  if (gateways.length > 0 && peers.length > 0) {
    L.push('', `Ratios per repetition (gateway's maximum within the budget / the stronger raw peer's maximum at any p99 in that repetition), median [min, max]:`, '');
    for (const g of gateways) {
      const ratios: (number | null)[] = [];
      for (let rep = 1; rep <= o.reps; rep++) {
        const gw = bestPoint(points.filter((p) => p.system === g.id && p.rep === rep), o.budgetUs);
        const peer = Math.max(0, ...peers.map((s) => bestPoint(points.filter((p) => p.system === s.id && p.rep === rep))?.requestsPerS ?? 0));
        ratios.push(gw && peer > 0 ? gw.requestsPerS / peer : null);
      }
      const r = spread(ratios);
      L.push(`- ${g.id}: ${r ? `**${r.median.toFixed(2)}x** [${r.min.toFixed(2)}, ${r.max.toFixed(2)}]` : 'no point within the budget'}`);
    }
  }
  return L.join('\n') + '\n';
}

main().catch((e: unknown) => {
  console.error(`max-throughput: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
