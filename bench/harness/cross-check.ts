// Cross-checks the load generator against wrk (Debian package `wrk`) on the same endpoint: the
// raw-body peer, K=1, same connections and duration. wrk is optional: absent, the suite says so.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkload } from '../loadgen/workload.js';
import { runLoadgen } from './processes.js';
import type { CrossCheck } from '../report/results.js';

export function findWrk(): Promise<string | null> {
  // `wrk --version` exits 1 after printing its banner: only a missing binary (ENOENT) counts.
  return new Promise((resolve) => execFile('wrk', ['--version'], (e) => {
    resolve(e && (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'wrk');
  }));
}

/** "50%  114.00us" / "1.62ms" -> microseconds. */
export function parseWrkDuration(text: string): number | null {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return null;
  const v = Number(m[1]);
  return m[2] === 'us' ? v : m[2] === 'ms' ? v * 1000 : v * 1e6;
}

export function parseWrkOutput(out: string): { requestsPerS: number; p50Us: number | null } {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out);
  if (!rps) throw new Error(`wrk output has no Requests/sec line:\n${out}`);
  return { requestsPerS: Number(rps[1]), p50Us: p50 ? parseWrkDuration(p50[1]!) : null };
}

/** Runs wrk against POST {url}/infer with the first K=1 template of `seed` as the body. */
export function runWrk(tmpDir: string, url: string, features: number, seed: number, connections: number, durationS: number): Promise<{ command: string; requestsPerS: number; p50Us: number | null }> {
  const t = makeWorkload('k1', features, seed).templates[0]!;
  const bodyFile = join(tmpDir, 'wrk-k1.bin');
  const script = join(tmpDir, 'wrk-raw.lua');
  writeFileSync(bodyFile, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileSync(script, `local f = io.open(${JSON.stringify(bodyFile)}, "rb")\nwrk.method = "POST"\nwrk.body = f:read("*all")\nf:close()\nwrk.headers["Content-Type"] = "application/octet-stream"\n`);
  const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', '-s', script, `${url}/infer`];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (durationS + 30) * 1000 }, (e, stdout) => {
      if (e) return reject(new Error(`wrk failed: ${e.message}`));
      try {
        resolve({ command: `wrk ${args.join(' ')}`, ...parseWrkOutput(stdout) });
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

export function crossCheckEntry(command: string, target: string, wrk: { requestsPerS: number; p50Us: number | null }, ours: { requestsPerS: number; p50Us: number }): CrossCheck {
  return {
    tool: 'wrk', command, target,
    toolRequestsPerS: wrk.requestsPerS, loadgenRequestsPerS: ours.requestsPerS,
    difference: ours.requestsPerS / wrk.requestsPerS - 1,
    toolP50Us: wrk.p50Us, loadgenP50Us: ours.p50Us,
  };
}

/**
 * wrk and the load generator, alternately, twice each, on the raw peer (K=1, 8 connections);
 * compares the best run of each (the machine is shared and noisy: a single pair can differ by
 * more than the tools do). Null when wrk is not installed.
 */
export async function crossCheckWithWrk(root: string, tmpDir: string, url: string, seed: number, durationS: number, warmupS: number, timeoutMs: number): Promise<CrossCheck | null> {
  if (!(await findWrk())) return null;
  const conns = 8;
  let wrk: Awaited<ReturnType<typeof runWrk>> | null = null;
  let ours: { requestsPerS: number; p50Us: number } | null = null;
  for (let round = 0; round < 2; round++) {
    const w = await runWrk(tmpDir, url, 128, seed, conns, durationS);
    if (!wrk || w.requestsPerS > wrk.requestsPerS) wrk = w;
    const l = await runLoadgen(root, ['--url', url, '--protocol', 'raw', '--workload', 'k1', '--concurrency', String(conns),
      '--duration-s', String(durationS), '--warmup-s', String(warmupS), '--seed', String(seed), '--no-metrics'], join(tmpDir, 'cross.json'), timeoutMs);
    if (!ours || l.throughput.requestsPerS > ours.requestsPerS) ours = { requestsPerS: l.throughput.requestsPerS, p50Us: l.latencyUs.p50 };
  }
  return crossCheckEntry(wrk!.command.replace(tmpDir, '$TMP'), `raw-peer K=1, ${conns} connections, best of 2 alternating runs each`, wrk!, ours!);
}
