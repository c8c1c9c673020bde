// Micro-benchmark of the worker hop (tinybench): one pool task carrying a batch of the ranker
// (K=1 and K=200) from the main thread to a Piscina worker, run there with the addon's runSync,
// outputs moved back. Reported next to the worker-side compute time, so the hop's own cost
// (round trip - compute) is visible; with and without adaptive spinning. Inline execution is
// off: every batch takes the hop (with it on, the K=1 batch would never leave this thread).
// Run: npx tsc -p tsconfig.json && node dist/bench/pool/round-trip.bench.js [--time-ms N]
import { Bench } from 'tinybench';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExecutionPolicy } from '../../src/pool/execution-policy.js';
import type { RunTask } from '../../src/pool/task.js';

const timeArg = process.argv.indexOf('--time-ms');
const timeMs = timeArg > 0 ? Number(process.argv[timeArg + 1]) : 1000;
const model = fileURLToPath(new URL('../../../models/ranker/1/model.onnx', import.meta.url));
if (!existsSync(model)) throw new Error(`${model} is missing: run npm ci (it generates the demo models)`);

function task(k: number): RunTask {
  const buffer = new SharedArrayBuffer(k * 128 * 4);
  const f = new Float32Array(buffer);
  for (let i = 0; i < f.length; i++) f[i] = ((i * 7919) % 1000) / 1000;
  return {
    kind: 'run',
    model: { id: 'bench-ranker', source: model, options: { intraOpThreads: 1, interOpThreads: 1, allowSpinning: false } },
    inputs: [{ name: 'features', dtype: 'float32', shape: [k, 128], buffer, byteOffset: 0, byteLength: buffer.byteLength }],
    outputs: [],
  };
}

const rows: string[] = [];
for (const spinUs of [0, 1000]) {
  const pool = new ExecutionPolicy({ workers: 1, spinUs, inline: { maxRows: 0 } });
  const computeUs: Record<string, number[]> = {};
  const bench = new Bench({ time: timeMs, warmupTime: 200 });
  for (const k of [1, 200]) {
    const t = task(k);
    const name = `pool round trip K=${k} spin=${spinUs}us`;
    computeUs[name] = [];
    bench.add(name, async () => {
      const r = await pool.run(t, k);
      computeUs[name]!.push(r.endUs - r.startUs);
    });
  }
  await bench.run();
  for (const t of bench.tasks) {
    const r = t.result as unknown as { latency: { mean: number; p50?: number; p99?: number } } | undefined;
    const c = computeUs[t.name]!;
    const cMean = c.reduce((a, b) => a + b, 0) / Math.max(1, c.length);
    if (!r) continue;
    const meanUs = r.latency.mean * 1000;
    rows.push(`| ${t.name} | ${meanUs.toFixed(1)} | ${((r.latency.p50 ?? NaN) * 1000).toFixed(1)} | ${((r.latency.p99 ?? NaN) * 1000).toFixed(1)} | ${cMean.toFixed(1)} | ${(meanUs - cMean).toFixed(1)} |`);
  }
  await pool.close();
}
console.log('| task | mean us | p50 us | p99 us | compute in worker us | hop us (mean - compute) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
