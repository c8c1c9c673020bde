// `npm run bench:scale`: N infergate replicas behind HAProxy on this machine, driven by the
// bench's load generator through the proxy. Measures aggregate throughput for each N, then the
// failover: a replica killed (SIGKILL) or drained (SIGTERM) mid-run while the proxy retries the
// infers it cannot answer on another replica: requests lost, and the latency of the run.
//
//   node dist/bench/scale/scale-out.js [--replicas 1,2,4] [--concurrency 32] [--duration-s 5]
//     [--workers 1] [--repeat 3] [--install] [--out bench/results/DATE-scale-out]
//
// Every replica is `infergate serve` on the demo repository (models/) with --workers W and every
// kind of spinning off (idle spinners, quiet spin, spin in flight): N replicas share the cores,
// and a replica polling its event loop takes the CPU another needs. Each throughput point is the
// median of --repeat runs on one fleet, with min and max.
// On a machine with fewer cores than N x W the replicas compete for CPU: the figures then show
// the proxy's cost and the failover, not a scaling law. The report says how many cores ran it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runLoadgen, startGateway, type ServerHandle } from '../harness/processes.js';
import type { LoadResult } from '../loadgen/result.js';
import { ensureHaproxy, haproxyConfig, startHaproxy } from './haproxy.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const replicaCounts = flag('replicas', '1,2,4').split(',').map(Number);
const concurrency = Number(flag('concurrency', '32'));
const durationS = Number(flag('duration-s', '5'));
const workers = Number(flag('workers', '1'));
const repeat = Number(flag('repeat', '3'));
const REPLICA_ARGS = ['--workers', String(workers), '--idle-spin-threads', '0', '--quiet-spin-us', '0', '--spin-in-flight=false', '--log-level', 'warn'];
const date = new Date().toISOString().slice(0, 10);
const out = flag('out', join(root, 'bench/results', `${date}-scale-out`));
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const haproxy = ensureHaproxy(argv.includes('--install'), say);
const scratch = join(tmpdir(), `infergate-scale-${process.pid}`);
mkdirSync(scratch, { recursive: true });

async function withFleet<T>(n: number, run: (front: string, replicas: ServerHandle[]) => Promise<T>): Promise<T> {
  const replicas: ServerHandle[] = [];
  try {
    for (let i = 0; i < n; i++) {
      replicas.push(await startGateway(root, join(root, 'models'), 'ranker', REPLICA_ARGS));
    }
    const frontPort = await freePort();
    const ports = replicas.map((r) => Number(new URL(r.url).port));
    const proxy = await startHaproxy(haproxy, join(scratch, `haproxy-${n}.cfg`), haproxyConfig(frontPort, ports), frontPort);
    try {
      return await run(`http://127.0.0.1:${frontPort}`, replicas);
    } finally {
      await proxy.stop();
    }
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

const load = (url: string, label: string, seconds: number): Promise<LoadResult> => runLoadgen(root, [
  '--url', url, '--model', 'ranker', '--protocol', 'flatbuffers', '--workload', 'k1', '--mode', 'closed',
  '--concurrency', String(concurrency), '--duration-s', String(seconds), '--warmup-s', '1', '--no-metrics', '--label', label,
], join(scratch, `${label}.json`), (seconds + 60) * 1000);

interface Row {
  label: string; replicas: number; reqPerS: number; minReqPerS: number; maxReqPerS: number; runs: number;
  p50Us: number; p99Us: number; maxUs: number; sent: number; errors: number; errorsByStatus: Record<string, number>;
}
/** The median run by req/s (its latencies too), with the min and max req/s of all runs. */
const row = (label: string, replicas: number, runs: LoadResult[]): Row => {
  const sorted = [...runs].sort((a, b) => a.throughput.requestsPerS - b.throughput.requestsPerS);
  const r = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const errorsByStatus: Record<string, number> = {};
  for (const x of runs) for (const [k, v] of Object.entries(x.counts.errorsByStatus)) errorsByStatus[k] = (errorsByStatus[k] ?? 0) + v;
  return {
    label, replicas, reqPerS: Math.round(r.throughput.requestsPerS), minReqPerS: Math.round(sorted[0]!.throughput.requestsPerS),
    maxReqPerS: Math.round(sorted.at(-1)!.throughput.requestsPerS), runs: runs.length,
    p50Us: Math.round(r.latencyUs.p50), p99Us: Math.round(r.latencyUs.p99), maxUs: Math.round(Math.max(...runs.map((x) => x.latencyUs.max))),
    sent: runs.reduce((a, x) => a + x.counts.sent, 0), errors: runs.reduce((a, x) => a + x.counts.errors, 0), errorsByStatus,
  };
};

const rows: Row[] = [];
for (const n of replicaCounts) {
  say(`throughput: ${n} replica(s) x ${workers} worker(s) behind haproxy, K=1 FlatBuffers, ${concurrency} in flight, ${durationS} s`);
  rows.push(await withFleet(n, async (front) => {
    const runs: LoadResult[] = [];
    for (let i = 0; i < repeat; i++) runs.push(await load(front, `n${n}-${i}`, durationS));
    return row(`throughput N=${n}`, n, runs);
  }));
  say(`  ${JSON.stringify(rows.at(-1))}`);
}
// Failover: 2 replicas; one is stopped 1 s (warm-up) + 2 s into the run.
for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  say(`failover: 2 replicas, ${signal} to one 2 s into a ${durationS + 3} s run`);
  rows.push(await withFleet(2, async (front, replicas) => {
    const victim = replicas[0]!;
    const timer = setTimeout(() => victim.proc.kill(signal), 3000);
    try {
      return row(`failover ${signal}`, 2, [await load(front, `failover-${signal}`, durationS + 3)]);
    } finally {
      clearTimeout(timer);
    }
  }));
  say(`  ${JSON.stringify(rows.at(-1))}`);
}

const cores = availableParallelism();
const load1 = loadavg()[0]!.toFixed(1);
const md = [
  `# Scale-out behind HAProxy, ${date}`,
  '',
  `Command: \`node dist/bench/scale/scale-out.js ${argv.join(' ')}\` (npm run bench:scale). Machine: ${cores} cores shared by`,
  `every replica, HAProxy and the load generator (1-minute load average at the end: ${load1}), so N > 1 cannot add CPU:`,
  'the throughput rows show what the proxy and more processes cost on the same cores, not a scaling law.',
  `Replicas: \`infergate serve ${REPLICA_ARGS.join(' ')}\` on the demo repository (no spinning: the replicas share the cores). HAProxy 2.6: leastconn,`,
  'health checks on /v2/health/ready (HTTP/1.1), retries 2 with redispatch, retry-on conn-failure empty-response 503,',
  `request bodies buffered. Load: the bench load generator, K=1 FlatBuffers, closed loop, ${concurrency} in flight, 1 s warm-up.`,
  '',
  `Throughput rows: the median of ${repeat} runs of ${durationS} s on one fleet (req/s min-max beside it; p50 and p99 of the median run).`,
  '',
  '| run | replicas | req/s (median) | min-max | p50 us | p99 us | max us | sent | errors (lost) |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${r.replicas} | ${r.reqPerS} | ${r.minReqPerS}-${r.maxReqPerS} | ${r.p50Us} | ${r.p99Us} | ${r.maxUs} | ${r.sent} | ${r.errors}${r.errors ? ` ${JSON.stringify(r.errorsByStatus)}` : ''} |`),
  '',
  'Failover rows: one of the two replicas is killed (SIGKILL) or drained (SIGTERM) 2 s into the measured window;',
  'p99 and max are over the whole run, failover included. "errors" are requests the load generator got no 200 for.',
  '',
].join('\n');
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(`${out}.md`, md);
writeFileSync(`${out}.json`, JSON.stringify({ date, cores, workers, concurrency, durationS, repeat, replicaArgs: REPLICA_ARGS, rows }, null, 2) + '\n');
say(md);
say(`written: ${out}.md, ${out}.json`);
