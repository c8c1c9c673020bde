// The inline policy on its own, with a fake event-loop idle clock: every rule that decides
// whether a batch may skip the worker hop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INLINE, InlinePolicy } from '../../src/pool/inline.js';

function policy(options: Partial<typeof DEFAULT_INLINE> = {}) {
  const clock = { idleMs: 0 };
  const p = new InlinePolicy({ maxRows: 4, maxComputeUs: 200, minIdleUs: 50, ...options }, () => clock.idleMs);
  /** The event loop sleeps this long before the next dispatch. */
  const sleep = (us: number) => { clock.idleMs += us / 1000; };
  return { p, sleep };
}

test('a small batch on a quiet gateway runs inline', () => {
  const { p, sleep } = policy();
  sleep(50);
  assert.equal(p.admit('m', 1, 0), 'inline');
  sleep(200);
  assert.equal(p.admit('m', 4, 0), 'inline');
});

test('a loop that slept less than minIdleUs since the previous dispatch asks for a recheck', () => {
  const { p, sleep } = policy();
  sleep(49);
  assert.equal(p.admit('m', 1, 0), 'recheck');
  sleep(30); // 30 since the previous dispatch, not 79 in all
  assert.equal(p.admit('m', 1, 0), 'recheck');
  assert.equal(p.admit('m', 1, 0), 'recheck');
  sleep(60);
  assert.equal(p.admit('m', 1, 0), 'inline');
});

test('recheck: still quiet only if no request arrived and no worker became busy meanwhile', () => {
  const { p } = policy();
  p.noteArrival();
  const mark = p.arrivals;
  assert.equal(p.recheck(mark, 0), true);
  assert.equal(p.recheck(mark, 1), false);
  p.noteArrival();
  assert.equal(p.recheck(mark, 0), false);
  assert.equal(p.recheck(p.arrivals, 0), true);
});

test('large batches and busy workers always go to a worker', () => {
  const { p, sleep } = policy();
  sleep(1000);
  assert.equal(p.admit('m', 5, 0), 'worker');
  sleep(1000);
  assert.equal(p.admit('m', 1, 1), 'worker');
  sleep(1000);
  assert.equal(policy({ maxRows: 0 }).p.admit('m', 1, 0), 'worker');
  assert.equal(p.admit('m', 1, 0), 'inline');
});

test('a model whose small batches are slow never blocks the event loop', () => {
  const { p, sleep } = policy({ maxComputeUs: 100 });
  p.observe('slow', 1, 400);
  p.observe('fast', 1, 20);
  p.observe('fast', 64, 5000); // large batches say nothing about small ones
  p.observe('fast', 0, 5000); // nor do batches of unknown size (warm-up)
  sleep(100);
  assert.equal(p.admit('slow', 1, 0), 'worker');
  sleep(100);
  assert.equal(p.admit('fast', 1, 0), 'inline');
  // The moving average follows the measurements down...
  for (let i = 0; i < 20; i++) p.observe('slow', 1, 30);
  sleep(100);
  assert.equal(p.admit('slow', 1, 0), 'inline');
  // ...and a reloaded model starts afresh.
  p.observe('slow', 1, 10_000);
  sleep(100);
  assert.equal(p.admit('slow', 1, 0), 'worker');
  p.forget('slow');
  sleep(100);
  assert.equal(p.admit('slow', 1, 0), 'inline');
});

test('options are validated', () => {
  assert.throws(() => new InlinePolicy({ maxRows: -1 }), (e: Error) => e instanceof RangeError && /inline.maxRows must be a non-negative integer \(got -1\)/.test(e.message));
  assert.throws(() => new InlinePolicy({ minIdleUs: 0.5 }), RangeError);
  assert.deepEqual(new InlinePolicy().options, DEFAULT_INLINE);
});
