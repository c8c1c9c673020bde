// The soak's memory check (bench/hostile/rss-trend.ts), the short form of npm run soak: flat RSS
// with noise passes, and a process that leaks on purpose fails, both on synthetic series and on
// this process's own RSS while it really leaks (the negative control must be able to fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rssTrend, type RssSample } from '../../bench/hostile/rss-trend.js';
import { Rng } from '../../bench/hostile/mutate.js';

test('flat with noise passes, a step then a plateau passes, a slope fails; warm-up samples are left out', () => {
  const rng = new Rng(6);
  const flat: RssSample[] = Array.from({ length: 600 }, (_, i) => ({ t: i, rssMiB: (i < 60 ? 100 + 3 * i : 280) + rng.int(6) - 3 }));
  const t = rssTrend(flat, 60, 4);
  assert.ok(t.pass && Math.abs(t.slopeMiBPerMin) < 1, JSON.stringify(t));
  assert.ok(t.spreadMiB <= 6 && t.residualMiB < 4);
  // Without the warm-up cut the start-up ramp is in the window: the fit reads it as a slope.
  assert.ok(rssTrend(flat, 0, 4).slopeMiBPerMin > 4);
  // The soak's own shape: one 25 MiB step inside the window, flat before and after. The fit says
  // ~25 MiB/min over 2 minutes; the last third sets no new high, so it passes.
  const step: RssSample[] = Array.from({ length: 120 }, (_, i) => ({ t: i, rssMiB: (i < 75 ? 150 : 175) + rng.int(3) }));
  const st = rssTrend(step, 30, 4);
  assert.ok(st.slopeMiBPerMin > 10 && st.pass, JSON.stringify(st));
  // 10 MiB/min: the check tolerates the allowed 4 MiB/min plus 8 MiB of noise per third.
  const leak = flat.map((s) => ({ t: s.t, rssMiB: s.rssMiB + s.t * (10 / 60) }));
  const l = rssTrend(leak, 60, 4);
  assert.ok(!l.pass && Math.abs(l.slopeMiBPerMin - 10) < 0.5, JSON.stringify(l));
  assert.throws(() => rssTrend(flat.slice(0, 10), 60, 4), /need at least 3/);
});

test('negative control: this process leaking 1 MiB every 20 ms fails the check; the same process without the leak passes', async () => {
  const sample = async (ms: number, step: () => void): Promise<RssSample[]> => {
    const out: RssSample[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      step();
      out.push({ t: (performance.now() - t0) / 1000, rssMiB: process.memoryUsage.rss() / 2 ** 20 });
      await new Promise((r) => setTimeout(r, 20));
    }
    return out;
  };
  const kept: Buffer[] = [];
  const leaking = await sample(1500, () => kept.push(Buffer.alloc(1 << 20, 1)));
  const leak = rssTrend(leaking, 0.2, 4);
  assert.equal(leak.pass, false, `the check missed a leak: ${JSON.stringify(leak)}`);
  kept.length = 0;
  // The same sampling without the leak stays under the limit.
  const steady = await sample(1500, () => {});
  const st = rssTrend(steady, 0.2, 4);
  assert.ok(st.pass, `a process that allocates nothing failed the check: ${JSON.stringify(st)}`);
});
