// A model's batch cost, learned online: expected time from dispatch to the end of a batch of
// `rows` rows = fixedUs + perRowUs * rows, fitted by exponentially weighted least squares over
// the batches that finished (each observation's weight decays by (1 - alpha) per newer one,
// so the fit follows a machine whose load changes). It is what deadline-aware batching
// (decide.ts, rules D and S) charges a batch before it may wait or grow.
//
// The time observed is dispatch to finish, so it includes waiting for a worker and the hop: the
// part of a request's latency that comes after the batching decision, which is what a deadline
// has to afford. Pure arithmetic, O(1) per observation, no allocation.

export interface CostEstimate {
  /** Per batch, whatever its rows (us). */
  readonly fixedUs: number;
  /** Per row (us). */
  readonly perRowUs: number;
}

/** Expected us for a batch of `rows` rows; 0 without an estimate. */
export function predictUs(cost: CostEstimate | undefined, rows: number): number {
  return cost === undefined ? 0 : cost.fixedUs + cost.perRowUs * rows;
}

export interface CostModelOptions {
  /** Weight of the newest observation (0 < alpha <= 1). Default 0.05: about the last 20 batches. */
  alpha?: number;
  /** Observations before estimate() answers. Default 4. */
  minSamples?: number;
}

export class BatchCostModel {
  readonly #alpha: number;
  readonly #minSamples: number;
  // Exponentially weighted sums of 1, x, y, x^2, x*y (x = rows, y = us).
  #w = 0;
  #x = 0;
  #y = 0;
  #xx = 0;
  #xy = 0;
  #samples = 0;
  #estimate: CostEstimate | undefined;

  constructor(opts: CostModelOptions = {}) {
    const alpha = opts.alpha ?? 0.05;
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1] (got ${alpha})`);
    this.#alpha = alpha;
    this.#minSamples = Math.max(1, opts.minSamples ?? 4);
  }

  get samples(): number {
    return this.#samples;
  }

  /** One finished batch. Ignores what cannot be a duration (negative, NaN, no rows). */
  observe(rows: number, us: number): void {
    if (!(rows > 0) || !(us >= 0) || !Number.isFinite(us)) return;
    const keep = 1 - this.#alpha;
    this.#w = this.#w * keep + 1;
    this.#x = this.#x * keep + rows;
    this.#y = this.#y * keep + us;
    this.#xx = this.#xx * keep + rows * rows;
    this.#xy = this.#xy * keep + rows * us;
    this.#samples++;
    this.#estimate = this.#samples >= this.#minSamples ? this.#fit() : undefined;
  }

  /** The current fit, or undefined before minSamples observations. */
  estimate(): CostEstimate | undefined {
    return this.#estimate;
  }

  #fit(): CostEstimate {
    const w = this.#w;
    const mx = this.#x / w;
    const my = this.#y / w;
    const varX = this.#xx / w - mx * mx;
    // Batch sizes that hardly vary say nothing about the per-row part: charge the mean time
    // per row (exact at the sizes seen, and growing with rows, so a bigger batch never looks free).
    if (varX <= 1e-9 * (mx * mx + 1)) return { fixedUs: 0, perRowUs: my / mx };
    let perRowUs = (this.#xy / w - mx * my) / varX;
    let fixedUs = my - perRowUs * mx;
    if (perRowUs < 0) {
      // Noise: more rows cannot cost less. A flat cost is the best line with slope >= 0.
      perRowUs = 0;
      fixedUs = my;
    } else if (fixedUs < 0) {
      // Through the origin: the best line with a non-negative fixed part.
      fixedUs = 0;
      perRowUs = this.#xy / this.#xx;
    }
    return { fixedUs, perRowUs };
  }
}
