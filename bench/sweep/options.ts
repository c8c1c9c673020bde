// The sweep's options: its grid axes are settings rows (src/core/settings/), so their flags,
// ranges and defaults come from the table; the rest are the sweep's own. Parsed here, run by
// cli.ts (the entry point `infergate bench sweep` spawns).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { BATCHING_SETTINGS, RUNTIME_SETTINGS, SERVER_SETTINGS, rangeText, type Setting } from '../../src/core/settings/index.js';
import type { SweepOptions } from './sweep.js';

/** The sweep's grid axes: each is a settings row, so its flag, range and default come from the
 *  table (src/core/settings/); `values` is the default list the sweep tries. */
interface Axis { field: 'workers' | 'intraOpThreads' | 'maxBatchSizes' | 'maxQueueDelaysUs'; setting: Setting; values: number[] }

export function sweepAxes(cpuCount: number = availableParallelism()): Axis[] {
  const delayUs = BATCHING_SETTINGS.maxQueueDelayUs.default;
  const unique = (xs: number[]): number[] => xs.filter((x, i) => xs.indexOf(x) === i);
  return [
    // One worker against the default (one per core).
    { field: 'workers', setting: SERVER_SETTINGS.workers, values: unique([1, Math.max(1, cpuCount)]) },
    // Whether a second worker or a second ORT thread adds compute depends on the machine
    // (docs/decisions/007): one worker of N threads against N workers of one thread each; the
    // grid leaves out the points that oversubscribe the cores (--cores).
    { field: 'intraOpThreads', setting: RUNTIME_SETTINGS.intraOpThreads, values: unique([RUNTIME_SETTINGS.intraOpThreads.default, Math.max(1, cpuCount)]) },
    // The built-in default (0, no batching) is not a point worth a sweep: batching sizes instead.
    { field: 'maxBatchSizes', setting: BATCHING_SETTINGS.maxBatchSize, values: [64, 256, 1024] },
    // No wait, the default, and twice the default.
    { field: 'maxQueueDelaysUs', setting: BATCHING_SETTINGS.maxQueueDelayUs, values: [0, delayUs, 2 * delayUs] },
  ];
}

export function sweepHelp(): string {
  const axes = sweepAxes().map((a) => {
    const head = `  --${a.setting.flag!} LIST`;
    const range = rangeText(a.setting.kind);
    return `${head.padEnd(26)} default ${a.values.join(',')} (each ${range.includes('..') ? 'in ' : ''}${range})`;
  });
  return `Usage: infergate bench sweep [options]

Starts a gateway per grid point, loads it with the load generator, and recommends the
configuration with the most rows/s whose p99 fits the budget without errors. Writes
OUT/sweep.json, OUT/config.json (model settings) and OUT/serve-config.json (for --config).

Options (lists are comma-separated; the grid's flags are infergate serve's):
  --model-repository DIR   default models
  --model NAME             default ranker
  --workload W             k1|k200|k1000|mixed (default k1)
  --protocol P             flatbuffers|json|binary|ws (default flatbuffers)
  --concurrency N          closed-loop requests in flight (default 64)
  --rate N                 open loop at N req/s instead of closed loop
  --p99-budget-us US       latency budget (default 2000)
${axes.join('\n')}
  --cores N                leave out points whose workers x threads exceed N (default: the CPUs, ${availableParallelism()})
  --duration-s S           seconds measured per point (default 3)
  --warmup-s S             warm-up seconds per point (default 1)
  --out DIR                default bench/results/sweep
`;
}

/** A comma-separated list, each value in the setting's range. */
export function parseAxisList(v: string, setting: Setting): number[] {
  const k = setting.kind;
  const [min, max] = k.type === 'int' ? [k.min, k.max] : [0, Number.MAX_SAFE_INTEGER];
  const out = v.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (out.length === 0 || out.some((x) => !Number.isInteger(x) || x < min || x > max)) {
    throw new RangeError(`--${setting.flag!} must be a comma-separated list of integers in ${rangeText(k)} (got "${v}")`);
  }
  return out;
}

function num(v: string, flag: string, min: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new RangeError(`${flag} must be a number >= ${min} (got "${v}")`);
  return n;
}

/** argv -> the sweep's options; undefined when help was asked for (printed). */
export function parseSweepArgs(argv: string[]): SweepOptions | undefined {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(sweepHelp());
    return undefined;
  }
  const axes = sweepAxes();
  const o = {
    repo: resolve('models'), model: 'ranker', workload: 'k1', protocol: 'flatbuffers', concurrency: 64, rate: 0,
    p99BudgetUs: 2000, workers: [] as number[], intraOpThreads: [] as number[], maxBatchSizes: [] as number[], maxQueueDelaysUs: [] as number[],
    durationS: 3, warmupS: 1, outDir: resolve('bench/results/sweep'), cores: availableParallelism() as number | undefined,
  };
  for (const a of axes) o[a.field] = a.values;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[i + 1];
    if (v === undefined) throw new RangeError(`${flag} needs a value`);
    i++;
    const axis = axes.find((a) => `--${a.setting.flag!}` === flag);
    if (axis !== undefined) {
      o[axis.field] = parseAxisList(v, axis.setting);
      continue;
    }
    switch (flag) {
      case '--model-repository': o.repo = resolve(v); break;
      case '--model': o.model = v; break;
      case '--workload': o.workload = v; break;
      case '--protocol': o.protocol = v; break;
      case '--concurrency': o.concurrency = num(v, flag, 1); break;
      case '--rate': o.rate = num(v, flag, 0); break;
      case '--p99-budget-us': o.p99BudgetUs = num(v, flag, 1); break;
      case '--cores': o.cores = num(v, flag, 1); break;
      case '--duration-s': o.durationS = num(v, flag, 1); break;
      case '--warmup-s': o.warmupS = num(v, flag, 0); break;
      case '--out': o.outDir = resolve(v); break;
      default: throw new RangeError(`unknown option ${flag} (see infergate bench sweep --help)`);
    }
  }
  return o;
}

