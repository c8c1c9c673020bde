// Bounds how many model versions load at once (--model-load-threads, as Triton's
// --model-load-thread-count): opening a session and warming it up takes a worker and memory, and
// a repository of 1,000 models must load in time linear in the count, not all at once.
// Waiters are served in arrival order.

export class LoadLimiter {
  readonly limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`model load threads must be a positive integer (got ${String(limit)})`);
    this.limit = limit;
  }

  /** Runs `fn` once a slot is free; the slot is released however `fn` ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#running++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes on: #running stays the same
      else this.#running--;
    }
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}
