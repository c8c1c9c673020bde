// The checks a request passes before it may be queued, as one pure function of (item, options,
// now): a well-formed row count and priority, not already cancelled, a deadline still in the
// future (the item's own, else the model's default timeout), and a size the oversize policy
// accepts. The queue's own bounds (queue.ts checkAdmission) come after, in the scheduler.
import type { ErrorCode } from '../core/errors.js';
import type { PendingItem } from './batcher-types.js';
import type { BatcherOptions } from './options.js';

export type ItemCheck =
  | { ok: true; rows: number; partCount: number; deadlineUs: number; level: number }
  | { ok: false; code: ErrorCode; message: string };

export function checkItem(item: Pick<PendingItem<unknown>, 'rows' | 'priority' | 'signal' | 'deadlineUs'>, o: BatcherOptions, nowUs: number): ItemCheck {
  const rows = item.rows;
  if (!Number.isSafeInteger(rows) || rows < 0) return { ok: false, code: 'IG_BAD_REQUEST', message: `batch dimension ${String(rows)} is not a non-negative integer` };
  const priority = item.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > o.priorityLevels) {
    return { ok: false, code: 'IG_BAD_REQUEST', message: `priority ${String(priority)} is outside 0..${o.priorityLevels} (1 is the highest)` };
  }
  if (item.signal?.aborted === true) return { ok: false, code: 'IG_CANCELLED', message: 'the request was cancelled before it was queued' };
  const deadlineUs = item.deadlineUs !== undefined && item.deadlineUs > 0
    ? item.deadlineUs
    : o.defaultTimeoutUs > 0 ? nowUs + o.defaultTimeoutUs : 0;
  if (deadlineUs > 0 && deadlineUs <= nowUs) return { ok: false, code: 'IG_DEADLINE_EXCEEDED', message: 'the request deadline passed before it was queued' };
  const max = o.maxBatchSize;
  let partCount = 1;
  if (max > 0 && rows > max) {
    if (o.oversizePolicy === 'reject') return { ok: false, code: 'IG_BATCH_TOO_LARGE', message: `request has ${rows} rows; this model's max batch size is ${max}` };
    partCount = Math.ceil(rows / max);
  }
  return { ok: true, rows, partCount, deadlineUs, level: (priority === 0 ? o.defaultPriorityLevel : priority) - 1 };
}
