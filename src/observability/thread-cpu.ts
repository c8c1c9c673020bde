// The process's CPU split by what each thread does, from Linux's /proc/<pid>/task/*/stat and the
// names the gateway gives its threads (native/thread_name.h): the HTTP thread (the main thread,
// tid = pid), pool workers (ig-worker-N), ORT's threads (ig-ort), idle spinners (ig-idle-spin);
// everything else (V8's GC and platform threads, libuv, the decode thread, threads that exited)
// is "other". Shared by /metrics (infergate_thread_cpu_seconds_total) and the bench's load
// generator, which reads the server from outside (bench/loadgen/cpu-sample.ts).
import { readdirSync, readFileSync } from 'node:fs';

export const THREAD_ROLES = ['http', 'workers', 'ort', 'spin', 'other'] as const;
export type ThreadRole = (typeof THREAD_ROLES)[number];
/** CPU by thread role, in whatever unit the holder says (ticks, seconds, us per request). */
export type ByThread = Record<ThreadRole, number>;
/** tid -> [role, utime + stime in clock ticks]. */
export type ThreadTicks = Map<number, [ThreadRole, number]>;

/** USER_HZ: the unit of /proc tick counts; 100 on every mainstream Linux architecture. */
export const TICKS_PER_S = 100;

/** A thread's role from its tid and name. */
export function threadRole(pid: number, tid: number, comm: string): ThreadRole {
  if (tid === pid) return 'http';
  if (comm.startsWith('ig-worker')) return 'workers';
  if (comm === 'ig-ort') return 'ort';
  if (comm === 'ig-idle-spin') return 'spin';
  return 'other';
}

/** utime + stime of each thread of `pid`; null where /proc cannot be read (not Linux, gone). */
export function threadTicks(pid: number): ThreadTicks | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const out: ThreadTicks = new Map();
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'latin1');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the name (which may hold spaces) start at state = field 3; utime, stime are 14, 15.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), [threadRole(pid, Number(t), comm), Number(f[11]) + Number(f[12])]);
    } catch {
      // the thread exited between the listing and the read: its time lands in "other"
    }
  }
  return out;
}

/** Per role, the ticks each named thread spent between two snapshots (a thread new in `b`
 *  counts whole); the process's ticks over the same span that no named thread accounts for
 *  (unnamed threads, exited ones) are "other". */
export function splitTicks(a: ThreadTicks, b: ThreadTicks, processTicks: number): ByThread {
  const out: ByThread = { http: 0, workers: 0, ort: 0, spin: 0, other: 0 };
  for (const [tid, [role, ticks]] of b) {
    if (role === 'other') continue;
    out[role] += Math.max(0, ticks - (a.get(tid)?.[1] ?? 0));
  }
  out.other = Math.max(0, processTicks - out.http - out.workers - out.ort - out.spin);
  return out;
}

/** This process's CPU seconds by role since start, for counters: each scrape adds what every
 *  named thread spent since the previous one, so a thread that exits (a replaced worker) never
 *  makes a role's total fall; "other" is the process total less the named roles, kept
 *  monotonic. Null where /proc is not readable. */
export class ThreadCpuCounter {
  #last: ThreadTicks = new Map();
  /** Named roles in whole ticks (a sum of integers stays exact); "other" in seconds. */
  readonly #ticks = { http: 0, workers: 0, ort: 0, spin: 0 };
  #otherS = 0;

  read(processCpuS: number): ByThread | null {
    const now = threadTicks(process.pid);
    if (now === null) return null;
    const d = splitTicks(this.#last, now, 0);
    this.#last = now;
    const t = this.#ticks;
    t.http += d.http;
    t.workers += d.workers;
    t.ort += d.ort;
    t.spin += d.spin;
    const named = (t.http + t.workers + t.ort + t.spin) / TICKS_PER_S;
    // Microseconds, the unit of process.cpuUsage(): no 0.25223300000000004 in /metrics.
    this.#otherS = Math.max(this.#otherS, Math.round((processCpuS - named) * 1e6) / 1e6);
    return {
      http: t.http / TICKS_PER_S, workers: t.workers / TICKS_PER_S, ort: t.ort / TICKS_PER_S, spin: t.spin / TICKS_PER_S,
      other: this.#otherS,
    };
  }
}
