// Soak (npm run soak): mixed load for --minutes (default 10) against the gateway in its own
// process, RSS sampled every second; after --warmup-s the samples are fitted with a line
// (rss-trend.ts: slope, spread, residual) and judged by "no new highs" in the last third. The same load then runs for the same time against the
// negative control (bench/peers/leaky-gateway.ts, which leaks on purpose): the run passes only
// when the gateway passes the check AND the control fails it. Load: three load generators at
// once (FlatBuffers mixed K closed loop, JSON K=1 open loop, WebSocket K=1 open loop).
// Writes bench/results/soak-<date>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { runLoadgen, startGateway, startPeer, type ServerHandle } from '../harness/processes.js';
import { machineNote, rssOf } from './machine.js';
import { rssTrend, type RssSample } from './rss-trend.js';
import type { LoadResult } from '../loadgen/result.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

async function soak(server: ServerHandle, seconds: number, tmp: string, tag: string): Promise<{ samples: RssSample[]; loads: LoadResult[] }> {
  const pid = server.proc.pid!;
  const samples: RssSample[] = [];
  const t0 = Date.now();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      try {
        samples.push({ t: (Date.now() - t0) / 1000, rssMiB: (await rssOf(pid)) / 2 ** 20 });
      } catch {
        break; // the server is gone: the loads will say so
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  const common = ['--url', server.url, '--duration-s', String(seconds), '--warmup-s', '0', '--timeout-ms', '5000'];
  const loads = await Promise.all([
    runLoadgen(ROOT, [...common, '--protocol', 'flatbuffers', '--workload', 'mixed', '--mode', 'closed', '--concurrency', '2'], join(tmp, `${tag}-fb.json`), (seconds + 60) * 1000),
    runLoadgen(ROOT, [...common, '--protocol', 'json', '--workload', 'k1', '--mode', 'open', '--rate', '100', '--seed', '2'], join(tmp, `${tag}-json.json`), (seconds + 60) * 1000),
    runLoadgen(ROOT, [...common, '--protocol', 'ws', '--workload', 'k1', '--mode', 'open', '--rate', '100', '--seed', '3'], join(tmp, `${tag}-ws.json`), (seconds + 60) * 1000),
  ]);
  done = true;
  await sampler;
  return { samples, loads };
}

const loadSummary = (l: LoadResult) => ({
  protocol: l.options.protocol, workload: l.options.workload, mode: l.options.mode, requestsPerS: Math.round(l.throughput.requestsPerS),
  answered: l.counts.answered, errors: l.counts.errors, errorsByStatus: l.counts.errorsByStatus, p99Us: l.latencyUs.p99,
});

async function main(): Promise<number> {
  const seconds = Math.round(arg('minutes', 10) * 60);
  const warmupS = arg('warmup-s', Math.min(60, Math.round(seconds / 5)));
  const maxSlope = arg('max-slope-mib-per-min', 4);
  const repo = mkdtempSync(join(tmpdir(), 'infergate-soak-'));
  const tmp = mkdtempSync(join(tmpdir(), 'infergate-soak-out-'));
  mkdirSync(join(repo, 'ranker', '1'), { recursive: true });
  writeFileSync(join(repo, 'ranker', '1', 'model.onnx'), buildRanker());
  writeFileSync(join(repo, 'ranker', 'config.json'), JSON.stringify({ max_batch_size: 1024 }));
  try {
    const gw = await startGateway(ROOT, repo, 'ranker', ['--workers', '1', '--log-level', 'warn']);
    let gateway;
    try {
      gateway = await soak(gw, seconds, tmp, 'gateway');
    } finally {
      await gw.stop();
    }
    const leaky = await startPeer(ROOT, 'leaky-gateway.js', [repo]);
    let control;
    try {
      control = await soak(leaky, seconds, tmp, 'control');
    } finally {
      await leaky.stop();
    }
    const gTrend = rssTrend(gateway.samples, warmupS, maxSlope);
    const cTrend = rssTrend(control.samples, warmupS, maxSlope);
    const pass = gTrend.pass && !cTrend.pass && gateway.loads.every((l) => l.counts.answered > 0);
    const result = {
      kind: 'soak', date: new Date().toISOString(), machine: machineNote(), command: process.argv.slice(1).join(' '),
      seconds, warmupS, gateway: { trend: gTrend, loads: gateway.loads.map(loadSummary), samples: gateway.samples },
      negativeControl: { what: 'bench/peers/leaky-gateway.ts: the gateway plus a 37.5 MiB/min leak', trend: cTrend, loads: control.loads.map(loadSummary) },
      verdict: pass ? 'pass' : 'fail',
    };
    const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : `bench/results/soak-${new Date().toISOString().slice(0, 10)}.json`;
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`${result.verdict}: gateway slope ${gTrend.slopeMiBPerMin.toFixed(2)} MiB/min (spread ${gTrend.spreadMiB.toFixed(1)} MiB, ` +
      `new high ${gTrend.newHighMiB.toFixed(1)} of ${gTrend.allowedNewHighMiB.toFixed(1)} MiB), control slope ${cTrend.slopeMiBPerMin.toFixed(2)} MiB/min ` +
      `(new high ${cTrend.newHighMiB.toFixed(1)} MiB); wrote ${out}`);
    return pass ? 0 : 1;
  } finally {
    rmSync(repo, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then((c) => process.exit(c), (e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(2);
});
