// The admission gate of one model version: at most `limit` requests admitted at once (queued in
// the batcher plus running); the next is refused at once with 429 IG_CONCURRENCY_LIMIT and
// Retry-After, so that overload turns into fast refusals instead of a queue whose wait every
// admitted request pays. `fixed` keeps the configured limit; `adaptive` lets an AdaptiveLimit
// move it with the latency of the requests it admitted (adaptive-limit.ts).
//
// It sits in front of the batcher (model-pipeline.ts), after request validation (a bad request
// is a 400, whatever the load), and is independent of the batcher's own queue bounds, which
// stay as the memory bound.
import { err } from '../core/errors.js';
import type { ConcurrencyLimitMode } from '../core/settings/index.js';
import { ADAPTIVE_DEFAULTS, AdaptiveLimit, type LimitWindow } from './adaptive-limit.js';

export interface GateConfig {
  mode: ConcurrencyLimitMode;
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  latencyTolerancePercent: number;
}

export class ConcurrencyGate {
  readonly mode: 'fixed' | 'adaptive';
  inFlight = 0;
  /** Requests refused since start. */
  refused = 0;
  /** The most admitted at once since start (tests and diagnostics). */
  peakInFlight = 0;
  readonly #fixed: number;
  readonly #adaptive: AdaptiveLimit | undefined;
  readonly #nowUs: () => number;
  readonly #retryAfterS: number;
  readonly #label: string;
  /** Called with each window the adaptive limit closes (for logs and tests). */
  onWindow: ((w: LimitWindow) => void) | undefined;

  constructor(cfg: GateConfig & { mode: 'fixed' | 'adaptive' }, opts: { nowUs: () => number; retryAfterS: number; label: string }) {
    this.mode = cfg.mode;
    this.#fixed = cfg.initialLimit;
    this.#adaptive = cfg.mode === 'adaptive'
      ? new AdaptiveLimit({ ...ADAPTIVE_DEFAULTS, initialLimit: cfg.initialLimit, minLimit: cfg.minLimit, maxLimit: cfg.maxLimit, tolerance: cfg.latencyTolerancePercent / 100 })
      : undefined;
    this.#nowUs = opts.nowUs;
    this.#retryAfterS = opts.retryAfterS;
    this.#label = opts.label;
  }

  get limit(): number {
    return this.#adaptive ? this.#adaptive.limit : this.#fixed;
  }

  /** Admits one request and returns its admission time, or throws IG_CONCURRENCY_LIMIT. */
  acquire(): number {
    const limit = this.limit;
    if (this.inFlight >= limit) {
      this.refused++;
      throw err('IG_CONCURRENCY_LIMIT', `${this.#label}: ${limit} requests already admitted (concurrency limit, ${this.mode})`, { retryAfterS: this.#retryAfterS });
    }
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    return this.#nowUs();
  }

  /** One admitted request finished. Only successes are latency samples: a failure's latency
   *  (a refused shape, a cancellation) says nothing about the model's load. */
  release(admittedUs: number, ok: boolean): void {
    const inFlight = this.inFlight;
    this.inFlight--;
    if (!ok || !this.#adaptive) return;
    const now = this.#nowUs();
    const w = this.#adaptive.onSample(now, now - admittedUs, admittedUs, inFlight);
    if (w && this.onWindow) this.onWindow(w);
  }
}
