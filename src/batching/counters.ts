// The batcher's counters: one plain object per model, mutated in place (no allocation on the hot
// path). The lead's metrics layer reads it at scrape time and exports it; tests assert on it.

/** Admission rejections by error code. */
export interface RejectedCounters {
  IG_QUEUE_FULL: number;
  IG_TOO_MANY_REQUESTS: number;
  IG_BATCH_TOO_LARGE: number;
  IG_SHUTTING_DOWN: number;
  IG_BAD_REQUEST: number;
}

export interface BatchSizeHistogram {
  /** Bucket upper bounds in rows (inclusive), ascending; the last is Infinity. */
  readonly le: readonly number[];
  /** Batches per bucket, NOT cumulative (Prometheus wants cumulative: sum the prefix). */
  readonly counts: number[];
}

export interface BatcherCounters {
  /** Requests that entered the queue. */
  admitted: number;
  /** Requests refused at admission, by code. */
  rejected: RejectedCounters;
  /** Requests whose deadline passed before they ran (at admission or while queued). */
  expired: number;
  /** Requests cancelled by their client (dropped from the queue, or result discarded). */
  cancelled: number;
  /** Requests answered with outputs / with an execution error. */
  completed: number;
  failed: number;
  /** Batches handed to the executor, and the rows in them. */
  batches: number;
  rows: number;
  batchSizeHistogram: BatchSizeHistogram;
  /** Sum over dispatched entries of (dispatch - admission), and how many entries that is. */
  queueTimeUsSum: number;
  queueTimeCount: number;
  /** Sum over finished batches of (finish - dispatch), and how many batches that is. */
  computeTimeUsSum: number;
  computeTimeCount: number;
  /** Current queue depth (entries, rows) and batches / rows in flight. */
  queueDepth: number;
  queueRows: number;
  inFlightBatches: number;
  inFlightRows: number;
  /** How often the wake-up timer was (re)armed: stays low when the wake time is stable. */
  timerArms: number;
}

/** Bucket bounds 1, 2, 4, ... up to the first power of two >= maxRows, then Infinity. */
export function histogramBounds(maxRows: number): number[] {
  const top = Math.max(1, maxRows);
  const le: number[] = [];
  let b = 1;
  for (;;) {
    le.push(b);
    if (b >= top) break;
    b *= 2;
  }
  le.push(Infinity);
  return le;
}

export function createCounters(maxBatchSize: number): BatcherCounters {
  const le = Object.freeze(histogramBounds(maxBatchSize === 0 ? 1024 : maxBatchSize));
  return {
    admitted: 0,
    rejected: { IG_QUEUE_FULL: 0, IG_TOO_MANY_REQUESTS: 0, IG_BATCH_TOO_LARGE: 0, IG_SHUTTING_DOWN: 0, IG_BAD_REQUEST: 0 },
    expired: 0,
    cancelled: 0,
    completed: 0,
    failed: 0,
    batches: 0,
    rows: 0,
    batchSizeHistogram: { le, counts: new Array<number>(le.length).fill(0) },
    queueTimeUsSum: 0,
    queueTimeCount: 0,
    computeTimeUsSum: 0,
    computeTimeCount: 0,
    queueDepth: 0,
    queueRows: 0,
    inFlightBatches: 0,
    inFlightRows: 0,
    timerArms: 0,
  };
}

export function observeBatchRows(h: BatchSizeHistogram, rows: number): void {
  const le = h.le;
  let i = 0;
  while (rows > le[i]!) i++; // the last bound is Infinity, so this stops
  h.counts[i] = h.counts[i]! + 1;
}
