// Every rule of decide() (see the rule list in src/batching/decide.ts), on a hand-set clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, SCAN_LIMIT, type DecideOptions, type DecideState, type Decision } from '../../src/batching/decide.js';
import { BatchQueue, type QueuedEntry } from '../../src/batching/queue.js';

interface E extends QueuedEntry { id: string }

const OPTS: DecideOptions = { maxBatchSize: 8, maxQueueDelayUs: 1000, preferredBatchSizes: [] };
const IDLE: DecideState = { idleWorkers: 1, inFlightBatches: 1 }; // a worker free, but a batch in flight
const QUIET: DecideState = { idleWorkers: 1, inFlightBatches: 0 };

function queue(...entries: Partial<E>[]): BatchQueue<E> {
  const q = new BatchQueue<E>({ priorityLevels: 3, maxQueueSize: 100_000, maxQueueRows: 1_000_000, shedStatus: 503, retryAfterS: 1 });
  entries.forEach((x, i) => q.push({ id: `r${i}`, rows: 1, signature: 'A', enqueuedUs: 0, deadlineUs: 0, level: 0, ...x }));
  return q;
}

function sent(d: Decision<E>): { reason: string; rows: number; ids: string[] } {
  assert.equal(d.action, 'send', `expected send, got ${JSON.stringify(d)}`);
  if (d.action !== 'send') throw new Error('unreachable');
  return { reason: d.reason, rows: d.rows, ids: d.requests.map((r) => r.id) };
}

test('rule 0: an empty queue is idle', () => {
  assert.deepEqual(decide(queue(), 0, OPTS, QUIET), { action: 'idle', expired: [] });
});

test('rule E: expired entries are reported, never batched; all expired means idle', () => {
  const q = queue({ deadlineUs: 50 }, { deadlineUs: 500 }, { deadlineUs: 40 });
  const d = decide(q, 100, { ...OPTS, maxQueueDelayUs: 0 }, QUIET);
  assert.deepEqual(sent(d), { reason: 'no-delay', rows: 1, ids: ['r1'] });
  assert.deepEqual(d.expired.map((e) => e.id).sort(), ['r0', 'r2']);
  const all = decide(queue({ deadlineUs: 10 }, { deadlineUs: 20 }), 20, OPTS, QUIET);
  assert.equal(all.action, 'idle');
  assert.equal(all.expired.length, 2);
});

test('decide is pure: same inputs give the same answer and the queue is untouched', () => {
  const q = queue({ rows: 3 }, { rows: 2, deadlineUs: 5 });
  const a = decide(q, 10, OPTS, IDLE);
  const b = decide(q, 10, OPTS, IDLE);
  assert.deepEqual(a, b);
  assert.equal(q.size, 2);
  assert.equal(q.rows, 5);
});

test('rule C: no idle worker means no send; wait only for the nearest deadline', () => {
  const q = queue({ rows: 8 });
  assert.deepEqual(decide(q, 0, OPTS, { idleWorkers: 0, inFlightBatches: 2 }), { action: 'idle', expired: [] });
  const withDeadline = queue({ rows: 8 }, { deadlineUs: 700 }, { deadlineUs: 300 });
  assert.deepEqual(decide(withDeadline, 100, OPTS, { idleWorkers: 0, inFlightBatches: 2 }), { action: 'wait', waitUs: 200, expired: [] });
});

test('rule C: inline capacity 0 (or absent) is no capacity; idle workers ignore inlineMaxRows', () => {
  const q = queue({ rows: 2 });
  assert.deepEqual(decide(q, 0, OPTS, { idleWorkers: 0, inlineMaxRows: 0, inFlightBatches: 0 }), { action: 'idle', expired: [] });
  // With a worker idle the limit is maxBatchSize, whatever the inline capacity.
  const big = queue({ rows: 6 }, { rows: 2 });
  assert.deepEqual(sent(decide(big, 0, OPTS, { idleWorkers: 1, inlineMaxRows: 4, inFlightBatches: 1 })), { reason: 'full', rows: 8, ids: ['r0', 'r1'] });
});

const BUSY_INLINE_4: DecideState = { idleWorkers: 0, inlineMaxRows: 4, inFlightBatches: 2 };

test('rule I: every worker busy, a batch within the inline rows is still built and sent', () => {
  // Three 1-row entries and a 2-row one: the candidate stops at 4 rows, blocked by the 2-row entry.
  const q = queue({ rows: 1 }, { rows: 1 }, { rows: 1 }, { rows: 2 });
  assert.deepEqual(sent(decide(q, 0, OPTS, BUSY_INLINE_4)), { reason: 'full', rows: 3, ids: ['r0', 'r1', 'r2'] });
  const exact = queue({ rows: 2 }, { rows: 2 }, { rows: 1 });
  assert.deepEqual(sent(decide(exact, 0, OPTS, BUSY_INLINE_4)), { reason: 'full', rows: 4, ids: ['r0', 'r1'] });
  // Below the limit, the other rules still apply: with nothing of this model in flight, send...
  assert.deepEqual(sent(decide(queue({ rows: 1 }), 0, OPTS, { ...BUSY_INLINE_4, inFlightBatches: 0 })), { reason: 'idle-worker', rows: 1, ids: ['r0'] });
  // ...with a batch in flight, wait for maxQueueDelayUs as usual (not for a worker)...
  assert.deepEqual(decide(queue({ rows: 1 }), 100, OPTS, BUSY_INLINE_4), { action: 'wait', waitUs: 900, expired: [] });
  // ...and send once it has passed.
  assert.deepEqual(sent(decide(queue({ rows: 1 }), 1000, OPTS, BUSY_INLINE_4)), { reason: 'delay', rows: 1, ids: ['r0'] });
});

test('rule I: a head of more rows than can run inline waits for a worker, as in C', () => {
  const q = queue({ rows: 5 }, { rows: 1 });
  assert.deepEqual(decide(q, 0, OPTS, BUSY_INLINE_4), { action: 'idle', expired: [] });
  const withDeadline = queue({ rows: 5, deadlineUs: 300 }, { rows: 1 });
  assert.deepEqual(decide(withDeadline, 100, OPTS, BUSY_INLINE_4), { action: 'wait', waitUs: 200, expired: [] });
  // Unbatched models too: the head goes only if its rows fit.
  const unbatched = { ...OPTS, maxBatchSize: 0 };
  assert.deepEqual(decide(queue({ rows: 5 }), 0, unbatched, BUSY_INLINE_4), { action: 'idle', expired: [] });
  assert.deepEqual(sent(decide(queue({ rows: 3 }), 0, unbatched, BUSY_INLINE_4)), { reason: 'unbatched', rows: 3, ids: ['r0'] });
});

test('rule I: an inline limit above maxBatchSize leaves maxBatchSize the limit', () => {
  const q = queue({ rows: 6 }, { rows: 2 }, { rows: 1 });
  assert.deepEqual(sent(decide(q, 0, OPTS, { idleWorkers: 0, inlineMaxRows: 64, inFlightBatches: 2 })), { reason: 'full', rows: 8, ids: ['r0', 'r1'] });
});

test('rule U: maxBatchSize 0 sends the head alone with its rows as-is', () => {
  const q = queue({ rows: 5000 }, { rows: 1 });
  assert.deepEqual(sent(decide(q, 0, { ...OPTS, maxBatchSize: 0 }, IDLE)), { reason: 'unbatched', rows: 5000, ids: ['r0'] });
});

test('rule 1: a batch that reaches maxBatchSize is sent at once', () => {
  const q = queue({ rows: 3 }, { rows: 5 }, { rows: 1 });
  assert.deepEqual(sent(decide(q, 0, OPTS, IDLE)), { reason: 'full', rows: 8, ids: ['r0', 'r1'] });
});

test('rule 1: blocked by the next entry; a later small entry does not overtake it', () => {
  const q = queue({ rows: 3 }, { rows: 6 }, { rows: 1 });
  assert.deepEqual(sent(decide(q, 0, OPTS, IDLE)), { reason: 'full', rows: 3, ids: ['r0'] });
});

test('rule 1: an entry larger than maxBatchSize at the head runs alone', () => {
  const q = queue({ rows: 20 }, { rows: 1 });
  assert.deepEqual(sent(decide(q, 0, OPTS, IDLE)), { reason: 'full', rows: 20, ids: ['r0'] });
});

test('rule 2/8: wait until the oldest entry has waited maxQueueDelayUs, then send what there is', () => {
  const q = queue({ enqueuedUs: 100 }, { enqueuedUs: 400 });
  assert.deepEqual(decide(q, 500, OPTS, IDLE), { action: 'wait', waitUs: 600, expired: [] });
  assert.deepEqual(decide(q, 1099, OPTS, IDLE), { action: 'wait', waitUs: 1, expired: [] });
  assert.deepEqual(sent(decide(q, 1100, OPTS, IDLE)), { reason: 'delay', rows: 2, ids: ['r0', 'r1'] });
});

test('rule 8: the wait is cut short by the nearest deadline (of any entry)', () => {
  const q = queue({ enqueuedUs: 0 }, { signature: 'B', deadlineUs: 250 });
  assert.deepEqual(decide(q, 100, OPTS, IDLE), { action: 'wait', waitUs: 150, expired: [] });
});

test('rule 3: a reachable preferred size is sent at once (the longest preferred prefix)', () => {
  const o = { ...OPTS, maxBatchSize: 16, preferredBatchSizes: [2, 4, 8] };
  const q = queue({}, {}, {}, {}, {}); // five 1-row entries
  assert.deepEqual(sent(decide(q, 0, o, IDLE)), { reason: 'preferred', rows: 4, ids: ['r0', 'r1', 'r2', 'r3'] });
  // With maxQueueDelayUs 0 the preferred prefix is still what is sent (as Triton does).
  assert.deepEqual(sent(decide(q, 0, { ...o, maxQueueDelayUs: 0 }, IDLE)).ids.length, 4);
  // Once the delay has passed, everything pending goes.
  assert.deepEqual(sent(decide(q, 1000, o, IDLE)), { reason: 'delay', rows: 5, ids: ['r0', 'r1', 'r2', 'r3', 'r4'] });
  // A preferred size not reachable by any prefix does not trigger.
  assert.equal(decide(queue({ rows: 3 }), 0, o, IDLE).action, 'wait');
});

test('rule 4: at or past the largest preferred size without an exact hit, send everything', () => {
  const o = { ...OPTS, maxBatchSize: 16, preferredBatchSizes: [4] };
  assert.deepEqual(sent(decide(queue({ rows: 3 }, { rows: 3 }), 0, o, IDLE)), { reason: 'target', rows: 6, ids: ['r0', 'r1'] });
});

test('rule 5: maxQueueDelayUs 0 never waits', () => {
  assert.deepEqual(sent(decide(queue({}), 0, { ...OPTS, maxQueueDelayUs: 0 }, IDLE)), { reason: 'no-delay', rows: 1, ids: ['r0'] });
});

test('rule 6: flush (drain/close) sends without waiting', () => {
  assert.deepEqual(sent(decide(queue({}), 0, OPTS, { ...IDLE, flush: true })), { reason: 'flush', rows: 1, ids: ['r0'] });
});

test('rule 7: a worker idle and nothing in flight sends at once; with a batch in flight it waits', () => {
  const q = queue({ enqueuedUs: 0 }, { enqueuedUs: 10 });
  assert.deepEqual(sent(decide(q, 10, OPTS, QUIET)), { reason: 'idle-worker', rows: 2, ids: ['r0', 'r1'] });
  assert.deepEqual(decide(q, 10, OPTS, IDLE), { action: 'wait', waitUs: 990, expired: [] });
});

test('shape signature: the batch follows the head signature; others stay queued', () => {
  const q = queue({ signature: 'A' }, { signature: 'B' }, { signature: 'A' }, { signature: 'B' }, { signature: 'A' });
  assert.deepEqual(sent(decide(q, 0, OPTS, QUIET)).ids, ['r0', 'r2', 'r4']);
  q.shift(); // r0 at the head gone: now B leads
  q.remove(q.head()!.next!); // r2
  assert.deepEqual(sent(decide(q, 0, OPTS, QUIET)).ids, ['r1', 'r3']);
});

test('priorities: a higher level drains first; lower-level entries of the same shape may join', () => {
  const q = queue(
    { level: 1, rows: 4, enqueuedUs: 0 },
    { level: 0, rows: 2, enqueuedUs: 50, signature: 'B' },
    { level: 0, rows: 2, enqueuedUs: 60 },
  );
  // Dispatch order is r1 (level 0, B), r2 (level 0, A), r0 (level 1, A): B leads.
  assert.deepEqual(sent(decide(q, 60, OPTS, QUIET)).ids, ['r1']);
  q.shift();
  assert.deepEqual(sent(decide(q, 60, OPTS, QUIET)), { reason: 'idle-worker', rows: 6, ids: ['r2', 'r0'] });
});

test('the wait is measured from the oldest entry in the candidate batch', () => {
  const q = queue({ level: 0, enqueuedUs: 500 }, { level: 1, enqueuedUs: 100 });
  assert.deepEqual(decide(q, 600, OPTS, IDLE), { action: 'wait', waitUs: 500, expired: [] });
});

test('the walk is bounded by SCAN_LIMIT', () => {
  const entries: Partial<E>[] = [{ signature: 'A' }];
  for (let i = 0; i < SCAN_LIMIT + 10; i++) entries.push({ signature: 'B' });
  entries.push({ signature: 'A' });
  assert.deepEqual(sent(decide(queue(...entries), 0, OPTS, QUIET)).ids, ['r0']);
});
