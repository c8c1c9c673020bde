// Overload at 2x capacity (issue 13): the static queue against the adaptive concurrency limit.
// One run, one machine, the same model (models/ranker, K=1 requests over FlatBuffers/HTTP):
//   1. unloaded: closed loop at 1 in flight -> the unloaded p99, and the budget (2x it)
//   2. capacity: closed loop at --capacity-concurrency in flight -> requests/s
//   3. static:   open loop (Poisson) at 2x capacity for --duration-s, default settings (the
//                batcher's queue bounds only; HTTP/1 carries one request per connection, so the
//                server holds at most --connections and the rest wait at the client)
//   4. adaptive: the same open loop against a gateway started with --concurrency-limit adaptive
// Latency is counted from each request's intended send time (client backlog included), over
// successful answers only: the admitted requests. Goodput = answers within the budget per second.
// --server-cpus 0 pins the gateway (every thread) to those CPUs with taskset, so that 2x its
// capacity stays within what the load generator can send from the other cores.
//   node dist/bench/overload/overload.js [--duration-s 60] [--capacity-s 10] [--workers 2] [--server-cpus LIST]
//     [--workload k1|k200|k1000] [--out PREFIX] [--model-override MODEL.KEY=VALUE]
//   --model-override goes to both gateways (e.g. ranker.max_batch_size=256: the gate counts in
//   batches of max_batch_size rows, so this sets the smallest amount the limit can admit).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoadgen, startGateway } from '../harness/processes.js';
import type { LoadResult } from '../loadgen/result.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const root = process.cwd();
const durationS = Number(arg('duration-s', '60'));
const capacityS = Number(arg('capacity-s', '10'));
const workers = arg('workers', String(availableParallelism()));
const capacityConcurrency = arg('capacity-concurrency', '64');
const connections = arg('connections', '256');
const outPrefix = arg('out', '');
const serverCpus = arg('server-cpus', '');
const model = 'ranker';
const workload = arg('workload', 'k1');
const override = arg('model-override', '');

interface Row { name: string; args: string[]; result: LoadResult }

async function withGateway<T>(extra: string[], fn: (url: string, pid: number) => Promise<T>): Promise<T> {
  const gw = await startGateway(root, join(root, 'models'), model, ['--workers', workers, ...(override ? ['--model-override', override] : []), ...extra]);
  try {
    if (serverCpus !== '') execFileSync('taskset', ['-a', '-p', '-c', serverCpus, String(gw.proc.pid)], { stdio: 'ignore' });
    return await fn(gw.url, gw.proc.pid ?? 0);
  } finally {
    await gw.stop();
  }
}

function load(url: string, pid: number, name: string, args: string[]): Promise<LoadResult> {
  const all = ['--url', url, '--model', model, '--workload', workload, '--server-pid', String(pid), '--label', name, '--timeout-ms', '30000', ...args];
  process.stderr.write(`${name}: loadgen ${all.join(' ')}\n`);
  return runLoadgen(root, all, join(tmpdir(), `infergate-overload-${process.pid}-${name}.json`), (durationS + 120) * 1000);
}

const rows: Row[] = [];
const run = async (url: string, pid: number, name: string, args: string[]): Promise<LoadResult> => {
  const result = await load(url, pid, name, args);
  rows.push({ name, args, result });
  return result;
};

let budgetUs = 0;
let rate = 0;
await withGateway([], async (url, pid) => {
  const unloaded = await run(url, pid, 'unloaded', ['--mode', 'closed', '--concurrency', '1', '--connections', '1', '--duration-s', String(capacityS)]);
  budgetUs = Math.round(2 * unloaded.latencyUs.p99);
  const capacity = await run(url, pid, 'capacity', ['--mode', 'closed', '--concurrency', capacityConcurrency, '--connections', capacityConcurrency, '--duration-s', String(capacityS)]);
  rate = Math.round(2 * capacity.throughput.requestsPerS);
  await run(url, pid, 'static', ['--mode', 'open', '--rate', String(rate), '--connections', connections, '--duration-s', String(durationS), '--budget-us', String(budgetUs)]);
});
await withGateway(['--concurrency-limit', 'adaptive'], async (url, pid) => {
  await run(url, pid, 'adaptive', ['--mode', 'open', '--rate', String(rate), '--connections', connections, '--duration-s', String(durationS), '--budget-us', String(budgetUs)]);
});

const capacityRps = rows.find((r) => r.name === 'capacity')!.result.throughput.requestsPerS;
const unloadedP99 = rows.find((r) => r.name === 'unloaded')!.result.latencyUs.p99;
const summary = rows.map(({ name, result: r }) => ({
  name,
  answeredPerS: Math.round(r.throughput.requestsPerS),
  errorsByStatus: r.counts.errorsByStatus,
  unsent: r.counts.unsent,
  p50Us: r.latencyUs.p50,
  p99Us: r.latencyUs.p99,
  p99OverUnloaded: +(r.latencyUs.p99 / unloadedP99).toFixed(2),
  goodputPerS: r.options.budgetUs > 0 ? Math.round(r.counts.withinBudget / r.elapsedS) : null,
  goodputOverCapacity: r.options.budgetUs > 0 ? +(r.counts.withinBudget / r.elapsedS / capacityRps).toFixed(3) : null,
  serverCpuPercent: r.loadgen.serverCpuPercent,
  loadgenCpuPercent: r.loadgen.cpuPercent,
  otherCpuPercent: r.loadgen.otherCpuPercent,
  serverCpuUsPerAnswer: r.loadgen.serverCpuPercent === null || r.throughput.requestsPerS === 0 ? null
    : Math.round((r.loadgen.serverCpuPercent / 100) * 1e6 / r.throughput.requestsPerS),
  meanBatchRows: r.server?.batchSize?.meanRows ?? null,
}));
const doc = { bench: 'overload', command: `node dist/bench/overload/overload.js ${process.argv.slice(2).join(' ')}`.trim(), cores: availableParallelism(), workload,
  workers: Number(workers), serverCpus: serverCpus || 'all', durationS, capacityS, rate, budgetUs, unloadedP99Us: unloadedP99, capacityRps: Math.round(capacityRps), summary,
  runs: rows.map((r) => r.result) };
console.log(JSON.stringify(summary, null, 2));
console.log(`capacity ${Math.round(capacityRps)} req/s; open loop at ${rate} req/s; unloaded p99 ${unloadedP99} us; budget ${budgetUs} us`);
if (outPrefix !== '') writeFileSync(`${outPrefix}.json`, JSON.stringify(doc, null, 2) + '\n');
