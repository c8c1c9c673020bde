// The execution policy: where each batch runs, and how the threads wait meanwhile. It owns
//  - inline or worker: a small batch of a fast CPU model runs on the calling thread (inline.ts
//    decides, execute.ts runs it), anything else goes to the worker pool (pool.ts);
//  - capacity as the batcher sees it: idle workers, plus the largest batch of a model that can
//    run inline now (inlineMaxRows), so that a batch small enough to run inline never waits for
//    a busy worker (src/batching/decide.ts, rule I);
//  - the main thread's spin windows: it polls while a small batch is in a worker (spinInFlight,
//    docs/decisions/005) and for quietSpinUs after an inline batch (docs/decisions/004);
//  - the idle spinners and the request arrivals that keep them spinning (docs/decisions/003);
//  - lone requests: while requests come one at a time, inline batches run on a lone session
//    whose ORT threads spin (lone-sessions.ts, docs/decisions/018);
//  - unloads: the main thread's own handles here, the workers' through unload-rounds.ts.
// Control work (warm-up) goes straight to the pool's control queue: it is never inline.
import { performance } from 'node:perf_hooks';
import type { FlushTask, ModelRef, RunResult, RunTask } from './task.js';
import { Spinner } from './spin.js';
import { dropSession, executeRun, type SessionHandles } from './execute.js';
import { InlinePolicy, SMALL_BATCH_ROWS, type InlineOptions } from './inline.js';
import { checkPoolOptions, WorkerPool, type PoolOptions } from './pool.js';
import { UnloadRounds } from './unload-rounds.js';
import { LoneSessions } from './lone-sessions.js';
import { idleSpin } from '../runtime/index.js';
import { SERVER_SETTINGS } from '../core/settings/index.js';

export interface ExecutionOptions extends PoolOptions {
  /** The main thread polls instead of sleeping while a small batch is in a worker (default
   *  true). Large batches never spin: they take milliseconds, and their ORT threads need every
   *  core (see docs/decisions/005). spinUs (PoolOptions) also applies to the main thread. */
  spinInFlight?: boolean;
  /** Batches of at most this many rows count as small for spinInFlight (default SMALL_BATCH_ROWS). */
  spinMaxRows?: number;
  /** Small batches of fast models run on the calling thread (see inline.ts); maxRows 0 turns
   *  it off. */
  inline?: Partial<InlineOptions> | InlinePolicy;
  /** After a batch ran inline, the event loop polls instead of sleeping for this long (default
   *  0), so the next request meets a running thread with warm caches. Any batch sent to a
   *  worker ends the window: from there spinInFlight decides. */
  quietSpinUs?: number;
  /** Idle spinners (native/idle_spin.h) kept spinning for windowUs after each arrival; they
   *  are process-wide, so give them to one policy only. Default none. */
  idleSpin?: { threads: number; windowUs: number };
  /** ORT intra-op threads of the lone sessions (lone-sessions.ts); 0 or absent = none. */
  loneThreads?: number;
}

export const DEFAULT_SPIN_IN_FLIGHT = SERVER_SETTINGS.spinInFlight.default;

export class ExecutionPolicy {
  readonly pool: WorkerPool;
  readonly #inline: InlinePolicy;
  /** The main thread's own session handles, for inline runs. */
  readonly #mainSessions: SessionHandles = new Map();
  #inlineRuns = 0;
  readonly #spinner: Spinner;
  /** Worker batches during which the main thread polls. */
  #spinning = 0;
  /** Batches of at most this many rows spin while in a worker; -1 = none (spinInFlight off). */
  readonly #spinMaxRows: number;
  readonly #quietSpinUs: number;
  readonly #idleSpin: boolean;
  /** Requests count as lone once none overlapped for this long (the idle spinners' window). */
  readonly #overlapWindowMs: number;
  readonly #lone: LoneSessions;
  #loneRuns = 0;
  /** Requests between noteArrival() and noteDone(). */
  #requests = 0;
  /** When an arrival last found another request in progress (performance.now() ms). */
  #lastOverlapMs = -Infinity;
  readonly #unloads: UnloadRounds;
  #closed = false;

  constructor(opts: ExecutionOptions) {
    // Everything is checked before the first thread starts.
    checkPoolOptions(opts);
    this.#quietSpinUs = opts.quietSpinUs ?? 0;
    if (!Number.isInteger(this.#quietSpinUs) || this.#quietSpinUs < 0) throw new RangeError(`pool.quietSpinUs must be a non-negative integer (got ${String(opts.quietSpinUs)})`);
    this.#spinMaxRows = (opts.spinInFlight ?? DEFAULT_SPIN_IN_FLIGHT) ? opts.spinMaxRows ?? SMALL_BATCH_ROWS : -1;
    this.#inline = opts.inline instanceof InlinePolicy ? opts.inline : new InlinePolicy(opts.inline);
    const spinThreads = opts.idleSpin?.threads ?? 0;
    if (!Number.isInteger(spinThreads) || spinThreads < 0) throw new RangeError(`pool.idleSpin.threads must be a non-negative integer (got ${String(spinThreads)})`);
    this.#lone = new LoneSessions(opts.loneThreads ?? 0); // throws on a bad count, before any thread
    // The native side checks the window: a bad one throws here, before the workers exist.
    if (spinThreads > 0) idleSpin.start(spinThreads, opts.idleSpin!.windowUs);
    this.#idleSpin = spinThreads > 0;
    this.#overlapWindowMs = (opts.idleSpin?.windowUs ?? SERVER_SETTINGS.idleSpinWindowUs.default) / 1000;
    this.pool = new WorkerPool(opts);
    this.#spinner = new Spinner(this.pool.spinUs, () => this.#spinning > 0);
    this.#unloads = new UnloadRounds(this.pool);
  }

  get workers(): number {
    return this.pool.workers;
  }

  /** Batches in workers (and control tasks handed to them). */
  get inFlight(): number {
    return this.pool.inFlight;
  }

  idleWorkers(): number {
    return this.pool.idleWorkers();
  }

  /** Called synchronously each time a worker frees up. */
  onFree(listener: () => void): void {
    this.pool.onFree(listener);
  }

  /** The largest batch of this model that run() would take inline right now; 0 = none. With
   *  idleWorkers() this is the batcher's capacity: such a batch never needs a free worker. */
  inlineMaxRows(model: ModelRef): number {
    return cpuOnly(model) ? this.#inline.maxRowsFor(model.id) : 0;
  }

  /** Whether this model's small batches can run on the calling thread at all (CPU sessions,
   *  inline on). */
  mayRunInline(model: ModelRef): boolean {
    return this.#inline.options.maxRows > 0 && cpuOnly(model);
  }

  /** Runs one inference batch of `rows` rows (its dim 0): inline when inlineMaxRows() allows,
   *  otherwise in a worker, the main thread polling meanwhile if the batch is small. */
  async run(task: RunTask, rows = 0): Promise<RunResult> {
    if (this.#closed) throw new Error('worker pool is closed');
    const id = task.model.id;
    if (cpuOnly(task.model) && this.#inline.admit(id, rows) === 'inline') {
      this.#inlineRuns++;
      const loneModel = this.#lone.threads > 0 && this.#isLone() ? this.#lone.modelFor(task.model) : undefined;
      if (loneModel) this.#loneRuns++;
      const result = loneModel ? executeRun(this.#lone.handles, { ...task, model: loneModel }) : executeRun(this.#mainSessions, task);
      this.#inline.observe(id, rows, result.endUs - result.startUs);
      result.inline = true;
      this.#spinner.extend(this.#quietSpinUs);
      return result;
    }
    const spin = rows <= this.#spinMaxRows;
    if (spin) this.#spinning++;
    // Busy enough for a worker: the quiet window is over (spinInFlight decides from here).
    this.#spinner.cancelWindow();
    this.#spinner.touch();
    try {
      const result = await this.pool.run(task);
      this.#inline.observe(id, rows, result.endUs - result.startUs);
      return result;
    } finally {
      if (spin) this.#spinning--;
      this.#spinner.touch();
    }
  }

  /** A control task (warm-up) in a worker: never inline, never refused for queue space. */
  runControl(task: RunTask | FlushTask): Promise<RunResult | undefined> {
    return this.pool.runControl(task);
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

  /** Opens and warms the model's lone session (lone-sessions.ts), when it gets one, so that the
   *  first lone request does not run on the shared session. */
  async warmLone(task: RunTask): Promise<void> {
    if (!this.mayRunInline(task.model) || !this.#lone.covers(task.model)) return;
    await this.#lone.warm(task.model);
    const model = this.#lone.modelFor(task.model);
    if (model) executeRun(this.#lone.handles, { ...task, model });
  }

  /** No request overlapped another for the overlap window, and at most one is in progress. */
  #isLone(): boolean {
    return this.#requests <= 1 && performance.now() - this.#lastOverlapMs > this.#overlapWindowMs;
  }

  /** A request reached a model. While requests come one at a time (never two in progress
   *  at once for the last spinner window), each arrival keeps the idle spinners spinning, so the next
   *  request of a lone caller meets CPUs that never halted; once requests overlap the spinners
   *  are left to sleep (docs/decisions/003). Counting requests in progress alone is not
   *  enough: with inline batching a whole burst finishes together, so the next burst's first
   *  request always finds the gateway empty. */
  noteArrival(model?: ModelRef): void {
    const requests = ++this.#requests;
    if (!this.#idleSpin && this.#lone.threads === 0) return;
    const nowMs = performance.now();
    if (requests > 1) this.#lastOverlapMs = nowMs;
    // A model whose lone batches run on a lone session has ORT's spinning thread instead (both
    // at once measured a worse p99: docs/decisions/018).
    else if (this.#idleSpin && nowMs - this.#lastOverlapMs > this.#overlapWindowMs && !(model && this.mayRunInline(model) && this.#lone.covers(model))) idleSpin.touch();
  }

  /** The request counted by noteArrival() is answered (or failed). An overlap lasts until its
   *  answers: in a closed loop whose batch holds every request in flight, the burst is in
   *  progress for a whole compute and the next one comes a round trip after its answers, so
   *  overlap seen only at arrivals would be a cycle old and every burst would touch the
   *  spinners (measured: ~10% of the server's CPU at K=1, 16 in flight, spent spinning). */
  noteDone(): void {
    if (this.#requests-- > 1 && (this.#idleSpin || this.#lone.threads > 0)) this.#lastOverlapMs = performance.now();
  }

  /** True while the main thread's event loop polls instead of sleeping (spinInFlight, quietSpinUs). */
  get polling(): boolean {
    return this.#spinner.spinning;
  }

  /** This policy's idle spinners: threads running and their spin time (zeros when it has none). */
  idleSpinStats(): { threads: number; spinSeconds: number } {
    if (!this.#idleSpin) return { threads: 0, spinSeconds: 0 };
    const s = idleSpin.stats();
    return { threads: s.threads, spinSeconds: s.spinSeconds };
  }

  /** Batches that ran on the calling thread instead of a worker. */
  get inlineRuns(): number {
    return this.#inlineRuns;
  }

  /** Of those, the batches that ran on a lone session; and the lone sessions open now. */
  get loneRuns(): number {
    return this.#loneRuns;
  }

  get loneSessions(): number {
    return this.#lone.open;
  }

  /** Drops every handle on a model's session: this thread's at once, the workers' in the next
   *  flush round (unload-rounds.ts), which this resolves after. */
  async announceUnload(id: string): Promise<void> {
    dropSession(this.#mainSessions, id);
    this.#lone.unload(id);
    this.#inline.forget(id);
    if (this.#closed) return;
    await this.#unloads.announce(id);
  }

  /** Flush rounds run so far (see unload-rounds.ts). */
  get unloadRounds(): number {
    return this.#unloads.rounds;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleSpin) idleSpin.stop();
    this.#lone.close();
    this.#unloads.close();
    for (const id of [...this.#mainSessions.keys()]) dropSession(this.#mainSessions, id);
    await this.pool.close();
  }
}

/** GPU sessions always run in workers: a device round trip dwarfs the hop, and the event loop
 *  must never wait on a device. */
function cpuOnly(model: ModelRef): boolean {
  const eps = model.options.executionProviders;
  return eps === undefined || eps.every((p) => p.name === 'cpu');
}
