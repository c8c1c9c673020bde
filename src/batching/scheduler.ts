// DynamicBatcher: one per model. Owns the bounded queue, asks decide() what to do, runs batches
// through an injected executor, and settles each request's promise exactly once.
//
// Event model (single-threaded, no locks): the batcher re-decides on submit(), poke() (a worker
// freed up: wire the pool's "free" notification to it), a batch finishing, and its ONE timer.
// The timer is armed for the wake time decide() asks for and re-armed only when a sooner wake is
// needed; a stale later timer just fires, re-decides and re-arms.
//
// Request lifecycle: admitted -> queued (1..P entries; P > 1 when split) -> dispatched -> settled.
// Every path ends in settle(), which removes what is still queued, so a settled request never
// runs later. Expired requests are answered IG_DEADLINE_EXCEEDED from the queue and never reach
// the executor. A cancelled request is unlinked from the queue (O(1)); if already dispatched,
// its rows still run with the batch and its outputs are dropped.
//
// Tensor ownership: the payload stays owned by the caller; the batcher only hands it to the
// executor inside a Batch, which must not keep it past the returned promise.
import { err, InferError, type ErrorCode } from '../core/errors.js';
import { joinOutputs, type OutputMap } from './assemble.js';
import type { Batch, BatchEntry, BatchResult, DynamicBatcherDeps, ItemResult, PendingItem } from './batcher-types.js';
import { systemClock, type Clock } from './clock.js';
import { createCounters, observeBatchRows, type BatcherCounters, type RejectedCounters } from './counters.js';
import { decide, type Decision, type SendReason } from './decide.js';
import { resolveBatcherOptions, type BatcherOptions } from './options.js';
import { BatchQueue } from './queue.js';
import { deliver, OrderedDelivery, type Outcome, type Part, type Ticket } from './tickets.js';

export type { Batch, BatchEntry, BatchResult, DynamicBatcherDeps, ItemResult, PendingItem } from './batcher-types.js';

export class DynamicBatcher<T> {
  readonly options: Readonly<BatcherOptions>;
  readonly counters: BatcherCounters;
  readonly #queue: BatchQueue<Part<T>>;
  readonly #clock: Clock;
  readonly #execute: (batch: Batch<T>) => Promise<BatchResult>;
  readonly #idleWorkers: () => number;
  readonly #inlineMaxRows: (() => number) | undefined;
  readonly #defer: ((fn: () => void) => void) | undefined;
  #deferred = false;
  readonly #tickets = new WeakMap<PendingItem<T>, Ticket<T>>();
  readonly #ordered: OrderedDelivery<T> | undefined;
  #timer: unknown = undefined;
  #timerWakeUs = 0;
  #pumping = false;
  #repump = false;
  #inFlight = 0;
  #batchId = 0;
  #soloId = 0;
  #closed = false;
  #draining = 0;
  #drainWaiters: (() => void)[] = [];

  constructor(deps: DynamicBatcherDeps<T>) {
    this.options = resolveBatcherOptions(deps.options ?? {});
    this.counters = createCounters(this.options.maxBatchSize);
    this.#queue = new BatchQueue<Part<T>>(this.options);
    this.#clock = deps.clock ?? systemClock;
    this.#execute = deps.execute;
    this.#idleWorkers = deps.idleWorkers;
    this.#inlineMaxRows = deps.inlineMaxRows;
    this.#defer = deps.defer;
    this.#ordered = this.options.preserveOrdering ? new OrderedDelivery<T>() : undefined;
    deps.onWorkerFree?.(() => this.poke());
  }

  /** Queues a request; settles with its outputs or an InferError. Never throws synchronously. */
  submit(item: PendingItem<T>): Promise<ItemResult> {
    const o = this.options;
    const c = this.counters;
    if (this.#closed) return this.#refuse('IG_SHUTTING_DOWN', 'the model is shutting down; no new requests are accepted');
    if (this.#tickets.has(item)) return this.#refuse('IG_BAD_REQUEST', 'this request object is already queued');
    const rows = item.rows;
    if (!Number.isSafeInteger(rows) || rows < 0) return this.#refuse('IG_BAD_REQUEST', `batch dimension ${String(rows)} is not a non-negative integer`);
    const priority = item.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > o.priorityLevels) {
      return this.#refuse('IG_BAD_REQUEST', `priority ${String(priority)} is outside 0..${o.priorityLevels} (1 is the highest)`);
    }
    if (item.signal?.aborted === true) {
      c.cancelled++;
      return Promise.reject(err('IG_CANCELLED', 'the request was cancelled before it was queued'));
    }
    const nowUs = this.#clock.nowUs();
    const deadlineUs = item.deadlineUs !== undefined && item.deadlineUs > 0
      ? item.deadlineUs
      : o.defaultTimeoutUs > 0 ? nowUs + o.defaultTimeoutUs : 0;
    if (deadlineUs > 0 && deadlineUs <= nowUs) {
      c.expired++;
      return Promise.reject(err('IG_DEADLINE_EXCEEDED', 'the request deadline passed before it was queued'));
    }
    const max = o.maxBatchSize;
    let partCount = 1;
    if (max > 0 && rows > max) {
      if (o.oversizePolicy === 'reject') {
        return this.#refuse('IG_BATCH_TOO_LARGE', `request has ${rows} rows; this model's max batch size is ${max}`);
      }
      partCount = Math.ceil(rows / max);
    }
    const admission = this.#queue.checkAdmission(partCount, rows);
    if (!admission.admitted) {
      this.#countRejected(admission.error.code);
      return Promise.reject(admission.error);
    }

    const signature = item.unbatchable === true || rows === 0 ? `\u0000solo:${++this.#soloId}` : item.signature;
    const level = (priority === 0 ? o.defaultPriorityLevel : priority) - 1;
    let resolve!: (r: ItemResult) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<ItemResult>((res, rej) => { resolve = res; reject = rej; });
    const ticket: Ticket<T> = {
      item, parts: [], outputs: new Array<OutputMap | undefined>(partCount), resolve, reject,
      remaining: partCount, dispatchedUs: 0, computeUs: 0, batchRows: 0, settled: false,
      outcome: undefined, onAbort: undefined,
    };
    for (let i = 0; i < partCount; i++) {
      const rowStart = i * max;
      const partRows = partCount === 1 ? rows : Math.min(max, rows - rowStart);
      const part: Part<T> = { ticket, index: i, rowStart, rows: partRows, signature, enqueuedUs: nowUs, deadlineUs, level, node: null };
      part.node = this.#queue.push(part);
      ticket.parts.push(part);
    }
    c.admitted++;
    this.#tickets.set(item, ticket);
    this.#ordered?.admit(ticket);
    if (item.signal !== undefined) {
      ticket.onAbort = () => this.cancel(item);
      item.signal.addEventListener('abort', ticket.onAbort, { once: true });
    }
    this.#pumpAfterSubmit();
    return promise;
  }

  /** Client went away: drop the request if queued, discard its result if running. Rejects its
   *  promise with IG_CANCELLED. False when it is unknown or already settled. */
  cancel(item: PendingItem<T>): boolean {
    const t = this.#tickets.get(item);
    if (t === undefined || t.settled) return false;
    this.counters.cancelled++;
    this.#settle(t, { ok: false, error: err('IG_CANCELLED', 'the client cancelled the request') });
    this.#syncDepth();
    this.#checkDrained();
    return true;
  }

  /** Capacity may have freed up (or anything else changed): re-decide now. */
  poke(): void {
    this.#pump();
  }

  /** Resolves once nothing is queued or in flight. Queued requests are sent without waiting
   *  for fuller batches meanwhile. New requests are still accepted (use close() to stop them). */
  drain(): Promise<void> {
    if (this.#queue.size === 0 && this.#inFlight === 0) return Promise.resolve();
    this.#draining++;
    const done = new Promise<void>((res) => this.#drainWaiters.push(res));
    this.#pump();
    return done;
  }

  /** Refuses new requests (IG_SHUTTING_DOWN) and finishes everything queued and in flight. */
  close(): Promise<void> {
    this.#closed = true;
    return this.drain();
  }

  get closed(): boolean {
    return this.#closed;
  }

  // --- internals ---

  #refuse(code: ErrorCode & keyof RejectedCounters, message: string): Promise<never> {
    this.#countRejected(code);
    return Promise.reject(err(code, message));
  }

  #countRejected(code: ErrorCode): void {
    const r = this.counters.rejected;
    if (Object.prototype.hasOwnProperty.call(r, code)) r[code as keyof RejectedCounters]++;
  }

  /** After a submit: decide now, or once per event-loop turn when a defer hook is given. Without
   *  it, the first request of a burst meets an idle worker and leaves alone, and the rest of the
   *  burst waits for the next free worker. See docs/decisions/002. */
  #pumpAfterSubmit(): void {
    if (this.#defer === undefined) return this.#pump();
    this.#syncDepth();
    if (this.#deferred) return;
    this.#deferred = true;
    this.#defer(() => {
      this.#deferred = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#pumping) {
      this.#repump = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#repump = false;
        for (;;) {
          const nowUs = this.#clock.nowUs();
          const idleWorkers = this.#idleWorkers();
          const d: Decision<Part<T>> = decide(this.#queue, nowUs, this.options, {
            idleWorkers,
            inlineMaxRows: idleWorkers > 0 || this.#inlineMaxRows === undefined ? 0 : this.#inlineMaxRows(),
            inFlightBatches: this.#inFlight,
            flush: this.#closed || this.#draining > 0,
          });
          for (const p of d.expired) this.#expire(p, nowUs);
          if (d.action === 'send') {
            this.#dispatch(d.requests, d.reason, nowUs);
            continue;
          }
          if (d.action === 'wait') this.#arm(nowUs, nowUs + d.waitUs);
          else this.#disarm();
          break;
        }
      } while (this.#repump);
    } finally {
      this.#pumping = false;
      this.#syncDepth();
    }
    this.#checkDrained();
  }

  #arm(nowUs: number, wakeUs: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerWakeUs <= wakeUs) return; // fires no later than needed: re-decides then
      this.#clock.clearTimer(this.#timer);
    }
    this.#timerWakeUs = wakeUs;
    this.counters.timerArms++;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#pump();
    }, wakeUs - nowUs);
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #expire(p: Part<T>, nowUs: number): void {
    const t = p.ticket;
    if (p.node !== null) this.#queue.remove(p.node);
    p.node = null;
    if (t.settled) return;
    this.counters.expired++;
    const waitedUs = Math.round(nowUs - p.enqueuedUs);
    this.#settle(t, { ok: false, error: err('IG_DEADLINE_EXCEEDED', `deadline exceeded after ${waitedUs} us in the queue; the request was not run`) });
  }

  #dispatch(parts: Part<T>[], reason: SendReason, nowUs: number): void {
    const c = this.counters;
    const entries: BatchEntry<T>[] = [];
    const live: Part<T>[] = [];
    let rows = 0;
    for (const p of parts) {
      if (p.node !== null) this.#queue.remove(p.node);
      p.node = null;
      if (p.ticket.settled) continue;
      entries.push({ payload: p.ticket.item.payload, rowStart: p.rowStart, rows: p.rows });
      live.push(p);
      rows += p.rows;
      c.queueTimeUsSum += nowUs - p.enqueuedUs;
      c.queueTimeCount++;
      if (p.ticket.dispatchedUs === 0) p.ticket.dispatchedUs = nowUs;
    }
    if (entries.length === 0) return;
    const batch: Batch<T> = { id: ++this.#batchId, signature: live[0]!.signature, rows, entries, reason, dispatchedUs: nowUs };
    c.batches++;
    c.rows += rows;
    observeBatchRows(c.batchSizeHistogram, rows);
    this.#inFlight++;
    c.inFlightBatches = this.#inFlight;
    c.inFlightRows += rows;
    let run: Promise<BatchResult>;
    try {
      run = this.#execute(batch);
    } catch (e) {
      run = Promise.reject(e);
    }
    run.then(
      (res) => this.#finish(batch, live, res, undefined),
      (e: unknown) => this.#finish(batch, live, undefined, e),
    );
  }

  #finish(batch: Batch<T>, parts: Part<T>[], res: BatchResult | undefined, error: unknown): void {
    const c = this.counters;
    const nowUs = this.#clock.nowUs();
    const computeUs = nowUs - batch.dispatchedUs;
    this.#inFlight--;
    c.inFlightBatches = this.#inFlight;
    c.inFlightRows -= batch.rows;
    c.computeTimeUsSum += computeUs;
    c.computeTimeCount++;
    if (res !== undefined && (!Array.isArray(res.outputs) || res.outputs.length !== parts.length)) {
      error = err('IG_INFERENCE_FAILED', `executor returned ${Array.isArray(res?.outputs) ? res.outputs.length : 'no'} outputs for ${parts.length} batch entries`);
    }
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const t = p.ticket;
      if (t.settled) continue;
      let e = error;
      const slot = e === undefined ? res!.outputs[i] : undefined;
      if (slot instanceof InferError) e = slot;
      const out: OutputMap | undefined = slot instanceof InferError ? undefined : slot;
      if (e === undefined && (out === undefined || out === null || typeof out !== 'object')) {
        e = err('IG_INFERENCE_FAILED', `executor returned no outputs for batch entry ${i}`);
      } else if (out !== undefined && this.options.maxBatchSize > 0) {
        // Without batching (maxBatchSize 0) shapes are the model's own: no batch dim to check.
        for (const [name, tensor] of Object.entries(out)) {
          if (tensor.shape[0] !== p.rows) {
            e = err('IG_INFERENCE_FAILED', `output "${name}" has ${String(tensor.shape[0])} rows for a request part of ${p.rows}`);
            break;
          }
        }
      }
      if (e !== undefined) {
        c.failed++;
        const ie = e instanceof InferError ? e : err('IG_INFERENCE_FAILED', e instanceof Error ? e.message : String(e), { cause: e });
        this.#settle(t, { ok: false, error: ie });
        continue;
      }
      t.outputs[p.index] = out;
      t.computeUs = Math.max(t.computeUs, computeUs);
      t.batchRows = Math.max(t.batchRows, batch.rows);
      if (--t.remaining > 0) continue;
      let outputs: OutputMap;
      try {
        outputs = joinOutputs(t.outputs as OutputMap[]);
      } catch (je) {
        c.failed++;
        this.#settle(t, { ok: false, error: je });
        continue;
      }
      c.completed++;
      this.#settle(t, {
        ok: true,
        value: { outputs, queueUs: t.dispatchedUs - p.enqueuedUs, computeUs: t.computeUs, batchRows: t.batchRows, runs: t.parts.length },
      });
    }
    this.#pump(); // capacity freed
  }

  /** The one place a request ends. */
  #settle(t: Ticket<T>, outcome: Outcome): void {
    t.settled = true;
    for (const p of t.parts) {
      if (p.node !== null) this.#queue.remove(p.node);
      p.node = null;
    }
    if (t.onAbort !== undefined) t.item.signal?.removeEventListener('abort', t.onAbort);
    this.#tickets.delete(t.item);
    if (this.#ordered === undefined) deliver(t, outcome);
    else this.#ordered.settled(t, outcome);
  }

  #syncDepth(): void {
    this.counters.queueDepth = this.#queue.size;
    this.counters.queueRows = this.#queue.rows;
  }

  #checkDrained(): void {
    if (this.#drainWaiters.length === 0 || this.#queue.size > 0 || this.#inFlight > 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    this.#draining = 0;
    this.#disarm();
    for (const w of waiters) w();
  }
}
