// The soak's memory check. RSS samples after warm-up are fitted with a least-squares line (slope,
// spread and residual are reported), but the verdict is "no new highs": the last third of the
// samples may not rise above the middle third's highest by more than the allowed slope over a
// third of the window plus NEW_HIGH_SLACK_MIB. A leak keeps setting new highs; a process that
// keeps memory for reuse grows in steps (V8 growing its young generation, allocator arenas) and
// then plateaus. A 2-minute soak showed why the fit alone cannot decide: one 25 MiB step, flat
// before and after, fitted as 25 MiB/min. Its negative control (a gateway that leaks on
// purpose, bench/peers/leaky-gateway.ts, and an in-process leak in the unit test) must fail it.

/** Noise a sample may carry above the middle third's high without counting as a new high. */
const NEW_HIGH_SLACK_MIB = 8;

export interface RssSample {
  /** Seconds since the run started. */
  t: number;
  rssMiB: number;
}

export interface RssTrend {
  samples: number;
  warmupS: number;
  slopeMiBPerMin: number;
  /** max - min after warm-up. */
  spreadMiB: number;
  /** Standard deviation of the residuals around the line. */
  residualMiB: number;
  firstMiB: number;
  lastMiB: number;
  maxSlopeMiBPerMin: number;
  /** Highest of the last third minus highest of the middle third. */
  newHighMiB: number;
  /** What newHighMiB may reach: the allowed slope over a third of the window, plus slack. */
  allowedNewHighMiB: number;
  pass: boolean;
}

export function rssTrend(samples: readonly RssSample[], warmupS: number, maxSlopeMiBPerMin: number): RssTrend {
  const xs = samples.filter((s) => s.t >= warmupS);
  if (xs.length < 3) throw new RangeError(`rssTrend: ${xs.length} samples after a ${warmupS} s warm-up; need at least 3`);
  const n = xs.length;
  const mt = xs.reduce((a, s) => a + s.t, 0) / n;
  const mr = xs.reduce((a, s) => a + s.rssMiB, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const s of xs) {
    sxy += (s.t - mt) * (s.rssMiB - mr);
    sxx += (s.t - mt) ** 2;
  }
  const slopePerS = sxx === 0 ? 0 : sxy / sxx;
  let ss = 0;
  for (const s of xs) ss += (s.rssMiB - (mr + slopePerS * (s.t - mt))) ** 2;
  const rss = xs.map((s) => s.rssMiB);
  const slopeMiBPerMin = slopePerS * 60;
  const span = xs[n - 1]!.t - xs[0]!.t;
  const middle = xs.filter((s) => s.t >= xs[0]!.t + span / 3 && s.t < xs[0]!.t + (2 * span) / 3);
  const last = xs.filter((s) => s.t >= xs[0]!.t + (2 * span) / 3);
  const high = (ys: readonly RssSample[]): number => Math.max(...ys.map((s) => s.rssMiB));
  const newHighMiB = middle.length > 0 && last.length > 0 ? high(last) - high(middle) : 0;
  const allowedNewHighMiB = (maxSlopeMiBPerMin * span) / 60 / 3 + NEW_HIGH_SLACK_MIB;
  return {
    samples: n, warmupS, slopeMiBPerMin, spreadMiB: Math.max(...rss) - Math.min(...rss), residualMiB: Math.sqrt(ss / n),
    firstMiB: rss[0]!, lastMiB: rss[n - 1]!, maxSlopeMiBPerMin, newHighMiB, allowedNewHighMiB, pass: newHighMiB < allowedNewHighMiB,
  };
}
