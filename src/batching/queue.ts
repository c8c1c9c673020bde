// The bounded multi-priority queue of pending batch entries.
//
// Model: one doubly linked list in dispatch order (priority level 0 = highest first; within a
// level earliest deadline first, entries without a deadline after those with one, FIFO among
// equal deadlines) plus a tail pointer per level, so
//   push             O(levels) to find the level's tail (levels is small, typically 2), plus a
//                    walk back over the level's entries due later than the new one: none when
//                    deadlines arrive in order (one timeout for all), the whole level for a
//                    deadline behind many entries without one
// Entries without a deadline wait behind those with one at their level: under a sustained
// stream of deadline traffic at capacity they wait (the queue bounds still shed them).
//   shift / remove   O(1) list unlink (+ O(log n) for an entry that carries a deadline)
//   head / next      O(1): decide() walks the list in dispatch order without copying it.
// Entries with a deadline also sit in an indexed min-heap, so the nearest deadline is O(1) and
// the expired set is found in O(expired) without walking the list. Removal from the heap is
// real (not a tombstone) so the heap never outgrows the queue: a tombstone scheme would keep
// every dispatched entry with a long timeout alive until its deadline.
//
// Bounds: admission fails once size or rows would pass maxQueueSize / maxQueueRows; an entry
// that could never fit (rows > maxQueueRows) is a permanent error, not a retryable shed.
import { err, type InferError } from '../core/errors.js';

/** What the queue and decide() need to know about an entry. */
export interface QueuedEntry {
  /** Rows (the K of dim 0) this entry contributes to a batch. */
  readonly rows: number;
  /** Non-batch dims + dtypes; entries batch together only when equal. */
  readonly signature: string;
  /** Clock time of admission (us). */
  readonly enqueuedUs: number;
  /** Absolute clock time after which the entry must not run (us); 0 = none. */
  readonly deadlineUs: number;
  /** 0-based priority level, 0 = highest. */
  readonly level: number;
}

/** A read-only position in the queue, in dispatch order. */
export interface QueueNodeView<E> {
  readonly entry: E;
  readonly next: QueueNodeView<E> | null;
}

/** The queue as decide() sees it: read-only. */
export interface QueueView<E extends QueuedEntry = QueuedEntry> {
  readonly size: number;
  readonly rows: number;
  /** First entry in dispatch order, or null when empty. */
  head(): QueueNodeView<E> | null;
  /** Earliest deadline of any entry (us), 0 when no entry has one. */
  nearestDeadlineUs(): number;
  /**
   * Appends every entry with 0 < deadlineUs <= nowUs to `expiredOut` (heap order, not FIFO)
   * and returns the earliest deadline after nowUs (0 = none). Cost O(expired + 1).
   */
  scanDeadlines(nowUs: number, expiredOut: E[]): number;
}

export interface QueueBounds {
  priorityLevels: number;
  maxQueueSize: number;
  maxQueueRows: number;
  shedStatus: 503 | 429;
  retryAfterS: number;
}

export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly error: InferError };

const ADMITTED: Admission = Object.freeze({ admitted: true });

/** A queue position. Owned by the queue; the holder may only pass it back to remove(). */
export class QueueNode<E extends QueuedEntry> implements QueueNodeView<E> {
  prev: QueueNode<E> | null = null;
  next: QueueNode<E> | null = null;
  /** Index in the deadline heap, -1 when not in it. */
  heapIndex = -1;
  /** False once removed: remove() is idempotent. */
  queued = true;
  constructor(readonly entry: E) {}
}

export class BatchQueue<E extends QueuedEntry> implements QueueView<E> {
  #head: QueueNode<E> | null = null;
  #tails: (QueueNode<E> | null)[];
  #heap: QueueNode<E>[] = [];
  #size = 0;
  #rows = 0;
  readonly #bounds: Readonly<QueueBounds>;

  constructor(bounds: QueueBounds) {
    this.#bounds = { ...bounds };
    this.#tails = new Array<QueueNode<E> | null>(bounds.priorityLevels).fill(null);
  }

  get size(): number {
    return this.#size;
  }

  get rows(): number {
    return this.#rows;
  }

  head(): QueueNode<E> | null {
    return this.#head;
  }

  /**
   * Would `entries` more entries holding `rows` rows fit? Checked for a whole request at once,
   * so a split request is admitted entirely or not at all.
   */
  checkAdmission(entries: number, rows: number): Admission {
    const b = this.#bounds;
    if (rows > b.maxQueueRows) {
      return {
        admitted: false,
        error: err('IG_BATCH_TOO_LARGE', `request of ${rows} rows exceeds the queue's row bound (${b.maxQueueRows})`),
      };
    }
    if (this.#size + entries > b.maxQueueSize || this.#rows + rows > b.maxQueueRows) {
      const code = b.shedStatus === 429 ? 'IG_TOO_MANY_REQUESTS' : 'IG_QUEUE_FULL';
      // Shedding must stay cheap under overload: a stack trace costs ~4 us and says nothing
      // useful about a full queue, so this error is built without one.
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        return {
          admitted: false,
          error: err(
            code,
            `queue full (${this.#size}/${b.maxQueueSize} requests, ${this.#rows}/${b.maxQueueRows} rows); retry later`,
            { retryAfterS: b.retryAfterS },
          ),
        };
      } finally {
        Error.stackTraceLimit = limit;
      }
    }
    return ADMITTED;
  }

  /** Inserts in dispatch order (see the top of this file). The caller has checked admission. */
  push(entry: E): QueueNode<E> {
    const level = entry.level;
    if (!Number.isInteger(level) || level < 0 || level >= this.#tails.length) {
      throw new RangeError(`queue entry level ${String(level)} is outside 0..${this.#tails.length - 1}`);
    }
    const node = new QueueNode(entry);
    // Insertion point: the tail of this level, else of the nearest higher-priority level; then
    // back over this level's entries that are due later (earliest deadline first).
    let pred: QueueNode<E> | null = null;
    for (let l = level; l >= 0 && pred === null; l--) pred = this.#tails[l]!;
    const d = entry.deadlineUs;
    if (d > 0) {
      while (pred !== null && pred.entry.level === level && (pred.entry.deadlineUs === 0 || pred.entry.deadlineUs > d)) pred = pred.prev;
    }
    if (pred === null) {
      node.next = this.#head;
      if (this.#head !== null) this.#head.prev = node;
      this.#head = node;
    } else {
      node.prev = pred;
      node.next = pred.next;
      if (pred.next !== null) pred.next.prev = node;
      pred.next = node;
    }
    if (node.next === null || node.next.entry.level !== level) this.#tails[level] = node;
    this.#size++;
    this.#rows += entry.rows;
    if (entry.deadlineUs > 0) this.#heapPush(node);
    return node;
  }

  /** Unlinks a node; false when it was already removed. */
  remove(node: QueueNode<E>): boolean {
    if (!node.queued) return false;
    node.queued = false;
    const level = node.entry.level;
    if (this.#tails[level] === node) {
      this.#tails[level] = node.prev !== null && node.prev.entry.level === level ? node.prev : null;
    }
    if (node.prev !== null) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    this.#size--;
    this.#rows -= node.entry.rows;
    if (node.heapIndex >= 0) this.#heapRemove(node);
    return true;
  }

  /** Removes and returns the first entry in dispatch order. */
  shift(): E | undefined {
    const h = this.#head;
    if (h === null) return undefined;
    this.remove(h);
    return h.entry;
  }

  nearestDeadlineUs(): number {
    return this.#heap.length === 0 ? 0 : this.#heap[0]!.entry.deadlineUs;
  }

  scanDeadlines(nowUs: number, expiredOut: E[]): number {
    // Heap property: if a node's deadline is in the future, so are all its descendants; the
    // expired entries form a subtree at the root and the frontier holds the next deadline.
    const heap = this.#heap;
    if (heap.length === 0) return 0;
    if (heap[0]!.entry.deadlineUs > nowUs) return heap[0]!.entry.deadlineUs;
    let next = 0;
    const stack = [0];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (i >= heap.length) continue;
      const d = heap[i]!.entry.deadlineUs;
      if (d <= nowUs) {
        expiredOut.push(heap[i]!.entry);
        stack.push(2 * i + 1, 2 * i + 2);
      } else if (next === 0 || d < next) {
        next = d;
      }
    }
    return next;
  }

  // --- indexed binary min-heap on deadlineUs ---

  #heapPush(node: QueueNode<E>): void {
    node.heapIndex = this.#heap.length;
    this.#heap.push(node);
    this.#siftUp(node.heapIndex);
  }

  #heapRemove(node: QueueNode<E>): void {
    const heap = this.#heap;
    const i = node.heapIndex;
    const last = heap.pop()!;
    node.heapIndex = -1;
    if (last === node) return;
    heap[i] = last;
    last.heapIndex = i;
    this.#siftUp(i);
    this.#siftDown(last.heapIndex);
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    const node = heap[i]!;
    const d = node.entry.deadlineUs;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (parent.entry.deadlineUs <= d) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    heap[i] = node;
    node.heapIndex = i;
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const node = heap[i]!;
    const d = node.entry.deadlineUs;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.entry.deadlineUs < heap[l]!.entry.deadlineUs ? r : l;
      if (heap[c]!.entry.deadlineUs >= d) break;
      heap[i] = heap[c]!;
      heap[i]!.heapIndex = i;
      i = c;
    }
    heap[i] = node;
    node.heapIndex = i;
  }
}
