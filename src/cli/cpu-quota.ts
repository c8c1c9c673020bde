// The CPU quota (CFS bandwidth limit) this process runs under, if any: a Kubernetes CPU limit
// shows up here. Idle spinners must stay off under a quota: SCHED_IDLE time still counts
// against it, so spinning would get the whole container throttled, and a throttled
// container's tail latency is measured in the quota's period (100 ms by default).
import { readFileSync } from 'node:fs';

/** Reads a file as text, or undefined where it does not exist or cannot be read. */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The folder and every ancestor up to the root: "/a/b" -> ["/a/b", "/a", ""]. */
function selfAndAncestors(path: string): string[] {
  const parts = path.split('/').filter((p) => p.length > 0);
  const out: string[] = [];
  for (let n = parts.length; n >= 0; n--) out.push(n === 0 ? '' : `/${parts.slice(0, n).join('/')}`);
  return out;
}

/** cgroup v2 "cpu.max" ("max 100000" or "QUOTA PERIOD") -> cores, or undefined for none. */
function parseV2(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  const q = Number(quota), p = Number(period ?? 100000);
  return q > 0 && p > 0 ? q / p : undefined;
}

/** cgroup v1 cpu.cfs_quota_us (-1 = none) over cpu.cfs_period_us -> cores. */
function parseV1(quotaText: string, periodText: string | undefined): number | undefined {
  const q = Number(quotaText.trim()), p = Number((periodText ?? '100000').trim());
  return q > 0 && p > 0 ? q / p : undefined;
}

/**
 * The cores this process may use (docs/decisions/007): the CPUs it may run on, capped by a CFS
 * quota rounded down (a Kubernetes limit of 2 on a 64-core node is 2 cores, not 64; a limit of
 * 1.5 is 1, the half core left to the HTTP thread), at least 1.
 */
export function usableCores(cpus: number, quotaCores: number | undefined): number {
  return quotaCores === undefined ? Math.max(1, cpus) : Math.max(1, Math.min(cpus, Math.floor(quotaCores)));
}

/**
 * The tightest CPU quota on this process's cgroup or any ancestor, in cores (1.5 = 150 ms of
 * CPU per 100 ms), or undefined where there is none (or no cgroup information: not Linux).
 */
export function cpuQuotaCores(read: ReadText = readText, root = '/sys/fs/cgroup'): number | undefined {
  const self = read('/proc/self/cgroup');
  if (self === undefined) return undefined;
  let tightest: number | undefined;
  const keep = (cores: number | undefined): void => {
    if (cores !== undefined && (tightest === undefined || cores < tightest)) tightest = cores;
  };
  for (const line of self.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers, path] = m as unknown as [string, string, string, string];
    if (id === '0' && controllers === '') {
      for (const dir of selfAndAncestors(path)) {
        const text = read(`${root}${dir}/cpu.max`);
        if (text !== undefined) keep(parseV2(text));
      }
    } else if (controllers.split(',').includes('cpu')) {
      for (const mount of [`${root}/${controllers}`, `${root}/cpu`, `${root}/cpu,cpuacct`]) {
        for (const dir of selfAndAncestors(path)) {
          const quota = read(`${mount}${dir}/cpu.cfs_quota_us`);
          if (quota !== undefined) keep(parseV1(quota, read(`${mount}${dir}/cpu.cfs_period_us`)));
        }
      }
    }
  }
  return tightest;
}
