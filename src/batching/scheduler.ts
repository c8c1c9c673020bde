// DynamicBatcher: one per model. Owns the bounded queue, asks decide() what to do, runs batches
// through an injected executor, and settles each request's promise exactly once.
//
// Event model (single-threaded, no locks): the batcher re-decides on submit(), poke() (a worker
// freed up: wire the pool's "free" notification to it), a batch finishing, and its ONE timer
// (WakeTimer, clock.ts: armed for the wake decide() asks for, re-armed only for a sooner one).
//
// Request lifecycle: admitted -> queued (1..P entries; P > 1 when split) -> dispatched -> settled.
// Every path ends in settle(), which removes what is still queued, so a settled request never
// runs later. Expired requests are answered IG_DEADLINE_EXCEEDED from the queue and never reach
// the executor. A cancelled request is unlinked from the queue (O(1)); if already dispatched,
// its rows still run with the batch and its outputs are dropped.
//
// Tensor ownership: the payload stays owned by the caller; the batcher only hands it to the
// executor inside a Batch, which must not keep it past the returned promise.
import { err, type ErrorCode } from '../core/errors.js';
import type { Batch, BatchEntry, BatchResult, DynamicBatcherDeps, ItemResult, PendingItem } from './batcher-types.js';
import { systemClock, WakeTimer, type Clock } from './clock.js';
import { createCounters, observeBatchRows, type BatcherCounters, type RejectedCounters } from './counters.js';
import { decide, type Decision, type SendReason } from './decide.js';
import { resolveBatcherOptions, type BatcherOptions } from './options.js';
import { BatchQueue } from './queue.js';
import { checkItem } from './admission.js';
import { BatchCostModel } from './cost-model.js';
import { completePart, createTicket, deliver, OrderedDelivery, partResult, type Outcome, type Part, type Ticket } from './tickets.js';

export type { Batch, BatchEntry, BatchResult, DynamicBatcherDeps, ItemResult, PendingItem } from './batcher-types.js';

type Keyed<T> = PendingItem<T> & { [key: symbol]: Ticket<T> | undefined };

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
  /** An item's ticket lives on the item under this batcher's key until settled (a WeakMap's
   *  per-request inserts and ephemeron work cost ~4% of the HTTP thread at K=1). */
  readonly #ticketKey: symbol = Symbol('infergate.ticket');
  readonly #ordered: OrderedDelivery<T> | undefined;
  readonly #timer: WakeTimer;
  /** Learned from finished batches; charged by the deadline rules of decide(). */
  readonly cost = new BatchCostModel();
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
    this.#timer = new WakeTimer(this.#clock, () => this.#pump());
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
    if ((item as Keyed<T>)[this.#ticketKey] !== undefined) return this.#refuse('IG_BAD_REQUEST', 'this request object is already queued');
    const nowUs = this.#clock.nowUs();
    const v = checkItem(item, o, nowUs);
    if (!v.ok) {
      if (v.code === 'IG_CANCELLED') c.cancelled++;
      else if (v.code === 'IG_DEADLINE_EXCEEDED') c.expired++;
      else this.#countRejected(v.code);
      return Promise.reject(err(v.code, v.message));
    }
    const { rows, partCount, deadlineUs, level } = v;
    const admission = this.#queue.checkAdmission(partCount, rows);
    if (!admission.admitted) {
      this.#countRejected(admission.error.code);
      return Promise.reject(admission.error);
    }

    const signature = item.unbatchable === true || rows === 0 ? `\u0000solo:${++this.#soloId}` : item.signature;
    const { ticket, promise } = createTicket(item, { rows, partCount, maxBatchSize: o.maxBatchSize, signature, nowUs, deadlineUs, level },
      (part) => this.#queue.push(part));
    c.admitted++;
    (item as Keyed<T>)[this.#ticketKey] = ticket;
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
    const t = (item as Keyed<T>)[this.#ticketKey];
    if (t === undefined || t.settled) return false;
    this.counters.cancelled++;
    this.#settle(t, { ok: false, error: err('IG_CANCELLED', 'the client cancelled the request') });
    this.#syncDepth();
    this.#checkDrained();
    return true;
  }

  /** Capacity may have freed up (or anything else changed): re-decide now. */
  poke(): void { this.#pump(); }

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

  get closed(): boolean { return this.#closed; }

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
            flush: this.#closed || this.#draining > 0, cost: this.cost.estimate(),
          });
          for (const p of d.expired) this.#expire(p, nowUs);
          if (d.action === 'send') {
            this.#dispatch(d.requests, d.reason, nowUs);
            continue;
          }
          if (d.action === 'wait') {
            if (this.#timer.arm(nowUs, nowUs + d.waitUs)) this.counters.timerArms++;
          } else this.#timer.disarm();
          break;
        }
      } while (this.#repump);
    } finally {
      this.#pumping = false;
      this.#syncDepth();
    }
    this.#checkDrained();
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
      c.queueTimeUsSum += nowUs - p.enqueuedUs; c.queueTimeCount++;
      if (p.ticket.dispatchedUs === 0) p.ticket.dispatchedUs = nowUs;
    }
    if (entries.length === 0) return;
    const batch: Batch<T> = { id: ++this.#batchId, signature: live[0]!.signature, rows, entries, reason, dispatchedUs: nowUs };
    c.batches++; c.rows += rows;
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
    c.computeTimeUsSum += computeUs; c.computeTimeCount++;
    if (error === undefined) this.cost.observe(batch.rows, computeUs);
    if (res !== undefined && (!Array.isArray(res.outputs) || res.outputs.length !== parts.length)) {
      error = err('IG_INFERENCE_FAILED', `executor returned ${Array.isArray(res?.outputs) ? res.outputs.length : 'no'} outputs for ${parts.length} batch entries`);
    }
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const t = p.ticket;
      if (t.settled) continue;
      const r = partResult(res, error, i, p.rows, this.options.maxBatchSize > 0);
      if (!r.ok) {
        c.failed++;
        this.#settle(t, { ok: false, error: r.error });
        continue;
      }
      const outcome = completePart(p, r.out, computeUs, batch.rows, batch.id);
      if (outcome === undefined) continue; // other parts still running
      if (outcome.ok) c.completed++;
      else c.failed++;
      this.#settle(t, outcome);
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
    (t.item as Keyed<T>)[this.#ticketKey] = undefined;
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
    this.#timer.disarm();
    for (const w of waiters) w();
  }
}
