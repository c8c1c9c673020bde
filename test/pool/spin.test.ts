// The event-loop Spinner (src/pool/spin.ts): while it spins the loop polls instead of sleeping
// (libuv counts no idle time); windows from touch() and extend() end on time, cancelWindow()
// ends one at once, and busy() holds it past any window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Spinner } from '../../src/pool/spin.js';

/** Event-loop idle time (ms) spent while `ms` of wall time pass. */
async function idleDuring(ms: number): Promise<number> {
  const before = performance.eventLoopUtilization();
  await sleep(ms);
  return performance.eventLoopUtilization(before).idle;
}

test('extend() keeps the loop polling for its window, then lets it sleep', async () => {
  const s = new Spinner(0);
  assert.equal(s.spinning, false);
  s.touch(); // spinUs 0 and not busy: nothing
  assert.equal(s.spinning, false);
  s.extend(60_000);
  assert.equal(s.spinning, true);
  assert.ok(await idleDuring(30) < 10, 'a polling loop does not sleep');
  await sleep(50);
  assert.equal(s.spinning, false);
  assert.ok(await idleDuring(30) > 15, 'past the window the loop sleeps again');
  s.extend(0);
  assert.equal(s.spinning, false);
});

test('cancelWindow() ends a window at the next poll; busy() outlasts any window', async () => {
  const s = new Spinner(0);
  s.extend(1_000_000);
  s.cancelWindow();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(s.spinning, false);
  let busy = true;
  const b = new Spinner(1000, () => busy);
  b.touch();
  await sleep(10);
  assert.equal(b.spinning, true, 'busy past the 1 ms window');
  busy = false;
  b.cancelWindow();
  await sleep(5);
  assert.equal(b.spinning, false);
});
