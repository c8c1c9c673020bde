import { readFileSync } from 'node:fs';
const [tag, n] = [process.argv[2], Number(process.argv[3])];
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const f = (a, d = 2) => `${med(a).toFixed(d)} [${Math.min(...a).toFixed(d)}, ${Math.max(...a).toFixed(d)}]`;
const rows = { A: [], B: [] };
for (let r = 1; r <= n; r++) for (const v of ['A', 'B']) {
  const j = JSON.parse(readFileSync(`/tmp/ab/${tag}-${v}-${r}.json`, 'utf8'));
  rows[v].push({ rps: j.throughput.requestsPerS, p99: j.latencyUs.p99, cpuReq: j.efficiency.serverCpuUsPerRequest, cpuRow: j.efficiency.serverCpuUsPerRow, batch: j.efficiency.meanBatchRows });
}
for (const v of ['A', 'B']) {
  const x = rows[v];
  console.log(`${v}: req/s ${f(x.map((r) => r.rps), 0)}; p99 us ${f(x.map((r) => r.p99), 0)}; CPU us/req ${f(x.map((r) => r.cpuReq), 1)}; us/row ${f(x.map((r) => r.cpuRow))}; batch rows ${f(x.map((r) => r.batch), 1)}`);
}
const ratio = (k) => rows.B.map((b, i) => b[k] / rows.A[i][k]);
console.log(`B/A per pair: req/s ${f(ratio('rps'))}; p99 ${f(ratio('p99'))}; CPU/req ${f(ratio('cpuReq'))}`);
