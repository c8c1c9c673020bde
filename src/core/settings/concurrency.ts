// Per-model concurrency limit (config.json's concurrency_limit section): how much work of one
// model version may be admitted at once (queued plus running), counted in batches of
// max_batch_size rows (requests, for a model without batching; docs/decisions/012 says why).
// Beyond the limit a request is refused at once (429 IG_CONCURRENCY_LIMIT with Retry-After)
// instead of queueing. `adaptive` moves the limit with measured latency
// (src/pipeline/adaptive-limit.ts); `fixed` keeps it.
import { defineTable } from './types.js';

export type ConcurrencyLimitMode = 'off' | 'fixed' | 'adaptive';

const LIMIT = { type: 'int', min: 1, max: 1_000_000 } as const;

export const CONCURRENCY_SETTINGS = defineTable('concurrency', {
  concurrencyLimit: {
    configKey: 'concurrency_limit.mode', flag: 'concurrency-limit', arg: 'MODE', kind: { type: 'enum', values: ['off', 'fixed', 'adaptive'] },
    // Off: the queue bounds of dynamic_batching alone decide, as before this setting existed.
    default: 'off' as ConcurrencyLimitMode, unit: '', decision: '012',
    help: 'Work admitted at once per model version, in batches of max_batch_size rows: off (queue bounds only), fixed (initial_limit), or adaptive (follows latency).',
  },
  concurrencyLimitInitial: {
    configKey: 'concurrency_limit.initial_limit', flag: 'concurrency-limit-initial', kind: LIMIT, default: 2, unit: 'batches',
    help: 'fixed: the limit; adaptive: the limit it starts from.',
  },
  concurrencyLimitMin: {
    configKey: 'concurrency_limit.min_limit', flag: 'concurrency-limit-min', kind: LIMIT, default: 1, unit: 'batches',
    // One batch: the probe then measures the latency of a full batch with nothing queued behind.
    help: 'adaptive: the lowest limit, and the limit of the periodic no-load latency probe.',
  },
  concurrencyLimitMax: {
    configKey: 'concurrency_limit.max_limit', flag: 'concurrency-limit-max', kind: LIMIT, default: 100, unit: 'batches',
    help: 'adaptive: the highest limit.',
  },
  concurrencyLimitTolerancePercent: {
    configKey: 'concurrency_limit.latency_tolerance_percent', flag: 'concurrency-limit-tolerance-percent', kind: { type: 'int', min: 0, max: 1000 },
    default: 50, unit: '%',
    help: 'adaptive: latency (window p90) allowed over the no-load latency before the limit falls.',
  },
});
