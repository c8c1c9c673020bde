// THE batching decision: a pure function of (queue, now, options, capacity). No timers, no
// clock reads, no mutation: it returns what to do and the scheduler does it. Semantics follow
// Triton's dynamic batcher (dynamic_batch_scheduler.cc), restated as an ordered rule list.
//
// Terms. "Dispatch order": priority level 1 (highest) first, FIFO within a level. "Expired": an
// entry with 0 < deadlineUs <= nowUs. "Capacity": state.idleWorkers workers are free, and a
// batch of at most state.inlineMaxRows rows can start now without any worker (it runs inline on
// the calling thread: src/pool/execution-policy.ts). "Limit" L: maxBatchSize, or under rule I
// min(maxBatchSize, inlineMaxRows). "Candidate" P: built by walking the queue in dispatch
// order from the first unexpired entry (the head), taking every unexpired entry whose signature
// equals the head's, while the rows fit L. Entries of other signatures are skipped
// and stay queued (they form their own batch once they reach the head). The walk stops at the
// first same-signature entry that does not fit ("blocked": no overtaking, so a large request is
// never starved by small ones), when P reaches L, or after SCAN_LIMIT entries.
// Lower-priority entries may join a batch headed by a higher-priority one (as in Triton): they
// never delay it. "Target": the largest preferred size, or maxBatchSize when none are given.
//
// Rules, first match wins:
//  E. Expired entries are never put in a batch; every result lists them in `expired` so the
//     scheduler answers them IG_DEADLINE_EXCEEDED.
//  0. No unexpired entry: 'idle'.
//  C. No idle worker and no inline capacity (inlineMaxRows 0): a batch could not start now and
//     only grows by waiting (Triton waits for a free slot the same way). 'wait' until the
//     nearest deadline, or 'idle' when none: the scheduler decides again on the next submit or
//     poke().
//  I. No idle worker, but batches of up to inlineMaxRows rows can run inline: the candidate is
//     built within L = min(maxBatchSize, inlineMaxRows) rows (any L when unbatched), so a batch
//     that can run inline never waits for a busy worker. A head of more rows than that cannot
//     start now: as in C.
//  U. maxBatchSize 0 (no batching): send the head alone, shapes as-is.           reason 'unbatched'
//  1. P is full (rows == L) or blocked (the next same-signature entry would
//     overflow L): it cannot grow with the capacity there is, send it.           reason 'full'
//  2. The oldest entry in P has waited >= maxQueueDelayUs (> 0): send all of P.   reason 'delay'
//  3. A prefix of P has exactly a preferred size: send the longest such prefix; the rest stays
//     (with maxQueueDelayUs 0 too, as Triton does).                              reason 'preferred'
//  4. P's rows >= the target: no preferred size is reachable by waiting.         reason 'target'
//  5. maxQueueDelayUs is 0: never wait, send what there is.                       reason 'no-delay'
//  6. state.flush (drain/close): waiting cannot help, send.                       reason 'flush'
//  7. Capacity is free (C did not apply: a worker is idle, or P runs inline under I) and no
//     batch is in flight (state.inFlightBatches == 0): the queue holds nothing more to wait for. With nothing in flight, no completion is about to hand us the
//     next requests of closed-loop clients (1 request in flight means the next one cannot
//     arrive before this one is answered), so waiting could only add latency.     reason 'idle-worker'
//  D. Some entry of P has a deadline, and the model's learned cost (state.cost, cost-model.ts)
//     says a batch of P's rows started later than (P's earliest deadline - its expected
//     compute) would end too late: waiting is not affordable, send now.         reason 'deadline'
//  8. Otherwise 'wait' until P's oldest entry reaches maxQueueDelayUs, or until the latest
//     start P's earliest deadline affords (rule D), or until the nearest deadline of any entry
//     if sooner (so expiry is answered on time). A new submit or poke() re-decides earlier.
//  S. Every send of rules 1-D: when the batch as decided would end after its earliest
//     member's deadline (now + expected compute of its rows), it is split: only the longest
//     prefix that ends in time for all its members goes now, the rest stays queued. The
//     expected compute grows with rows and the earliest deadline can only come sooner as the
//     prefix grows, so that prefix is found in one walk. When even the head alone cannot end
//     in time, splitting saves nobody and the batch goes as decided.           reason 'deadline-split'
// Dispatch order inside a priority level is earliest deadline first (the queue keeps it:
// queue.ts), entries without a deadline after those with one, FIFO among ties.
// Cost: O(entries walked) <= O(SCAN_LIMIT), plus O(expired) for the deadline heap.
import type { QueuedEntry, QueueView } from './queue.js';
import type { BatcherOptions } from './options.js';
import { predictUs, type CostEstimate } from './cost-model.js';

/** Most entries one decision walks; beyond it the candidate is taken as found. */
export const SCAN_LIMIT = 4096;

export interface DecideState {
  /** Batches that could start right now (free worker slots). */
  idleWorkers: number;
  /** Largest batch (rows) that could start right now without a worker (inline); 0 or absent =
   *  none. Only consulted when no worker is idle (rule I). */
  inlineMaxRows?: number;
  /** Batches of this model dispatched and not finished. */
  inFlightBatches: number;
  /** Drain/close in progress: send without waiting for a fuller batch. */
  flush?: boolean;
  /** The model's expected batch cost, learned online (cost-model.ts); absent: deadlines are
   *  checked without compute time (rules D and S charge 0). */
  cost?: CostEstimate;
}

export type DecideOptions = Pick<BatcherOptions, 'maxBatchSize' | 'maxQueueDelayUs' | 'preferredBatchSizes'>;

export type SendReason =
  | 'unbatched' | 'full' | 'delay' | 'preferred' | 'target' | 'no-delay' | 'flush' | 'idle-worker' | 'deadline' | 'deadline-split';

export type Decision<E> =
  | { readonly action: 'send'; readonly rows: number; readonly requests: E[]; readonly reason: SendReason; readonly expired: E[] }
  | { readonly action: 'wait'; readonly waitUs: number; readonly expired: E[] }
  | { readonly action: 'idle'; readonly expired: E[] };

function isExpired(e: QueuedEntry, nowUs: number): boolean {
  return e.deadlineUs > 0 && e.deadlineUs <= nowUs;
}

/** Rule S: how many of requests[0..count) may go together so that none misses its deadline
 *  (count when all can, or when even the first alone cannot). */
export function affordablePrefix(requests: readonly QueuedEntry[], count: number, nowUs: number, cost: CostEstimate | undefined): number {
  let rows = 0;
  let earliestUs = 0;
  for (let i = 0; i < count; i++) {
    const e = requests[i]!;
    rows += e.rows;
    if (e.deadlineUs > 0 && (earliestUs === 0 || e.deadlineUs < earliestUs)) earliestUs = e.deadlineUs;
    if (earliestUs > 0 && nowUs + predictUs(cost, rows) > earliestUs) return i === 0 ? count : i;
  }
  return count;
}

/** Rules C and I: nothing can start now; wake for the nearest deadline, if any. */
function noCapacity<E>(nextDeadlineUs: number, nowUs: number, expired: E[]): Decision<E> {
  return nextDeadlineUs === 0 ? { action: 'idle', expired } : { action: 'wait', waitUs: nextDeadlineUs - nowUs, expired };
}

export function decide<E extends QueuedEntry>(
  queue: QueueView<E>,
  nowUs: number,
  opts: DecideOptions,
  state: DecideState,
): Decision<E> {
  const expired: E[] = [];
  let nextDeadlineUs = queue.nearestDeadlineUs();
  if (nextDeadlineUs !== 0 && nextDeadlineUs <= nowUs) nextDeadlineUs = queue.scanDeadlines(nowUs, expired);

  // Rule 0: find the head (first unexpired entry).
  let node = queue.head();
  while (node !== null && isExpired(node.entry, nowUs)) node = node.next;
  if (node === null) return { action: 'idle', expired };

  const head = node.entry;
  let maxRows = opts.maxBatchSize; // the limit L
  if (state.idleWorkers <= 0) {
    const inlineRows = state.inlineMaxRows ?? 0;
    if (inlineRows <= 0) return noCapacity(nextDeadlineUs, nowUs, expired);        // C
    if (head.rows > inlineRows) return noCapacity(nextDeadlineUs, nowUs, expired); // I
    if (maxRows > inlineRows) maxRows = inlineRows;
  }
  if (maxRows === 0) return { action: 'send', rows: head.rows, requests: [head], reason: 'unbatched', expired }; // U

  // Build the candidate.
  const preferred = opts.preferredBatchSizes;
  const signature = head.signature;
  const requests: E[] = [];
  let rows = 0;
  let oldestUs = head.enqueuedUs;
  let earliestUs = 0; // P's earliest deadline, 0 = none
  let bestCount = 0;
  let blocked = false;
  let walked = 0;
  for (; node !== null && walked < SCAN_LIMIT; node = node.next, walked++) {
    const e = node.entry;
    if (e.signature !== signature || isExpired(e, nowUs)) continue;
    if (rows + e.rows > maxRows) {
      // An entry larger than maxBatchSize (the scheduler splits those first) still runs alone.
      if (requests.length === 0) return { action: 'send', rows: e.rows, requests: [e], reason: 'full', expired };
      blocked = true;
      break;
    }
    requests.push(e);
    rows += e.rows;
    if (e.enqueuedUs < oldestUs) oldestUs = e.enqueuedUs;
    if (e.deadlineUs > 0 && (earliestUs === 0 || e.deadlineUs < earliestUs)) earliestUs = e.deadlineUs;
    if (preferred.length > 0 && preferred.includes(rows)) bestCount = requests.length;
    if (rows === maxRows) break;
  }

  const send = (why: SendReason, upTo = requests.length): Decision<E> => {
    // S; nothing to walk when no member has a deadline (the common case).
    const count = earliestUs === 0 ? upTo : affordablePrefix(requests, upTo, nowUs, state.cost);
    const reason: SendReason = count < upTo ? 'deadline-split' : why;
    if (count < requests.length) {
      const prefix = requests.slice(0, count);
      let prefixRows = 0;
      for (const e of prefix) prefixRows += e.rows;
      return { action: 'send', rows: prefixRows, requests: prefix, reason, expired };
    }
    return { action: 'send', rows, requests, reason, expired };
  };

  const delayUs = opts.maxQueueDelayUs;
  if (rows === maxRows || blocked) return send('full');                            // 1
  if (delayUs > 0 && nowUs - oldestUs >= delayUs) return send('delay');             // 2
  if (bestCount > 0) return send('preferred', bestCount);                          // 3
  const targetRows = preferred.length > 0 ? preferred[preferred.length - 1]! : maxRows;
  if (rows >= targetRows) return send('target');                                   // 4
  if (delayUs === 0) return send('no-delay');                                      // 5
  if (state.flush === true) return send('flush');                                  // 6
  if (state.inFlightBatches <= 0) return send('idle-worker');                      // 7

  let waitUs = oldestUs + delayUs - nowUs;                                          // 8
  if (nextDeadlineUs !== 0 && nextDeadlineUs - nowUs < waitUs) waitUs = nextDeadlineUs - nowUs;
  if (earliestUs > 0) {
    const latestStartUs = earliestUs - predictUs(state.cost, rows);
    if (latestStartUs <= nowUs) return send('deadline');                             // D
    if (latestStartUs - nowUs < waitUs) waitUs = latestStartUs - nowUs;
  }
  return { action: 'wait', waitUs: Math.max(1, waitUs), expired };
}
