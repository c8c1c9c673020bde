// The adaptive concurrency limit, driven through windows of samples on a fake clock: the first
// window measures the no-load latency, overload makes the limit fall to its minimum, recovery
// makes it grow to its maximum, an unused limit does not grow, each step is smoothed, and the
// periodic probe re-measures the no-load latency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveLimit, percentile, type LimitWindow } from '../../src/pipeline/adaptive-limit.js';

const OPTS = { initialLimit: 20, minLimit: 4, maxLimit: 100, tolerance: 0.5, smoothing: 0.2, windowUs: 100_000, minSamples: 20, probeIntervalUs: 0 };

/** A fake clock and a limit: window() feeds one window of samples of `latencyUs` (all equal)
 *  with `inFlight` requests admitted at the time, and returns the window it closed. */
function rig(opts: Partial<typeof OPTS> = {}) {
  const lim = new AdaptiveLimit({ ...OPTS, ...opts });
  let now = 1_000_000;
  const window = (latencyUs: number, inFlight = lim.limit, samples = 25): LimitWindow => {
    const step = Math.ceil(lim.options.windowUs / samples) + 1;
    for (let i = 0; i < samples * 4; i++) {
      now += step;
      const w = lim.onSample(now, latencyUs, now - latencyUs, inFlight);
      if (w) return w;
    }
    throw new Error('no window closed');
  };
  return { lim, window, now: () => now, advance: (us: number) => { now += us; } };
}

test('the first window runs at the minimum limit and measures the no-load latency', () => {
  const { lim, window } = rig();
  assert.equal(lim.limit, 4);
  assert.equal(lim.probing, true);
  assert.equal(lim.noLoadUs, Infinity);
  const w = window(500);
  assert.deepEqual(w, { latencyUs: 500, noLoadUs: 500, limit: 20, probe: true });
  assert.equal(lim.limit, 20, 'back to the initial limit after the probe');
});

test('a window needs both its duration and its minimum sample count', () => {
  const lim = new AdaptiveLimit(OPTS);
  for (let i = 0; i < 19; i++) assert.equal(lim.onSample(1000 + i * 10_000, 500, 0, 1), undefined);
  assert.equal(lim.onSample(200_000, 500, 0, 1)?.probe, true, 'the 20th sample after 100 ms closes it');
  const lim2 = new AdaptiveLimit(OPTS);
  for (let i = 0; i < 100; i++) assert.equal(lim2.onSample(1000 + i, 500, 0, 1), undefined, 'many samples within 100 ms: still open');
});

test('overload: the limit falls while latency stays over the tolerance, and stops at min_limit', () => {
  const { lim, window } = rig();
  window(500);
  const seen: number[] = [];
  for (let i = 0; i < 40; i++) seen.push(window(2000).limit);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! <= seen[i - 1]!, `non-increasing: ${seen.join(',')}`);
  assert.ok(seen[0]! < 20, 'falls at the first overloaded window');
  assert.equal(seen.at(-1), 4, 'stops at the minimum');
  assert.equal(lim.noLoadUs, 500, 'the no-load latency is the minimum, not the loaded latency');
});

test('recovery: once latency is back near the no-load latency the limit grows, up to max_limit', () => {
  const { window } = rig();
  window(500);
  for (let i = 0; i < 40; i++) window(2000);
  const seen: number[] = [];
  for (let i = 0; i < 80; i++) seen.push(window(550).limit);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!, `non-decreasing: ${seen.join(',')}`);
  assert.ok(seen[3]! > 4, `grows within a few windows: ${seen.join(',')}`);
  assert.equal(seen.at(-1), 100, 'stops at the maximum');
});

test('within the tolerance the limit holds its ground; beyond it, it falls', () => {
  const { lim, window } = rig();
  window(1000);
  const before = lim.limit;
  window(1500); // exactly n * (1 + tolerance): gradient 1, plus the headroom
  assert.ok(lim.limit >= before);
  const at = lim.limit;
  window(2000);
  assert.ok(lim.limit < at);
});

test('an unused limit does not grow: fewer than limit / 2 in flight caps the gradient at 1', () => {
  const { lim, window } = rig();
  window(500);
  for (let i = 0; i < 10; i++) window(500, 3);
  assert.equal(lim.limit, 20);
  window(500, 10);
  assert.ok(lim.limit > 20, 'half the limit in flight: it may grow');
});

test('smoothing: one window moves the limit by smoothing * (next - limit)', () => {
  const { lim, window } = rig();
  window(1000);
  window(3000); // gradient = 1000 * 1.5 / 3000 = 0.5; next = 10; smoothed 0.8 * 20 + 0.2 * 10 = 18
  assert.equal(lim.limit, 18);
  const { lim: lim2, window: window2 } = rig({ smoothing: 1 });
  window2(1000);
  window2(3000);
  assert.equal(lim2.limit, 10, 'smoothing 1: the new value at once');
  // The gradient is clamped at 0.5: a 100x latency halves (before smoothing), no more.
  const { lim: lim3, window: window3 } = rig({ smoothing: 1 });
  window3(1000);
  window3(100_000);
  assert.equal(lim3.limit, 10);
});

test('the probe re-measures the no-load latency at min_limit, ignoring requests admitted before it', () => {
  const { lim, window, advance, now } = rig({ probeIntervalUs: 1_000_000 });
  window(500);
  for (let i = 0; i < 5; i++) window(600);
  advance(1_000_000);
  const w = window(600);
  const held = w.limit;
  assert.equal(w.probe, false);
  assert.equal(lim.probing, true, 'the window after the interval starts a probe');
  assert.equal(lim.limit, 4, 'pinned to the minimum while probing');
  // Requests admitted before the probe began (queued behind the load) are not no-load samples.
  const t = now() + 1;
  for (let i = 0; i < 50; i++) assert.equal(lim.onSample(t + i * 10_000, 5000, 0, 30), undefined);
  // The model became slower for good (800 us alone): the probe takes that as the new baseline.
  let done: LimitWindow | undefined;
  for (let i = 0; i < 50 && !done; i++) done = lim.onSample(t + 600_000 + i * 10_000, 800, t + 600_000, 4);
  assert.deepEqual(done && { probe: done.probe, noLoadUs: done.noLoadUs }, { probe: true, noLoadUs: 800 });
  assert.equal(lim.limit, held, 'the limit before the probe is restored');
  advance(1_000_000);
  assert.ok(window(1000).limit >= held, '1000 us is within the tolerance of the new baseline');
});

test('bounds: the initial limit is clamped; bad options are refused', () => {
  const lim = new AdaptiveLimit({ ...OPTS, initialLimit: 500 });
  lim.onSample(0, 1, 0, 1);
  for (let i = 1; i <= 20; i++) lim.onSample(i * 10_000, 1, 0, 1);
  assert.equal(lim.limit, 100);
  assert.throws(() => new AdaptiveLimit({ ...OPTS, minLimit: 0 }), RangeError);
  assert.throws(() => new AdaptiveLimit({ ...OPTS, minLimit: 200 }), RangeError);
  assert.throws(() => new AdaptiveLimit({ ...OPTS, smoothing: 0 }), RangeError);
});

test('a closed loop with a model of 8 parallel slots settles near the knee, not at a queue', () => {
  // Latency = 1 ms while at most 8 are admitted; beyond that the excess queues (latency grows
  // with the admitted count). Offered load is unbounded: every admitted slot is full.
  const { lim, window } = rig({ initialLimit: 50, maxLimit: 1000 });
  window(1000, 4);
  const lat = (n: number): number => 1000 * Math.max(1, n / 8);
  for (let i = 0; i < 200; i++) window(lat(lim.limit), lim.limit);
  assert.ok(lim.limit >= 8 && lim.limit <= 14, `limit ${lim.limit}`);
  assert.ok(lat(lim.limit) <= 1000 * 1.5 * 1.2, 'latency near the tolerance over no-load');
});

test('percentile: nearest rank', () => {
  assert.equal(percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9), 9);
  assert.equal(percentile([7], 0.9), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});
