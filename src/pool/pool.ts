// The worker pool facade: a thin layer over Piscina that knows how many tasks are in flight, so
// the batcher can ask "is a worker idle?" and be told when one frees up. One task carries one
// whole batch; the pool never sees individual requests.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { RunResult, RunTask } from './task.js';
import { MODEL_CHANNEL, type ModelChannelMessage } from './channel.js';
import { BroadcastChannel } from 'node:worker_threads';

export interface PoolOptions {
  workers: number;
}

export class WorkerPool {
  readonly workers: number;
  #piscina: Piscina<RunTask, RunResult>;
  #inFlight = 0;
  #freeListeners: Array<() => void> = [];
  #freeRotation = 0;
  #channel = new BroadcastChannel(MODEL_CHANNEL);
  #closed = false;

  constructor(opts: PoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) {
      throw new RangeError(`pool.workers must be a positive integer (got ${String(opts.workers)})`);
    }
    this.workers = opts.workers;
    this.#channel.unref();
    this.#piscina = new Piscina<RunTask, RunResult>({
      filename: fileURLToPath(new URL('./worker.js', import.meta.url)),
      minThreads: opts.workers,
      maxThreads: opts.workers,
      // Workers hold model sessions; never let them retire for being idle.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
      // Workers block in Atomics.wait between tasks and wake on a futex, the cheapest hop
      // Piscina offers (measured: 'disabled' and 'async' were slower on this machine).
      atomics: 'sync',
      // Queueing happens in our batcher, where it is bounded and observable; Piscina's own
      // queue only ever holds what the batcher already decided to send.
      maxQueue: Math.max(16, opts.workers * 4),
    });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  idleWorkers(): number {
    return Math.max(0, this.workers - this.#inFlight);
  }

  /** Called synchronously each time a task finishes (in rotating order). */
  onFree(listener: () => void): void {
    this.#freeListeners.push(listener);
  }

  async run(task: RunTask): Promise<RunResult> {
    if (this.#closed) throw new Error('worker pool is closed');
    this.#inFlight++;
    try {
      return await this.#piscina.run(task);
    } finally {
      this.#inFlight--;
      // Rotate who hears first, so that with several models on one pool the first-registered
      // model cannot take every freed worker.
      const n = this.#freeListeners.length;
      const start = n > 0 ? this.#freeRotation++ % n : 0;
      for (let i = 0; i < n; i++) this.#freeListeners[(start + i) % n]!();
    }
  }

  /** Tells every worker to drop its handle on a model's session. */
  announceUnload(id: string): void {
    const msg: ModelChannelMessage = { kind: 'unload', id };
    this.#channel.postMessage(msg);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.close();
    await this.#piscina.close();
  }
}

/** Default worker count: leave one core to the uWS event loop. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}
