// Pools of buffers keyed by power-of-two size class: SharedArrayBuffers for batch inputs
// (SabPool, src/batching/sab-pool.ts), plain ArrayBuffers for request bodies (src/server/body.ts).
//
// Why SABs for batches: a worker thread reads a SharedArrayBuffer in place; posting it costs a
// handle, not a structured-clone copy of the tensor bytes. Why pools: allocating (and
// zero-filling) a fresh buffer per batch costs more than the copy into it for small batches, and
// every fresh ArrayBuffer is external memory that drives V8 into full collections
// (docs/decisions/017).
//
// Ownership: acquire() hands a buffer to the caller, which owns it until release(). A batch must
// not release its buffer before the worker's result has arrived (the worker reads it during its
// run call); a request's body not before its answer is written (body.ts). After release() the
// pool may hand the same memory to someone else at once, so any view the caller kept over it
// becomes garbage. A buffer handed back is not zeroed: users must only read the byteLength they
// wrote. A buffer released detached (transferred to another thread meanwhile) is counted back and
// dropped. Idle buffers are dropped after IDLE_TRIM_MS without any acquire(): a burst (or an
// abort storm) must not keep up to maxIdleBytes mapped on a server that has gone quiet.

/** A pool unused this long lets its idle buffers go (the next burst allocates afresh). */
export const IDLE_TRIM_MS = 2000;

export interface BufferPoolOptions {
  /** Smallest size class in bytes (power of two). Default 1 KiB. */
  minClassBytes?: number;
  /** Largest size class kept for reuse; bigger buffers are allocated and dropped. Default 64 MiB. */
  maxClassBytes?: number;
  /** Most idle buffers kept per class. Default 32. */
  maxIdlePerClass?: number;
  /** Most idle bytes kept over all classes. Default 128 MiB. */
  maxIdleBytes?: number;
}

export interface BufferPoolStats {
  /** Buffers currently held by callers. */
  checkedOut: number;
  idleBuffers: number;
  idleBytes: number;
  /** acquire() calls served from the pool / by a new allocation. */
  reused: number;
  allocated: number;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** The size class for `n` bytes: the next power of two, at least `minBytes`. */
export function sizeClassBytes(n: number, minBytes: number): number {
  if (n <= minBytes) return minBytes;
  // 2 ** ceil(log2(n)) without float error for n up to 2^52.
  let c = minBytes;
  while (c < n) c *= 2;
  return c;
}

type AnyBuffer = ArrayBuffer | SharedArrayBuffer;

export class BufferPool<B extends AnyBuffer> {
  readonly #name: string;
  readonly #alloc: (bytes: number) => B;
  readonly #min: number;
  readonly #maxClass: number;
  readonly #maxIdlePerClass: number;
  readonly #maxIdleBytes: number;
  readonly #idle = new Map<number, B[]>();
  /** Checked-out buffers. A Set, not a WeakSet: a body and a batch buffer are checked out per
   *  request, and a WeakSet's inserts and the ephemeron work they add to every scavenge showed
   *  in the K=1 profile. Strong references mean a buffer a caller never releases stays mapped;
   *  `checkedOut` (the leak gauges) shows it either way. */
  readonly #out = new Set<B>();
  #idleBytes = 0;
  #idleBuffers = 0;
  #checkedOut = 0;
  #reused = 0;
  #allocated = 0;
  #acquiredSinceTrimCheck = false;
  #trimTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(name: string, alloc: (bytes: number) => B, opts: BufferPoolOptions = {}) {
    this.#name = name;
    this.#alloc = alloc;
    this.#min = opts.minClassBytes ?? 1024;
    this.#maxClass = opts.maxClassBytes ?? 64 * 1024 * 1024;
    this.#maxIdlePerClass = opts.maxIdlePerClass ?? 32;
    this.#maxIdleBytes = opts.maxIdleBytes ?? 128 * 1024 * 1024;
    if (!isPowerOfTwo(this.#min)) throw new RangeError(`${name}.minClassBytes must be a power of two`);
    if (!isPowerOfTwo(this.#maxClass) || this.#maxClass < this.#min) {
      throw new RangeError(`${name}.maxClassBytes must be a power of two >= minClassBytes`);
    }
    if (!Number.isInteger(this.#maxIdlePerClass) || this.#maxIdlePerClass < 0) {
      throw new RangeError(`${name}.maxIdlePerClass must be a non-negative integer`);
    }
    if (!Number.isInteger(this.#maxIdleBytes) || this.#maxIdleBytes < 0) {
      throw new RangeError(`${name}.maxIdleBytes must be a non-negative integer`);
    }
  }

  /** A buffer of at least `byteLength` bytes (its byteLength is the size class). */
  acquire(byteLength: number): B {
    if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
      throw new RangeError(`${this.#name}.acquire: byteLength must be a non-negative integer (got ${String(byteLength)})`);
    }
    const cls = sizeClassBytes(byteLength, this.#min);
    const list = this.#idle.get(cls);
    let buf = list?.pop();
    if (buf !== undefined) {
      this.#idleBytes -= cls;
      this.#idleBuffers--;
      this.#reused++;
    } else {
      buf = this.#alloc(cls);
      this.#allocated++;
    }
    this.#out.add(buf);
    this.#checkedOut++;
    this.#acquiredSinceTrimCheck = true;
    return buf;
  }

  /** Whether `buf` is checked out from this pool now. */
  owns(buf: B): boolean {
    return this.#out.has(buf);
  }

  /** Hands a buffer back. Throws on a buffer this pool did not hand out (or a double release). */
  release(buf: B): void {
    if (!this.#out.delete(buf)) throw new Error(`${this.#name}.release: buffer is not checked out from this pool`);
    this.#checkedOut--;
    const cls = buf.byteLength;
    if (cls < this.#min) return; // detached (transferred away): nothing to keep
    if (cls > this.#maxClass || this.#idleBytes + cls > this.#maxIdleBytes) return; // let GC take it
    let list = this.#idle.get(cls);
    if (list === undefined) {
      list = [];
      this.#idle.set(cls, list);
    }
    if (list.length >= this.#maxIdlePerClass) return;
    list.push(buf);
    this.#idleBytes += cls;
    this.#idleBuffers++;
    this.#armTrim();
  }

  /** Drops every idle buffer (GC frees them); returns the bytes let go. */
  trimIdle(): number {
    const bytes = this.#idleBytes;
    this.#idle.clear();
    this.#idleBytes = 0;
    this.#idleBuffers = 0;
    return bytes;
  }

  #armTrim(): void {
    if (this.#trimTimer !== undefined) return;
    this.#acquiredSinceTrimCheck = false;
    this.#trimTimer = setTimeout(() => {
      this.#trimTimer = undefined;
      if (this.#acquiredSinceTrimCheck) this.#armTrim();
      else this.trimIdle();
    }, IDLE_TRIM_MS);
    this.#trimTimer.unref?.();
  }

  stats(): BufferPoolStats {
    return {
      checkedOut: this.#checkedOut,
      idleBuffers: this.#idleBuffers,
      idleBytes: this.#idleBytes,
      reused: this.#reused,
      allocated: this.#allocated,
    };
  }
}
