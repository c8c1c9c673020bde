// Overload (npm run overload): the gateway's capacity for --workload (default k200: the load
// generator must be able to send twice what the server answers, and on a small machine it
// cannot for K=1) over WebSocket (closed loop, 32 in flight, 5 s), then an open loop at --factor (default 2) x that rate for --seconds (default 60)
// with the server's RSS sampled every second; reports what was shed (503 + Retry-After), the p99
// of what was admitted, RSS, and the recovery time: from the end of the overload until 20
// requests in a row answer 200 within 2x the unloaded p50 (or 2 ms). Writes
// bench/results/overload-<date>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { runLoadgen, startGateway } from '../harness/processes.js';
import { machineNote, rssOf } from './machine.js';
import { postHead, RawClient } from './raw-http.js';
import type { LoadResult } from '../loadgen/result.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

async function main(): Promise<number> {
  const seconds = arg('seconds', 60);
  const factor = arg('factor', 2);
  const wi = process.argv.indexOf('--workload');
  const workload = wi < 0 ? 'k200' : process.argv[wi + 1]!;
  const repo = mkdtempSync(join(tmpdir(), 'infergate-overload-'));
  const tmp = mkdtempSync(join(tmpdir(), 'infergate-overload-out-'));
  mkdirSync(join(repo, 'ranker', '1'), { recursive: true });
  writeFileSync(join(repo, 'ranker', '1', 'model.onnx'), buildRanker());
  writeFileSync(join(repo, 'ranker', 'config.json'), JSON.stringify({ max_batch_size: 1024 }));
  const gw = await startGateway(ROOT, repo, 'ranker', ['--log-level', 'warn']);
  const pid = gw.proc.pid!;
  const port = Number(new URL(gw.url).port);
  // WebSocket: many requests in flight per connection, so the open loop's backlog reaches the
  // server's queue (and its shedding) instead of waiting in the load generator for a socket.
  const common = ['--url', gw.url, '--protocol', 'ws', '--workload', workload, '--server-pid', String(pid)];
  try {
    const rssIdle = (await rssOf(pid)) / 2 ** 20;
    const unloaded: LoadResult = await runLoadgen(ROOT, [...common, '--mode', 'closed', '--concurrency', '1', '--duration-s', '3', '--warmup-s', '1'], join(tmp, 'unloaded.json'), 60_000);
    const capacity: LoadResult = await runLoadgen(ROOT, [...common, '--mode', 'closed', '--concurrency', '32', '--duration-s', '5', '--warmup-s', '1'], join(tmp, 'capacity.json'), 60_000);
    const rate = Math.round(capacity.throughput.requestsPerS * factor);
    const samples: { t: number; rssMiB: number }[] = [];
    let done = false;
    const t0 = Date.now();
    const sampler = (async () => {
      while (!done) {
        samples.push({ t: (Date.now() - t0) / 1000, rssMiB: (await rssOf(pid)) / 2 ** 20 });
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const over: LoadResult = await runLoadgen(ROOT, [...common, '--mode', 'open', '--rate', String(rate), '--connections', '8', '--duration-s', String(seconds),
      '--warmup-s', '0', '--timeout-ms', '10000'], join(tmp, 'over.json'), (seconds + 90) * 1000);
    // Recovery: sequential JSON K=1 requests from the moment the overload ended.
    const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: new Array(128).fill(0.5) }] }));
    const limitMs = Math.max(2, 2 * unloaded.latencyUs.p50 / 1000);
    const c = await RawClient.open(port);
    const r0 = performance.now();
    let streak = 0;
    let recoveryMs = NaN;
    while (performance.now() - r0 < 60_000) {
      const t = performance.now();
      const r = await c.request(postHead('/v2/models/ranker/infer', body.length, { 'Content-Type': 'application/json' }), body, 10_000);
      streak = r.status === 200 && performance.now() - t <= limitMs ? streak + 1 : 0;
      if (streak === 20) {
        recoveryMs = performance.now() - r0;
        break;
      }
    }
    c.close();
    done = true;
    await sampler;
    const rssAfter = (await rssOf(pid)) / 2 ** 20;
    const shed = over.counts.errorsByStatus['503'] ?? 0;
    const result = {
      kind: 'overload', date: new Date().toISOString(), machine: machineNote(), command: process.argv.slice(1).join(' '),
      unloaded: { p50Us: unloaded.latencyUs.p50, p99Us: unloaded.latencyUs.p99 },
      capacity: { requestsPerS: Math.round(capacity.throughput.requestsPerS), p99Us: capacity.latencyUs.p99, meanBatchRows: capacity.server?.batchSize?.meanRows ?? null },
      overload: {
        factor, workload, intendedRate: rate, seconds, sent: over.counts.sent, answered: over.counts.answered, shed503: shed,
        errorsByStatus: over.counts.errorsByStatus, answeredPerS: Math.round(over.throughput.requestsPerS),
        p50Us: over.latencyUs.p50, p99Us: over.latencyUs.p99, serviceP99Us: over.serviceLatencyUs?.p99 ?? null,
        serverCpuPercent: over.loadgen.serverCpuPercent, meanBatchRows: over.server?.batchSize?.meanRows ?? null,
      },
      rssMiB: { idle: rssIdle, peakDuringOverload: Math.max(...samples.map((s) => s.rssMiB)), after: rssAfter, samples },
      recovery: { limitMs, recoveryMs },
    };
    const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : `bench/results/overload-${new Date().toISOString().slice(0, 10)}.json`;
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`capacity ${result.capacity.requestsPerS} req/s; at ${rate} req/s for ${seconds} s: answered ${result.overload.answeredPerS} req/s, shed ${shed}, ` +
      `p99 ${(over.latencyUs.p99 / 1000).toFixed(1)} ms; RSS ${rssIdle.toFixed(0)} -> peak ${result.rssMiB.peakDuringOverload.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB; ` +
      `recovered in ${recoveryMs.toFixed(0)} ms; wrote ${out}`);
    return Number.isFinite(recoveryMs) ? 0 : 1;
  } finally {
    await gw.stop();
    rmSync(repo, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then((c) => process.exit(c), (e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(2);
});
