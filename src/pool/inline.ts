// Inline execution: a small batch runs on the main thread instead of in a worker.
//
// A worker hop costs two thread wake-ups (tens of microseconds each on a VM), a message each way
// and, on a machine with few cores, a third runnable thread competing with the HTTP thread and
// the clients for the cores. A small batch of a fast model computes in less time than the hop
// takes, so the main thread runs it itself. The batcher postpones each dispatch decision to the
// end of the I/O phase (DynamicBatcherDeps.defer), so an inline batch holds every request read
// in that event-loop turn: the more load, the larger the batches, with no hop at all. Large
// batches still go to the workers, where ORT's threads use the other cores in parallel.
//
// Measured against per-request decisions and a 4-row quiet-only limit, and the 64-row limit's
// sweep: docs/decisions/001.
//
// Guards: only batches of at most maxRows rows, and only for models whose small batches
// measured at most maxComputeUs (a heavy model must never block the event loop). GPU sessions
// never run inline (execution-policy.ts).

import { SERVER_SETTINGS } from '../core/settings/index.js';

export interface InlineOptions {
  /** Largest batch, in rows, that may run inline; 0 = never run inline. */
  maxRows: number;
  /** Models whose small batches take longer than this (moving average) never run inline. */
  maxComputeUs: number;
}

/** Rows up to which a batch counts as small: the inline limit, and the batches during which the
 *  main thread spins (execution-policy.ts). The settings table's default (docs/decisions/001). */
export const SMALL_BATCH_ROWS = SERVER_SETTINGS.inlineMaxRows.default;

export const DEFAULT_INLINE: Readonly<InlineOptions> = Object.freeze({
  maxRows: SMALL_BATCH_ROWS, maxComputeUs: SERVER_SETTINGS.inlineMaxComputeUs.default,
});

export type InlineVerdict = 'inline' | 'worker';

/** Weight of the newest sample in the compute-time moving average. */
const EWMA_ALPHA = 0.2;

export class InlinePolicy {
  readonly options: Readonly<InlineOptions>;
  #computeUs = new Map<string, number>();

  constructor(options: Partial<InlineOptions> = {}) {
    const o = { ...DEFAULT_INLINE, ...options };
    for (const [k, v] of Object.entries(o)) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`inline.${k} must be a non-negative integer (got ${String(v)})`);
    }
    this.options = Object.freeze({ maxRows: o.maxRows, maxComputeUs: o.maxComputeUs });
  }

  /** Where a batch of `rows` rows of this model runs. */
  admit(modelId: string, rows: number): InlineVerdict {
    const maxRows = this.maxRowsFor(modelId);
    return maxRows > 0 && rows <= maxRows ? 'inline' : 'worker';
  }

  /** Largest batch of this model that may run inline now; 0 = none (inline off, or the model's
   *  small batches are too slow). admit() says 'inline' exactly up to this many rows. */
  maxRowsFor(modelId: string): number {
    const computeUs = this.#computeUs.get(modelId);
    return computeUs !== undefined && computeUs > this.options.maxComputeUs ? 0 : this.options.maxRows;
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
