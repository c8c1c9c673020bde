// DynamicBatcher: batching behaviour on a fake clock and a fake pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferError } from '../../src/core/errors.js';
import { FakeClock, FakePool, settle, track } from './helpers.js';
import { echo, item, make, ranIds, type P } from './scheduler-fixture.js';
import { DynamicBatcher } from '../../src/batching/scheduler.js';

test('a quiet batcher sends at once; requests arriving while the worker is busy form one batch', async () => {
  const { pool, b } = make({ maxBatchSize: 8, maxQueueDelayUs: 1000 });
  const a = track(b.submit(item(1)));
  assert.deepEqual(ranIds(pool), [[1]]);
  assert.equal(pool.ran[0]!.reason, 'idle-worker');
  const rest = [2, 3, 4].map((n) => track(b.submit(item(n))));
  assert.equal(b.counters.queueDepth, 3);
  await pool.complete();
  assert.deepEqual(ranIds(pool), [[1], [2, 3, 4]]);
  await pool.complete();
  await Promise.all([a.done, ...rest.map((r) => r.done)]);
  assert.equal(a.state, 'ok');
  assert.deepEqual([...a.value!.outputs.y!.bytes], [1]);
  assert.deepEqual(rest.map((r) => r.value!.outputs.y!.bytes[0]), [2, 3, 4]);
  assert.equal(rest[0]!.value!.batchRows, 3);
  const c = b.counters;
  assert.equal(c.batches, 2);
  assert.equal(c.rows, 4);
  assert.equal(c.completed, 4);
  assert.deepEqual(c.batchSizeHistogram.le.slice(0, 4), [1, 2, 4, 8]);
  assert.deepEqual(c.batchSizeHistogram.counts, [1, 0, 1, 0, 0]);
  assert.equal(c.queueDepth, 0);
  assert.equal(c.inFlightBatches, 0);
});

test('with a defer hook, every request submitted before it fires joins one batch', async () => {
  const hooks: Array<() => void> = [];
  const { pool, b } = make({ maxBatchSize: 3, maxQueueDelayUs: 1000 }, 1, (fn) => hooks.push(fn));
  const reqs = [1, 2, 3, 4].map((n) => track(b.submit(item(n))));
  assert.equal(hooks.length, 1, 'one deferred decision per burst, not one per request');
  assert.deepEqual(ranIds(pool), [], 'nothing is sent before the hook fires');
  assert.equal(b.counters.queueDepth, 4);
  hooks.shift()!();
  assert.deepEqual(ranIds(pool), [[1, 2, 3]], 'a full batch at once; the fourth waits for the worker');
  // A submit after the hook fired schedules a new decision.
  const late = track(b.submit(item(5)));
  assert.equal(hooks.length, 1);
  await pool.complete();
  assert.deepEqual(ranIds(pool), [[1, 2, 3], [4, 5]], 'the freed worker takes what is queued, deferred or not');
  hooks.shift()!(); // the stale decision finds nothing to do
  assert.deepEqual(ranIds(pool), [[1, 2, 3], [4, 5]]);
  await pool.complete();
  await Promise.all([...reqs, late].map((r) => r.done));
  assert.deepEqual([...reqs, late].map((r) => r.state), ['ok', 'ok', 'ok', 'ok', 'ok']);
});

test('with a batch in flight and a worker idle it waits maxQueueDelayUs on one timer', async () => {
  const { clock, pool, b } = make({ maxBatchSize: 8, maxQueueDelayUs: 500 }, 2);
  b.submit(item(1));
  clock.advance(100);
  b.submit(item(2)); // waits: oldest admitted at 100, send at 600
  assert.equal(b.counters.timerArms, 1);
  clock.advance(100);
  b.submit(item(3));
  b.submit(item(4));
  assert.equal(b.counters.timerArms, 1, 'the wake time did not change: no re-arm');
  assert.equal(clock.pendingTimers, 1);
  clock.advance(399); // now 599
  assert.deepEqual(ranIds(pool), [[1]]);
  clock.advance(1); // now 600: item 2 has waited 500 us
  assert.deepEqual(ranIds(pool), [[1], [2, 3, 4]]);
  assert.equal(pool.ran[1]!.reason, 'delay');
  assert.equal(b.counters.queueTimeUsSum, 0 + 500 + 400 + 400);
  assert.equal(b.counters.queueTimeCount, 4);
  assert.equal(clock.pendingTimers, 0);
});

test('a batch finishing ends the wait early (nothing in flight, worker idle)', async () => {
  const { clock, pool, b } = make({ maxBatchSize: 8, maxQueueDelayUs: 500 }, 2);
  b.submit(item(1));
  b.submit(item(2));
  assert.deepEqual(ranIds(pool), [[1]]);
  clock.advance(50);
  await pool.complete();
  assert.deepEqual(ranIds(pool), [[1], [2]]);
  assert.equal(pool.ran[1]!.reason, 'idle-worker');
  assert.equal(clock.pendingTimers, 0, 'the stale timer was cleared');
  clock.advance(1000);
  assert.equal(pool.ran.length, 2);
});

test('reaching maxBatchSize sends without waiting; compute time is summed per batch', async () => {
  const { clock, pool, b } = make({ maxBatchSize: 4, maxQueueDelayUs: 10_000 }, 2);
  b.submit(item(0));
  for (let n = 1; n <= 3; n++) b.submit(item(n));
  assert.equal(pool.ran.length, 1);
  b.submit(item(4));
  assert.deepEqual(ranIds(pool), [[0], [1, 2, 3, 4]]);
  assert.equal(pool.ran[1]!.reason, 'full');
  clock.advance(70);
  await pool.complete(1);
  assert.equal(b.counters.computeTimeUsSum, 70);
  assert.equal(b.counters.computeTimeCount, 1);
});

test('preferred batch sizes are sent as soon as they are reached', async () => {
  const { pool, b } = make({ maxBatchSize: 16, maxQueueDelayUs: 10_000, preferredBatchSizes: [3] }, 2);
  b.submit(item(0));
  b.submit(item(1));
  b.submit(item(2));
  assert.equal(pool.ran.length, 1);
  b.submit(item(3));
  assert.deepEqual(ranIds(pool), [[0], [1, 2, 3]]);
  assert.equal(pool.ran[1]!.reason, 'preferred');
});

test('higher-priority requests run first', async () => {
  const { pool, b } = make({ maxBatchSize: 1, priorityLevels: 3, defaultPriorityLevel: 2 });
  b.submit(item(0));
  b.submit(item(1, { priority: 3 }));
  b.submit(item(2)); // default level 2
  b.submit(item(3, { priority: 1 }));
  for (let i = 0; i < 3; i++) await pool.complete();
  assert.deepEqual(ranIds(pool), [[0], [3], [2], [1]]);
});

test('requests with different shape signatures go to different batches', async () => {
  const { pool, b } = make({ maxBatchSize: 8 });
  b.submit(item(0));
  b.submit(item(1, { signature: 'A' }));
  b.submit(item(2, { signature: 'B' }));
  b.submit(item(3, { signature: 'A' }));
  b.submit(item(4, { signature: 'B' }));
  await pool.complete();
  await pool.complete();
  assert.deepEqual(ranIds(pool), [[0], [1, 3], [2, 4]]);
  assert.deepEqual(pool.ran.map((x) => x.signature), ['A', 'A', 'B']);
});

test('unbatchable and zero-row requests run alone', async () => {
  const { pool, b } = make({ maxBatchSize: 8 });
  b.submit(item(0));
  b.submit(item(1));
  b.submit(item(2, { unbatchable: true }));
  b.submit(item(3));
  b.submit(item(4, { rows: 0 }));
  for (let i = 0; i < 3; i++) await pool.complete();
  assert.deepEqual(ranIds(pool), [[0], [1, 3], [2], [4]]);
});

test('poke() re-decides when capacity frees outside this model (shared pool)', async () => {
  const { pool, b } = make({ maxBatchSize: 8 }, 0);
  b.submit(item(0));
  assert.equal(pool.ran.length, 0);
  pool.workers = 1;
  b.poke();
  assert.deepEqual(ranIds(pool), [[0]]);
});

test('preserveOrdering delivers results in admission order', async () => {
  for (const preserve of [true, false]) {
    const { pool, b } = make({ maxBatchSize: 8, maxQueueDelayUs: 0, preserveOrdering: preserve }, 2);
    const order: number[] = [];
    const p1 = b.submit(item(1)).then(() => order.push(1));
    const p2 = b.submit(item(2)).then(() => order.push(2));
    assert.deepEqual(ranIds(pool), [[1], [2]]);
    await pool.complete(1); // the second batch finishes first
    assert.deepEqual(order, preserve ? [] : [2]);
    await pool.complete(0);
    await Promise.all([p1, p2]);
    assert.deepEqual(order, preserve ? [1, 2] : [2, 1]);
  }
});

test('an executor failure rejects every request of the batch; InferErrors pass through', async () => {
  const { pool, b } = make({ maxBatchSize: 8 });
  const a = track(b.submit(item(0)));
  const rest = [track(b.submit(item(1))), track(b.submit(item(2)))];
  await pool.fail(new Error('ORT: bad alloc'));
  await a.done;
  assert.equal((a.error as InferError).code, 'IG_INFERENCE_FAILED');
  assert.match((a.error as InferError).message, /bad alloc/);
  await pool.fail(new InferError('IG_MODEL_NOT_READY', 'unloaded'));
  await Promise.all(rest.map((r) => r.done));
  assert.deepEqual(rest.map((r) => (r.error as InferError).code), ['IG_MODEL_NOT_READY', 'IG_MODEL_NOT_READY']);
  assert.equal(b.counters.failed, 3);
  assert.equal(b.counters.inFlightBatches, 0);
});

test('a synchronous executor throw and malformed results become IG_INFERENCE_FAILED', async () => {
  const { DynamicBatcher } = await import('../../src/batching/scheduler.js');
  let mode = 0;
  const b = new DynamicBatcher<number>({
    options: { maxBatchSize: 8, maxQueueDelayUs: 0 },
    idleWorkers: () => 1,
    execute: (batch) => {
      if (mode === 0) throw new Error('sync boom');
      if (mode === 1) return Promise.resolve({ outputs: [] });
      return Promise.resolve({ outputs: batch.entries.map(() => ({ y: { shape: [5], bytes: new Uint8Array(5) } })) });
    },
  });
  const codes: string[] = [];
  for (mode = 0; mode < 3; mode++) {
    await b.submit({ rows: 1, signature: 's', payload: mode }).catch((e: InferError) => codes.push(e.code + ':' + e.message));
  }
  assert.equal(codes.length, 3);
  assert.match(codes[0]!, /^IG_INFERENCE_FAILED:sync boom/);
  assert.match(codes[1]!, /^IG_INFERENCE_FAILED:executor returned 0 outputs for 1 batch entries/);
  assert.match(codes[2]!, /^IG_INFERENCE_FAILED:output "y" has 5 rows/);
});

test('drain() sends queued work without waiting for the delay and resolves when all is done', async () => {
  const { pool, b } = make({ maxBatchSize: 8, maxQueueDelayUs: 1_000_000 }, 2);
  const all = [0, 1, 2].map((n) => track(b.submit(item(n))));
  assert.equal(pool.ran.length, 1);
  let drained = false;
  const d = b.drain().then(() => { drained = true; });
  assert.deepEqual(ranIds(pool), [[0], [1, 2]]);
  assert.equal(pool.ran[1]!.reason, 'flush');
  await pool.complete();
  assert.equal(drained, false);
  await pool.complete();
  await d;
  await Promise.all(all.map((r) => r.done));
  assert.deepEqual(all.map((r) => r.state), ['ok', 'ok', 'ok']);
  await b.drain(); // nothing left: resolves at once
});

test('close() refuses new requests with IG_SHUTTING_DOWN and finishes the queued ones', async () => {
  const { pool, b } = make({ maxBatchSize: 8, maxQueueDelayUs: 1000 });
  const a = track(b.submit(item(0)));
  const q = track(b.submit(item(1)));
  const closed = b.close();
  assert.equal(b.closed, true);
  await assert.rejects(b.submit(item(2)), (e: InferError) => e.code === 'IG_SHUTTING_DOWN' && e.status === 503);
  assert.equal(b.counters.rejected.IG_SHUTTING_DOWN, 1);
  await pool.complete();
  await pool.complete();
  await closed;
  await Promise.all([a.done, q.done]);
  assert.deepEqual([a.state, q.state], ['ok', 'ok']);
  await settle();
});

test('every worker busy: a batch within inlineMaxRows still leaves (rule I); a larger head waits', async () => {
  const clock = new FakeClock();
  const pool = new FakePool<P>(1, echo);
  const b = new DynamicBatcher<P>({
    options: { maxBatchSize: 8, maxQueueDelayUs: 1000 }, clock,
    execute: pool.execute, idleWorkers: pool.idleWorkers, onWorkerFree: pool.onWorkerFree, inlineMaxRows: () => 2,
  });
  const all = [track(b.submit(item(1))), track(b.submit(item(2))), track(b.submit(item(3)))];
  // 1 took the worker; 2 waited for company (a batch in flight), 3 made it 2 rows: full inline.
  assert.deepEqual(ranIds(pool), [[1], [2, 3]]);
  assert.equal(pool.ran[1]!.reason, 'full');
  all.push(track(b.submit(item(5, { rows: 3 }))), track(b.submit(item(9))));
  assert.deepEqual(ranIds(pool), [[1], [2, 3]], '3 rows cannot run inline and 9 may not overtake');
  await pool.complete();
  await pool.complete();
  assert.deepEqual(ranIds(pool), [[1], [2, 3], [5, 9]]);
  await pool.complete();
  await Promise.all(all.map((t) => t.done));
  assert.ok(all.every((t) => t.state === 'ok'));
});
