// The worker pool facade: a thin layer over Piscina that knows how many tasks are in flight, so
// the batcher can ask "is a worker idle?" and be told when one frees up. One task carries one
// whole batch; the pool never sees individual requests. A small batch of a fast model runs on
// the calling thread instead (inline.ts decides, execute.ts runs it).
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import type { FlushTask, ModelRef, PoolTask, RunResult, RunTask } from './task.js';
import { MODEL_CHANNEL, type ModelChannelMessage } from './channel.js';
import { BroadcastChannel } from 'node:worker_threads';
import { Spinner } from './spin.js';
import { dropSession, executeRun, type SessionHandles } from './execute.js';
import { InlinePolicy, type InlineOptions } from './inline.js';
import { idleSpin } from '../runtime/index.js';
import { SERVER_SETTINGS } from '../core/settings/index.js';

export interface PoolOptions {
  workers: number;
  /** Poll instead of sleeping for this long after activity, on both sides of the hop
   *  (see spin.ts). 0 = never: workers block in Atomics.wait between tasks. */
  spinUs?: number;
  /** The main thread polls instead of sleeping while a small batch is in a worker (default
   *  true). Measured on 2 cores: +25% K=1 req/s at 64 in flight. Large batches never spin: they
   *  take milliseconds, and their ORT threads need every core (spinning through a 1000-row
   *  batch cost 30% of K=200 throughput). */
  spinInFlight?: boolean;
  /** Batches of at most this many rows count as small for spinInFlight (default 64). */
  spinMaxRows?: number;
  /** Small batches of fast models run on the calling thread (see inline.ts); maxRows 0 turns
   *  it off. */
  inline?: Partial<InlineOptions> | InlinePolicy;
  /** After a batch ran inline, the event loop polls instead of sleeping for this long (default
   *  0), so the next request meets a running thread with warm caches. Any batch sent to a
   *  worker ends the window: from there spinInFlight decides. */
  quietSpinUs?: number;
  /** Idle spinners (native/idle_spin.h) kept spinning for windowUs after each arrival; they
   *  are process-wide, so give them to one pool only. Default none. */
  idleSpin?: { threads: number; windowUs: number };
}

/** Off by default. Measured on a 2-core VM shared with the load generator: spinning trims the
 *  K=1 p50 at 1 request in flight a little, but the spinning threads take CPU from the load
 *  and from each other, and open-loop p99 grew tenfold. Worth trying where cores are spare. */
export const DEFAULT_SPIN_US = SERVER_SETTINGS.spinUs.default;
export const DEFAULT_SPIN_IN_FLIGHT = SERVER_SETTINGS.spinInFlight.default;

export class WorkerPool {
  readonly workers: number;
  #piscina: Piscina<PoolTask, RunResult | undefined>;
  #inFlight = 0;
  /** In-flight tasks during which the main thread polls. */
  #spinning = 0;
  readonly #spinMaxRows: number;
  #freeListeners: Array<() => void> = [];
  #freeRotation = 0;
  #channel: BroadcastChannel;
  #closed = false;
  #spinner: Spinner;
  readonly #inline: InlinePolicy;
  /** The main thread's own session handles, for inline runs. */
  readonly #mainSessions: SessionHandles = new Map();
  #inlineRuns = 0;
  readonly #idleSpin: boolean;
  readonly #quietSpinUs: number;
  /** Requests between noteArrival() and noteDone(). */
  #requests = 0;
  /** When an arrival last found another request in progress (performance.now() ms). */
  #lastOverlapMs = -Infinity;
  readonly #idleSpinWindowMs: number;

  constructor(opts: PoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) {
      throw new RangeError(`pool.workers must be a positive integer (got ${String(opts.workers)})`);
    }
    this.workers = opts.workers;
    const spinUs = opts.spinUs ?? DEFAULT_SPIN_US;
    if (!Number.isInteger(spinUs) || spinUs < 0) throw new RangeError(`pool.spinUs must be a non-negative integer (got ${String(spinUs)})`);
    this.#spinMaxRows = (opts.spinInFlight ?? DEFAULT_SPIN_IN_FLIGHT) ? opts.spinMaxRows ?? 64 : -1;
    this.#quietSpinUs = opts.quietSpinUs ?? 0;
    if (!Number.isInteger(this.#quietSpinUs) || this.#quietSpinUs < 0) throw new RangeError(`pool.quietSpinUs must be a non-negative integer (got ${String(opts.quietSpinUs)})`);
    this.#spinner = new Spinner(spinUs, () => this.#spinning > 0);
    this.#inline = opts.inline instanceof InlinePolicy ? opts.inline : new InlinePolicy(opts.inline);
    const spinThreads = opts.idleSpin?.threads ?? 0;
    if (!Number.isInteger(spinThreads) || spinThreads < 0) throw new RangeError(`pool.idleSpin.threads must be a non-negative integer (got ${String(spinThreads)})`);
    // Before the channel and Piscina: a bad window throws here, before any thread exists.
    if (spinThreads > 0) idleSpin.start(spinThreads, opts.idleSpin!.windowUs);
    this.#idleSpin = spinThreads > 0;
    this.#idleSpinWindowMs = spinThreads > 0 ? opts.idleSpin!.windowUs / 1000 : 0;
    // Created only once the options are valid: an open channel keeps the process alive.
    this.#channel = new BroadcastChannel(MODEL_CHANNEL);
    this.#channel.unref();
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
      atomics: spinUs > 0 ? 'disabled' : 'sync',
      workerData: { spinUs: spinUs },
      // Queueing happens in our batcher, where it is bounded and observable; Piscina's own
      // queue only ever holds what the batcher already decided to send.
      maxQueue: Math.max(16, opts.workers * 4),
    });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** A request reached a model. While requests come one at a time (none other in progress
   *  for the last spinner window), each arrival keeps the idle spinners spinning: the next
   *  request of a lone caller then meets CPUs that never halted. Once requests overlap they are
   *  left to sleep: the cores have work, and a spinning CPU beside busy ones cost throughput
   *  (measured on 2 cores, K=1 at 16 and 64 in flight: +11% and +25% req/s with the spinners
   *  asleep; at 1 in flight p50 120 against 142-154 us with them). Counting requests in progress
   *  alone is not enough: with inline batching a whole burst finishes together, so the next
   *  burst's first request always finds the gateway empty. */
  noteArrival(): void {
    const requests = ++this.#requests;
    if (!this.#idleSpin) return;
    const nowMs = performance.now();
    if (requests > 1) this.#lastOverlapMs = nowMs;
    else if (nowMs - this.#lastOverlapMs > this.#idleSpinWindowMs) idleSpin.touch();
  }

  /** The request counted by noteArrival() is answered (or failed). */
  noteDone(): void {
    this.#requests--;
  }

  /** True while the main thread's event loop polls instead of sleeping (spinInFlight, quietSpinUs). */
  get polling(): boolean {
    return this.#spinner.spinning;
  }

  /** This pool's idle spinners: threads running and their spin time (zeros when it has none). */
  idleSpinStats(): { threads: number; spinSeconds: number } {
    if (!this.#idleSpin) return { threads: 0, spinSeconds: 0 };
    const s = idleSpin.stats();
    return { threads: s.threads, spinSeconds: s.spinSeconds };
  }

  /** Batches that ran on the calling thread instead of a worker. */
  get inlineRuns(): number {
    return this.#inlineRuns;
  }

  idleWorkers(): number {
    return Math.max(0, this.workers - this.#inFlight);
  }

  /** Called synchronously each time a task finishes (in rotating order). */
  onFree(listener: () => void): void {
    this.#freeListeners.push(listener);
  }

  /** Runs one batch. `rows` (the batch's dim 0) decides whether it may run inline and whether
   *  the main thread polls while it is in flight (see spinInFlight). `allowInline` false
   *  forces a worker (warm-up must reach every worker). */
  async run(task: RunTask, rows = 0, allowInline = true): Promise<RunResult> {
    if (this.#closed) throw new Error('worker pool is closed');
    const id = task.model.id;
    const verdict = allowInline && cpuOnly(task.model) ? this.#inline.admit(id, rows) : 'worker';
    if (verdict === 'inline') {
      this.#inlineRuns++;
      const result = executeRun(this.#mainSessions, task);
      this.#inline.observe(id, rows, result.endUs - result.startUs);
      result.inline = true;
      this.#spinner.extend(this.#quietSpinUs);
      return result;
    }
    const spin = rows <= this.#spinMaxRows;
    this.#inFlight++;
    if (spin) this.#spinning++;
    // Busy enough for a worker: the quiet window is over (spinInFlight decides from here).
    this.#spinner.cancelWindow();
    this.#spinner.touch();
    try {
      const result = (await this.#piscina.run(task))!;
      this.#inline.observe(id, rows, result.endUs - result.startUs);
      return result;
    } finally {
      this.#inFlight--;
      if (spin) this.#spinning--;
      this.#spinner.touch();
      // Rotate who hears first, so that with several models on one pool the first-registered
      // model cannot take every freed worker.
      const n = this.#freeListeners.length;
      const start = n > 0 ? this.#freeRotation++ % n : 0;
      for (let i = 0; i < n; i++) this.#freeListeners[(start + i) % n]!();
    }
  }

  /** Whether this model's small batches can run on the calling thread at all (CPU sessions,
   *  inline on). */
  mayRunInline(model: ModelRef): boolean {
    return this.#inline.options.maxRows > 0 && cpuOnly(model);
  }

  /** Warm-up for inline execution: runs `task` (of `rows` rows) on this thread twice. The
   *  first opens the thread's handle and pays the one-off costs; the second, warm, seeds the
   *  compute guard (see inline.ts), so that a model too slow for the event loop never runs
   *  inline, not even its first request. No-op when inline is off. */
  warmInline(task: RunTask, rows: number): void {
    if (!this.mayRunInline(task.model)) return;
    executeRun(this.#mainSessions, task);
    const warm = executeRun(this.#mainSessions, task);
    this.#inline.observe(task.model.id, rows, warm.endUs - warm.startUs);
  }

  /** Tells every worker to drop its handle on a model's session; resolves once each has had
   *  the chance to (idle workers are woken with a flush task). */
  async announceUnload(id: string): Promise<void> {
    const msg: ModelChannelMessage = { kind: 'unload', id };
    this.#channel.postMessage(msg);
    dropSession(this.#mainSessions, id);
    this.#inline.forget(id);
    if (this.#closed) return;
    const flush: FlushTask = { kind: 'flush', barrier: new SharedArrayBuffer(4), parties: this.workers };
    await Promise.all(Array.from({ length: this.workers }, () => this.#piscina.run(flush)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleSpin) idleSpin.stop();
    this.#channel.close();
    for (const id of [...this.#mainSessions.keys()]) dropSession(this.#mainSessions, id);
    await this.#piscina.close();
  }
}

/** GPU sessions always run in workers: a device round trip dwarfs the hop, and the event loop
 *  must never wait on a device. */
function cpuOnly(model: ModelRef): boolean {
  const eps = model.options.executionProviders;
  return eps === undefined || eps.every((p) => p.name === 'cpu');
}
