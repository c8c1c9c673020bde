// The worker pool: a facade over Piscina that runs tasks on a fixed set of worker threads and
// reports capacity (tasks in flight, idle workers, a notification each time one frees up). It
// never chooses where a batch runs (execution-policy.ts does) and knows nothing of models.
//
// Two ways in, so that control work never competes with inference for a bounded queue:
//  - run(): inference batches. The batcher sends one only when capacity exists, so Piscina's
//    bounded queue (maxQueue) is a guard here, not a scheduler.
//  - runControl(): control tasks (warm-up runs, unload flushes). They wait in this facade's own
//    unbounded FIFO and are handed to Piscina only onto an idle worker, so any number may be
//    pending (a repository of 500 models warms up 500 x workers tasks at once) and none of them
//    takes one of inference's places in Piscina's queue. A freed worker takes the oldest control
//    task before the free listeners hear of it, as it would in one FIFO.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { FlushTask, PoolTask, RunResult, RunTask, WorkerFaults } from './task.js';
import { SERVER_SETTINGS } from '../core/settings/index.js';
import { err } from '../core/errors.js';

export interface PoolOptions {
  workers: number;
  /** Workers poll instead of sleeping for this long after a task (see spin.ts); 0 = never:
   *  they block in Atomics.wait between tasks. */
  spinUs?: number;
  /** Fault injection for tests only (no setting, flag or environment variable reaches it): a
   *  worker that starts a batch of the model named `exitOnModel` exits at once, mid-batch. */
  faults?: WorkerFaults;
}

/** Piscina's message when a worker thread exits with tasks in its hands (see _onError). */
const WORKER_EXIT = /^worker exited with code/;

/** Off by default. Measured on a 2-core VM shared with the load generator: spinning trims the
 *  K=1 p50 at 1 request in flight a little, but the spinning threads take CPU from the load
 *  and from each other, and open-loop p99 grew tenfold (see docs/decisions/009). */
export const DEFAULT_SPIN_US = SERVER_SETTINGS.spinUs.default;

/** Throws RangeError for options the pool cannot start with (before any thread exists). */
export function checkPoolOptions(opts: PoolOptions): void {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) {
    throw new RangeError(`pool.workers must be a positive integer (got ${String(opts.workers)})`);
  }
  const spinUs = opts.spinUs ?? DEFAULT_SPIN_US;
  if (!Number.isInteger(spinUs) || spinUs < 0) throw new RangeError(`pool.spinUs must be a non-negative integer (got ${String(spinUs)})`);
}

interface ControlEntry {
  task: RunTask | FlushTask;
  resolve: (r: RunResult | undefined) => void;
  reject: (e: unknown) => void;
}

export class WorkerPool {
  readonly workers: number;
  readonly spinUs: number;
  #piscina: Piscina<PoolTask, RunResult | undefined>;
  /** Tasks handed to Piscina and not finished, inference and control together. */
  #inFlight = 0;
  /** Control tasks not yet handed to Piscina, oldest first from #controlHead. */
  #control: ControlEntry[] = [];
  #controlHead = 0;
  #freeListeners: Array<() => void> = [];
  #freeRotation = 0;
  #closed = false;
  #workerExits = 0;

  constructor(opts: PoolOptions) {
    checkPoolOptions(opts);
    this.workers = opts.workers;
    this.spinUs = opts.spinUs ?? DEFAULT_SPIN_US;
    this.#piscina = new Piscina<PoolTask, RunResult | undefined>({
      filename: fileURLToPath(new URL('./worker.js', import.meta.url)),
      minThreads: opts.workers,
      maxThreads: opts.workers,
      // Workers hold model sessions; never let them retire for being idle.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
      // Without spinning, workers block in Atomics.wait between tasks and wake on a futex, the
      // cheapest sleeping hop Piscina offers. With spinning, workers take tasks from their
      // event loop, which their Spinner keeps polling after each task.
      atomics: this.spinUs > 0 ? 'disabled' : 'sync',
      workerData: { spinUs: this.spinUs, faults: opts.faults ?? {} },
      // Inference keeps max(16, workers x 4) places. Control tasks reach Piscina only while a
      // worker is idle, so at most `workers` of them are ever in its hands (queued only while
      // the workers start): the extra `workers` places are theirs.
      maxQueue: Math.max(16, opts.workers * 4) + opts.workers,
    });
    // Piscina replaces a worker that exits or throws outside a task, and emits 'error' when the
    // worker had no task: without a listener that would throw on the main thread.
    this.#piscina.on('error', () => { this.#workerExits++; });
  }

  /** Worker threads that died (exited or threw outside a task) and were replaced. */
  get workerExits(): number {
    return this.#workerExits;
  }

  /** Tasks running or handed to Piscina (control tasks included once handed over). */
  get inFlight(): number {
    return this.#inFlight;
  }

  idleWorkers(): number {
    return Math.max(0, this.workers - this.#inFlight);
  }

  /** Control tasks waiting for an idle worker. */
  get controlQueued(): number {
    return this.#control.length - this.#controlHead;
  }

  /** Called synchronously each time a task finishes (in rotating order). */
  onFree(listener: () => void): void {
    this.#freeListeners.push(listener);
  }

  /** Runs one inference batch in a worker. Rejects with the worker's error. */
  async run(task: RunTask): Promise<RunResult> {
    if (this.#closed) throw new Error('worker pool is closed');
    this.#inFlight++;
    try {
      return (await this.#piscina.run(task))!;
    } catch (e) {
      throw this.#exitError(e);
    } finally {
      this.#freed();
    }
  }

  /** A worker that died under a batch: a catalogue error of its own (Piscina has already
   *  started a replacement), so callers neither retry the batch nor call it the model's fault. */
  #exitError(e: unknown): unknown {
    if (!(e instanceof Error) || !WORKER_EXIT.test(e.message)) return e;
    this.#workerExits++;
    return err('IG_WORKER_EXITED', `the worker thread running this batch died (${e.message}); it has been replaced, and the request was not completed`, { cause: e });
  }

  /** Runs a control task in a worker once one is idle; never refused for queue space. */
  runControl(task: RunTask | FlushTask): Promise<RunResult | undefined> {
    if (this.#closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.#control.push({ task, resolve, reject });
      this.#startControl();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#control.slice(this.#controlHead);
    this.#control = [];
    this.#controlHead = 0;
    for (const c of pending) c.reject(new Error('worker pool is closed'));
    await this.#piscina.close();
  }

  /** Hands waiting control tasks to idle workers. */
  #startControl(): void {
    while (this.#inFlight < this.workers && this.#controlHead < this.#control.length) {
      const c = this.#control[this.#controlHead]!;
      this.#control[this.#controlHead++] = undefined as never;
      if (this.#controlHead === this.#control.length) {
        this.#control = [];
        this.#controlHead = 0;
      } else if (this.#controlHead >= 1024 && this.#controlHead * 2 >= this.#control.length) {
        this.#control = this.#control.slice(this.#controlHead);
        this.#controlHead = 0;
      }
      this.#inFlight++;
      // Freed before the caller hears, as in run(): its continuation sees the worker idle.
      this.#piscina.run(c.task).then(
        (r) => { this.#freed(); c.resolve(r); },
        (e: unknown) => { this.#freed(); c.reject(this.#exitError(e)); },
      );
    }
  }

  #freed(): void {
    this.#inFlight--;
    this.#startControl();
    // Rotate who hears first, so that with several models on one pool the first-registered
    // model cannot take every freed worker.
    const n = this.#freeListeners.length;
    const start = n > 0 ? this.#freeRotation++ % n : 0;
    for (let i = 0; i < n; i++) this.#freeListeners[(start + i) % n]!();
  }
}
