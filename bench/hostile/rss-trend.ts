// The soak's memory check: RSS samples after warm-up fitted with a least-squares line. A process
// that keeps memory for reuse shows a flat line with some spread; a leak shows a slope. The check
// passes when the slope stays under maxSlopeMiBPerMin. Its negative control (a gateway that leaks
// on purpose, bench/peers/leaky-gateway.ts, and an in-process leak in the unit test) must fail it.

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
  return {
    samples: n, warmupS, slopeMiBPerMin, spreadMiB: Math.max(...rss) - Math.min(...rss), residualMiB: Math.sqrt(ss / n),
    firstMiB: rss[0]!, lastMiB: rss[n - 1]!, maxSlopeMiBPerMin, pass: slopeMiBPerMin < maxSlopeMiBPerMin,
  };
}
