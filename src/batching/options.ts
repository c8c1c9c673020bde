// Per-model dynamic batcher options: Triton's dynamic_batching settings in our naming (units in
// the names), validated once at model load so the hot path never re-checks them.
//
// Validation messages have one shape, `batching.<field> must be ...`: TypeError when the value
// has the wrong type (not a number, not an array, unknown enum value), RangeError when it is of
// the right type but out of range.

/** What to do with a request whose row count (K) exceeds maxBatchSize. */
export type OversizePolicy = 'split' | 'reject';

export interface BatcherOptions {
  /** Most rows (sum of K over requests) in one batch. 0 = no batching: each request runs
   *  alone with its shapes as-is (no row limit, no splitting, no shape grouping). */
  maxBatchSize: number;
  /** Longest a request waits for a fuller batch, from its admission (us). 0 = never wait. */
  maxQueueDelayUs: number;
  /** Batch sizes (rows) to send as soon as they are reached, ascending, each <= maxBatchSize.
   *  Empty = the only target is maxBatchSize. */
  preferredBatchSizes: readonly number[];
  /** Bound on queued entries (a request split into P parts holds P entries). */
  maxQueueSize: number;
  /** Bound on queued rows: the memory bound, since queued tensors are held until dispatch. */
  maxQueueRows: number;
  /** Deadline given to requests that bring none, relative to admission (us). 0 = no deadline. */
  defaultTimeoutUs: number;
  /** Number of priority levels; request priority 1 is the highest, N the lowest. */
  priorityLevels: number;
  /** Level used for requests with priority 0 (no priority given). 1..priorityLevels. */
  defaultPriorityLevel: number;
  /** Settle results in admission order (a fast late request waits for slower earlier ones). */
  preserveOrdering: boolean;
  /** K > maxBatchSize: 'split' into several runs and re-join, or 'reject' (IG_BATCH_TOO_LARGE). */
  oversizePolicy: OversizePolicy;
  /** HTTP status a full queue answers with: 503 (IG_QUEUE_FULL) or 429 (IG_TOO_MANY_REQUESTS). */
  shedStatus: 503 | 429;
  /** Retry-After seconds sent with a shed request. */
  retryAfterS: number;
}

/**
 * Defaults. Provisional until measured by the lead on the target machine:
 * - maxBatchSize 1024 rows: the in-process ceiling was measured at batch 1000 (~820k rows/s);
 *   larger batches add latency for little more throughput on 2 cores.
 * - maxQueueDelayUs 200: only matters while a batch is already in flight and another worker is
 *   idle (see decide.ts); bounds the added latency well under the 2 ms p99 target.
 * - maxQueueSize 4096 entries / maxQueueRows 65536 rows: with FP32[K,128] rows (512 B) the
 *   queued tensors stay under 32 MiB per model.
 * - priorityLevels 2 with default level 2: priority 1 is an explicit "jump the queue".
 */
export const DEFAULT_BATCHER_OPTIONS: Readonly<BatcherOptions> = Object.freeze({
  maxBatchSize: 1024,
  maxQueueDelayUs: 200,
  preferredBatchSizes: Object.freeze([]) as readonly number[],
  maxQueueSize: 4096,
  maxQueueRows: 65536,
  defaultTimeoutUs: 0,
  priorityLevels: 2,
  defaultPriorityLevel: 2,
  preserveOrdering: false,
  oversizePolicy: 'split',
  shedStatus: 503,
  retryAfterS: 1,
});

/** Largest value accepted for any microsecond / count field: keeps arithmetic exact. */
const MAX_INT = Number.MAX_SAFE_INTEGER;

function nonNegativeInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`batching.${name} must be a non-negative integer`);
  if (!Number.isInteger(v) || v < 0 || v > MAX_INT) throw new RangeError(`batching.${name} must be a non-negative integer`);
  return v;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`batching.${name} must be a positive integer`);
  if (!Number.isInteger(v) || v < 1 || v > MAX_INT) throw new RangeError(`batching.${name} must be a positive integer`);
  return v;
}

function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`batching.${name} must be a boolean`);
  return v;
}

/**
 * Fills defaults and validates. Unknown keys are rejected (a typo in config.json must not
 * silently fall back to a default). Returns a frozen object with sorted, de-duplicated
 * preferredBatchSizes.
 */
export function resolveBatcherOptions(input: Partial<BatcherOptions> = {}): Readonly<BatcherOptions> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError('batching must be an object');
  }
  for (const k of Object.keys(input)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_BATCHER_OPTIONS, k)) {
      throw new TypeError(`batching.${k} is not a known option`);
    }
  }
  const o = { ...DEFAULT_BATCHER_OPTIONS, ...stripUndefined(input) };

  const maxBatchSize = nonNegativeInt('maxBatchSize', o.maxBatchSize);
  const maxQueueDelayUs = nonNegativeInt('maxQueueDelayUs', o.maxQueueDelayUs);
  const maxQueueSize = positiveInt('maxQueueSize', o.maxQueueSize);
  const maxQueueRows = positiveInt('maxQueueRows', o.maxQueueRows);
  const defaultTimeoutUs = nonNegativeInt('defaultTimeoutUs', o.defaultTimeoutUs);
  const priorityLevels = positiveInt('priorityLevels', o.priorityLevels);
  const defaultPriorityLevel = positiveInt('defaultPriorityLevel', o.defaultPriorityLevel);
  const retryAfterS = nonNegativeInt('retryAfterS', o.retryAfterS);
  const preserveOrdering = bool('preserveOrdering', o.preserveOrdering);

  if (defaultPriorityLevel > priorityLevels) {
    throw new RangeError(`batching.defaultPriorityLevel must be between 1 and priorityLevels (${priorityLevels})`);
  }
  if (maxBatchSize > 0 && maxQueueRows < maxBatchSize) {
    // Otherwise a full batch could never be queued, and the bound would shed valid requests.
    throw new RangeError(`batching.maxQueueRows must be >= maxBatchSize (${maxBatchSize})`);
  }
  if (o.oversizePolicy !== 'split' && o.oversizePolicy !== 'reject') {
    throw new TypeError(`batching.oversizePolicy must be 'split' or 'reject'`);
  }
  if (o.shedStatus !== 503 && o.shedStatus !== 429) {
    throw new TypeError('batching.shedStatus must be 503 or 429');
  }

  if (!Array.isArray(o.preferredBatchSizes)) {
    throw new TypeError('batching.preferredBatchSizes must be an array of positive integers');
  }
  const preferred = new Set<number>();
  for (const s of o.preferredBatchSizes as unknown[]) {
    if (typeof s !== 'number') throw new TypeError('batching.preferredBatchSizes must be an array of positive integers');
    if (!Number.isInteger(s) || s < 1) {
      throw new RangeError('batching.preferredBatchSizes must be an array of positive integers');
    }
    if (maxBatchSize === 0) {
      throw new RangeError('batching.preferredBatchSizes must be empty when maxBatchSize is 0 (no batching)');
    }
    if (s > maxBatchSize) {
      throw new RangeError(`batching.preferredBatchSizes must each be <= maxBatchSize (${maxBatchSize}), got ${s}`);
    }
    preferred.add(s);
  }

  return Object.freeze({
    maxBatchSize,
    maxQueueDelayUs,
    preferredBatchSizes: Object.freeze([...preferred].sort((a, b) => a - b)),
    maxQueueSize,
    maxQueueRows,
    defaultTimeoutUs,
    priorityLevels,
    defaultPriorityLevel,
    preserveOrdering,
    oversizePolicy: o.oversizePolicy,
    shedStatus: o.shedStatus,
    retryAfterS,
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
