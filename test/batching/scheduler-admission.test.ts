// DynamicBatcher: admission control, deadlines, cancellation, oversize requests, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferError } from '../../src/core/errors.js';
import { track } from './helpers.js';
import { item, make, ranIds } from './scheduler-fixture.js';

const code = (e: unknown): string => (e as InferError).code;

test('a full queue sheds at once with 503 + Retry-After (or 429 when configured)', async () => {
  for (const shedStatus of [503, 429] as const) {
    const { b } = make({ maxBatchSize: 8, maxQueueSize: 2, shedStatus, retryAfterS: 7 });
    b.submit(item(0)); // running
    b.submit(item(1));
    b.submit(item(2));
    await assert.rejects(b.submit(item(3)), (e: InferError) =>
      e.code === (shedStatus === 503 ? 'IG_QUEUE_FULL' : 'IG_TOO_MANY_REQUESTS') && e.status === shedStatus && e.retryAfterS === 7);
    const key = shedStatus === 503 ? 'IG_QUEUE_FULL' : 'IG_TOO_MANY_REQUESTS';
    assert.equal(b.counters.rejected[key], 1);
    assert.equal(b.counters.admitted, 3);
  }
});

test('the row bound sheds too; a request that could never fit is a permanent 400', async () => {
  const { b } = make({ maxBatchSize: 8, maxQueueRows: 16 });
  b.submit(item(0)); // running, not queued
  b.submit(item(1, { rows: 8 }));
  b.submit(item(2, { rows: 8 }));
  await assert.rejects(b.submit(item(3, { rows: 1 })), (e: InferError) => e.code === 'IG_QUEUE_FULL');
  await assert.rejects(b.submit(item(4, { rows: 17 })), (e: InferError) => e.code === 'IG_BATCH_TOO_LARGE' && e.status === 400);
});

test('memory stays bounded under a flood: depth never passes the bounds, and every admitted request finishes', async () => {
  const { pool, b } = make({ maxBatchSize: 32, maxQueueSize: 64, maxQueueRows: 100 });
  const results = [];
  let maxDepth = 0;
  let maxRows = 0;
  for (let i = 0; i < 10_000; i++) {
    results.push(track(b.submit(item(i, { rows: 1 + (i % 3) }))));
    maxDepth = Math.max(maxDepth, b.counters.queueDepth);
    maxRows = Math.max(maxRows, b.counters.queueRows);
  }
  assert.ok(maxDepth <= 64, `depth ${maxDepth}`);
  assert.ok(maxRows <= 100, `rows ${maxRows}`);
  const c = b.counters;
  assert.equal(c.admitted + c.rejected.IG_QUEUE_FULL, 10_000);
  while (pool.running.length > 0) await pool.complete();
  await Promise.all(results.map((r) => r.done));
  assert.equal(results.filter((r) => r.state === 'ok').length, c.admitted);
  assert.equal(c.completed, c.admitted);
  assert.equal(c.queueDepth, 0);
});

test('a request whose deadline passes while queued is answered 504 at its deadline and never executed', async () => {
  const { clock, pool, b } = make({ maxBatchSize: 8 });
  b.submit(item(0)); // occupies the only worker
  const late = track(b.submit(item(1, { deadlineUs: 100 })));
  const fine = track(b.submit(item(2)));
  assert.equal(clock.nextWakeUs, 100, 'a timer is armed for the deadline');
  clock.advance(100);
  await late.done;
  assert.equal(late.state, 'err');
  assert.equal(code(late.error), 'IG_DEADLINE_EXCEEDED');
  assert.equal((late.error as InferError).status, 504);
  assert.equal(b.counters.expired, 1);
  assert.equal(b.counters.queueDepth, 1);
  await pool.complete();
  await pool.complete();
  await fine.done;
  assert.deepEqual(ranIds(pool), [[0], [2]]);
});

test('an expired request is skipped even when capacity frees after its deadline without a timer tick', async () => {
  const { clock, pool, b } = make({ maxBatchSize: 8, defaultTimeoutUs: 300 });
  b.submit(item(0));
  const a = track(b.submit(item(1)));
  assert.equal(clock.nextWakeUs, 300, 'the default timeout applies');
  clock.now = 400; // jump time without firing timers
  await pool.complete();
  await a.done;
  assert.equal(code(a.error), 'IG_DEADLINE_EXCEEDED');
  assert.deepEqual(ranIds(pool), [[0]]);
});

test('a sooner deadline re-arms the timer; a later one does not', async () => {
  const { clock, b } = make({ maxBatchSize: 8 });
  b.submit(item(0));
  b.submit(item(1, { deadlineUs: 500 }));
  assert.equal(b.counters.timerArms, 1);
  b.submit(item(2, { deadlineUs: 900 }));
  assert.equal(b.counters.timerArms, 1);
  b.submit(item(3, { deadlineUs: 200 }));
  assert.equal(b.counters.timerArms, 2);
  assert.equal(clock.pendingTimers, 1);
  assert.equal(clock.nextWakeUs, 200);
});

test('a deadline already passed at submit is refused without queueing', async () => {
  const { clock, pool, b } = make({ maxBatchSize: 8 });
  clock.now = 1000;
  await assert.rejects(b.submit(item(0, { deadlineUs: 999 })), (e: InferError) => e.code === 'IG_DEADLINE_EXCEEDED');
  assert.equal(b.counters.admitted, 0);
  assert.equal(pool.ran.length, 0);
});

test('a client that disconnects while queued is dropped from its batch', async () => {
  const { pool, b } = make({ maxBatchSize: 8 });
  b.submit(item(0));
  const ac = new AbortController();
  const viaSignal = track(b.submit(item(1, { signal: ac.signal })));
  const it = item(2);
  const viaCancel = track(b.submit(it));
  b.submit(item(3));
  ac.abort();
  assert.equal(b.cancel(it), true);
  assert.equal(b.cancel(it), false, 'second cancel is a no-op');
  assert.equal(b.counters.queueDepth, 1);
  await Promise.all([viaSignal.done, viaCancel.done]);
  assert.equal(code(viaSignal.error), 'IG_CANCELLED');
  assert.equal(code(viaCancel.error), 'IG_CANCELLED');
  await pool.complete();
  assert.deepEqual(ranIds(pool), [[0], [3]]);
  assert.equal(b.counters.cancelled, 2);
});

test('cancelling a dispatched request discards its result; the batch still finishes for the others', async () => {
  const { pool, b } = make({ maxBatchSize: 8 });
  const it = item(0);
  const a = track(b.submit(it));
  assert.equal(pool.ran.length, 1);
  assert.equal(b.cancel(it), true);
  await a.done;
  assert.equal(code(a.error), 'IG_CANCELLED');
  await pool.complete();
  assert.equal(b.counters.completed, 0);
  assert.equal(b.counters.inFlightBatches, 0);
});

test('an already-aborted signal is refused', async () => {
  const { b } = make({ maxBatchSize: 8 });
  await assert.rejects(b.submit(item(0, { signal: AbortSignal.abort() })), (e: InferError) => e.code === 'IG_CANCELLED');
  assert.equal(b.counters.admitted, 0);
});

test("oversize policy 'split' runs a large request in several batches and re-joins its rows in order", async () => {
  const { pool, b } = make({ maxBatchSize: 4, maxQueueDelayUs: 0 });
  const big = track(b.submit(item(100, { rows: 10 })));
  const small = track(b.submit(item(7)));
  while (pool.running.length > 0) await pool.complete();
  await Promise.all([big.done, small.done]);
  assert.deepEqual(pool.ran.map((x) => x.entries.map((e) => [e.payload.n, e.rowStart, e.rows])), [
    [[100, 0, 4]], [[100, 4, 4]], [[100, 8, 2], [7, 0, 1]],
  ]);
  assert.deepEqual([...big.value!.outputs.y!.bytes], [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  assert.deepEqual(big.value!.outputs.y!.shape, [10]);
  assert.equal(big.value!.runs, 3);
  assert.deepEqual([...small.value!.outputs.y!.bytes], [7]);
});

test('a split request that fails in one run is rejected once and its queued parts never run', async () => {
  const { pool, b } = make({ maxBatchSize: 4, maxQueueDelayUs: 0 });
  const big = track(b.submit(item(0, { rows: 12 })));
  // The pool announces the free worker before the failure reaches the batcher (as the real
  // pool does), so the second part starts; the third is still queued when the failure lands.
  await pool.fail(new Error('boom'));
  await big.done;
  assert.equal(code(big.error), 'IG_INFERENCE_FAILED');
  assert.deepEqual(pool.ran.map((x) => x.entries[0]!.rowStart), [0, 4]);
  assert.equal(b.counters.queueDepth, 0);
  await pool.complete(); // the second part's result is discarded
  assert.equal(pool.ran.length, 2);
  assert.equal(b.counters.failed, 1);
  assert.equal(b.counters.completed, 0);
});

test("oversize policy 'reject' answers IG_BATCH_TOO_LARGE (400)", async () => {
  const { b } = make({ maxBatchSize: 4, oversizePolicy: 'reject' });
  await assert.rejects(b.submit(item(0, { rows: 5 })), (e: InferError) => e.code === 'IG_BATCH_TOO_LARGE' && e.status === 400);
  assert.equal(b.counters.rejected.IG_BATCH_TOO_LARGE, 1);
});

test('bad input gets IG_BAD_REQUEST, never a crash', async () => {
  const { b } = make({ maxBatchSize: 4, priorityLevels: 2 });
  await assert.rejects(b.submit(item(0, { priority: 3 })), (e: InferError) => e.code === 'IG_BAD_REQUEST' && /priority 3/.test(e.message));
  await assert.rejects(b.submit(item(0, { priority: -1 })), (e: InferError) => e.code === 'IG_BAD_REQUEST');
  await assert.rejects(b.submit(item(0, { rows: -1 })), (e: InferError) => e.code === 'IG_BAD_REQUEST');
  await assert.rejects(b.submit(item(0, { rows: 1.5 })), (e: InferError) => e.code === 'IG_BAD_REQUEST');
  const it = item(1);
  b.submit(it);
  await assert.rejects(b.submit(it), (e: InferError) => e.code === 'IG_BAD_REQUEST' && /already queued/.test(e.message));
  assert.equal(b.counters.rejected.IG_BAD_REQUEST, 5);
});
