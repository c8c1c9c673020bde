// Reads a request body with uWS's onData. uWS neuters each chunk after the callback, so chunks
// are copied at once into one buffer, pre-sized from Content-Length when the client sent it.
// The returned Uint8Array owns a fresh ArrayBuffer (8-byte aligned at offset 0) that belongs to
// the request until it is finished; decoders may hand out views into it.
import { err } from '../core/errors.js';
import type { HttpExchange } from './http-exchange.js';

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

export function readBody(ex: HttpExchange, maxBodyBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = ex.contentLength;
    if (declared !== undefined && declared > maxBodyBytes) {
      reject(err('IG_BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`));
      return;
    }
    let buf = new Uint8Array(declared ?? 4096);
    let length = 0;
    onChunks(ex, reject, (bytes, isLast) => {
      const need = length + bytes.byteLength;
      if (need > maxBodyBytes) {
        reject(err('IG_BODY_TOO_LARGE', `request body exceeds the limit of ${maxBodyBytes} bytes`));
        return false;
      }
      if (need > buf.byteLength) {
        const grown = new Uint8Array(Math.min(maxBodyBytes, Math.max(need, buf.byteLength * 2)));
        grown.set(buf.subarray(0, length));
        buf = grown;
      }
      buf.set(bytes, length);
      length = need;
      if (isLast) resolve(length === buf.byteLength ? buf : buf.subarray(0, length));
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
