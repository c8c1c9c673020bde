// Bench (npm run bench:json-stall): the event loop while hostile JSON is processed, against a
// gateway in its own process (node bin/infergate.js serve), and the small-JSON A/B.
//  1. Health: a 64 MB body of `{}` and a body of one million BYTES strings, each sent `--reps`
//     times; /v2/health/live is probed on its own connection from a process of its own
//     (health-prober.ts), the next probe 1 ms (--probe-interval-ms) after each answer, so a
//     stall longer than about 1.2 ms is seen by some probe. Reports, over the probes that were
//     waiting between the body's first byte and its answer, their count and p50/p99/max
//     (target: max <= 10 ms), and the server's RSS before, peak, after. --client-nice N sends
//     at nice N (a remote client's CPU is not the server's; setting it back needs root). With --hostile-ab the
//     baseline tree (A, --baseline) gets the same bodies, interleaved with this tree's runs.
//  2. A/B: K=1 JSON closed loop (loadgen, 4 in flight) against this tree (B) and a baseline
//     tree (A, --baseline DIR, default /work/main), interleaved, `--ab-reps` runs each; the
//     ratio B/A of requests per second as the median of the runs with min/max, with the
//     server CPU per request and the batch sizes formed.
// Writes bench/results/json-stall-<date>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { runLoadgen, startGateway, type ServerHandle } from '../harness/processes.js';
import { machineNote, rssOf } from './machine.js';
import { millionStringsBody, objectsBody, postHead, quantile, RawClient } from './raw-http.js';
import type { LoadResult } from '../loadgen/result.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MIB = 1024 * 1024;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1]!;
}

/** Starts health-prober.js against `port`; stop() ends it and returns its probes. */
async function startProber(port: number, intervalMs: number): Promise<{ stop(): Promise<[number, number][]> }> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/bench/hostile/health-prober.js'), String(port), String(intervalMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  await new Promise<void>((resolve, reject) => {
    proc.stderr.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`health prober exited (${code})`)));
  });
  await new Promise((r) => setTimeout(r, 100)); // probing at its pace before the body
  return {
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      return (JSON.parse(out) as [number, number][]).map(([t, ms]) => [t, ms < 0 ? Infinity : ms]);
    },
  };
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
  const intervalMs = Number(arg('probe-interval-ms', '1'));
  const prober = await startProber(port, intervalMs);
  // --client-nice N: this thread (the hostile sender) runs at nice N while it sends, after the
  // prober was started at the bench's own priority. On a 2-core machine the sender's CPU is the
  // server's; a hostile client elsewhere on the network costs the server none of it.
  const clientNice = Number(arg('client-nice', '0'));
  if (clientNice !== 0) setPriority(0, clientNice);
  const c = await RawClient.open(port);
  const sendEpochMs = performance.timeOrigin + performance.now();
  const r = await c.request(postHead('/v2/models/ranker/infer', body.length, { 'Content-Type': 'application/json' }), body, 120_000);
  const answerMs = performance.timeOrigin + performance.now() - sendEpochMs;
  if (clientNice !== 0) setPriority(0, 0); // back (as root) before the next prober is spawned
  done = true;
  await new Promise((res) => setTimeout(res, 20));
  const probes = await prober.stop();
  await sampler;
  c.close();
  // The probes that were waiting at any time between the body's first byte and its answer.
  const health = probes.filter(([t, ms]) => t + ms >= sendEpochMs && t <= sendEpochMs + answerMs).map(([, ms]) => ms);
  await new Promise((res) => setTimeout(res, 1000));
  return {
    status: r.status, answerMs, probes: health.length, probeIntervalMs: intervalMs,
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
    // --hostile-ab: the same bodies against the baseline tree (A) too, interleaved run by run,
    // so that the machine's load falls on both alike.
    const trees: [string, string][] = process.argv.includes('--hostile-ab') ? [['A', baseline], ['B', ROOT]] : [['B', ROOT]];
    const gws = new Map<string, ServerHandle>();
    try {
      for (const [label, root] of trees) gws.set(label, await startGateway(root, repo, 'ranker', ['--workers', '1', '--log-level', 'warn', '--max-body-bytes', '96MiB']));
      const bodies: [string, Buffer][] = [['objects-64MiB', objectsBody(64 * MIB)], ['million-bytes-strings', millionStringsBody()]];
      const runs: Record<string, Record<string, unknown[]>> = {};
      for (const [label] of trees) runs[label] = {};
      for (const [name, body] of bodies) {
        for (let i = 0; i < reps; i++) {
          const order = i % 2 === 0 ? trees : [...trees].reverse();
          for (const [label] of order) {
            const gw = gws.get(label)!;
            const r = await hostileRun(gw, Number(new URL(gw.url).port), body);
            (runs[label]![name] ??= []).push({ bodyMiB: body.length / MIB, ...r });
            console.log(`${label} ${name}: status ${r.status}, answer ${r.answerMs!.toFixed(0)} ms, ${r.probes} probes, health max ${r.healthMaxMs!.toFixed(2)} ms (p99 ${r.healthP99Ms!.toFixed(2)}), RSS peak +${((r.rssPeakMiB! - r.rssBeforeMiB!)).toFixed(0)} MiB, load ${loadavg()[0]!.toFixed(2)}`);
          }
        }
      }
      result.hostile = runs['B'];
      if (runs['A']) result.hostileBaseline = { tree: baseline, runs: runs['A'] };
    } finally {
      for (const gw of gws.values()) await gw.stop();
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
