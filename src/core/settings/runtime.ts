// Per-model ONNX Runtime session settings (config.json's runtime section) and the warm-up set.
import { defineTable } from './types.js';

export type GraphOptimizationLevelName = 'disabled' | 'basic' | 'extended' | 'all';
export type ProviderFallback = 'fail' | 'cpu';
/** config.json's form of one provider entry's default: the CPU. */
export interface DefaultProvider { readonly name: 'cpu' }

// 0 lets ORT pick (one thread per physical core): fine alone, oversubscribed with N workers.
const THREADS = { type: 'int', min: 0, max: 1024, expected: 'an integer in 0..1024 (0 = ORT decides)' } as const;

export const RUNTIME_SETTINGS = defineTable('runtime', {
  executionProviders: {
    configKey: 'runtime.execution_providers', kind: { type: 'providers' },
    default: Object.freeze([Object.freeze({ name: 'cpu' })]) as readonly DefaultProvider[], defaultText: '[{"name": "cpu"}]', unit: '',
    decision: '011',
    help: 'Execution providers in order of preference (cpu, cuda, tensorrt); cpu, when listed, goes last.',
  },
  intraOpThreads: {
    configKey: 'runtime.intra_op_threads', flag: 'intra-op-threads', kind: THREADS, default: 1,
    defaultText: 'max(1, floor(CPU cores / workers))', unit: 'threads', decision: '007',
    help: 'ORT intra-op threads per worker; by default the workers\' threads together use every core.',
  },
  interOpThreads: {
    configKey: 'runtime.inter_op_threads', flag: 'inter-op-threads', kind: THREADS, default: 1, unit: 'threads',
    help: 'ORT inter-op threads per worker.',
  },
  allowSpinning: {
    configKey: 'runtime.allow_spinning', flag: 'allow-spinning', kind: { type: 'bool' }, default: false, unit: '', decision: '009',
    help: 'ORT pool threads spin between runs (they burn the cores the event loop needs).',
  },
  graphOptimizationLevel: {
    configKey: 'runtime.graph_optimization_level', kind: { type: 'enum', values: ['disabled', 'basic', 'extended', 'all'] },
    default: 'all' as GraphOptimizationLevelName, unit: '',
    help: 'ORT graph optimisation level.',
  },
  providerFallback: {
    configKey: 'runtime.provider_fallback', kind: { type: 'enum', values: ['fail', 'cpu'] }, default: 'fail' as ProviderFallback, unit: '',
    // A GPU config silently running on CPU is an outage in disguise: fail loudly by default.
    help: 'A GPU provider that cannot be used: fail the load, or load on the CPU and say so.',
  },
});

export const WARMUP_SETTINGS = defineTable('warmup', {
  batchSizes: {
    configKey: 'warmup.batch_sizes', kind: { type: 'sizes', expected: 'an array of distinct positive integers ([] = no warm-up)' },
    default: undefined as readonly number[] | undefined, defaultText: '1, the preferred sizes and max_batch_size ([] when max_batch_size is 0)',
    unit: 'rows', decision: '008',
    help: 'Batch sizes run before the model reports ready; [] = no warm-up.',
  },
});
