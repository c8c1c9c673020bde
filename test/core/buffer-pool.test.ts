import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, sizeClassBytes } from '../../src/core/buffer-pool.js';
import { SabPool } from '../../src/batching/sab-pool.js';

test('size classes are powers of two with a floor', () => {
  assert.equal(sizeClassBytes(0, 1024), 1024);
  assert.equal(sizeClassBytes(1024, 1024), 1024);
  assert.equal(sizeClassBytes(1025, 1024), 2048);
  assert.equal(sizeClassBytes(102_400, 1024), 131_072);
});

test('released buffers are reused for the same size class', () => {
  const pool = new SabPool();
  const a = pool.acquire(3000);
  assert.equal(a.byteLength, 4096);
  pool.release(a);
  const b = pool.acquire(4000);
  assert.equal(b, a);
  const c = pool.acquire(100);
  assert.notEqual(c, a);
  assert.deepEqual(pool.stats(), { checkedOut: 2, idleBuffers: 0, idleBytes: 0, reused: 1, allocated: 2 });
});

test('double release and foreign buffers throw', () => {
  const pool = new SabPool();
  const a = pool.acquire(10);
  pool.release(a);
  assert.throws(() => pool.release(a), /not checked out/);
  assert.throws(() => pool.release(new SharedArrayBuffer(1024)), /not checked out/);
});

test('idle memory is bounded per class and in total; big buffers are not kept', () => {
  const pool = new SabPool({ minClassBytes: 1024, maxIdlePerClass: 2, maxIdleBytes: 8192, maxClassBytes: 4096 });
  const bufs = [1, 2, 3].map(() => pool.acquire(1024));
  for (const b of bufs) pool.release(b);
  assert.equal(pool.stats().idleBuffers, 2);
  const big = pool.acquire(8192);
  pool.release(big);
  assert.equal(pool.stats().idleBytes, 2048);
  const fours = [1, 2, 3].map(() => pool.acquire(4096));
  for (const b of fours) pool.release(b);
  assert.ok(pool.stats().idleBytes <= 8192);
});

test('bad options and sizes are RangeErrors', () => {
  assert.throws(() => new SabPool({ minClassBytes: 1000 }), RangeError);
  assert.throws(() => new SabPool({ maxClassBytes: 512 }), RangeError);
  assert.throws(() => new SabPool().acquire(-1), RangeError);
  assert.throws(() => new SabPool().acquire(1.5), RangeError);
});

test('a pool of plain ArrayBuffers (request bodies): owns() says what is checked out now', () => {
  const pool = new BufferPool('bodyPool', (n) => new ArrayBuffer(n), { minClassBytes: 4096 });
  const a = pool.acquire(100);
  assert.ok(a instanceof ArrayBuffer);
  assert.equal(a.byteLength, 4096);
  assert.ok(pool.owns(a));
  pool.release(a);
  assert.ok(!pool.owns(a));
  assert.throws(() => pool.release(a), /^Error: bodyPool\.release: buffer is not checked out/);
  assert.throws(() => pool.acquire(-1), /^RangeError: bodyPool\.acquire/);
});

test('a buffer transferred away (detached) is counted back and not kept', () => {
  const pool = new BufferPool('bodyPool', (n) => new ArrayBuffer(n), { minClassBytes: 4096 });
  const a = pool.acquire(5000);
  structuredClone(a, { transfer: [a] });
  assert.equal(a.byteLength, 0);
  pool.release(a);
  assert.deepEqual(pool.stats(), { checkedOut: 0, idleBuffers: 0, idleBytes: 0, reused: 0, allocated: 1 });
  assert.notEqual(pool.acquire(5000), a);
});
