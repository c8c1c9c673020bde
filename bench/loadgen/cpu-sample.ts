// CPU accounting over the measured window from /proc (Linux; null elsewhere): the whole
// machine's busy time, the load generator's own, and the server's when its pid is given.
// On a shared machine this tells a clean point from one disturbed by something else running:
// other = machine - server - load generator.
// The server's CPU is also split by thread (threadTicks): its HTTP thread (the main thread, tid =
// pid), pool workers, ORT threads and idle spinners by the names the gateway gives them
// (native/thread_name.h; src/observability/thread-cpu.ts); the rest (V8's GC and platform
// threads, libuv, threads that exited within the window) is "other". A server that names no
// threads (the peers) shows main + other.
import { readFileSync } from 'node:fs';
import { splitTicks, threadTicks, TICKS_PER_S, type ByThread, type ThreadTicks } from '../../src/observability/thread-cpu.js';

export type { ByThread } from '../../src/observability/thread-cpu.js';


export interface CpuSnapshot {
  atMs: number;
  machineBusyTicks: number | null;
  serverTicks: number | null;
  /** The server's threads: tid -> [role, ticks]; null without a pid or /proc. */
  serverThreads: ThreadTicks | null;
  selfUsageUs: number;
}

export interface CpuShare {
  /** All in % of one core over the window (200 = two cores busy). */
  loadgenPercent: number;
  serverPercent: number | null;
  machinePercent: number | null;
  /** machine - server - load generator: other processes (or the kernel on their behalf). */
  otherPercent: number | null;
  /** The server's CPU time over the window (s), for CPU per request and per row. */
  serverCpuS: number | null;
  /** serverCpuS split by thread role (s); other = serverCpuS - the named roles. */
  serverCpuByThreadS: ByThread | null;
}

function machineBusyTicks(): number | null {
  try {
    const first = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
    const f = first.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
  } catch {
    return null;
  }
}

function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may contain spaces) start at state = field 3.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  } catch {
    return null;
  }
}

export function cpuSnapshot(serverPid: number): CpuSnapshot {
  const u = process.cpuUsage();
  return {
    atMs: performance.now(),
    machineBusyTicks: machineBusyTicks(),
    serverTicks: serverPid > 0 ? processTicks(serverPid) : null,
    serverThreads: serverPid > 0 ? threadTicks(serverPid) : null,
    selfUsageUs: u.user + u.system,
  };
}

export function cpuShare(a: CpuSnapshot, b: CpuSnapshot): CpuShare {
  const seconds = Math.max(1e-6, (b.atMs - a.atMs) / 1000);
  const pct = (ticks: number): number => (ticks / TICKS_PER_S / seconds) * 100;
  const loadgenPercent = ((b.selfUsageUs - a.selfUsageUs) / 1e6 / seconds) * 100;
  const serverPercent = a.serverTicks !== null && b.serverTicks !== null ? pct(b.serverTicks - a.serverTicks) : null;
  const machinePercent = a.machineBusyTicks !== null && b.machineBusyTicks !== null ? pct(b.machineBusyTicks - a.machineBusyTicks) : null;
  const otherPercent = machinePercent !== null ? Math.max(0, machinePercent - loadgenPercent - (serverPercent ?? 0)) : null;
  const serverCpuS = a.serverTicks !== null && b.serverTicks !== null ? (b.serverTicks - a.serverTicks) / TICKS_PER_S : null;
  let serverCpuByThreadS: ByThread | null = null;
  if (serverCpuS !== null && a.serverThreads && b.serverThreads) {
    const t = splitTicks(a.serverThreads, b.serverThreads, b.serverTicks! - a.serverTicks!);
    serverCpuByThreadS = { http: t.http / TICKS_PER_S, workers: t.workers / TICKS_PER_S, ort: t.ort / TICKS_PER_S, spin: t.spin / TICKS_PER_S, other: t.other / TICKS_PER_S };
  }
  return { loadgenPercent, serverPercent, machinePercent, otherPercent, serverCpuS, serverCpuByThreadS };
}
