// Inline execution: while the gateway is quiet, a small batch runs on the main thread instead of
// in a worker. At one request in flight the worker hop is most of the latency: two thread
// wake-ups, each tens of microseconds on a VM (measured on 2 cores: hop 118 us against 70 us of
// compute for K=1), and the hop buys nothing when the main thread has nothing else to do.
//
// "Quiet" is read from the event loop itself, in two steps:
//  1. Since the previous dispatch, the loop slept in epoll for at least minIdleUs (default 1:
//     at all): run inline at once. Under load the loop never sleeps (requests arrive back to
//     back, and the main thread polls while a worker runs).
//  2. Otherwise, 'recheck': the pool waits for the end of this loop turn's I/O phase
//     (setImmediate), where every request that was already readable has been read, and runs
//     inline only if no other request arrived meanwhile and no worker became busy. This one
//     works where busy threads (ORT's spinning pool threads, say) keep the loop from ever
//     blocking in epoll, so step 1 never fires; under load other requests are always there.
// Under load batches take the worker path and the main thread keeps its time for HTTP.
// Measured on 2 cores, K=1 (step 1 alone): at 1 request in flight nearly every batch ran
// inline; Poisson arrivals at 2,000 and 5,000 req/s, about 57% and 38%; closed loop at 8 or
// more in flight, few.
// Guards: only batches of at most maxRows rows, only when no worker is busy (an inline run
// would compete with it for the cores), and only for models whose small batches measured at
// most maxComputeUs (a heavy model must never block the event loop).
import { performance } from 'node:perf_hooks';

export interface InlineOptions {
  /** Largest batch, in rows, that may run inline; 0 = never run inline. */
  maxRows: number;
  /** Models whose small batches take longer than this (moving average) never run inline. */
  maxComputeUs: number;
  /** The event loop must have slept at least this long since the previous dispatch. */
  minIdleUs: number;
}

export const DEFAULT_INLINE: Readonly<InlineOptions> = Object.freeze({ maxRows: 4, maxComputeUs: 200, minIdleUs: 1 });

/** Time the event loop has spent blocked in epoll since it started (libuv's idle time; polling
 *  with a zero timeout, as the Spinner does, never counts). */
function loopIdleMs(): number {
  return performance.eventLoopUtilization().idle;
}

export type InlineVerdict = 'inline' | 'recheck' | 'worker';

/** Weight of the newest sample in the compute-time moving average. */
const EWMA_ALPHA = 0.2;

export class InlinePolicy {
  readonly options: Readonly<InlineOptions>;
  readonly #idleMs: () => number;
  #lastIdleMs: number;
  #computeUs = new Map<string, number>();
  /** Requests admitted by any model so far (see noteArrival). */
  #arrivals = 0;

  /** `idleMs`: the event loop's total idle time in ms (injectable for tests). */
  constructor(options: Partial<InlineOptions> = {}, idleMs: () => number = loopIdleMs) {
    const o = { ...DEFAULT_INLINE, ...options };
    for (const [k, v] of Object.entries(o)) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`inline.${k} must be a non-negative integer (got ${String(v)})`);
    }
    this.options = Object.freeze(o);
    this.#idleMs = idleMs;
    this.#lastIdleMs = idleMs();
  }

  /** Called once per batch dispatch, inline or not: the idle time is counted from the
   *  previous dispatch. `busyWorkers` counts batches running in workers now. */
  admit(modelId: string, rows: number, busyWorkers: number): InlineVerdict {
    const idleMs = this.#idleMs();
    const sleptUs = (idleMs - this.#lastIdleMs) * 1000;
    this.#lastIdleMs = idleMs;
    if (rows > this.options.maxRows || busyWorkers > 0) return 'worker';
    const computeUs = this.#computeUs.get(modelId);
    if (computeUs !== undefined && computeUs > this.options.maxComputeUs) return 'worker';
    return sleptUs >= this.options.minIdleUs ? 'inline' : 'recheck';
  }

  /** Counts a request reaching a model (called by the model layer on every infer). */
  noteArrival(): void {
    this.#arrivals++;
  }

  /** Mark for recheck(): take it before waiting for the end of the I/O phase. */
  get arrivals(): number {
    return this.#arrivals;
  }

  /** Step 2: still quiet if no request arrived since `mark` and no worker is busy. */
  recheck(mark: number, busyWorkers: number): boolean {
    return this.#arrivals === mark && busyWorkers === 0;
  }

  /** Records the compute time of a batch (wherever it ran); only small batches count. Rows 0
   *  means unknown (warm-up), which says nothing. */
  observe(modelId: string, rows: number, computeUs: number): void {
    if (rows < 1 || rows > this.options.maxRows) return;
    const prev = this.#computeUs.get(modelId);
    this.#computeUs.set(modelId, prev === undefined ? computeUs : prev + EWMA_ALPHA * (computeUs - prev));
  }

  forget(modelId: string): void {
    this.#computeUs.delete(modelId);
  }
}
