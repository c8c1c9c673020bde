// Deadline-aware batching: the cost model learned online (cost-model.ts), earliest deadline
// first within a priority level (queue.ts), rules D and S of decide(), and the batcher that ties
// them together, on a hand-driven clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affordablePrefix, decide, type DecideOptions, type DecideState, type Decision } from '../../src/batching/decide.js';
import { BatchCostModel, predictUs, type CostEstimate } from '../../src/batching/cost-model.js';
import { BatchQueue, type QueuedEntry } from '../../src/batching/queue.js';
import { item, make, ranIds } from './scheduler-fixture.js';
import { settle, track } from './helpers.js';

interface E extends QueuedEntry { id: string }

const OPTS: DecideOptions = { maxBatchSize: 8, maxQueueDelayUs: 1000, preferredBatchSizes: [] };
/** 100 us per batch + 10 us per row. */
const COST: CostEstimate = { fixedUs: 100, perRowUs: 10 };
const BUSY: DecideState = { idleWorkers: 1, inFlightBatches: 1, cost: COST }; // would otherwise wait (rule 8)

function queue(...entries: Partial<E>[]): BatchQueue<E> {
  const q = new BatchQueue<E>({ priorityLevels: 3, maxQueueSize: 1000, maxQueueRows: 100_000, shedStatus: 503, retryAfterS: 1 });
  entries.forEach((x, i) => q.push({ id: `r${i}`, rows: 1, signature: 'A', enqueuedUs: 0, deadlineUs: 0, level: 0, ...x }));
  return q;
}

function order(q: BatchQueue<E>): string[] {
  const out: string[] = [];
  for (let n = q.head(); n !== null; n = n.next) out.push(n.entry.id);
  return out;
}

function sent(d: Decision<E>): { reason: string; rows: number; ids: string[] } {
  if (d.action !== 'send') throw new assert.AssertionError({ message: `expected send, got ${JSON.stringify(d)}` });
  return { reason: d.reason, rows: d.rows, ids: d.requests.map((r) => r.id) };
}

test('the cost model recovers fixed + per-row cost from noisy batches, and follows a change', () => {
  const m = new BatchCostModel({ alpha: 0.05 });
  assert.equal(m.estimate(), undefined);
  assert.equal(predictUs(undefined, 100), 0);
  let seed = 7;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 20; // +-10 us
  for (let i = 0; i < 400; i++) {
    const rows = 1 + (i * 7) % 64;
    m.observe(rows, 200 + 3 * rows + noise());
  }
  const e = m.estimate()!;
  assert.ok(Math.abs(e.fixedUs - 200) < 15, `fixed ${e.fixedUs}`);
  assert.ok(Math.abs(e.perRowUs - 3) < 0.4, `per row ${e.perRowUs}`);
  // The machine gets twice as slow: the fit follows within a few hundred batches.
  for (let i = 0; i < 300; i++) {
    const rows = 1 + (i * 5) % 64;
    m.observe(rows, 400 + 6 * rows);
  }
  const f = m.estimate()!;
  assert.ok(Math.abs(f.fixedUs - 400) < 10 && Math.abs(f.perRowUs - 6) < 0.3, JSON.stringify(f));
});

test('the cost model: one batch size charges its mean per row; a negative slope or intercept is clamped; junk is ignored', () => {
  const one = new BatchCostModel({ minSamples: 2 });
  one.observe(8, 400);
  assert.equal(one.estimate(), undefined, 'fewer than minSamples');
  one.observe(8, 400);
  assert.deepEqual(one.estimate(), { fixedUs: 0, perRowUs: 50 });
  const flat = new BatchCostModel({ minSamples: 1, alpha: 0.5 });
  flat.observe(1, 500);
  flat.observe(10, 100);
  assert.equal(flat.estimate()!.perRowUs, 0);
  assert.ok(flat.estimate()!.fixedUs > 0);
  const origin = new BatchCostModel({ minSamples: 1, alpha: 0.5 });
  origin.observe(1, 1);
  origin.observe(10, 100);
  assert.equal(origin.estimate()!.fixedUs, 0);
  assert.ok(origin.estimate()!.perRowUs > 0);
  const junk = new BatchCostModel({ minSamples: 1 });
  for (const [r, us] of [[0, 10], [-1, 10], [4, NaN], [4, -5], [4, Infinity]]) junk.observe(r!, us!);
  assert.equal(junk.samples, 0);
  assert.throws(() => new BatchCostModel({ alpha: 0 }), RangeError);
});

test('earliest deadline first within a priority level; no deadline after those with one; FIFO among ties; levels first', () => {
  const q = queue(
    { id: 'a' }, { id: 'b', deadlineUs: 900 }, { id: 'c', deadlineUs: 500 }, { id: 'd', deadlineUs: 500 },
    { id: 'e', level: 1, deadlineUs: 100 }, { id: 'f', deadlineUs: 700 }, { id: 'g' }, { id: 'h', level: 1 }, { id: 'i', level: 1, deadlineUs: 50 },
  );
  assert.deepEqual(order(q), ['c', 'd', 'f', 'b', 'a', 'g', 'i', 'e', 'h']);
  // Tails stay right: removal, then pushes at every level.
  q.remove(q.head()!.next! as never);
  q.push({ id: 'j', rows: 1, signature: 'A', enqueuedUs: 0, deadlineUs: 0, level: 0 });
  q.push({ id: 'k', rows: 1, signature: 'A', enqueuedUs: 0, deadlineUs: 0, level: 1 });
  q.push({ id: 'l', rows: 1, signature: 'A', enqueuedUs: 0, deadlineUs: 1, level: 2 });
  assert.deepEqual(order(q), ['c', 'f', 'b', 'a', 'g', 'j', 'i', 'e', 'h', 'k', 'l']);
  assert.equal(q.size, 11);
});

test('rule D: an entry never waits past the latest start its deadline affords with the expected compute', () => {
  // 3 rows: expected 130 us. Deadline 1000: latest start 870.
  const q = queue({ deadlineUs: 1000 }, {}, {});
  assert.deepEqual(decide(q, 0, OPTS, { ...BUSY, cost: undefined }), { action: 'wait', waitUs: 1000, expired: [] }, 'no cost: the delay');
  assert.deepEqual(decide(q, 0, OPTS, BUSY), { action: 'wait', waitUs: 870, expired: [] });
  assert.deepEqual(decide(q, 500, OPTS, BUSY), { action: 'wait', waitUs: 370, expired: [] });
  assert.deepEqual(sent(decide(q, 870, OPTS, BUSY)), { reason: 'deadline', rows: 3, ids: ['r0', 'r1', 'r2'] });
  // The delay still wins when it is sooner.
  const far = queue({ deadlineUs: 100_000 });
  assert.deepEqual(decide(far, 0, OPTS, BUSY), { action: 'wait', waitUs: 1000, expired: [] });
});

test('rule S: a batch is split rather than let its earliest member miss; the rest stays queued', () => {
  // 8 rows = full (rule 1) would take 180 us; r0's deadline is 150 us away: 5 rows (150 us) fit.
  const q = queue({ deadlineUs: 150 }, {}, {}, {}, {}, {}, {}, {});
  assert.deepEqual(sent(decide(q, 0, OPTS, BUSY)), { reason: 'deadline-split', rows: 5, ids: ['r0', 'r1', 'r2', 'r3', 'r4'] });
  assert.equal(q.size, 8, 'pure: nothing removed');
  // A lower-priority member with an earlier deadline joins only while the batch ends in time.
  const mixed = queue({ deadlineUs: 1000 }, { deadlineUs: 1000 }, { level: 1, deadlineUs: 125 }, { level: 1 });
  assert.deepEqual(sent(decide(mixed, 0, OPTS, { ...BUSY, idleWorkers: 1, inFlightBatches: 0 })), { reason: 'deadline-split', rows: 2, ids: ['r0', 'r1'] });
  // When even the head alone cannot end in time, splitting saves nobody: the batch goes whole.
  const lost = queue({ deadlineUs: 50 }, {}, {}, {}, {}, {}, {}, {});
  assert.deepEqual(sent(decide(lost, 0, OPTS, BUSY)), { reason: 'full', rows: 8, ids: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'] });
  // No cost known: only expiry applies, the batch is whole.
  assert.equal(sent(decide(q, 0, OPTS, { ...BUSY, cost: undefined })).rows, 8);
});

test('affordablePrefix: the longest prefix that ends in time; the whole when all fit or the head alone cannot', () => {
  const e = (rows: number, deadlineUs: number): QueuedEntry => ({ rows, deadlineUs, signature: 'A', enqueuedUs: 0, level: 0 });
  assert.equal(affordablePrefix([e(1, 0), e(1, 0)], 2, 0, COST), 2);
  assert.equal(affordablePrefix([e(2, 150), e(4, 0), e(1, 0)], 3, 0, COST), 1); // 2 rows 120 us; 6 rows 160 > 150
  assert.equal(affordablePrefix([e(1, 0), e(1, 0), e(1, 115)], 3, 0, COST), 2); // 3 rows 130 > 115
  assert.equal(affordablePrefix([e(1, 50), e(1, 0)], 2, 0, COST), 2); // the head alone takes 110 > 50
  assert.equal(affordablePrefix([e(1, 1000), e(1, 0)], 2, 900, COST), 2);
  assert.equal(affordablePrefix([e(1, 1000), e(1, 0)], 2, 885, COST), 1); // 2 rows: 885 + 120 > 1000
});

test('the batcher learns the cost from finished batches and splits for a deadline it could not otherwise meet', async () => {
  const turn: (() => void)[] = [];
  const endTurn = (): void => { for (const f of turn.splice(0)) f(); };
  const { clock, pool, b } = make({ maxBatchSize: 8, maxQueueDelayUs: 10_000 }, 1, (fn) => turn.push(fn));
  // Teach it: batches of 1 and 4 rows at 100 us + 10 us per row.
  for (const rows of [1, 4, 1, 4, 1, 4]) {
    const ps = Array.from({ length: rows }, (_, i) => track(b.submit(item(i))));
    endTurn();
    clock.advance(100 + 10 * rows);
    await pool.complete();
    await Promise.all(ps.map((p) => p.done));
  }
  const est = b.cost.estimate()!;
  assert.ok(Math.abs(est.fixedUs - 100) < 1 && Math.abs(est.perRowUs - 10) < 0.1, JSON.stringify(est));

  // The worker is busy; 8 requests queue, the first due 300 us from now. The worker frees up
  // 110 us later: 8 rows end at +290, in time, so all 8 go together.
  pool.ran.length = 0;
  const blocker = track(b.submit(item(99)));
  endTurn();
  const t0 = clock.now;
  const urgent = track(b.submit(item(0, { deadlineUs: t0 + 300 })));
  const rest = Array.from({ length: 7 }, (_, i) => track(b.submit(item(i + 1))));
  endTurn();
  assert.deepEqual(ranIds(pool), [[99]], 'no worker: nothing sent');
  clock.advance(110);
  await pool.complete();
  assert.deepEqual(ranIds(pool)[1], [0, 1, 2, 3, 4, 5, 6, 7]);
  clock.advance(180);
  await pool.complete();
  await Promise.all([blocker.done, urgent.done, ...rest.map((r) => r.done)]);
  assert.equal(urgent.state, 'ok');

  // Again, due 295 us from now, and the worker frees up only after 140 us: 8 rows (180 us) or
  // 6 rows (160 us) would end too late, 5 rows (150 us) end at +290. The rest goes next.
  const blocker2 = track(b.submit(item(98)));
  endTurn();
  const t1 = clock.now;
  const urgent2 = track(b.submit(item(0, { deadlineUs: t1 + 295 })));
  const rest2 = Array.from({ length: 7 }, (_, i) => track(b.submit(item(i + 1))));
  endTurn();
  clock.advance(140);
  await pool.complete();
  const split = pool.ran.at(-1)!;
  assert.deepEqual(split.entries.map((e) => e.payload.n), [0, 1, 2, 3, 4]);
  assert.equal(split.reason, 'deadline-split');
  clock.advance(150);
  await pool.complete();
  assert.equal(urgent2.state, 'ok');
  assert.ok(clock.now <= t1 + 295);
  assert.deepEqual(pool.ran.at(-1)!.entries.map((e) => e.payload.n), [5, 6, 7]);
  await pool.complete();
  await Promise.all([blocker2.done, ...rest2.map((r) => r.done)]);
  assert.ok(rest2.every((r) => r.state === 'ok'));
});
