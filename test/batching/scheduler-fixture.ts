// Shared fixture for the DynamicBatcher tests: a 1-row payload whose fake outputs encode which
// request and which row they belong to, so a test can tell whose rows came back.
import { DynamicBatcher, type Batch, type BatchResult, type PendingItem } from '../../src/batching/scheduler.js';
import type { BatcherOptions } from '../../src/batching/options.js';
import { FakeClock, FakePool } from './helpers.js';

export interface P { n: number }

/** Output y of an entry: one byte per row, (n + row index within the request) & 255. */
export function echo(b: Batch<P>): BatchResult {
  return {
    outputs: b.entries.map((e) => ({
      y: { shape: [e.rows], bytes: Uint8Array.from({ length: e.rows }, (_, i) => (e.payload.n + e.rowStart + i) & 255) },
    })),
  };
}

export function item(n: number, extra: Partial<PendingItem<P>> = {}): PendingItem<P> {
  return { rows: 1, signature: 'A', payload: { n }, ...extra };
}

export function make(options: Partial<BatcherOptions>, workers = 1, defer?: (fn: () => void) => void): { clock: FakeClock; pool: FakePool<P>; b: DynamicBatcher<P> } {
  const clock = new FakeClock();
  const pool = new FakePool<P>(workers, echo);
  const b = new DynamicBatcher<P>({
    options, clock, execute: pool.execute, idleWorkers: pool.idleWorkers, onWorkerFree: pool.onWorkerFree, defer,
  });
  return { clock, pool, b };
}

/** Payload numbers of each batch the pool ran. */
export function ranIds(pool: FakePool<P>): number[][] {
  return pool.ran.map((b) => b.entries.map((e) => e.payload.n));
}
