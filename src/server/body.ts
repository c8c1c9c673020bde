// Reads a request body with uWS's onData. uWS neuters each chunk after the callback, so chunks
// are copied at once into one buffer, pre-sized from Content-Length when the client sent it.
// The returned Uint8Array is a view at offset 0 (8-byte aligned) of a buffer that belongs to the
// request until it is finished; decoders may hand out views into it.
//
// Bodies up to BODY_POOL_MAX_CLASS_BYTES come from a BodyPool and go back to it when the
// exchange is over (releaseBody, called by the route once its answer is written): a fresh
// ArrayBuffer per request is external memory to V8, and at K=200 (100 KB bodies, ~100 MB/s)
// each time it grows past V8's soft limit a full mark-compact of the HTTP thread's heap
// follows (18 in 5 s measured, bench/results/2026-12-01-efficiency-quiet.md).
// Ownership rule this relies on: nothing keeps a view into the body once the request is
// finished. The batcher copies rows into batch buffers at dispatch and drops a cancelled
// request from its queue at once (src/batching/scheduler.ts); shadow traffic copies
// (src/repository/shadow.ts); the decode thread takes large bodies by transfer (detached
// buffers are dropped on release).
import { err } from '../core/errors.js';
import { BufferPool } from '../core/buffer-pool.js';
import type { HttpExchange } from './http-exchange.js';

/** Larger bodies are allocated exactly and left to the GC: pooling megabytes per idle buffer
 *  would hold memory a burst of large bodies left behind. */
export const BODY_POOL_MAX_CLASS_BYTES = 1 << 20;

export type BodyPool = BufferPool<ArrayBuffer>;

/** One per server: body buffers of 4 KiB to 1 MiB classes, up to 32 MiB idle (let go after 2 s
 *  without use, like the batch buffers). */
export function createBodyPool(): BodyPool {
  return new BufferPool('bodyPool', (n) => new ArrayBuffer(n), {
    minClassBytes: 4096, maxClassBytes: BODY_POOL_MAX_CLASS_BYTES, maxIdlePerClass: 64, maxIdleBytes: 32 << 20,
  });
}

function allocate(pool: BodyPool | undefined, bytes: number): Uint8Array {
  if (pool === undefined || bytes > BODY_POOL_MAX_CLASS_BYTES) return new Uint8Array(bytes);
  return new Uint8Array(pool.acquire(bytes));
}

/** Gives a body readBody returned back to its pool (no-op for an unpooled one). Call once,
 *  when nothing holds a view into it any more. */
export function releaseBody(pool: BodyPool | undefined, body: Uint8Array): void {
  const buf = body.buffer as ArrayBuffer;
  if (pool?.owns(buf)) pool.release(buf);
}

/** Hands every chunk of the body to `each` (a view valid during the call only) until `each`
 *  returns false (it has rejected); rejects with IG_CANCELLED if the client leaves first. */
function onChunks(ex: HttpExchange, reject: (e: unknown) => void, each: (bytes: Uint8Array, isLast: boolean) => boolean): void {
  let failed = false;
  ex.signal.addEventListener('abort', () => {
    failed = true;
    reject(err('IG_CANCELLED', 'client disconnected while sending the body'));
  }, { once: true });
  ex.res.onData((chunk, isLast) => {
    if (!failed && !each(new Uint8Array(chunk), isLast)) failed = true;
  });
}

/** The whole body. With a pool, the caller owns the result until it calls releaseBody (also
 *  when it rejects: then the buffer is already back). */
export function readBody(ex: HttpExchange, maxBodyBytes: number, pool?: BodyPool): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = ex.contentLength;
    if (declared !== undefined && declared > maxBodyBytes) {
      reject(err('IG_BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`));
      return;
    }
    let buf = allocate(pool, declared ?? 4096);
    let length = 0;
    // Settles once: the abort listener outlives the read (a client may leave mid-compute, when
    // the buffer is the request's, not this function's, to release).
    let settled = false;
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      releaseBody(pool, buf);
      reject(e);
    };
    onChunks(ex, fail, (bytes, isLast) => {
      const need = length + bytes.byteLength;
      if (need > maxBodyBytes) {
        fail(err('IG_BODY_TOO_LARGE', `request body exceeds the limit of ${maxBodyBytes} bytes`));
        return false;
      }
      if (need > buf.byteLength) {
        const grown = allocate(pool, Math.min(maxBodyBytes, Math.max(need, buf.byteLength * 2)));
        grown.set(buf.subarray(0, length));
        releaseBody(pool, buf);
        buf = grown;
      }
      buf.set(bytes, length);
      length = need;
      if (isLast) {
        settled = true;
        resolve(length === buf.byteLength ? buf : buf.subarray(0, length));
      }
      return true;
    });
  });
}

/** Where a streamed body goes (DecodeThread.open): segments of `segmentBytes`, in order. */
export interface BodySink {
  readonly segmentBytes: number;
  push(segment: Uint8Array): void;
}

/** Reads a body of `declared` bytes (its Content-Length, within the limit) into fresh segments
 *  of sink.segmentBytes, pushing each as it fills and the last, shorter one at the end, so
 *  that this thread never holds more than one segment of it. Resolves with the bytes read. */
export function streamBody(ex: HttpExchange, declared: number, sink: BodySink): Promise<number> {
  return new Promise((resolve, reject) => {
    let seg: Uint8Array | undefined;
    let fill = 0;
    let total = 0;
    onChunks(ex, reject, (chunk, isLast) => {
      let bytes = chunk;
      while (bytes.byteLength > 0) {
        seg ??= new Uint8Array(Math.max(1, Math.min(sink.segmentBytes, declared - total)));
        const n = Math.min(bytes.byteLength, seg.byteLength - fill);
        seg.set(bytes.subarray(0, n), fill);
        fill += n;
        total += n;
        bytes = bytes.subarray(n);
        if (fill === seg.byteLength) {
          sink.push(seg);
          seg = undefined;
          fill = 0;
        }
      }
      if (isLast) {
        if (seg && fill > 0) sink.push(seg.subarray(0, fill));
        resolve(total);
      }
      return true;
    });
  });
}
