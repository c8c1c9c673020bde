// wrk at 1 connection against two running servers alternately, N pairs; prints p50 us, p99 us, req/s, server CPU us/request.
// Usage (from the checkout, after npm run build): node bench/results/2026-12-01-lone-sessions/wrk-alt.mjs PORT_A PID_A PORT_B PID_B N
import { runWrkPoint } from '../../../dist/bench/harness/wrk-point.js';
import { mkdtempSync } from 'node:fs';
const [pa, pidA, pb, pidB, n] = process.argv.slice(2).map(Number);
const tmp = mkdtempSync('/tmp/wrkalt-');
for (let i = 0; i < n; i++) {
  for (const [tag, port, pid] of [['A', pa, pidA], ['B', pb, pidB]]) {
    const w = await runWrkPoint({ tmp, url: `http://127.0.0.1:${port}`, model: 'ranker', protocol: 'flatbuffers', workload: 'k1', seed: 1, connections: 1, durationS: 3, serverPid: pid });
    console.log(tag, w.p50Us, w.p99Us, Math.round(w.requestsPerS), w.efficiency.serverCpuUsPerRequest?.toFixed(0));
  }
}
