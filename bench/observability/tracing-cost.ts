// What tracing costs on the hot path: K=1 FlatBuffers throughput and server CPU per request with
// tracing off, on with nothing sampled (0%), on at 10% sampling (parentbased_traceidratio 0.1: the load generator sends no
// traceparent, so each request is a root span sampled at 10%) and on at 100%, spans exported to
// a local OTLP/HTTP receiver that discards them. Each setting gets a fresh gateway per run; the
// settings alternate, --repeat times; each run is compared with the "off" run of its round
// (throughput ratio, and server CPU per request ratio, which is steadier on a shared machine),
// reported as medians with min and max.
// --server-cpus LIST pins the gateway (every thread) with taskset; --loadgen-cpus LIST pins this
// process, and so the load generator and the OTLP receiver, to others; pinned, the gateway runs
// one worker per CPU it has (--workers N to choose).
//   node dist/bench/observability/tracing-cost.js [--repeat 5] [--duration-s 4] [--warmup-s 8] [--concurrency 8]
//     [--server-cpus 0 --loadgen-cpus 1] [--workers N] [--no-spin] [--calls 20000]
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoadgen, startGateway } from '../harness/processes.js';
import { tracingFromEnv } from '../../src/observability/tracing.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const repeat = Number(flag('repeat', '5'));
const serverCpus = flag('server-cpus', '');
const loadgenCpus = flag('loadgen-cpus', '');
// Pinned, the gateway gets one worker per CPU it may use (its default counts the machine's).
const cpuCount = (list: string): number => list.split(',').reduce((n, part) => {
  const [a, b] = part.split('-').map(Number);
  return n + (b === undefined ? 1 : b - a! + 1);
}, 0);
const workers = flag('workers', serverCpus !== '' ? String(cpuCount(serverCpus)) : '');
// The HTTP thread polls while a small batch is in flight (--spin-in-flight, docs/decisions/005):
// CPU spent by time, not by request, so CPU/req then rises whenever throughput falls. --no-spin
// turns it off, for a CPU/req that counts work.
const noSpin = argv.includes('--no-spin');
if (loadgenCpus !== '') execFileSync('taskset', ['-a', '-p', '-c', loadgenCpus, String(process.pid)], { stdio: 'ignore' });
const durationS = Number(flag('duration-s', '4'));
// A fresh gateway compiles the tracing and export code in its first seconds (V8's background
// compiler threads): with a 1 s warm-up that transient read as a 30-40% CPU/req cost of
// tracing at 10% and 100% alike; after 8 s it is gone.
const warmupS = Number(flag('warmup-s', '8'));
const concurrency = Number(flag('concurrency', '8'));

let spans = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => { spans++; res.end('{}'); });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const SETTINGS: Record<string, Record<string, string>> = {
  off: {},
  // On, but nothing sampled: the fixed cost of a span decision per request, no export.
  'on, 0%': { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
  'on, 10%': { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  'on, 100%': { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
};
const results = new Map<string, { reqPerS: number; cpuUsPerReq: number; p99Us: number }[]>();
const saved = { ...process.env };
for (let i = 0; i < repeat; i++) {
  for (const [name, env] of Object.entries(SETTINGS)) {
    // The gateway child inherits this environment.
    for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_')) delete process.env[k];
    Object.assign(process.env, env);
    const gw = await startGateway(root, join(root, 'models'), 'ranker', ['--log-level', 'warn', ...(workers !== '' ? ['--workers', workers] : []), ...(noSpin ? ['--no-spin-in-flight'] : [])]);
    try {
      if (serverCpus !== '') execFileSync('taskset', ['-a', '-p', '-c', serverCpus, String(gw.proc.pid)], { stdio: 'ignore' });
      const r = await runLoadgen(root, ['--url', gw.url, '--protocol', 'flatbuffers', '--workload', 'k1', '--concurrency', String(concurrency),
        '--duration-s', String(durationS), '--warmup-s', String(warmupS), '--no-metrics', '--server-pid', String(gw.proc.pid)], join(tmpdir(), `ig-trace-${process.pid}.json`), (durationS + warmupS + 60) * 1000);
      const cpu = r.loadgen.serverCpuPercent ?? NaN;
      const row = { reqPerS: r.throughput.requestsPerS, cpuUsPerReq: (cpu / 100) * 1e6 / r.throughput.requestsPerS, p99Us: r.latencyUs.p99 };
      (results.get(name) ?? results.set(name, []).get(name)!).push(row);
      process.stdout.write(`${name} run ${i + 1}: ${Math.round(row.reqPerS)} req/s, ${row.cpuUsPerReq.toFixed(1)} us CPU/req, p99 ${Math.round(row.p99Us)} us\n`);
    } finally {
      await gw.stop();
    }
  }
}
process.env = saved;

// Tracing's own CPU per request, in this process (steadier than the end-to-end difference):
// startRequest + end as the gateway calls them, and for sampled spans the batch processor, OTLP
// JSON serialisation and the posts to the receiver (flushed by shutdown), from process.cpuUsage.
// The queue is made large enough that no span is dropped (a drop would look cheap).
const quiet = { info() {}, warn() {} };
const CALLS = Number(flag('calls', '20000'));
const micro = new Map<string, number[]>();
process.env['OTEL_BSP_MAX_QUEUE_SIZE'] = String(2 * CALLS);
// Round 0 warms up (JIT, the exporter's connection) and is not counted.
for (let i = 0; i <= repeat; i++) {
  for (const [name, env] of Object.entries(SETTINGS)) {
    if (name === 'off') continue;
    const tracing = (await tracingFromEnv(env, quiet))!;
    const t0 = process.cpuUsage();
    for (let j = 0; j < CALLS; j++) {
      const span = tracing.startRequest('ranker', '1', '', {}, Date.now());
      span?.end({ status: 200, queueUs: 120, computeUs: 80, batchRows: 8, batchId: j >> 3, runs: 1 });
      if ((j & 255) === 255) await new Promise<void>((r) => setImmediate(r));
    }
    await tracing.shutdown();
    const t = process.cpuUsage(t0);
    if (i > 0) (micro.get(name) ?? micro.set(name, []).get(name)!).push((t.user + t.system) / CALLS);
  }
}
receiver.close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const spread = (xs: number[], digits: number): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
const off = results.get('off')!;
const pinning = serverCpus !== '' || loadgenCpus !== '' ? `gateway on CPUs ${serverCpus || 'any'}, load generator on ${loadgenCpus || 'any'}` : 'not pinned';
const workersNote = `${workers !== '' ? `, --workers ${workers}` : ''}${noSpin ? ', --no-spin-in-flight' : ''}`;
process.stdout.write(`\n${repeat} alternating runs of ${durationS} s after ${warmupS} s of warm-up, K=1 FlatBuffers, ${concurrency} in flight; ${cpus().length} cores (${pinning}${workersNote}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}); OTLP posts received: ${spans}\n`);
process.stdout.write('| tracing | req/s: median (min-max) | vs off: req/s ratio | server CPU us/req: median (min-max) | vs off: CPU/req ratio | p99 us (median) |\n|---|---|---|---|---|---|\n');
for (const [name, rows] of results) {
  const ratios = rows.map((r, i) => r.reqPerS / off[i]!.reqPerS);
  const cpuRatios = rows.map((r, i) => r.cpuUsPerReq / off[i]!.cpuUsPerReq);
  process.stdout.write(`| ${name} | ${spread(rows.map((r) => r.reqPerS), 0)} | ${spread(ratios, 3)} | ${spread(rows.map((r) => r.cpuUsPerReq), 1)} | ${spread(cpuRatios, 3)} | ${Math.round(median(rows.map((r) => r.p99Us)))} |\n`);
}
process.stdout.write(`\nIn-process, ${CALLS} requests x ${repeat}: tracing's CPU per request (startRequest + end + export), us: median (min-max); share of the median K=1 CPU/req with tracing off\n`);
process.stdout.write('| tracing | us/request | share of K=1 CPU/req |\n|---|---|---|\n');
const offCpu = median(off.map((r) => r.cpuUsPerReq));
for (const [name, us] of micro) process.stdout.write(`| ${name} | ${spread(us, 2)} | ${(100 * median(us) / offCpu).toFixed(2)}% |\n`);
