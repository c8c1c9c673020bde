import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BATCHER_OPTIONS, resolveBatcherOptions } from '../../src/batching/options.js';

test('defaults are filled and frozen', () => {
  const o = resolveBatcherOptions();
  assert.deepEqual({ ...o, preferredBatchSizes: [...o.preferredBatchSizes] }, { ...DEFAULT_BATCHER_OPTIONS, preferredBatchSizes: [] });
  assert.equal(Object.isFrozen(o), true);
  assert.equal(o.priorityLevels, 2);
  assert.equal(o.preserveOrdering, false);
  assert.equal(o.oversizePolicy, 'split');
});

test('preferredBatchSizes are sorted and de-duplicated', () => {
  const o = resolveBatcherOptions({ maxBatchSize: 64, preferredBatchSizes: [32, 8, 32, 16] });
  assert.deepEqual([...o.preferredBatchSizes], [8, 16, 32]);
});

test('wrong types throw TypeError, out-of-range values RangeError, with the field named', () => {
  const cases: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
    [{ maxQueueDelayUs: '5' }, TypeError, /^batching\.maxQueueDelayUs must be a non-negative integer$/],
    [{ maxQueueDelayUs: -1 }, RangeError, /^batching\.maxQueueDelayUs must be a non-negative integer$/],
    [{ maxQueueDelayUs: 1.5 }, RangeError, /^batching\.maxQueueDelayUs must be a non-negative integer$/],
    [{ maxBatchSize: NaN }, TypeError, /batching\.maxBatchSize must be a non-negative integer/],
    [{ maxQueueSize: 0 }, RangeError, /batching\.maxQueueSize must be a positive integer/],
    [{ maxQueueRows: 10, maxBatchSize: 64 }, RangeError, /batching\.maxQueueRows must be >= maxBatchSize/],
    [{ priorityLevels: 0 }, RangeError, /^batching\.priorityLevels must be an integer in 1\.\.255$/],
    [{ defaultPriorityLevel: 3 }, RangeError, /batching\.defaultPriorityLevel must be between 1 and priorityLevels/],
    [{ preserveOrdering: 1 }, TypeError, /batching\.preserveOrdering must be a boolean/],
    [{ oversizePolicy: 'truncate' }, TypeError, /batching\.oversizePolicy must be 'split' or 'reject'/],
    [{ shedStatus: 500 }, TypeError, /batching\.shedStatus must be 503 or 429/],
    [{ preferredBatchSizes: 8 }, TypeError, /batching\.preferredBatchSizes must be an array/],
    [{ preferredBatchSizes: ['8'] }, TypeError, /batching\.preferredBatchSizes must be an array of positive integers/],
    [{ preferredBatchSizes: [0] }, RangeError, /batching\.preferredBatchSizes must be an array of positive integers/],
    [{ maxBatchSize: 16, preferredBatchSizes: [32] }, RangeError, /must each be <= maxBatchSize \(16\), got 32/],
    [{ maxBatchSize: 0, preferredBatchSizes: [4] }, RangeError, /must be empty when maxBatchSize is 0/],
    [{ retryAfterS: -2 }, RangeError, /^batching\.retryAfterS must be an integer in 0\.\.86400$/],
    [{ retryAfterS: 86401 }, RangeError, /^batching\.retryAfterS must be an integer in 0\.\.86400$/],
    [{ maxQueueDelay: 5 }, TypeError, /batching\.maxQueueDelay is not a known option/],
  ];
  for (const [input, cls, re] of cases) {
    assert.throws(() => resolveBatcherOptions(input as never), (e: unknown) => e instanceof cls && re.test((e as Error).message), JSON.stringify(input));
  }
});

test('a non-object is a TypeError; undefined fields take the default', () => {
  assert.throws(() => resolveBatcherOptions(null as never), TypeError);
  assert.equal(resolveBatcherOptions({ maxQueueDelayUs: undefined }).maxQueueDelayUs, DEFAULT_BATCHER_OPTIONS.maxQueueDelayUs);
});

test('maxBatchSize 0 (no batching) is valid', () => {
  assert.equal(resolveBatcherOptions({ maxBatchSize: 0 }).maxBatchSize, 0);
});
