// Per-model dynamic batching settings: Triton's dynamic_batching in our naming (units in the
// names). Every row exists per model in config.json; the rows with a flag also take a
// server-wide default from `infergate serve`. The batcher (src/batching/options.ts) and the
// model config (src/repository/config.ts) both take their defaults and ranges from here.
import { defineTable, NON_NEGATIVE, POSITIVE } from './types.js';

export type OversizePolicy = 'split' | 'reject';
export type ShedStatus = 503 | 429;
/** A relative priority level, so that raising priority_levels keeps its meaning. */
export type RelativePriorityLevel = 'lowest' | 'highest';

export const BATCHING_SETTINGS = defineTable('batching', {
  maxBatchSize: {
    configKey: 'max_batch_size', flag: 'max-batch-size', kind: NON_NEGATIVE, default: 0, unit: 'rows',
    // The built-in value when no layer sets one. A model that sets none and whose inputs and
    // outputs all have a dynamic first dim is auto-completed from its ONNX file, as Triton does
    // (src/repository/auto-complete.ts, --default-max-batch-size); an explicit 0 is kept.
    help: 'Most rows per batch; 0 = no batching (request shapes go to the model as they are). Unset: auto-complete decides (--default-max-batch-size).',
  },
  maxQueueDelayUs: {
    configKey: 'dynamic_batching.max_queue_delay_microseconds', flag: 'max-queue-delay-us', kind: NON_NEGATIVE, default: 500,
    unit: 'us', decision: '010',
    help: 'Longest a request waits for a fuller batch, from its admission; only paid while no worker is idle.',
  },
  preferredBatchSizes: {
    configKey: 'dynamic_batching.preferred_batch_size', kind: { type: 'sizes' }, default: Object.freeze([]) as readonly number[], unit: 'rows',
    help: 'Batch sizes sent as soon as they are reached, each <= max_batch_size; none = only max_batch_size.',
  },
  maxQueueSize: {
    configKey: 'dynamic_batching.max_queue_size', flag: 'max-queue-size', kind: POSITIVE, default: 4096, unit: 'requests', decision: '010',
    help: 'Bound on queued requests per model (a split request counts once per part); beyond it requests are shed.',
  },
  maxQueueRows: {
    configKey: 'dynamic_batching.max_queue_rows', flag: 'max-queue-rows', kind: POSITIVE, default: 262144, unit: 'rows', decision: '010',
    help: 'Bound on queued rows per model: the memory bound, since queued tensors are held until dispatch.',
  },
  defaultTimeoutUs: {
    configKey: 'dynamic_batching.default_timeout_microseconds', flag: 'default-timeout-us', kind: NON_NEGATIVE, default: 0, unit: 'us',
    // Clients send their own deadlines; a default would drop work they still wait for.
    help: 'Deadline for requests that bring none, from admission; 0 = none.',
  },
  priorityLevels: {
    // The batcher keeps one queue per level, so the count stays small.
    configKey: 'dynamic_batching.priority_levels', kind: { type: 'int', min: 1, max: 255 }, default: 2, unit: 'levels',
    help: 'Priority levels; request priority 1 is the highest.',
  },
  defaultPriorityLevel: {
    configKey: 'dynamic_batching.default_priority_level', kind: POSITIVE, default: 'lowest' as RelativePriorityLevel,
    defaultText: 'priority_levels (the lowest)', unit: 'level',
    help: 'Level of requests that give no priority; untagged traffic is ordinary, priority 1 jumps the queue.',
  },
  preserveOrdering: {
    configKey: 'dynamic_batching.preserve_ordering', kind: { type: 'bool' }, default: false, unit: '',
    help: 'Settle results in admission order (Triton\'s default is off: ordering costs head-of-line blocking).',
  },
  oversizePolicy: {
    configKey: 'dynamic_batching.oversize_policy', flag: 'oversize-policy', arg: 'POLICY', kind: { type: 'enum', values: ['split', 'reject'] },
    default: 'split' as OversizePolicy, unit: '',
    help: 'Requests with more rows than max_batch_size: split them into several runs, or reject them (400).',
  },
  shedStatus: {
    configKey: 'dynamic_batching.shed_status', flag: 'shed-status', arg: 'STATUS', kind: { type: 'enum', values: [503, 429] },
    default: 503 as ShedStatus, unit: '',
    help: 'HTTP status of a shed request (full queue): 503 as Triton and KServe, or 429 for clients that back off per caller.',
  },
  retryAfterS: {
    configKey: 'dynamic_batching.retry_after_seconds', flag: 'retry-after-s', kind: { type: 'int', min: 0, max: 86400 }, default: 1, unit: 's',
    help: 'Retry-After seconds sent with a shed request.',
  },
});
