// Per-request bookkeeping of the DynamicBatcher, and in-order delivery for preserveOrdering.
import type { OutputMap } from './assemble.js';
import type { ItemResult, PendingItem } from './batcher-types.js';
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
