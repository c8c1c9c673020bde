// The admission gate of one model version: work admitted at once (queued in the batcher plus
// running) is bounded by `limit` batches, a batch being max_batch_size rows (one request, for a
// model without batching); beyond it a request is refused at once with 429 IG_CONCURRENCY_LIMIT
// and Retry-After, so that overload turns into fast refusals instead of a queue whose wait every
// admitted request pays. `fixed` keeps the configured limit; `adaptive` lets an AdaptiveLimit
// move it with the latency of the requests it admitted (adaptive-limit.ts).
//
// Why batches, not requests (docs/decisions/012): the batcher runs everything read in one
// event-loop turn as one batch, so queued work costs the model per batch, not per request. A
// limit in requests caps what one turn may admit; at K=1 the HTTP thread, not the model, is the
// bottleneck, the admitted latency is the turn's length (refusals included) whatever the limit,
// and a per-request limit sank to its minimum and refused 98% of a 2x-capacity load. Counted in
// batches, the floor (min_limit batches) is a queue the model clears in min_limit batch times,
// and it never throttles below what one turn can batch.
//
// It sits in front of the batcher (model-pipeline.ts), after request validation (a bad request
// is a 400, whatever the load), and is independent of the batcher's own queue bounds, which
// stay as the memory bound.
import { err, type InferError } from '../core/errors.js';
import type { ConcurrencyLimitMode } from '../core/settings/index.js';
import { ADAPTIVE_DEFAULTS, AdaptiveLimit, type LimitWindow } from './adaptive-limit.js';

export interface GateConfig {
  mode: ConcurrencyLimitMode;
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  latencyTolerancePercent: number;
}

export interface GateOptions {
  nowUs: () => number;
  retryAfterS: number;
  label: string;
  /** Rows of one batch (the model's max_batch_size); 0 = no batching: a request is a batch. */
  batchRows: number;
}

export class ConcurrencyGate {
  readonly mode: 'fixed' | 'adaptive';
  /** Requests admitted and not yet finished. */
  inFlight = 0;
  /** Their work, in rows (requests, for a model without batching). */
  inFlightRows = 0;
  /** Requests refused since start. */
  refused = 0;
  /** The most requests admitted at once since start (tests and diagnostics). */
  peakInFlight = 0;
  /** Rows per batch: the unit of the limit. */
  readonly unitRows: number;
  readonly #batching: boolean;
  readonly #fixed: number;
  readonly #adaptive: AdaptiveLimit | undefined;
  readonly #nowUs: () => number;
  readonly #retryAfterS: number;
  readonly #label: string;
  /** Called with each window the adaptive limit closes (for logs and tests). */
  onWindow: ((w: LimitWindow) => void) | undefined;

  constructor(cfg: GateConfig & { mode: 'fixed' | 'adaptive' }, opts: GateOptions) {
    this.mode = cfg.mode;
    this.#fixed = cfg.initialLimit;
    this.#batching = opts.batchRows > 0;
    this.unitRows = this.#batching ? opts.batchRows : 1;
    this.#adaptive = cfg.mode === 'adaptive'
      ? new AdaptiveLimit({ ...ADAPTIVE_DEFAULTS, initialLimit: cfg.initialLimit, minLimit: cfg.minLimit, maxLimit: cfg.maxLimit, tolerance: cfg.latencyTolerancePercent / 100 })
      : undefined;
    this.#nowUs = opts.nowUs;
    this.#retryAfterS = opts.retryAfterS;
    this.#label = opts.label;
  }

  /** Batches that may be admitted at once now. */
  get limit(): number {
    return this.#adaptive ? this.#adaptive.limit : this.#fixed;
  }

  /** Admits one request of `rows` rows and returns its admission time, or throws
   *  IG_CONCURRENCY_LIMIT. A request is admitted when its rows fit under the limit, or when
   *  nothing is admitted (so that one request larger than the limit still runs alone). */
  acquire(rows: number): number {
    const work = this.#batching ? rows : 1;
    this.#refuseBeyond(work);
    this.inFlight++;
    this.inFlightRows += work;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    return this.#nowUs();
  }

  /** One admitted request of `rows` rows finished. Only successes are latency samples: a
   *  failure's latency (a refused shape, a cancellation) says nothing about the model's load.
   *  A sample runs from `sampleStartUs` (the request's arrival, when the caller knows it) to
   *  now; `admittedUs` (acquire's answer) says which window admitted it. */
  release(admittedUs: number, rows: number, ok: boolean, sampleStartUs = admittedUs): void {
    const inFlightBatches = this.inFlightRows / this.unitRows;
    this.inFlight--;
    this.inFlightRows -= this.#batching ? rows : 1;
    if (!ok || !this.#adaptive) return;
    const now = this.#nowUs();
    const w = this.#adaptive.onSample(now, now - sampleStartUs, admittedUs, inFlightBatches);
    if (w && this.onWindow) this.onWindow(w);
  }

  /** Before a request's body is read: IG_CONCURRENCY_LIMIT when not even one more row (one
   *  request, without batching) would be admitted now, so that under overload a refusal costs
   *  no body read, decoding or validation. Returned, not thrown: under overload most requests
   *  are refused, and a throw from a uWS callback makes V8 compute a message location. */
  refusal(): InferError | undefined {
    return this.#refusalBeyond(1);
  }

  #refuseBeyond(work: number): void {
    const e = this.#refusalBeyond(work);
    if (e) throw e;
  }

  #refusalBeyond(work: number): InferError | undefined {
    const limit = this.limit;
    if (this.inFlight === 0 || this.inFlightRows + work <= limit * this.unitRows) return undefined;
    this.refused++;
    return err('IG_CONCURRENCY_LIMIT', `${this.#label}: ${this.#describe(limit)} already admitted (concurrency limit, ${this.mode})`, { retryAfterS: this.#retryAfterS });
  }

  #describe(limit: number): string {
    return this.#batching
      ? `${this.inFlightRows} rows in ${this.inFlight} requests (limit ${limit} batches of ${this.unitRows} rows)`
      : `${this.inFlight} requests (limit ${limit})`;
  }
}
