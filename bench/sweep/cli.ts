#!/usr/bin/env node
// Entry point of `infergate bench sweep` (src/cli/bench-command.ts spawns this file by path, so
// the product never imports bench code): parses the sweep's options and runs it (sweep.ts).
// Exit status: 0 with a recommendation, 3 when no grid point fit the budget, 2 on bad options.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { runSweep } from './sweep.js';

const SWEEP_HELP = `Usage: infergate bench sweep [options]

Starts a gateway per grid point, loads it with the load generator, and recommends the
configuration with the most rows/s whose p99 fits the budget without errors. Writes
OUT/sweep.json, OUT/config.json (model settings) and OUT/serve-config.json (for --config).

Options (lists are comma-separated):
  --model-repository DIR   default models
  --model NAME             default ranker
  --workload W             k1|k200|k1000|mixed (default k1)
  --protocol P             flatbuffers|json|binary|ws (default flatbuffers)
  --concurrency N          closed-loop requests in flight (default 64)
  --rate N                 open loop at N req/s instead of closed loop
  --p99-budget-us US       latency budget (default 2000)
  --workers LIST           default 1,${Math.max(1, availableParallelism())}
  --intra-op-threads LIST  default 1
  --max-batch-size LIST    default 64,256,1024
  --max-queue-delay-us LIST  default 0,250,1000
  --duration-s S           measured seconds per point (default 3)
  --warmup-s S             warm-up seconds per point (default 1)
  --out DIR                default bench/results/sweep
`;

function list(v: string, flag: string, min: number): number[] {
  const out = v.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (out.length === 0 || out.some((x) => !Number.isInteger(x) || x < min)) {
    throw new RangeError(`${flag} must be a comma-separated list of integers >= ${min} (got "${v}")`);
  }
  return out;
}

function num(v: string, flag: string, min: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new RangeError(`${flag} must be a number >= ${min} (got "${v}")`);
  return n;
}

async function sweep(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SWEEP_HELP);
    return 0;
  }
  const o = {
    repo: resolve('models'), model: 'ranker', workload: 'k1', protocol: 'flatbuffers', concurrency: 64, rate: 0,
    p99BudgetUs: 2000, workers: [1, Math.max(1, availableParallelism())].filter((x, i, a) => a.indexOf(x) === i),
    intraOpThreads: [1], maxBatchSizes: [64, 256, 1024], maxQueueDelaysUs: [0, 250, 1000], durationS: 3, warmupS: 1,
    outDir: resolve('bench/results/sweep'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[i + 1];
    if (v === undefined) throw new RangeError(`${flag} needs a value`);
    i++;
    switch (flag) {
      case '--model-repository': o.repo = resolve(v); break;
      case '--model': o.model = v; break;
      case '--workload': o.workload = v; break;
      case '--protocol': o.protocol = v; break;
      case '--concurrency': o.concurrency = num(v, flag, 1); break;
      case '--rate': o.rate = num(v, flag, 0); break;
      case '--p99-budget-us': o.p99BudgetUs = num(v, flag, 1); break;
      case '--workers': o.workers = list(v, flag, 1); break;
      case '--intra-op-threads': o.intraOpThreads = list(v, flag, 0); break;
      case '--max-batch-size': o.maxBatchSizes = list(v, flag, 0); break;
      case '--max-queue-delay-us': o.maxQueueDelaysUs = list(v, flag, 0); break;
      case '--duration-s': o.durationS = num(v, flag, 1); break;
      case '--warmup-s': o.warmupS = num(v, flag, 0); break;
      case '--out': o.outDir = resolve(v); break;
      default: throw new RangeError(`unknown option ${flag} (see infergate bench sweep --help)`);
    }
  }
  const { best } = await runSweep(o);
  return best ? 0 : 3;
}

async function main(): Promise<number> {
  try {
    return await sweep(process.argv.slice(2));
  } catch (e) {
    if (e instanceof RangeError) {
      process.stderr.write(`infergate bench sweep: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main();
