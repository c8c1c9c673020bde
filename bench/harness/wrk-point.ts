// One bench point driven by wrk (Debian package `wrk`) instead of the project's load generator:
// a second, independent client for the headlines. The body is the first template of the seeded
// workload, encoded as the load generator would (FlatBuffers for the gateway, raw float32 for
// the raw-body peer). The server side is measured the same way as the load generator does: its
// /proc CPU time over the run and the /metrics delta (batch sizes), so the efficiency figures
// of the two clients are comparable.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWrkDuration } from './cross-check.js';
import { cpuShare, cpuSnapshot } from '../loadgen/cpu-sample.js';
import { scrapeMetrics, serverDelta } from '../loadgen/metrics-scrape.js';
import { encodeHttpTemplates } from '../loadgen/request-bytes.js';
import { efficiencyOf, type Efficiency } from '../loadgen/result.js';
import { makeWorkload, type WorkloadName } from '../loadgen/workload.js';

export interface WrkPoint {
  command: string;
  requestsPerS: number;
  rowsPerS: number;
  p50Us: number | null;
  p99Us: number | null;
  /** Non-2xx answers and socket errors. */
  errors: number;
  efficiency: Efficiency;
}

export interface WrkPointOptions {
  tmp: string;
  url: string;
  model: string;
  protocol: 'flatbuffers' | 'raw';
  workload: WorkloadName;
  seed: number;
  connections: number;
  durationS: number;
  serverPid: number;
}

/** Requests, p50 / p99, errors from wrk --latency's text. */
export function parseWrkRun(out: string): { requests: number; requestsPerS: number; p50Us: number | null; p99Us: number | null; errors: number } {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !total) throw new Error(`wrk output has no request count:\n${out}`);
  const pct = (p: string): number | null => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? parseWrkDuration(m[1]!) : null;
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(non2xx?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { requests: Number(total[1]), requestsPerS: Number(rps[1]), p50Us: pct('50'), p99Us: pct('99'), errors };
}

export async function runWrkPoint(o: WrkPointOptions): Promise<WrkPoint> {
  const features = 128;
  const t = makeWorkload(o.workload, features, o.seed).templates[0]!;
  const host = new URL(o.url).host;
  const [req] = await encodeHttpTemplates(o.protocol, { host, model: o.model, inputName: 'features', features }, [t]);
  const split = req!.indexOf('\r\n\r\n');
  const head = req!.subarray(0, split).toString('latin1');
  const path = head.split(' ')[1]!;
  const contentType = /Content-Type: (.*)/i.exec(head)![1]!.trim();
  const bodyFile = join(o.tmp, `wrk-${o.workload}.bin`);
  const script = join(o.tmp, `wrk-${o.protocol}.lua`);
  writeFileSync(bodyFile, req!.subarray(split + 4));
  writeFileSync(script, `local f = io.open(${JSON.stringify(bodyFile)}, "rb")\nwrk.method = "POST"\nwrk.body = f:read("*all")\nf:close()\n` +
    `wrk.headers["Content-Type"] = ${JSON.stringify(contentType)}\n`);
  const args = ['-t1', `-c${o.connections}`, `-d${o.durationS}s`, '--latency', '-s', script, `${o.url}${path}`];
  const before = await scrapeMetrics(o.url);
  const cpu0 = cpuSnapshot(o.serverPid);
  const out = await new Promise<string>((resolve, reject) => {
    execFile('wrk', args, { timeout: (o.durationS + 30) * 1000 }, (e, stdout) => (e ? reject(new Error(`wrk failed: ${e.message}`)) : resolve(stdout)));
  });
  const cpu = cpuShare(cpu0, cpuSnapshot(o.serverPid));
  const after = before ? await scrapeMetrics(o.url) : null;
  const r = parseWrkRun(out);
  const server = before && after ? serverDelta(before, after, o.model) : null;
  const answered = Math.max(0, r.requests - r.errors);
  return {
    command: `wrk ${args.join(' ')}`, requestsPerS: r.requestsPerS, rowsPerS: r.requestsPerS * t.rows, p50Us: r.p50Us, p99Us: r.p99Us, errors: r.errors,
    efficiency: efficiencyOf(cpu.serverCpuS, answered, answered * t.rows, server, cpu.serverCpuByThreadS),
  };
}
