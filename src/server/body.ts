// Reads a request body with uWS's onData. uWS neuters each chunk after the callback, so chunks
// are copied at once into one buffer, pre-sized from Content-Length when the client sent it.
// The returned Uint8Array owns a fresh ArrayBuffer (8-byte aligned at offset 0) that belongs to
// the request until it is finished; decoders may hand out views into it.
import { err } from '../core/errors.js';
import type { HttpExchange } from './http-exchange.js';

export function readBody(ex: HttpExchange, maxBodyBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = ex.contentLength;
    if (declared !== undefined && declared > maxBodyBytes) {
      reject(err('IG_BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`));
      return;
    }
    let buf = new Uint8Array(declared ?? 4096);
    let length = 0;
    let failed = false;
    ex.signal.addEventListener('abort', () => {
      failed = true;
      reject(err('IG_CANCELLED', 'client disconnected while sending the body'));
    }, { once: true });
    ex.res.onData((chunk, isLast) => {
      if (failed) return;
      const bytes = new Uint8Array(chunk);
      const need = length + bytes.byteLength;
      if (need > maxBodyBytes) {
        failed = true;
        reject(err('IG_BODY_TOO_LARGE', `request body exceeds the limit of ${maxBodyBytes} bytes`));
        return;
      }
      if (need > buf.byteLength) {
        const grown = new Uint8Array(Math.min(maxBodyBytes, Math.max(need, buf.byteLength * 2)));
        grown.set(buf.subarray(0, length));
        buf = grown;
      }
      buf.set(bytes, length);
      length = need;
      if (isLast) resolve(length === buf.byteLength ? buf : buf.subarray(0, length));
    });
  });
}
