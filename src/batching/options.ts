// Per-model dynamic batcher options: Triton's dynamic_batching settings in our naming (units in
// the names), validated once at model load so the hot path never re-checks them. Defaults and
// ranges come from the batching settings table (src/core/settings/batching.ts).
//
// Validation messages have one shape, `batching.<field> must be ...`: TypeError when the value
// has the wrong type (not a number, not an array, unknown enum value), RangeError when it is of
// the right type but out of range.
import { BATCHING_SETTINGS, defaultsOf, expectedInt, type OversizePolicy, type Setting } from '../core/settings/index.js';

export type { OversizePolicy } from '../core/settings/index.js';

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

/** A batcher's defaults are the model defaults (src/core/settings/batching.ts), so a batcher made
 *  without options behaves as a model whose config.json says nothing. The relative default
 *  priority level ('lowest') becomes a number here: priorityLevels, unless given. */
const D = defaultsOf(BATCHING_SETTINGS);
const levelOf = (levels: number): number => (D.defaultPriorityLevel === 'lowest' ? levels : 1);
export const DEFAULT_BATCHER_OPTIONS: Readonly<BatcherOptions> = Object.freeze({
  ...D,
  preferredBatchSizes: Object.freeze([...D.preferredBatchSizes]) as readonly number[],
  defaultPriorityLevel: levelOf(D.priorityLevels),
});

const quote = (v: string | number): string => (typeof v === 'string' ? `'${v}'` : String(v));

/** Checks one field against its settings row: TypeError for a wrong type, RangeError for a
 *  value of the right type outside the row's range. */
function checkField<T>(setting: Setting, v: unknown): T {
  const name = `batching.${setting.key}`;
  const k = setting.kind;
  switch (k.type) {
    case 'int':
      if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${name} must be ${expectedInt(k)}`);
      if (!Number.isInteger(v) || v < k.min || v > k.max) throw new RangeError(`${name} must be ${expectedInt(k)}`);
      return v as T;
    case 'bool':
      if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean`);
      return v as T;
    case 'enum':
      if (!k.values.includes(v as string | number)) throw new TypeError(`${name} must be ${k.values.map(quote).join(' or ')}`);
      return v as T;
    default:
      return v as T; // preferredBatchSizes: checked below, against maxBatchSize
  }
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
  const given = stripUndefined(input);
  const o = { ...DEFAULT_BATCHER_OPTIONS, ...given };
  // Every field against its row, in table order; the cross-field rules follow.
  const B = BATCHING_SETTINGS;
  const maxBatchSize = checkField<number>(B.maxBatchSize, o.maxBatchSize);
  const maxQueueDelayUs = checkField<number>(B.maxQueueDelayUs, o.maxQueueDelayUs);
  const maxQueueSize = checkField<number>(B.maxQueueSize, o.maxQueueSize);
  const maxQueueRows = checkField<number>(B.maxQueueRows, o.maxQueueRows);
  const defaultTimeoutUs = checkField<number>(B.defaultTimeoutUs, o.defaultTimeoutUs);
  const priorityLevels = checkField<number>(B.priorityLevels, o.priorityLevels);
  const defaultPriorityLevel = checkField<number>(B.defaultPriorityLevel, given.defaultPriorityLevel ?? levelOf(priorityLevels));
  const preserveOrdering = checkField<boolean>(B.preserveOrdering, o.preserveOrdering);
  const oversizePolicy = checkField<OversizePolicy>(B.oversizePolicy, o.oversizePolicy);
  const shedStatus = checkField<503 | 429>(B.shedStatus, o.shedStatus);
  const retryAfterS = checkField<number>(B.retryAfterS, o.retryAfterS);

  if (defaultPriorityLevel > priorityLevels) {
    throw new RangeError(`batching.defaultPriorityLevel must be between 1 and priorityLevels (${priorityLevels})`);
  }
  if (maxBatchSize > 0 && maxQueueRows < maxBatchSize) {
    // Otherwise a full batch could never be queued, and the bound would shed valid requests.
    throw new RangeError(`batching.maxQueueRows must be >= maxBatchSize (${maxBatchSize})`);
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
    oversizePolicy,
    shedStatus,
    retryAfterS,
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
