// Per-request bookkeeping of the DynamicBatcher, and in-order delivery for preserveOrdering.
import { err, InferError } from '../core/errors.js';
import { joinOutputs, type OutputMap } from './assemble.js';
import type { BatchResult, ItemResult, PendingItem } from './batcher-types.js';
import type { QueuedEntry, QueueNode } from './queue.js';

export type Outcome = { ok: true; value: ItemResult } | { ok: false; error: unknown };

/** One submitted request. Settled exactly once; a split request has several parts. */
export interface Ticket<T> {
  readonly item: PendingItem<T>;
  readonly parts: Part<T>[];
  readonly outputs: (OutputMap | undefined)[];
  readonly resolve: (r: ItemResult) => void;
  readonly reject: (e: unknown) => void;
  remaining: number;
  dispatchedUs: number;
  computeUs: number;
  batchRows: number;
  /** Batch.id of the batch its (last) part ran in. */
  batchId: number;
  settled: boolean;
  /** With preserveOrdering: the settlement, held until earlier requests are delivered. */
  outcome: Outcome | undefined;
  onAbort: (() => void) | undefined;
}

/** One queue entry: rows [rowStart, rowStart + rows) of a ticket. `node` is its queue
 *  position while queued, null once dispatched or dropped. */
export interface Part<T> extends QueuedEntry {
  readonly ticket: Ticket<T>;
  readonly index: number;
  readonly rowStart: number;
  node: QueueNode<Part<T>> | null;
}

export function deliver<T>(t: Ticket<T>, o: Outcome): void {
  if (o.ok) t.resolve(o.value);
  else t.reject(o.error);
}

/**
 * Holds settled tickets until every earlier admitted ticket is settled, then delivers them in
 * admission order. Memory is bounded by what is queued or in flight.
 */
export class OrderedDelivery<T> {
  readonly #order: Ticket<T>[] = [];
  #head = 0;

  admit(t: Ticket<T>): void {
    this.#order.push(t);
  }

  settled(t: Ticket<T>, outcome: Outcome): void {
    t.outcome = outcome;
    const order = this.#order;
    while (this.#head < order.length && order[this.#head]!.outcome !== undefined) {
      const next = order[this.#head++]!;
      deliver(next, next.outcome!);
    }
    if (this.#head > 1024 && this.#head * 2 > order.length) {
      order.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/**
 * What a finished batch means for its entry `i` (a part of `partRows` rows): its outputs, or the
 * error it settles with. `error` is the batch's own failure; an executor may also fail a single
 * entry by putting an InferError in its slot (the culprit of a batch it re-ran entry by entry).
 * With batching, every output must have exactly the part's rows along dim 0.
 */
export function partResult(res: BatchResult | undefined, error: unknown, i: number, partRows: number, batched: boolean):
  { ok: true; out: OutputMap } | { ok: false; error: InferError } {
  let e = error;
  const slot = e === undefined ? res!.outputs[i] : undefined;
  if (slot instanceof InferError) e = slot;
  const out: OutputMap | undefined = slot instanceof InferError ? undefined : slot;
  if (e === undefined && (out === undefined || out === null || typeof out !== 'object')) {
    e = err('IG_INFERENCE_FAILED', `executor returned no outputs for batch entry ${i}`);
  } else if (e === undefined && out !== undefined && batched) {
    // Without batching (maxBatchSize 0) shapes are the model's own: no batch dim to check.
    for (const [name, tensor] of Object.entries(out)) {
      if (tensor.shape[0] !== partRows) {
        e = err('IG_INFERENCE_FAILED', `output "${name}" has ${String(tensor.shape[0])} rows for a request part of ${partRows}`);
        break;
      }
    }
  }
  if (e === undefined) return { ok: true, out: out! };
  return { ok: false, error: e instanceof InferError ? e : err('IG_INFERENCE_FAILED', e instanceof Error ? e.message : String(e), { cause: e }) };
}

export interface TicketShape {
  rows: number;
  /** > 1 when the request is split into parts of at most maxBatchSize rows. */
  partCount: number;
  maxBatchSize: number;
  signature: string;
  nowUs: number;
  deadlineUs: number;
  /** Zero-based priority level. */
  level: number;
}

/** A new ticket for an admitted request, its parts queued by `push` (which returns each part's
 *  queue node), and the promise the ticket settles. */
export function createTicket<T>(item: PendingItem<T>, s: TicketShape, push: (part: Part<T>) => QueueNode<Part<T>>):
  { ticket: Ticket<T>; promise: Promise<ItemResult> } {
  let resolve!: (r: ItemResult) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<ItemResult>((res, rej) => { resolve = res; reject = rej; });
  const ticket: Ticket<T> = {
    item, parts: [], outputs: new Array<OutputMap | undefined>(s.partCount), resolve, reject,
    remaining: s.partCount, dispatchedUs: 0, computeUs: 0, batchRows: 0, batchId: 0, settled: false,
    outcome: undefined, onAbort: undefined,
  };
  for (let i = 0; i < s.partCount; i++) {
    const rowStart = i * s.maxBatchSize;
    const partRows = s.partCount === 1 ? s.rows : Math.min(s.maxBatchSize, s.rows - rowStart);
    const part: Part<T> = { ticket, index: i, rowStart, rows: partRows, signature: s.signature, enqueuedUs: s.nowUs, deadlineUs: s.deadlineUs, level: s.level, node: null };
    part.node = push(part);
    ticket.parts.push(part);
  }
  return { ticket, promise };
}

/** Records a part's outputs on its ticket. Once every part is in: the joined outcome (a failure
 *  when the parts cannot be joined); before that, undefined. */
export function completePart<T>(p: Part<T>, out: OutputMap, computeUs: number, batchRows: number, batchId: number): Outcome | undefined {
  const t = p.ticket;
  t.batchId = batchId;
  t.outputs[p.index] = out;
  t.computeUs = Math.max(t.computeUs, computeUs);
  t.batchRows = Math.max(t.batchRows, batchRows);
  if (--t.remaining > 0) return undefined;
  try {
    const outputs = joinOutputs(t.outputs as OutputMap[]);
    return { ok: true, value: { outputs, queueUs: t.dispatchedUs - p.enqueuedUs, computeUs: t.computeUs, batchRows: t.batchRows, batchId: t.batchId, runs: t.parts.length } };
  } catch (error) {
    return { ok: false, error };
  }
}
