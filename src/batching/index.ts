// Public surface of the batching library. The server and the worker pool import from here only.
export { DEFAULT_BATCHER_OPTIONS, resolveBatcherOptions, type BatcherOptions, type OversizePolicy } from './options.js';
export { decide, SCAN_LIMIT, type Decision, type DecideOptions, type DecideState, type SendReason } from './decide.js';
export { BatchQueue, type Admission, type QueueBounds, type QueuedEntry, type QueueNodeView, type QueueView } from './queue.js';
export {
  DynamicBatcher, type Batch, type BatchEntry, type BatchResult, type DynamicBatcherDeps, type ItemResult, type PendingItem,
} from './scheduler.js';
export {
  assembleBatch, joinOutputs, sliceOutputs,
  type AssembledBatch, type AssembledInput, type AssemblyPart, type OutputMap, type OutputTensor, type RowTensor, type TensorMap,
} from './assemble.js';
export type { CancelSignal } from './batcher-types.js';
export { SabPool, sizeClassBytes, type SabPoolOptions, type SabPoolStats } from './sab-pool.js';
export { batchSignature } from './signature.js';
export { createSystemClock, systemClock, type Clock, type SystemClockOptions } from './clock.js';
export { createCounters, histogramBounds, type BatcherCounters, type BatchSizeHistogram, type RejectedCounters } from './counters.js';
