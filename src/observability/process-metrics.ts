// Process and event-loop metrics under the names prom-client's default metrics use
// (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_p99_seconds,
// ...), so the dashboards and alerts written for any Node service work unchanged. Everything is
// read at scrape time; nothing runs per request.
//
// Event-loop delay: perf_hooks' monitorEventLoopDelay samples the loop every 10 ms (one timer, no
// work per request). The percentiles cover the window since the previous scrape (the histogram is
// reset at each), as prom-client does, so an alert on p99 sees the recent past, not the
// average since start. This loop is also the HTTP thread: its delay is added to every request.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Registry } from './metrics.js';
import { THREAD_ROLES, ThreadCpuCounter, type ByThread } from './thread-cpu.js';

/** One monitor per process (its timer is shared by every registry; tests build many). */
let loopDelay: IntervalHistogram | undefined;

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

export function registerProcessMetrics(registry: Registry): void {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  }
  const eld = loopDelay;
  const startS = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  const cpu = registry.counter('process_cpu_seconds_total', 'User and system CPU time of the process (every thread: HTTP, workers, ORT, idle spinners), seconds');
  const user = registry.counter('process_cpu_user_seconds_total', 'User CPU time of the process, seconds');
  const system = registry.counter('process_cpu_system_seconds_total', 'System CPU time of the process, seconds');
  cpu.collect({}, () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; });
  user.collect({}, () => process.cpuUsage().user / 1e6);
  system.collect({}, () => process.cpuUsage().system / 1e6);
  // Which thread is saturated: the HTTP thread, the workers, ORT's threads, the idle spinners
  // (which only take time nothing else wants), or the runtime (GC). Read once per scrape.
  const threads = new ThreadCpuCounter();
  let byThread: ByThread | null = null;
  registry.beforeRender(() => {
    const u = process.cpuUsage();
    byThread = threads.read((u.user + u.system) / 1e6);
  });
  const threadCpu = registry.counter('infergate_thread_cpu_seconds_total',
    'CPU time by thread role (Linux): http = the HTTP thread, workers, ort = ONNX Runtime\'s threads, spin = idle spinners, other = GC and runtime; seconds');
  for (const role of THREAD_ROLES) threadCpu.collect({ thread: role }, () => byThread?.[role] ?? 0);
  registry.gauge('process_resident_memory_bytes', 'Resident set size, bytes').collect({}, () => process.memoryUsage.rss());
  registry.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, seconds').collect({}, () => startS);
  registry.gauge('process_open_fds', 'Open file descriptors (-1 where /proc is not readable)').collect({}, openFds);
  registry.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use (main thread), bytes').collect({}, () => process.memoryUsage().heapUsed);
  registry.gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved (main thread), bytes').collect({}, () => process.memoryUsage().heapTotal);
  registry.gauge('nodejs_external_memory_bytes', 'Memory of buffers and native objects held by JS, bytes').collect({}, () => process.memoryUsage().external);

  // One snapshot per scrape, then a fresh window.
  let window = { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  registry.beforeRender(() => {
    const s = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    window = eld.count === 0 ? { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 } : {
      min: s(eld.min), mean: s(eld.mean), p50: s(eld.percentile(50)), p90: s(eld.percentile(90)), p99: s(eld.percentile(99)), max: s(eld.max),
    };
    eld.reset();
  });
  for (const k of ['min', 'mean', 'p50', 'p90', 'p99', 'max'] as const) {
    registry.gauge(`nodejs_eventloop_lag_${k}_seconds`, `Event-loop (HTTP thread) delay since the previous scrape, ${k}, seconds`).collect({}, () => window[k]);
  }
}
