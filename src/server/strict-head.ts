// The request-head checks uWebSockets.js does not make, run before any route sees a request
// (docs/http-edge.md has the probe of what the pinned uWS build does by itself). A request
// that fails one is answered 400 (413 for a declared body over the limit) and its connection
// is closed behind the answer (431 for a head over MAX_HEAD_BYTES): once two parties could disagree about where the body ends, no
// byte after this head on that connection can be trusted (request smuggling behind a proxy).
import { err, type InferError } from '../core/errors.js';
import type { HttpExchange } from './http-exchange.js';

/** Content-Length as RFC 9110 spells it: digits only (uWS reads "-1", "+5" or "1,1" as some
 *  other number). At most 16 digits: anything longer is over every body limit anyway. */
const CONTENT_LENGTH_RE = /^\d{1,16}$/;

/** The largest head accepted (target plus header lines), as Node's own --max-http-header-size
 *  default. uWS takes a head of any size that arrives in one read (only a head split across
 *  reads is capped, at 4 KiB): this bounds what a client can make every request carry. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** Why this head is refused, or undefined when it is acceptable. */
export function checkHead(ex: Pick<HttpExchange, 'repeats' | 'headers' | 'headBytes'>, maxBodyBytes: number): InferError | undefined {
  if (ex.headBytes > MAX_HEAD_BYTES) return err('IG_HEADERS_TOO_LARGE', `the request head is over ${MAX_HEAD_BYTES} bytes`);
  const r = ex.repeats;
  if (r.contentLength > 1) return err('IG_BAD_REQUEST', 'more than one Content-Length header');
  if (r.transferEncoding > 0) {
    // uWS de-chunks "chunked" bodies itself; with a Content-Length too, the two framings
    // disagree (RFC 9112 section 6.3: reject).
    if (r.contentLength > 0) return err('IG_BAD_REQUEST', 'Transfer-Encoding together with Content-Length');
    const te = ex.headers.get('transfer-encoding')!.trim().toLowerCase();
    if (r.transferEncoding > 1 || te !== 'chunked') return err('IG_BAD_REQUEST', 'Transfer-Encoding other than a single "chunked" is not supported');
  }
  if (r.host !== 1) return err('IG_BAD_REQUEST', r.host === 0 ? 'HTTP/1.1 requests must carry a Host header' : 'more than one Host header');
  const cl = ex.headers.get('content-length');
  if (cl !== undefined) {
    if (!CONTENT_LENGTH_RE.test(cl.trim())) return err('IG_BAD_REQUEST', 'Content-Length is not a decimal number of bytes');
    const n = Number(cl.trim());
    if (n > maxBodyBytes) return err('IG_BODY_TOO_LARGE', `request body of ${n} bytes exceeds the limit of ${maxBodyBytes} bytes`);
  }
  return undefined;
}
