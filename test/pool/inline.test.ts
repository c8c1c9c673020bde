// The inline policy on its own: every rule that decides whether a batch may skip the worker hop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INLINE, InlinePolicy } from '../../src/pool/inline.js';

const policy = (options: Partial<typeof DEFAULT_INLINE> = {}) => new InlinePolicy({ maxRows: 4, maxComputeUs: 200, ...options });

test('a small batch runs inline, up to maxRows rows; a larger one goes to a worker', () => {
  const p = policy();
  assert.equal(p.admit('m', 1), 'inline');
  assert.equal(p.admit('m', 4), 'inline');
  assert.equal(p.admit('m', 5), 'worker');
  assert.equal(p.admit('m', 1000), 'worker');
});

test('maxRows 0 turns inline off, even for batches of unknown size', () => {
  const off = policy({ maxRows: 0 });
  assert.equal(off.admit('m', 1), 'worker');
  assert.equal(off.admit('m', 0), 'worker');
});

test('a model whose small batches are slow never blocks the event loop', () => {
  const p = policy({ maxComputeUs: 100 });
  p.observe('slow', 1, 400);
  p.observe('fast', 1, 20);
  p.observe('fast', 64, 5000); // large batches say nothing about small ones
  p.observe('fast', 0, 5000); // nor do batches of unknown size (warm-up)
  assert.equal(p.admit('slow', 1), 'worker');
  assert.equal(p.admit('fast', 1), 'inline');
  // The moving average follows the measurements down...
  for (let i = 0; i < 20; i++) p.observe('slow', 1, 30);
  assert.equal(p.admit('slow', 1), 'inline');
  // ...and up again (a worker's measurements count too: observe() is called for every batch).
  for (let i = 0; i < 20; i++) p.observe('slow', 4, 900);
  assert.equal(p.admit('slow', 1), 'worker');
  // A reloaded model starts afresh.
  p.forget('slow');
  assert.equal(p.admit('slow', 1), 'inline');
});

test('maxRowsFor is the capacity admit() keeps: maxRows, or 0 for a slow model or inline off', () => {
  const p = policy({ maxComputeUs: 100 });
  assert.equal(p.maxRowsFor('new'), 4, 'unmeasured models may run inline');
  p.observe('slow', 1, 400);
  assert.equal(p.maxRowsFor('slow'), 0);
  assert.equal(p.admit('slow', 1), 'worker');
  for (const rows of [0, 1, 4, 5]) assert.equal(p.admit('new', rows), rows <= p.maxRowsFor('new') ? 'inline' : 'worker');
  assert.equal(policy({ maxRows: 0 }).maxRowsFor('new'), 0);
});

test('options are validated, and the defaults are the measured ones', () => {
  assert.throws(() => new InlinePolicy({ maxRows: -1 }), (e: Error) => e instanceof RangeError && /inline.maxRows must be a non-negative integer \(got -1\)/.test(e.message));
  assert.throws(() => new InlinePolicy({ maxComputeUs: 0.5 }), RangeError);
  assert.deepEqual(new InlinePolicy().options, { maxRows: 64, maxComputeUs: 200 });
  assert.deepEqual(DEFAULT_INLINE, { maxRows: 64, maxComputeUs: 200 });
});
