// The process's CPU split by thread (src/observability/thread-cpu.ts, used by /metrics and the
// bench's load generator): roles from the thread names the gateway sets (native/thread_name.h),
// per-thread deltas between two snapshots, what no named thread accounts for (exited threads,
// V8's) landing in "other", and counters that never fall when a thread exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { splitTicks, threadRole, threadTicks, ThreadCpuCounter, type ThreadRole } from '../../src/observability/thread-cpu.js';
import { createGatewayMetrics } from '../../src/observability/gateway-metrics.js';

test('threadRole: the main thread is the HTTP thread; workers, ORT threads and spinners by name; the rest other', () => {
  assert.equal(threadRole(100, 100, 'node'), 'http');
  assert.equal(threadRole(100, 101, 'ig-worker-3'), 'workers');
  assert.equal(threadRole(100, 102, 'ig-ort'), 'ort');
  assert.equal(threadRole(100, 103, 'ig-idle-spin'), 'spin');
  assert.equal(threadRole(100, 104, 'node'), 'other');
  assert.equal(threadRole(100, 105, 'ig-ortx'), 'other');
});

test('splitTicks: per-thread deltas; a new thread counts whole, an exited one and unnamed threads go to other', () => {
  const m = (e: [number, ThreadRole, number][]): Map<number, [ThreadRole, number]> => new Map(e.map(([t, r, k]) => [t, [r, k]]));
  const a = m([[1, 'http', 100], [2, 'workers', 50], [3, 'workers', 70], [4, 'other', 10], [5, 'ort', 5]]);
  // Thread 3 exited (its 20 last ticks are only in the process total); thread 6 is new.
  const b = m([[1, 'http', 130], [2, 'workers', 90], [4, 'other', 14], [5, 'ort', 5], [6, 'workers', 7]]);
  const processDelta = 30 + 40 + 20 + 4 + 0 + 7;
  assert.deepEqual(splitTicks(a, b, processDelta), { http: 30, workers: 47, ort: 0, spin: 0, other: 24 });
  // Never negative, even when the process total lags the threads' (separate reads).
  assert.equal(splitTicks(a, b, 50).other, 0);
});

test('threadTicks reads this process: its main thread is the HTTP role', { skip: existsSync('/proc/self/task') ? false : 'no /proc on this platform' }, () => {
  const t = threadTicks(process.pid);
  assert.ok(t !== null);
  assert.equal(t.get(process.pid)?.[0], 'http');
  assert.equal(threadTicks(2 ** 30), null, 'no such process');
});

const LINUX = existsSync('/proc/self/task') ? false : 'no /proc on this platform';

test('ThreadCpuCounter: totals by role only grow, and the roles add up to the process total', { skip: LINUX }, () => {
  const c = new ThreadCpuCounter();
  const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end); };
  busy(60);
  const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const a = c.read(cpu())!;
  busy(60);
  const b = c.read(cpu())!;
  for (const role of ['http', 'workers', 'ort', 'spin', 'other'] as const) assert.ok(b[role] >= a[role], `${role} fell`);
  assert.ok(b.http >= 0.05, `the main thread's busy loop shows as http (${b.http} s)`);
  const sum = b.http + b.workers + b.ort + b.spin + b.other;
  assert.ok(Math.abs(sum - cpu()) < 0.1, `roles ${sum} s against the process's ${cpu()} s`);
  // A smaller process total (a read that lags) never makes "other" fall.
  assert.equal(c.read(0)!.other, b.other);
});

test('/metrics exports infergate_thread_cpu_seconds_total for every role', { skip: LINUX }, () => {
  const text = createGatewayMetrics().registry.render();
  for (const role of ['http', 'workers', 'ort', 'spin', 'other']) {
    assert.match(text, new RegExp(`^infergate_thread_cpu_seconds_total\\{thread="${role}"\\} [0-9.e-]+$`, 'm'));
  }
});
