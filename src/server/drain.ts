// Connection-level drain of the HTTP/WebSocket server (see README "Drain").
//
// uWebSockets.js (the pinned build) gives JavaScript no list of its connections, so the drain
// is driven by the requests instead:
//  1. begin(): from now on every HTTP response carries `Connection: close` and uWS closes the
//     connection once the response is written; new WebSocket frames get IG_SHUTTING_DOWN.
//     Each keep-alive connection therefore gets exactly one more answer after the signal and
//     is closed cleanly behind it; a request that arrives on it is served, never refused.
//  2. whenIdle(): resolves once no HTTP exchange and no stream request is in flight and none
//     has arrived (or ended) for IDLE_CLOSE_AFTER_MS, counted from begin() at the earliest. A client in a closed loop sends its next request
//     within that window of its last answer, so what is still open then is an idle keep-alive
//     connection, which the caller closes.
//  3. The caller's exit timeout (--exit-timeout-s) bounds the whole.
import { performance } from 'node:perf_hooks';

/** How long the server must have been without a request in flight or arriving before the
 *  connections still open count as idle and are closed. Long enough for a client that was
 *  between two requests at the signal to send its next (one round trip plus its own turn of
 *  the event loop), short against any termination grace period. */
export const IDLE_CLOSE_AFTER_MS = 250;

export class DrainGate {
  /** True from begin(): responses close their connections. */
  draining = false;
  #inFlight = 0;
  #lastChangeMs = 0;
  #waiters: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;

  /** A request (HTTP exchange or stream frame) arrived; pair with one done(). */
  arrive(): void {
    this.#inFlight++;
    this.#lastChangeMs = performance.now();
  }

  /** The request was answered, or its client went away. */
  done(): void {
    this.#inFlight--;
    this.#lastChangeMs = performance.now();
    if (this.#inFlight === 0 && this.#waiters.length > 0) this.#arm(IDLE_CLOSE_AFTER_MS);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  begin(): void {
    this.draining = true;
    // The quiet period counts from the signal at the earliest: a request already on the wire
    // (or a client between two requests) gets its chance to arrive.
    this.#lastChangeMs = performance.now();
  }

  /** Resolves once nothing is in flight and nothing arrived for IDLE_CLOSE_AFTER_MS. */
  whenIdle(): Promise<void> {
    const p = new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#check();
    return p;
  }

  #arm(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#check(), Math.max(1, ms));
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#waiters.length === 0 || this.#inFlight > 0) return; // done() re-arms
    const quietMs = performance.now() - this.#lastChangeMs;
    if (quietMs < IDLE_CLOSE_AFTER_MS) {
      this.#arm(IDLE_CLOSE_AFTER_MS - quietMs);
      return;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
