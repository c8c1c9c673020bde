// The machine note every hostile-input, soak and overload result carries.
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface MachineNote {
  cores: number;
  cpu: string;
  memGiB: number;
  loadAvg1m: number;
  node: string;
  note: string;
}

export function machineNote(note = '2 shared cores; other helpers\' builds and tests running at the same time'): MachineNote {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    loadAvg1m: loadavg()[0]!,
    node: process.version,
    note,
  };
}

/** VmRSS of a process in bytes (Linux /proc), or this process's RSS. */
export async function rssOf(pid?: number): Promise<number> {
  if (pid === undefined) return process.memoryUsage.rss();
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}
