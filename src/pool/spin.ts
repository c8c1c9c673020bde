// Adaptive spinning for the thread hop. On virtual machines a sleeping thread takes tens of
// microseconds to wake (futex or eventfd wake + IPI), and a request pays two such wakes: the
// worker's, to start a batch, and the main thread's, to receive the result. While work is in
// flight, and for `spinUs` after the last activity, a Spinner keeps its thread's event loop
// polling (a setImmediate chain: epoll with a zero timeout) instead of sleeping, so messages are
// seen at once. I/O is still served between polls. Past the window the thread sleeps again, so
// an idle gateway burns no CPU. This is the event-loop equivalent of ORT's allow_spinning.
import { performance } from 'node:perf_hooks';

export class Spinner {
  readonly spinUs: number;
  #untilMs = 0;
  #running = false;
  #busy: () => boolean;

  /** `busy()`: keep spinning regardless of the window (e.g. tasks in flight). */
  constructor(spinUs: number, busy: () => boolean = () => false) {
    this.spinUs = spinUs;
    this.#busy = busy;
  }

  /** True while the event loop is kept polling. */
  get spinning(): boolean {
    return this.#running;
  }

  /** Marks activity: spin for at least spinUs from now, and for as long as busy() holds. */
  touch(): void {
    if (this.spinUs <= 0 && !this.#busy()) return;
    this.#untilMs = performance.now() + this.spinUs / 1000;
    if (!this.#running) {
      this.#running = true;
      setImmediate(this.#tick);
    }
  }

  /** Spins for at least `us` from now (a window beside spinUs: see the pool's quietSpinUs). */
  extend(us: number): void {
    if (us <= 0) return;
    this.#untilMs = Math.max(this.#untilMs, performance.now() + us / 1000);
    if (!this.#running) {
      this.#running = true;
      setImmediate(this.#tick);
    }
  }

  /** Ends the current window now (busy() still keeps it spinning). */
  cancelWindow(): void {
    this.#untilMs = 0;
  }

  readonly #tick = (): void => {
    if (this.#busy() || performance.now() < this.#untilMs) {
      setImmediate(this.#tick);
    } else {
      this.#running = false;
    }
  };
}
