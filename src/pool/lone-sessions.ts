// Lone-request sessions: while requests come one at a time, an inline batch runs on a second
// session of its model whose ONNX Runtime pool has `threads` intra-op threads that spin between
// runs, instead of the 1-thread session the workers share.
//
// Why (docs/decisions/018): at one request in flight, K=1 on the 2-vCPU VM, the ranker's p50
// fell from 91-104 us to 68-70 us with a spinning 2-thread ORT pool, only ~4 us of it inside
// the server's own timings: a thread spinning at normal priority keeps the machine's wake-ups
// fast for the client's answer too, where the SCHED_IDLE idle spinners (docs/decisions/003) did
// not. Under load the same pool costs throughput (a spinning thread competes with the workers
// and clients), so it serves lone requests only: as soon as two requests overlap, inline
// batches go back to the shared 1-thread session, and ORT's pool thread spins a short while
// more, then blocks.
//
// Costs, bounded: a lone session is a second ORT session (a second copy of the weights), opened
// on a libuv thread the first time a model's batch runs lone (that batch and any until it is
// open use the shared session: no request waits for it); only for model files up to
// MAX_MODEL_BYTES and for at most MAX_SESSIONS models (the first to run lone), so a repository
// of hundreds of models does not double its memory. A model that sets intra_op_threads of its
// own gets none. Ownership: the sessions belong to this object; unload() and close() drop them.
import { statSync } from 'node:fs';
import { Session } from '../runtime/index.js';
import type { SessionHandles } from './execute.js';
import type { ModelRef } from './task.js';

export const MAX_MODEL_BYTES = 64 << 20;
export const MAX_SESSIONS = 4;

type Entry = { state: 'loading' } | { state: 'ready'; model: ModelRef } | { state: 'none' };

export class LoneSessions {
  readonly threads: number;
  /** Handles of the open lone sessions, by the model's id (executeRun's map). */
  readonly handles: SessionHandles = new Map();
  readonly #entries = new Map<string, Entry>();
  /** Eligibility by model id, so that the file is stat'ed once per model, not per request. */
  readonly #eligibleById = new Map<string, boolean>();
  #opened = 0;
  #closed = false;

  /** threads 0 turns lone sessions off; otherwise at least 2 (one is the calling thread). */
  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 0 || threads === 1) {
      throw new RangeError(`pool.loneThreads must be 0 (off) or an integer >= 2 (got ${String(threads)})`);
    }
    this.threads = threads;
  }

  /** Whether lone batches of this model run (or will run) on a lone session, not the shared
   *  one. Called per request: no syscall once the model has been seen (modelFor decides). */
  covers(model: ModelRef): boolean {
    if (this.threads === 0) return false;
    const e = this.#entries.get(model.id);
    return e === undefined ? this.#eligible(model) : e.state !== 'none';
  }

  /** The lone model ref to run this batch with, or undefined (not open yet, not eligible: use
   *  the shared session). The first call for a model starts opening its lone session. */
  modelFor(model: ModelRef): ModelRef | undefined {
    if (this.threads === 0) return undefined;
    const e = this.#entries.get(model.id);
    if (e) return e.state === 'ready' ? e.model : undefined;
    if (!this.#eligible(model) || this.#opened >= MAX_SESSIONS) {
      this.#entries.set(model.id, { state: 'none' });
      return undefined;
    }
    this.#open(model);
    return undefined;
  }

  /** Opens the lone session now (warm-up) and waits for it; no-op when not eligible. */
  async warm(model: ModelRef): Promise<void> {
    if (this.modelFor(model) !== undefined) return;
    while (this.#entries.get(model.id)?.state === 'loading') await new Promise((r) => setTimeout(r, 1));
  }

  /** Lone sessions open now. */
  get open(): number {
    return this.handles.size;
  }

  unload(id: string): void {
    const e = this.#entries.get(id);
    this.#entries.delete(id);
    this.#eligibleById.delete(id);
    const s = this.handles.get(id);
    if (s) {
      this.handles.delete(id);
      s.unload();
    }
    if (e && e.state !== 'none') this.#opened--;
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#entries.keys()]) this.unload(id);
  }

  #eligible(model: ModelRef): boolean {
    let ok = this.#eligibleById.get(model.id);
    if (ok === undefined) {
      try {
        ok = (model.options.intraOpThreads ?? 1) <= 1 && statSync(model.source).size <= MAX_MODEL_BYTES;
      } catch {
        ok = false;
      }
      this.#eligibleById.set(model.id, ok);
    }
    return ok;
  }

  #open(model: ModelRef): void {
    this.#opened++;
    this.#entries.set(model.id, { state: 'loading' });
    const lone: ModelRef = { ...model, options: { ...model.options, intraOpThreads: this.threads, allowSpinning: true } };
    Session.loadAsync(lone.source, lone.options).then((s) => {
      // Unloaded (or closed) while it opened: nobody will drop it but us.
      if (this.#closed || this.#entries.get(model.id)?.state !== 'loading') {
        s.unload();
        return;
      }
      this.handles.set(model.id, s);
      this.#entries.set(model.id, { state: 'ready', model: lone });
    }, () => {
      // Not worth failing anything for: lone batches keep the shared session. (Unloaded
      // meanwhile: unload() already gave its place back.)
      if (this.#entries.get(model.id)?.state !== 'loading') return;
      this.#entries.set(model.id, { state: 'none' });
      this.#opened--;
    });
  }
}
