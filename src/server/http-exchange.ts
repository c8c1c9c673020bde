// Per-request state for one HTTP exchange on uWebSockets.js, and THE one place that finishes a
// response. uWS rules this file enforces:
//  - HttpRequest is valid only during the route callback: everything needed later (method, url,
//    headers) is copied into this object synchronously.
//  - onAborted must be registered before any await; after an abort, touching `res` crashes the
//    process, so every write goes through finish(), which checks `aborted` and `finished`.
//  - Writes that happen after an await are corked so headers and body leave in one syscall.
// Each exchange counts in the server's DrainGate from construction until it is answered or
// aborted; while the gate drains (and for a rejected head or body), the response carries
// `Connection: close` and uWS closes the connection once it is written (README "Drain").
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { DrainGate } from './drain.js';
import { InferError, toInferError } from '../core/errors.js';
import { STATUS_TEXT } from './status-text.js';
import type { CancelSignal } from '../core/types.js';

export type Body = string | Uint8Array;

/** The last Content-Type seen and its media type: callers send the same one on every request,
 *  and parsing it (split, trim, lower case: three strings) showed in the K=1 profile. */
let lastContentType = '';
let lastMediaType = '';

/** "Application/JSON; charset=utf-8" -> "application/json". */
function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  if (contentType !== lastContentType) {
    lastMediaType = contentType.split(';')[0]!.trim().toLowerCase();
    lastContentType = contentType;
  }
  return lastMediaType;
}

export class HttpExchange implements CancelSignal {
  readonly res: HttpResponse;
  readonly method: string;
  readonly url: string;
  readonly query: string;
  readonly contentType: string;
  readonly contentLength: number | undefined;
  readonly headers: ReadonlyMap<string, string>;
  /** How often each header that must appear at most once was sent (see strict-head.ts);
   *  the Map above keeps only the last of a repeated header. */
  readonly repeats: { contentLength: number; host: number; transferEncoding: number };
  /** Bytes of the request line's target and the header lines, as parsed (strict-head.ts). */
  readonly headBytes: number;
  /** performance.now() at arrival, for latency accounting. */
  readonly arrivalMs: number;
  aborted = false;
  finished = false;
  /** Close the connection after the response (a rejected head or body; the drain). */
  closeAfter = false;
  #gate: DrainGate | undefined;
  /** Set by the route once known, for the error log: the request's id and model. */
  requestId = '';
  model = '';
  /** Listeners for a client disconnect (see CancelSignal); usually none or one. */
  #abortListeners: Array<() => void> | undefined;
  #onFinish: ((status: number) => void) | undefined;
  readonly #onError: ((ex: HttpExchange, e: InferError) => void) | undefined;

  /** `gate` counts the exchange for the drain; `onError` hears every error answer (for the
   *  log), never a success. */
  constructor(res: HttpResponse, req: HttpRequest, nowMs: number, gate?: DrainGate, onError?: (ex: HttpExchange, e: InferError) => void) {
    this.res = res;
    this.#onError = onError;
    this.arrivalMs = nowMs;
    this.method = req.getMethod();
    this.url = req.getUrl();
    this.query = req.getQuery() ?? '';
    const headers = new Map<string, string>();
    const repeats = { contentLength: 0, host: 0, transferEncoding: 0 };
    let headBytes = this.url.length + this.query.length;
    req.forEach((k, v) => {
      headBytes += k.length + v.length + 4;
      if (k === 'content-length') repeats.contentLength++;
      else if (k === 'host') repeats.host++;
      else if (k === 'transfer-encoding') repeats.transferEncoding++;
      headers.set(k, v);
    });
    this.headers = headers;
    this.repeats = repeats;
    this.headBytes = headBytes;
    this.#gate = gate;
    gate?.arrive();
    this.contentType = mediaType(headers.get('content-type'));
    const cl = headers.get('content-length');
    this.contentLength = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
    res.onAborted(() => {
      this.aborted = true;
      if (!this.finished) this.#gate?.done();
      const listeners = this.#abortListeners;
      this.#abortListeners = undefined;
      if (listeners) for (const l of listeners) l();
    });
  }

  /** Fires when the client disconnects; queued work listens to drop itself. The exchange is
   *  its own CancelSignal: one fewer object per request than an AbortController. */
  get signal(): CancelSignal {
    return this;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.#abortListeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const ls = this.#abortListeners;
    const i = ls ? ls.indexOf(listener) : -1;
    if (i >= 0) ls!.splice(i, 1);
  }

  onFinish(cb: (status: number) => void): void {
    this.#onFinish = cb;
  }

  /** Writes status, headers (Content-Type first when given apart) and body once. Safe to call
   *  after abort or twice (no-op). */
  finish(status: number, headers: Readonly<Record<string, string>>, body: Body, contentType?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.#onFinish?.(status);
    if (this.aborted) return;
    // uWS writes `Connection: close` itself when asked to close, unless the client sent it.
    const close = this.closeAfter || this.#gate?.draining === true;
    const res = this.res;
    res.cork(() => {
      // uWS writes "200 OK" itself when no status was written: one native call fewer per answer.
      if (status !== 200) res.writeStatus(STATUS_TEXT[status] ?? `${status}`);
      if (contentType !== undefined) res.writeHeader('Content-Type', contentType);
      for (const k in headers) res.writeHeader(k, headers[k]!);
      res.end(body, close);
    });
    this.#gate?.done();
  }

  finishJson(status: number, value: unknown, extraHeaders: Record<string, string> = {}): void {
    this.finish(status, { 'Content-Type': 'application/json', ...extraHeaders }, JSON.stringify(value));
  }

  /** Errors always answer as KServe's JSON error body unless a codec-specific body is given.
   *  Every retryable 503 (not ready, queue full, shutting down) carries Retry-After: the
   *  error's own, else 1 s. */
  finishError(e: unknown, body?: { contentType: string; bytes: Body }, extraHeaders?: Record<string, string>): void {
    const ie: InferError = toInferError(e);
    if (!this.finished) this.#onError?.(this, ie);
    const headers: Record<string, string> = { ...extraHeaders };
    const retryAfterS = ie.retryAfterS ?? (ie.status === 503 && ie.retryable ? 1 : undefined);
    if (retryAfterS !== undefined) headers['Retry-After'] = String(retryAfterS);
    headers['X-Infergate-Error'] = ie.code;
    // A refused body is not read to its end: the connection cannot carry another request.
    if (ie.code === 'IG_BODY_TOO_LARGE') this.closeAfter = true;
    if (body) {
      headers['Content-Type'] = body.contentType;
      this.finish(ie.status, headers, body.bytes);
    } else {
      headers['Content-Type'] = 'application/json';
      this.finish(ie.status, headers, JSON.stringify({ error: ie.message, code: ie.code }));
    }
  }
}
