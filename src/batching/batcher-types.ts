// Public types of the DynamicBatcher: what the server submits, what the executor (the worker
// pool glue) receives and returns, and what a request settles with.
import type { InferError } from '../core/errors.js';
import type { OutputMap } from './assemble.js';
import type { Clock } from './clock.js';
import type { SendReason } from './decide.js';
import type { BatcherOptions } from './options.js';

export interface PendingItem<T> {
  /** Rows (K, the batch dim) of every input. */
  readonly rows: number;
  /** batchSignature() of the inputs; only equal signatures share a batch. */
  readonly signature: string;
  /** Payload handed to the executor (the tensors). Owned by the caller until settled. */
  readonly payload: T;
  /** 1 = highest .. priorityLevels; 0 or absent = defaultPriorityLevel. */
  readonly priority?: number;
  /** Absolute deadline on the batcher's clock (us); 0 or absent = admission + defaultTimeoutUs. */
  readonly deadlineUs?: number;
  /** Client disconnect. Same effect as batcher.cancel(item). */
  readonly signal?: CancelSignal;
  /** Never share a batch (e.g. a layout the model cannot concatenate). Still split if oversize. */
  readonly unbatchable?: boolean;
}

import type { CancelSignal } from '../core/types.js';
export type { CancelSignal } from '../core/types.js';

/** Rows [rowStart, rowStart + rows) of one request. */
export interface BatchEntry<T> {
  readonly payload: T;
  readonly rowStart: number;
  readonly rows: number;
}

export interface Batch<T> {
  /** 1, 2, ... in dispatch order, per batcher (one per model version; a reload starts again at 1). */
  readonly id: number;
  readonly signature: string;
  readonly rows: number;
  readonly entries: readonly BatchEntry<T>[];
  readonly reason: SendReason;
  readonly dispatchedUs: number;
}

/** outputs[i] belongs to entries[i]; every output's shape[0] must equal entries[i].rows. */
export interface BatchResult {
  /** outputs[i] belongs to entries[i]. An InferError in place of a map fails that entry alone
   *  (the executor isolated a request that broke the batch); the others still succeed. */
  readonly outputs: readonly (OutputMap | InferError)[];
}

export interface ItemResult {
  readonly outputs: OutputMap;
  /** Admission to (first) dispatch, and dispatch to finish of its (last) batch, in us. */
  readonly queueUs: number;
  readonly computeUs: number;
  /** Rows of the batch it ran in (the largest, when split). */
  readonly batchRows: number;
  /** Batch.id of the batch it ran in (the last to finish, when split): requests that shared a
   *  batch carry the same id. */
  readonly batchId: number;
  /** Batches it ran in (> 1 when split). */
  readonly runs: number;
}

export interface DynamicBatcherDeps<T> {
  options?: Partial<BatcherOptions>;
  /** Runs one batch. May reject; a sync throw is treated as a rejection. */
  execute(batch: Batch<T>): Promise<BatchResult>;
  /** Batches that could start now. Must drop as soon as execute() is called (the pool counts
   *  a task busy when it is submitted). A pool may report workers x 2 to pipeline one batch. */
  idleWorkers(): number;
  /** Largest batch (rows) that could start now without a worker, because the executor would
   *  run it inline (src/pool/execution-policy.ts); absent or 0 = none. With no worker idle,
   *  decide() then still sends a batch within that many rows (rule I). */
  inlineMaxRows?(): number;
  /** Registers a listener for "a worker became free"; the batcher pokes itself from it. */
  onWorkerFree?(listener: () => void): void;
  clock?: Clock;
  /** Postpones the dispatch decision after a submit to the end of the current I/O phase (the
   *  gateway passes setImmediate), so that every request read in one event-loop turn can join
   *  one batch. Absent: decide synchronously on every submit (unit tests, embedders). */
  defer?(fn: () => void): void;
}
