// The batch input buffers (assemble.ts): SharedArrayBuffers from a BufferPool (src/core/buffer-pool.ts
// says why they are pooled, and who owns a buffer until when).
import { BufferPool, type BufferPoolOptions, type BufferPoolStats } from '../core/buffer-pool.js';

export { sizeClassBytes } from '../core/buffer-pool.js';

/** Batch input buffers: a worker reads a SharedArrayBuffer in place. */
export class SabPool extends BufferPool<SharedArrayBuffer> {
  constructor(opts: BufferPoolOptions = {}) {
    super('sabPool', (n) => new SharedArrayBuffer(n), opts);
  }
}

export type SabPoolOptions = BufferPoolOptions;
export type SabPoolStats = BufferPoolStats;
