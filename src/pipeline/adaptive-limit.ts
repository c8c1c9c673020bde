// An adaptive concurrency limit: the gradient controller of Envoy's adaptive concurrency filter,
// with the smoothing and the "no growth while the limit is not used" rule of Netflix
// concurrency-limits' Gradient2, over a no-load latency that is re-measured on a schedule.
//
//   window statistic s = the p90 of the latencies of one window (>= windowUs and >= minSamples)
//   no-load latency n  = the lowest s seen since the last probe (a probe pins the limit to
//                        minLimit for one window and restarts n from that window's s)
//   gradient g         = clamp(n * (1 + tolerance) / s, 0.5, 1 + tolerance)
//   next               = limit * g, plus sqrt(limit) headroom when g >= 1 (room to find more)
//                        unless the limit went unused
//   limit              = clamp((1 - smoothing) * limit + smoothing * next, minLimit, maxLimit)
// and when less than limit / 2 was in flight during the window, g is capped at 1: a limit that
// is not used has not been shown to be safe, so it must not grow. The unit of the limit and of
// "in flight" is the caller's: the gate (concurrency-gate.ts) counts batches.
//
// Why a probe: n only ever falls between probes; without re-measuring, a model that became
// slower for good (a new version, a busier host) would keep its limit at the minimum forever,
// and a window minimum taken under load would ratchet n upwards instead (each window's latency
// at the setpoint becoming the next baseline). Pinning the concurrency low for one window, as
// Envoy does, measures the latency the model has with no queue.
//
// Pure: time arrives as arguments (microseconds on any monotonic clock); no timers, no IO.

export interface AdaptiveLimitOptions {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  /** Latency allowed over the no-load latency: 0.5 = 50%. */
  tolerance: number;
  /** Weight of the new value in the smoothed limit (Netflix Gradient2: 0.2). */
  smoothing: number;
  /** A window closes at the first sample after this long, once it holds minSamples. */
  windowUs: number;
  minSamples: number;
  /** The no-load latency is re-measured this long after the last measurement; 0 = never. */
  probeIntervalUs: number;
}

/** Windows of 100 ms (Envoy's sample window) answer within a fraction of a second of a change
 *  in load; 20 samples give a p90 that one outlier does not move. Gradient2's smoothing. A
 *  probe every 30 s costs one window in 300 at the minimum limit. */
export const ADAPTIVE_DEFAULTS: Omit<AdaptiveLimitOptions, 'initialLimit' | 'minLimit' | 'maxLimit' | 'tolerance'> = Object.freeze({
  smoothing: 0.2,
  windowUs: 100_000,
  minSamples: 20,
  probeIntervalUs: 30_000_000,
});

/** Samples kept per window: the p90 of the first 4096 is as good as of all. */
const MAX_WINDOW_SAMPLES = 4096;

export interface LimitWindow {
  /** The window's p90 latency. */
  latencyUs: number;
  /** The no-load latency after this window. */
  noLoadUs: number;
  /** The limit after this window. */
  limit: number;
  /** Whether this window measured the no-load latency (a probe). */
  probe: boolean;
}

export class AdaptiveLimit {
  readonly options: Readonly<AdaptiveLimitOptions>;
  #limit: number;
  #noLoadUs = Infinity;
  /** Start of the window being filled; -1 before the first sample. */
  #windowStartUs = -1;
  readonly #samples: number[] = [];
  #maxInFlight = 0;
  /** The first window measures the no-load latency (every request of it admitted at minLimit),
   *  so that a start under load cannot take a loaded latency for the baseline. */
  #probing = true;
  #probeStartUs = -Infinity;
  #lastProbeUs = 0;

  constructor(options: AdaptiveLimitOptions) {
    const o = options;
    if (!(o.minLimit >= 1 && o.minLimit <= o.maxLimit)) throw new RangeError(`minLimit ${o.minLimit} must be in 1..maxLimit (${o.maxLimit})`);
    if (!(o.smoothing > 0 && o.smoothing <= 1)) throw new RangeError(`smoothing ${o.smoothing} must be in (0, 1]`);
    if (!(o.tolerance >= 0)) throw new RangeError(`tolerance ${o.tolerance} must be >= 0`);
    this.options = Object.freeze({ ...o });
    this.#limit = Math.min(o.maxLimit, Math.max(o.minLimit, o.initialLimit));
  }

  /** Work that may be admitted at once now, in the gate's unit (batches). Not a whole
   *  number: the gate admits rows against limit x rows per batch, so 1.5 batches is a real setting. */
  get limit(): number {
    return this.#probing ? this.options.minLimit : round2(this.#limit);
  }

  /** The no-load latency; Infinity before the first window. */
  get noLoadUs(): number {
    return this.#noLoadUs;
  }

  get probing(): boolean {
    return this.#probing;
  }

  /**
   * One request finished successfully: `latencyUs` from its admission (at `admittedUs`) to its
   * answer, at `nowUs`, with `inFlight` admitted at the time (itself included; in the limit's unit).
   * Returns the window it closed, if it closed one.
   */
  onSample(nowUs: number, latencyUs: number, admittedUs: number, inFlight: number): LimitWindow | undefined {
    const o = this.options;
    if (this.#windowStartUs < 0) this.#windowStartUs = nowUs;
    // A probe measures requests admitted at the pinned concurrency only: earlier ones queued
    // behind the load the probe wants to be rid of.
    if (!this.#probing || admittedUs >= this.#probeStartUs) {
      if (this.#samples.length < MAX_WINDOW_SAMPLES) this.#samples.push(latencyUs);
      if (inFlight > this.#maxInFlight) this.#maxInFlight = inFlight;
    }
    if (nowUs - this.#windowStartUs < o.windowUs || this.#samples.length < o.minSamples) return undefined;
    return this.#closeWindow(nowUs);
  }

  #closeWindow(nowUs: number): LimitWindow {
    const o = this.options;
    const s = percentile(this.#samples, 0.9);
    const maxInFlight = this.#maxInFlight;
    this.#samples.length = 0;
    this.#maxInFlight = 0;
    this.#windowStartUs = nowUs;
    if (this.#probing) {
      this.#probing = false;
      this.#noLoadUs = s;
      this.#lastProbeUs = nowUs;
      return { latencyUs: s, noLoadUs: s, limit: this.limit, probe: true };
    }
    if (s < this.#noLoadUs) this.#noLoadUs = s;
    let g = Math.min(1 + o.tolerance, Math.max(0.5, (this.#noLoadUs * (1 + o.tolerance)) / s));
    const unused = maxInFlight < this.#limit / 2;
    if (unused) g = Math.min(g, 1);
    const next = this.#limit * g + (g >= 1 && !unused ? Math.sqrt(this.#limit) : 0);
    const smoothed = (1 - o.smoothing) * this.#limit + o.smoothing * next;
    this.#limit = Math.min(o.maxLimit, Math.max(o.minLimit, smoothed));
    if (o.probeIntervalUs > 0 && nowUs - this.#lastProbeUs >= o.probeIntervalUs) {
      this.#probing = true;
      this.#probeStartUs = nowUs;
    }
    // The limit the window decided (a probe that starts now pins the gate below it for a window).
    return { latencyUs: s, noLoadUs: this.#noLoadUs, limit: round2(this.#limit), probe: false };
  }
}

/** Two decimals: a gauge that reads 1.53, not 1.5300000000000002. */
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The q-quantile (nearest rank) of the values; sorts them in place. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
}
