// Peer: the in-process ceiling. onnxruntime-node in this process, no network, no codec: how many
// rows/s the model itself gives at each batch size. The best batch size's rows/s is the ceiling
// the gateway's K=200 target is a share of; batch 1 is the floor of a one-run-per-request server.
// Runs are awaited one after another (session.run executes on the JS thread in onnxruntime-node,
// so concurrent runs would not overlap anyway); ORT's intra-op threads are the parallelism.
// Usage: node dist/bench/peers/in-process-ceiling.js --model PATH [--threads 1] [--batches 1,2,4,...]
//          [--time-ms 300] [--seed 1] [--json OUT]
import { writeFileSync } from 'node:fs';
import { build } from 'hdr-histogram-js';
import { SeededRandom } from '../../test/fixtures/seeded-random.js';
import { openSession, score } from './peer-common.js';

export const CEILING_SCHEMA = 'infergate.ceiling/1';
export const DEFAULT_BATCHES = [1, 2, 4, 8, 16, 32, 50, 64, 128, 200, 256, 512, 1000, 1024];

export interface CeilingPoint {
  batch: number;
  runs: number;
  rowsPerS: number;
  runsPerS: number;
  p50Us: number;
  p99Us: number;
  /** This process's CPU time (user + system, all threads) per row over the timed runs: the
   *  figure the gateway's server CPU per row is compared with. Absent in older results. */
  cpuUsPerRow?: number;
}

export interface CeilingResult {
  schema: typeof CEILING_SCHEMA;
  model: string;
  threads: number;
  points: CeilingPoint[];
  best: CeilingPoint;
}

function parse(argv: readonly string[]): { model: string; threads: number; batches: number[]; timeMs: number; seed: number; json: string } {
  const o = { model: '', threads: 1, batches: DEFAULT_BATCHES, timeMs: 300, seed: 1, json: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--model': o.model = v; break;
      case '--threads': o.threads = Number(v); break;
      case '--batches': o.batches = v.split(',').map(Number); break;
      case '--time-ms': o.timeMs = Number(v); break;
      case '--seed': o.seed = Number(v); break;
      case '--json': o.json = v; break;
      default: throw new Error(`unknown option "${argv[i]}"`);
    }
  }
  if (o.model === '') throw new Error('--model is required');
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new Error('--threads must be a positive integer');
  if (o.batches.length === 0 || o.batches.some((b) => !Number.isInteger(b) || b < 1)) throw new Error('--batches must be positive integers, comma-separated');
  if (!(o.timeMs > 0)) throw new Error('--time-ms must be a positive number');
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const s = await openSession(o.model, o.threads);
  const rng = new SeededRandom(o.seed);
  const maxBatch = Math.max(...o.batches);
  const data = rng.fillUniform(new Float32Array(maxBatch * s.features), -1, 1);
  const points: CeilingPoint[] = [];
  for (const batch of o.batches) {
    const input = data.subarray(0, batch * s.features);
    for (let i = 0; i < 5; i++) await score(s, input, batch); // first runs of a shape are slow
    const h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let runs = 0;
    let now = t0;
    while (now - t0 < o.timeMs || runs < 5) {
      const r0 = performance.now();
      await score(s, input, batch);
      now = performance.now();
      h.recordValue(Math.max(1, Math.round((now - r0) * 1000)));
      runs++;
    }
    const cpu = process.cpuUsage(cpu0);
    const seconds = (now - t0) / 1000;
    points.push({ batch, runs, rowsPerS: (runs * batch) / seconds, runsPerS: runs / seconds, p50Us: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99),
      cpuUsPerRow: (cpu.user + cpu.system) / (runs * batch) });
  }
  const best = points.reduce((a, b) => (b.rowsPerS > a.rowsPerS ? b : a));
  const result: CeilingResult = { schema: CEILING_SCHEMA, model: o.model, threads: o.threads, points, best };
  if (o.json !== '') writeFileSync(o.json, JSON.stringify(result, null, 2) + '\n');
  for (const p of points) {
    console.log(`batch ${String(p.batch).padStart(5)}  ${Math.round(p.rowsPerS).toLocaleString('en-US').padStart(10)} rows/s  ${Math.round(p.runsPerS).toLocaleString('en-US').padStart(7)} runs/s  p50 ${p.p50Us} us  CPU ${p.cpuUsPerRow!.toFixed(2)} us/row`);
  }
  console.log(`best: batch ${best.batch}, ${Math.round(best.rowsPerS).toLocaleString('en-US')} rows/s (intra-op threads ${o.threads})`);
}

main().catch((e: unknown) => {
  console.error(`in-process-ceiling: ${(e as Error).message}`);
  process.exit(1);
});
