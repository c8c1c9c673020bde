// Bench (npm run bench:json-stall): the event loop while hostile JSON is processed, against a
// gateway in its own process (node bin/infergate.js serve), and the small-JSON A/B.
//  1. Health: a 64 MB body of `{}` and a body of one million BYTES strings, each sent `--reps`
//     times; /v2/health/live is probed every 1 ms on its own connection throughout. Reports the
//     probes' p50/p99/max (target: max <= 10 ms) and the server's RSS before, peak, after.
//  2. A/B: K=1 JSON closed loop (loadgen, 4 in flight) against this tree (B) and a baseline
//     tree (A, --baseline DIR, default /work/main), interleaved, `--ab-reps` runs each; the
//     ratio B/A of requests per second as the median of the runs with min/max, with the
//     server CPU per request and the batch sizes formed.
// Writes bench/results/json-stall-<date>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { runLoadgen, startGateway, type ServerHandle } from '../harness/processes.js';
import { machineNote, rssOf } from './machine.js';
import { millionStringsBody, objectsBody, postHead, probeHealth, quantile, RawClient } from './raw-http.js';
import type { LoadResult } from '../loadgen/result.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MIB = 1024 * 1024;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1]!;
}

async function hostileRun(gw: ServerHandle, port: number, body: Buffer): Promise<Record<string, number>> {
  const pid = gw.proc.pid!;
  const rss0 = await rssOf(pid);
  let peak = rss0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, await rssOf(pid));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const probe = probeHealth(port, () => done, 1);
  const c = await RawClient.open(port);
  const t0 = performance.now();
  const r = await c.request(postHead('/v2/models/ranker/infer', body.length, { 'Content-Type': 'application/json' }), body, 120_000);
  const answerMs = performance.now() - t0;
  done = true;
  const health = await probe;
  await sampler;
  c.close();
  await new Promise((res) => setTimeout(res, 1000));
  return {
    status: r.status, answerMs, probes: health.length,
    healthP50Ms: quantile(health, 0.5), healthP99Ms: quantile(health, 0.99), healthMaxMs: Math.max(...health),
    rssBeforeMiB: rss0 / MIB, rssPeakMiB: peak / MIB, rssAfterMiB: (await rssOf(pid)) / MIB,
    rssPeakOverBody: (peak - rss0) / body.length,
  };
}

async function abRun(root: string, repo: string, label: string, out: string): Promise<LoadResult> {
  const gw = await startGateway(root, repo, 'ranker', ['--workers', '1', '--log-level', 'warn']);
  try {
    return await runLoadgen(ROOT, ['--url', gw.url, '--protocol', 'json', '--workload', 'k1', '--mode', 'closed', '--concurrency', '4',
      '--duration-s', arg('ab-seconds', '5'), '--warmup-s', '1', '--label', label, '--server-pid', String(gw.proc.pid)], out, 60_000);
  } finally {
    await gw.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const reps = Number(arg('reps', '3'));
  const abReps = Number(arg('ab-reps', '5'));
  const baseline = arg('baseline', '/work/main');
  const repo = mkdtempSync(join(tmpdir(), 'infergate-stall-'));
  mkdirSync(join(repo, 'ranker', '1'), { recursive: true });
  writeFileSync(join(repo, 'ranker', '1', 'model.onnx'), buildRanker());
  writeFileSync(join(repo, 'ranker', 'config.json'), JSON.stringify({ max_batch_size: 64 }));
  const result: Record<string, unknown> = { kind: 'json-stall', date: new Date().toISOString(), machine: machineNote(), command: process.argv.slice(1).join(' ') };
  try {
    const gw = await startGateway(ROOT, repo, 'ranker', ['--workers', '1', '--log-level', 'warn', '--max-body-bytes', '96MiB']);
    const port = Number(new URL(gw.url).port);
    try {
      const bodies: [string, Buffer][] = [['objects-64MiB', objectsBody(64 * MIB)], ['million-bytes-strings', millionStringsBody()]];
      const runs: Record<string, unknown[]> = {};
      for (const [name, body] of bodies) {
        runs[name] = [];
        for (let i = 0; i < reps; i++) {
          const r = await hostileRun(gw, port, body);
          runs[name]!.push({ bodyMiB: body.length / MIB, ...r });
          console.log(`${name}: status ${r.status}, answer ${r.answerMs!.toFixed(0)} ms, health max ${r.healthMaxMs!.toFixed(2)} ms (p99 ${r.healthP99Ms!.toFixed(2)}), RSS peak +${((r.rssPeakMiB! - r.rssBeforeMiB!)).toFixed(0)} MiB`);
        }
      }
      result.hostile = runs;
    } finally {
      await gw.stop();
    }
    if (abReps > 0) {
      const a: LoadResult[] = [];
      const b: LoadResult[] = [];
      const tmp = mkdtempSync(join(tmpdir(), 'infergate-ab-'));
      for (let i = 0; i < abReps; i++) {
        a.push(await abRun(baseline, repo, 'A-baseline', join(tmp, `a${i}.json`)));
        b.push(await abRun(ROOT, repo, 'B-this', join(tmp, `b${i}.json`)));
        const ratio = b[i]!.throughput.requestsPerS / a[i]!.throughput.requestsPerS;
        console.log(`A/B run ${i}: A ${a[i]!.throughput.requestsPerS.toFixed(0)} req/s, B ${b[i]!.throughput.requestsPerS.toFixed(0)} req/s, B/A ${ratio.toFixed(3)}`);
      }
      const ratios = a.map((x, i) => b[i]!.throughput.requestsPerS / x.throughput.requestsPerS);
      const summary = (rs: LoadResult[]) => ({
        requestsPerS: rs.map((r) => Math.round(r.throughput.requestsPerS)),
        p50Us: rs.map((r) => r.latencyUs.p50), p99Us: rs.map((r) => r.latencyUs.p99),
        serverCpuUsPerRequest: rs.map((r) => r.loadgen.serverCpuPercent === null ? null
          : Math.round((r.loadgen.serverCpuPercent / 100) * 1e6 / r.throughput.requestsPerS)),
        meanBatchRows: rs.map((r) => r.server?.batchSize?.meanRows ?? null),
      });
      result.ab = {
        workload: 'K=1 JSON, closed loop, 4 in flight, 1 worker', baseline, A: summary(a), B: summary(b),
        ratioBOverA: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
      };
      console.log(`A/B: B/A median ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`);
      rmSync(tmp, { recursive: true, force: true });
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
  const out = arg('out', `bench/results/json-stall-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
