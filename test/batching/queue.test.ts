import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchQueue, type QueuedEntry } from '../../src/batching/queue.js';
import { InferError } from '../../src/core/errors.js';
import { seeded } from './helpers.js';

interface E extends QueuedEntry { id: number }
const bounds = { priorityLevels: 3, maxQueueSize: 100, maxQueueRows: 1000, shedStatus: 503 as const, retryAfterS: 2 };
let nextId = 0;
const e = (level: number, extra: Partial<E> = {}): E => ({ id: nextId++, rows: 1, signature: 's', enqueuedUs: 0, deadlineUs: 0, level, ...extra });

function ids(q: BatchQueue<E>): number[] {
  const out: number[] = [];
  for (let n = q.head(); n !== null; n = n.next) out.push(n.entry.id);
  return out;
}

test('dispatch order: higher priority level first, FIFO within a level', () => {
  nextId = 0;
  const q = new BatchQueue<E>(bounds);
  q.push(e(1)); q.push(e(2)); q.push(e(0)); q.push(e(1)); q.push(e(0)); q.push(e(2));
  assert.deepEqual(ids(q), [2, 4, 0, 3, 1, 5]);
  assert.equal(q.size, 6);
  assert.equal(q.shift()!.id, 2);
  assert.deepEqual(ids(q), [4, 0, 3, 1, 5]);
});

test('remove is O(1) unlink anywhere, idempotent, and keeps level tails right', () => {
  nextId = 0;
  const q = new BatchQueue<E>(bounds);
  const n0 = q.push(e(0)); const n1 = q.push(e(1)); const n2 = q.push(e(1)); const n3 = q.push(e(2));
  assert.equal(q.remove(n2), true); // tail of level 1
  assert.equal(q.remove(n2), false);
  q.push(e(1)); // id 4 goes after id 1, before level 2
  assert.deepEqual(ids(q), [0, 1, 4, 3]);
  q.remove(n0); q.remove(n3);
  q.push(e(0)); // id 5 is now the head
  assert.deepEqual(ids(q), [5, 1, 4]);
  q.remove(n1);
  assert.deepEqual(ids(q), [5, 4]);
  assert.equal(q.size, 2);
  assert.equal(q.rows, 2);
});

test('push rejects a level outside the configured levels', () => {
  const q = new BatchQueue<E>(bounds);
  assert.throws(() => q.push(e(3)), RangeError);
  assert.throws(() => q.push(e(-1)), RangeError);
});

test('admission enforces maxQueueSize and maxQueueRows with a retryable shed error', () => {
  const q = new BatchQueue<E>({ ...bounds, maxQueueSize: 2, maxQueueRows: 10 });
  assert.equal(q.checkAdmission(1, 4).admitted, true);
  q.push(e(0, { rows: 4 }));
  const tooManyRows = q.checkAdmission(1, 7);
  assert.equal(tooManyRows.admitted, false);
  q.push(e(0, { rows: 6 }));
  const full = q.checkAdmission(1, 0);
  assert.ok(!full.admitted);
  assert.ok(full.error instanceof InferError);
  assert.equal(full.error.code, 'IG_QUEUE_FULL');
  assert.equal(full.error.status, 503);
  assert.equal(full.error.retryAfterS, 2);
  assert.equal(full.error.retryable, true);
  // Several entries at once (a split request) are admitted all or nothing.
  q.shift();
  assert.equal(q.checkAdmission(2, 2).admitted, false);
  assert.equal(q.checkAdmission(1, 2).admitted, true);
});

test('shedStatus 429 sheds with IG_TOO_MANY_REQUESTS; a request bigger than the row bound is permanent', () => {
  const q = new BatchQueue<E>({ ...bounds, maxQueueSize: 1, maxQueueRows: 8, shedStatus: 429 });
  q.push(e(0));
  const r = q.checkAdmission(1, 1);
  assert.ok(!r.admitted);
  assert.equal(r.error.code, 'IG_TOO_MANY_REQUESTS');
  assert.equal(r.error.status, 429);
  const big = q.checkAdmission(1, 9);
  assert.ok(!big.admitted);
  assert.equal(big.error.code, 'IG_BATCH_TOO_LARGE');
  assert.equal(big.error.retryable, false);
});

test('deadline heap: nearest deadline and expired scan match brute force under random push/remove', () => {
  const rnd = seeded(42);
  const q = new BatchQueue<E>({ ...bounds, maxQueueSize: 10_000, maxQueueRows: 10_000 });
  const live = new Map<number, { node: ReturnType<BatchQueue<E>['push']>; e: E }>();
  for (let step = 0; step < 3000; step++) {
    if (rnd() < 0.6 || live.size === 0) {
      const d = rnd() < 0.3 ? 0 : 1 + Math.floor(rnd() * 1000);
      const entry = e(Math.floor(rnd() * 3), { deadlineUs: d });
      live.set(entry.id, { node: q.push(entry), e: entry });
    } else {
      const keys = [...live.keys()];
      const k = keys[Math.floor(rnd() * keys.length)]!;
      q.remove(live.get(k)!.node);
      live.delete(k);
    }
    if (step % 50 === 0) {
      const deadlines = [...live.values()].map((v) => v.e.deadlineUs).filter((d) => d > 0);
      assert.equal(q.nearestDeadlineUs(), deadlines.length === 0 ? 0 : Math.min(...deadlines));
      const now = Math.floor(rnd() * 1000);
      const expired: E[] = [];
      const next = q.scanDeadlines(now, expired);
      const want = [...live.values()].filter((v) => v.e.deadlineUs > 0 && v.e.deadlineUs <= now).map((v) => v.e.id).sort((a, b) => a - b);
      assert.deepEqual(expired.map((x) => x.id).sort((a, b) => a - b), want);
      const future = deadlines.filter((d) => d > now);
      assert.equal(next, future.length === 0 ? 0 : Math.min(...future));
    }
  }
  assert.equal(q.size, live.size);
});
