// A health prober in a process of its own (bench:json-stall): GET /v2/health/live on one
// keep-alive connection, the next `intervalMs` after each answer, until SIGTERM; then prints
// [[startEpochMs, latencyMs], ...] as JSON on stdout. Its own process, so that the client
// sending a 64 MB body (its writes, its collections) is not measured as the server's stall.
// Usage: node dist/bench/hostile/health-prober.js PORT [INTERVAL_MS]
import { performance } from 'node:perf_hooks';
import { RawClient } from './raw-http.js';

const port = Number(process.argv[2]);
const intervalMs = Number(process.argv[3] ?? 1);
let stop = false;
process.on('SIGTERM', () => { stop = true; });
const out: [number, number][] = [];
const c = await RawClient.open(port);
process.stderr.write('probing\n');
while (!stop) {
  const t0 = performance.now();
  const r = await c.request('GET /v2/health/live HTTP/1.1\r\nHost: infergate\r\n\r\n', undefined, 60_000);
  out.push([performance.timeOrigin + t0, r.status === 200 ? performance.now() - t0 : Infinity]);
  if (r.status !== 200) break;
  await new Promise((res) => setTimeout(res, intervalMs));
}
c.close();
process.stdout.write(JSON.stringify(out.map(([t, ms]) => [t, Number.isFinite(ms) ? ms : -1])));
