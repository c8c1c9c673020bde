// node threads.mjs PID SECONDS: per-thread CPU (utime+stime) over a window, grouped by thread name
import { readdirSync, readFileSync } from 'node:fs';
const [pid, secs] = [process.argv[2], Number(process.argv[3])];
const snap = () => { const m = new Map(); for (const t of readdirSync(`/proc/${pid}/task`)) { try { const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); m.set(t, { comm, ticks: Number(f[11]) + Number(f[12]), u: Number(f[11]), s: Number(f[12]) }); } catch {} } return m; };
const a = snap(); await new Promise((r) => setTimeout(r, secs * 1000)); const b = snap();
const by = new Map(); for (const [t, v] of b) { const d = v.ticks - (a.get(t)?.ticks ?? 0); const k = t === pid ? 'main (HTTP thread)' : v.comm + ':' + t; by.set(k, (by.get(k) ?? 0) + d); }
console.log(JSON.stringify([...by].filter(([, d]) => d > 0).sort((x, y) => y[1] - x[1]).map(([k, d]) => [k, d / 100])));
const mu = b.get(pid).u - a.get(pid).u, ms = b.get(pid).s - a.get(pid).s; console.log(`main utime ${mu / 100} s stime ${ms / 100} s`);
