// What tracing costs on the hot path: K=1 FlatBuffers throughput and server CPU per request with
// tracing off, on with nothing sampled (0%), on at 10% sampling (parentbased_traceidratio 0.1: the load generator sends no
// traceparent, so each request is a root span sampled at 10%) and on at 100%, spans exported to
// a local OTLP/HTTP receiver that discards them. Each setting gets a fresh gateway per run; the
// settings alternate, --repeat times; ratios against "off" are medians with min and max.
//   node dist/bench/observability/tracing-cost.js [--repeat 3] [--duration-s 4] [--concurrency 8]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoadgen, startGateway } from '../harness/processes.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const repeat = Number(flag('repeat', '3'));
const durationS = Number(flag('duration-s', '4'));
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
    const gw = await startGateway(root, join(root, 'models'), 'ranker', ['--log-level', 'warn']);
    try {
      const r = await runLoadgen(root, ['--url', gw.url, '--protocol', 'flatbuffers', '--workload', 'k1', '--concurrency', String(concurrency),
        '--duration-s', String(durationS), '--warmup-s', '1', '--no-metrics', '--server-pid', String(gw.proc.pid)], join(tmpdir(), `ig-trace-${process.pid}.json`), (durationS + 60) * 1000);
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
receiver.close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const off = results.get('off')!;
process.stdout.write(`\n${repeat} alternating runs of ${durationS} s, K=1 FlatBuffers, ${concurrency} in flight; ${availableParallelism()} cores shared with the load generator (load average ${loadavg()[0]!.toFixed(1)}); OTLP posts received: ${spans}\n`);
process.stdout.write('| tracing | req/s (median) | vs off: median (min-max) | server CPU us/req (median) | p99 us (median) |\n|---|---|---|---|---|\n');
for (const [name, rows] of results) {
  const ratios = rows.map((r, i) => r.reqPerS / off[i]!.reqPerS);
  process.stdout.write(`| ${name} | ${Math.round(median(rows.map((r) => r.reqPerS)))} | ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}) | ${median(rows.map((r) => r.cpuUsPerReq)).toFixed(1)} | ${Math.round(median(rows.map((r) => r.p99Us)))} |\n`);
}
