// Do the histogram buckets resolve the stages they time? Starts a gateway on the demo ranker in
// this process, sends sequential requests through the client (JSON and FlatBuffers, K=1 and
// K=100), scrapes /metrics and prints, per stage: the mean (sum / count), the p50 and p99 that
// histogram_quantile would estimate from the buckets, and the share of observations in the
// first bucket, with today's buckets and with the former ones (first bucket 50 us), the latter
// read from the same observations (the former bounds are among today's).
//   node dist/bench/observability/stage-buckets.js [requests per case, default 2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway } from '../../src/gateway.js';
import { InferClient } from '../../src/client/index.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { writeModel } from '../../test/helpers/fixtures.js';

const n = Number(process.argv[2] ?? 2000);
const repo = mkdtempSync(join(tmpdir(), 'infergate-buckets-'));
writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 1024, dynamic_batching: {} });
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const gw = await createGateway({
  modelRepository: repo, modelControlMode: 'none', pool: { workers: 1 },
  server: { host: '127.0.0.1', port: 0, maxBodyBytes: 64 << 20 }, log: quiet, exitOnError: true,
});
const client = new InferClient(gw.url);
for (const format of ['json', 'flatbuffers'] as const) {
  for (const k of [1, 100]) {
    const data = new Float32Array(k * 128).fill(0.25);
    for (let i = 0; i < n; i++) await client.infer('ranker', { features: { shape: [k, 128], data } }, { format });
  }
}
const text = await (await fetch(`${gw.url}/metrics`)).text();
const rssMiB = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)![1]) / 2 ** 20;
client.close();
await gw.close();
rmSync(repo, { recursive: true, force: true });

/** Cumulative buckets of one series -> estimated quantile (linear within a bucket, as Prometheus). */
function quantile(bounds: number[], cum: number[], q: number): number {
  const total = cum.at(-1)!;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (cum[i]! >= rank) {
      const lo = i === 0 ? 0 : bounds[i - 1]!;
      const below = i === 0 ? 0 : cum[i - 1]!;
      const inBucket = cum[i]! - below;
      return inBucket === 0 ? lo : lo + (bounds[i]! - lo) * ((rank - below) / inBucket);
    }
  }
  return Infinity;
}

const OLD = [50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 20000, 50000, 100000, 500000];
const series = new Map<string, { bounds: number[]; cum: number[]; sum: number; count: number }>();
for (const line of text.split('\n')) {
  const m = /^(infergate_\w+_duration_us)_(bucket|sum|count)\{(.*?)(?:,?le="([^"]+)")?\} (\S+)$/.exec(line);
  if (!m) continue;
  const key = `${m[1]}{${m[3]}}`;
  let s = series.get(key);
  if (!s) series.set(key, (s = { bounds: [], cum: [], sum: 0, count: 0 }));
  if (m[2] === 'bucket' && m[4] !== '+Inf') { s.bounds.push(Number(m[4])); s.cum.push(Number(m[5])); }
  if (m[2] === 'sum') s.sum = Number(m[5]);
  if (m[2] === 'count') s.count = Number(m[5]);
}
console.log(`${n} sequential requests per case (json, flatbuffers) x (K=1, K=100); 2-core VM shared with other work`);
console.log(`process RSS after the run (gateway, 1 worker, the ranker, and this client in one process): ${rssMiB.toFixed(0)} MiB`);
console.log('series | mean us | p50 / p99 est. (now) | in first bucket (now) | p50 / p99 est. (first bucket 50 us) | in first bucket (50 us)');
for (const [key, s] of series) {
  if (s.count === 0) continue;
  // The former bounds are today's latency bounds; the wire series lack some of them above
  // 200 us, where the count at the largest bound below stands in (nearly nothing lies there).
  const oldCum = OLD.map((b) => {
    let c = 0;
    for (let i = 0; i < s.bounds.length && s.bounds[i]! <= b; i++) c = s.cum[i]!;
    return c;
  });
  const pct = (x: number): string => `${((100 * x) / s.count).toFixed(0)}%`;
  const fmt = (b: number[], c: number[]): string => `${quantile(b, c, 0.5).toFixed(1)} / ${quantile(b, c, 0.99).toFixed(1)}`;
  console.log(`${key} | ${(s.sum / s.count).toFixed(1)} | ${fmt(s.bounds, s.cum)} | ${pct(s.cum[0]!)} | ${fmt(OLD, oldCum)} | ${pct(oldCum[0]!)}`);
}
