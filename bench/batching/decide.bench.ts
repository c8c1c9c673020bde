// Micro-benchmarks of the batcher's hot paths (tinybench):
//   decide() with 1, 64 and 1024 queued entries, and with no idle worker (the O(1) gate that
//   every submit hits under load); batch assembly of FP32[K,128] as 200 x K=1 and 2 x K=200
//   into pooled SABs; one full submit -> dispatch -> finish cycle of 64 requests.
// Run: npx tsc -p tsconfig.json && node dist/bench/batching/decide.bench.js [--time-ms N]
import { Bench } from 'tinybench';
import { assembleBatch, type AssemblyPart, type TensorMap } from '../../src/batching/assemble.js';
import { decide, type DecideOptions } from '../../src/batching/decide.js';
import { BatchQueue, type QueuedEntry } from '../../src/batching/queue.js';
import { SabPool } from '../../src/batching/sab-pool.js';
import { DynamicBatcher, type BatchResult } from '../../src/batching/scheduler.js';

const timeArg = process.argv.indexOf('--time-ms');
const timeMs = timeArg > 0 ? Number(process.argv[timeArg + 1]) : 500;

function filledQueue(n: number): BatchQueue<QueuedEntry> {
  const q = new BatchQueue<QueuedEntry>({ priorityLevels: 2, maxQueueSize: 1 << 20, maxQueueRows: 1 << 20, shedStatus: 503, retryAfterS: 1 });
  for (let i = 0; i < n; i++) q.push({ rows: 1, signature: 'x:FP32:[128]', enqueuedUs: i, deadlineUs: 0, level: 1 });
  return q;
}

const opts: DecideOptions = { maxBatchSize: 1024, maxQueueDelayUs: 200, preferredBatchSizes: [] };
const waiting = { idleWorkers: 1, inFlightBatches: 1 };
const q1 = filledQueue(1);
const q64 = filledQueue(64);
const q1024 = filledQueue(1024);
let sink = 0;

function fp32Request(k: number): TensorMap {
  const a = new Float32Array(k * 128);
  for (let i = 0; i < a.length; i++) a[i] = (i % 97) / 7;
  return { x: { datatype: 'FP32', shape: [k, 128], bytes: new Uint8Array(a.buffer) } };
}
const pool = new SabPool();
const parts200x1: AssemblyPart[] = Array.from({ length: 200 }, () => ({ inputs: fp32Request(1), rowStart: 0, rows: 1 }));
const parts2x200: AssemblyPart[] = Array.from({ length: 2 }, () => ({ inputs: fp32Request(200), rowStart: 0, rows: 200 }));

// A batcher whose executor answers synchronously-resolved promises: measures the batcher itself.
let free = 0;
const batcher = new DynamicBatcher<number>({
  options: { maxBatchSize: 1024, maxQueueDelayUs: 200 },
  idleWorkers: () => free,
  execute: (b): Promise<BatchResult> => Promise.resolve({ outputs: b.entries.map(() => ({})) }),
});
const item = (n: number) => ({ rows: 1, signature: 's', payload: n });

const bench = new Bench({ time: timeMs, warmupTime: 100 });
bench
  .add('decide: 1 queued (send, idle-worker)', () => { sink += decide(q1, 10, opts, { idleWorkers: 1, inFlightBatches: 0 }).action.length; })
  .add('decide: 64 queued (walk 64, wait)', () => { sink += decide(q64, 100, opts, waiting).action.length; })
  .add('decide: 1024 queued (walk 1024, full)', () => { sink += decide(q1024, 100, opts, waiting).action.length; })
  .add('decide: 1024 queued, no idle worker', () => { sink += decide(q1024, 100, opts, { idleWorkers: 0, inFlightBatches: 2 }).action.length; })
  .add('assemble FP32[1,128] x 200 -> [200,128]', () => { const b = assembleBatch(parts200x1, pool); sink += b.rows; b.release(); })
  .add('assemble FP32[200,128] x 2 -> [400,128]', () => { const b = assembleBatch(parts2x200, pool); sink += b.rows; b.release(); })
  .add('batcher: 64 submits queued, then one 64-row dispatch', async () => {
    free = 0;
    const ps = [];
    for (let i = 0; i < 64; i++) ps.push(batcher.submit(item(i)));
    free = 1;
    batcher.poke();
    free = 0;
    await Promise.all(ps);
  });

await bench.run();
const rows = bench.tasks.map((t) => {
  const r = t.result;
  if (r.state !== 'completed') return { task: t.name, state: r.state };
  return {
    task: t.name,
    'mean us': (r.latency.mean * 1000).toFixed(3),
    'p99 us': (r.latency.p99 * 1000).toFixed(3),
    'ops/s': Math.round(r.throughput.mean).toLocaleString('en-US'),
    samples: r.latency.samplesCount,
  };
});
console.table(rows);
console.log(`node ${process.version}, ${timeMs} ms per task${sink === -1 ? '' : ''}`);
