import { test } from 'node:test';
import assert from 'node:assert/strict';
import { err, InferError, toInferError } from '../../src/core/errors.js';

test('only an internal error captures a stack: answers to callers (refusals above all) do not pay for one', () => {
  const refused = err('IG_CONCURRENCY_LIMIT', 'full', { retryAfterS: 1 });
  assert.ok(refused instanceof InferError && refused instanceof Error);
  assert.equal(refused.stack, 'InferError: full');
  assert.equal(refused.retryAfterS, 1);
  assert.equal(refused.status, 429);
  const internal = toInferError(new TypeError('a bug'));
  assert.equal(internal.code, 'IG_INTERNAL');
  assert.match(internal.stack ?? '', /\n\s+at /, 'an internal error keeps its stack');
  assert.ok(internal.cause instanceof TypeError);
  assert.match(new Error('after').stack ?? '', /\n\s+at /, 'the stack limit is restored');
});
