// Error answers in the log: every 5xx with its request id and reason, 4xx only at debug (a
// client's mistake is the client's to log; at debug an operator can still see them). Retryable
// 5xx (queue full, not ready, shutting down, deadline passed) are load or lifecycle, not faults:
// they log at warn, so an alert on error-level lines fires on real faults only; each still has
// its counter in /metrics (infergate_request_failure_total{code}).
import type { ErrorAnswer } from '../core/service.js';
import type { Logger } from './log.js';

export function logErrorAnswer(log: Logger, a: ErrorAnswer): void {
  const e = a.error;
  const level = e.status >= 500 ? (e.retryable ? 'warn' : 'error') : 'debug';
  if (log.enabled && !log.enabled(level)) return;
  const fields: Record<string, unknown> = {
    status: e.status, code: e.code, reason: e.message, transport: a.transport, method: a.method, url: a.url,
  };
  if (a.requestId !== '') fields['requestId'] = a.requestId;
  if (a.model !== '') fields['model'] = a.model;
  // An internal error is a bug: its stack is what the fix needs.
  if (e.code === 'IG_INTERNAL') {
    const cause = e.cause instanceof Error ? e.cause : e;
    if (cause.stack !== undefined) fields['stack'] = cause.stack;
  }
  log[level](`${a.method} ${a.url}: ${e.status} ${e.code}`, fields);
}
