// Test helpers for the batching library: a hand-driven clock, a fake worker pool that records
// every batch it was given, and a seeded PRNG for fixtures.
import { seededRandom } from '../fixtures/onnx-builder.js';
import type { Clock } from '../../src/batching/clock.js';
import type { Batch, BatchResult } from '../../src/batching/scheduler.js';

interface FakeTimer { atUs: number; fn: () => void }

/** Time moves only in advance(); due timers fire in deadline order. */
export class FakeClock implements Clock {
  now = 0;
  setCalls = 0;
  readonly #timers = new Map<number, FakeTimer>();
  #nextId = 1;

  nowUs(): number {
    return this.now;
  }

  setTimer(fn: () => void, delayUs: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { atUs: this.now + delayUs, fn });
    this.setCalls++;
    return id;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Wake time of the earliest pending timer, or undefined. */
  get nextWakeUs(): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers.values()) if (best === undefined || t.atUs < best) best = t.atUs;
    return best;
  }

  advance(us: number): void {
    const target = this.now + us;
    for (;;) {
      let bestId = -1;
      let best: FakeTimer | undefined;
      for (const [id, t] of this.#timers) {
        if (t.atUs <= target && (best === undefined || t.atUs < best.atUs)) {
          best = t;
          bestId = id;
        }
      }
      if (best === undefined) break;
      this.#timers.delete(bestId);
      this.now = Math.max(this.now, best.atUs);
      best.fn();
    }
    this.now = target;
  }
}

interface Running<T> {
  batch: Batch<T>;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

/**
 * A pool of `workers` slots. execute() records the batch and holds it until the test calls
 * complete()/fail(). By default a batch's result is produced by `compute`.
 */
export class FakePool<T> {
  readonly ran: Batch<T>[] = [];
  readonly running: Running<T>[] = [];
  #freeListener: (() => void) | undefined;

  constructor(
    public workers: number,
    readonly compute: (b: Batch<T>) => BatchResult,
  ) {}

  readonly execute = (batch: Batch<T>): Promise<BatchResult> => {
    this.ran.push(batch);
    return new Promise<BatchResult>((resolve, reject) => this.running.push({ batch, resolve, reject }));
  };

  readonly idleWorkers = (): number => Math.max(0, this.workers - this.running.length);

  readonly onWorkerFree = (l: () => void): void => {
    this.#freeListener = l;
  };

  /** Finishes the running batch at `index` (default: the oldest) and settles promises. */
  async complete(index = 0): Promise<Batch<T>> {
    const r = this.running.splice(index, 1)[0];
    if (r === undefined) throw new Error('FakePool.complete: nothing running');
    r.resolve(this.compute(r.batch));
    this.#freeListener?.();
    await settle();
    return r.batch;
  }

  async fail(error: unknown, index = 0): Promise<void> {
    const r = this.running.splice(index, 1)[0];
    if (r === undefined) throw new Error('FakePool.fail: nothing running');
    r.reject(error);
    this.#freeListener?.();
    await settle();
  }
}

/** Lets promise callbacks (then-chains of the batcher and of the test) run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** mulberry32: deterministic fixtures (the one implementation, shared with the model builder). */
export const seeded = seededRandom;

/** Captures a promise's settlement without an unhandled rejection. */
export function track<V>(p: Promise<V>): { readonly state: 'pending' | 'ok' | 'err'; readonly value?: V; readonly error?: unknown; done: Promise<void> } {
  const t: { state: 'pending' | 'ok' | 'err'; value?: V; error?: unknown; done: Promise<void> } = { state: 'pending', done: Promise.resolve() };
  t.done = p.then(
    (v) => { t.state = 'ok'; t.value = v; },
    (e: unknown) => { t.state = 'err'; t.error = e; },
  );
  return t;
}
