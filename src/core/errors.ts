// The one error catalogue. Every error that reaches a client is an InferError with a stable
// code; the code decides the HTTP status, the FlatBuffers error code and the KServe body.
// Retryable errors (overload, not ready) are distinct from permanent ones (bad input).

export const ERROR_CATALOGUE = {
  IG_BAD_REQUEST: { status: 400, retryable: false },
  IG_BAD_JSON: { status: 400, retryable: false },
  IG_BAD_FLATBUFFER: { status: 400, retryable: false },
  IG_BAD_TENSOR: { status: 400, retryable: false },
  IG_UNKNOWN_INPUT: { status: 400, retryable: false },
  IG_UNKNOWN_OUTPUT: { status: 400, retryable: false },
  IG_MISSING_INPUT: { status: 400, retryable: false },
  IG_DTYPE_MISMATCH: { status: 400, retryable: false },
  IG_SHAPE_MISMATCH: { status: 400, retryable: false },
  IG_BATCH_TOO_LARGE: { status: 400, retryable: false },
  IG_UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  IG_MODEL_NOT_FOUND: { status: 404, retryable: false },
  IG_VERSION_NOT_FOUND: { status: 404, retryable: false },
  IG_NOT_FOUND: { status: 404, retryable: false },
  IG_METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  IG_BODY_TOO_LARGE: { status: 413, retryable: false },
  IG_QUEUE_FULL: { status: 503, retryable: true },
  IG_TOO_MANY_REQUESTS: { status: 429, retryable: true },
  /** A model version's concurrency limit (config.json concurrency_limit) is reached. */
  IG_CONCURRENCY_LIMIT: { status: 429, retryable: true },
  IG_MODEL_NOT_READY: { status: 503, retryable: true },
  IG_SERVER_NOT_READY: { status: 503, retryable: true },
  IG_SHUTTING_DOWN: { status: 503, retryable: true },
  IG_DEADLINE_EXCEEDED: { status: 504, retryable: true },
  IG_CANCELLED: { status: 499, retryable: false },
  IG_MODEL_LOAD_FAILED: { status: 500, retryable: false },
  IG_INFERENCE_FAILED: { status: 500, retryable: false },
  IG_INTERNAL: { status: 500, retryable: false },
  IG_UNAUTHORIZED: { status: 401, retryable: false },
  IG_HEADERS_TOO_LARGE: { status: 431, retryable: false },
  IG_WORKER_EXITED: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Numeric codes for the FlatBuffers wire (stable: append only, never renumber). */
export const WIRE_ERROR_CODES: Readonly<Record<ErrorCode, number>> = {
  IG_BAD_REQUEST: 1, IG_BAD_JSON: 2, IG_BAD_FLATBUFFER: 3, IG_BAD_TENSOR: 4,
  IG_UNKNOWN_INPUT: 5, IG_UNKNOWN_OUTPUT: 6, IG_MISSING_INPUT: 7, IG_DTYPE_MISMATCH: 8,
  IG_SHAPE_MISMATCH: 9, IG_BATCH_TOO_LARGE: 10, IG_UNSUPPORTED_MEDIA_TYPE: 11,
  IG_MODEL_NOT_FOUND: 12, IG_VERSION_NOT_FOUND: 13, IG_NOT_FOUND: 14, IG_METHOD_NOT_ALLOWED: 15,
  IG_BODY_TOO_LARGE: 16, IG_QUEUE_FULL: 17, IG_TOO_MANY_REQUESTS: 18, IG_MODEL_NOT_READY: 19,
  IG_SERVER_NOT_READY: 20, IG_SHUTTING_DOWN: 21, IG_DEADLINE_EXCEEDED: 22, IG_CANCELLED: 23,
  IG_MODEL_LOAD_FAILED: 24, IG_INFERENCE_FAILED: 25, IG_INTERNAL: 26, IG_UNAUTHORIZED: 27,
  IG_HEADERS_TOO_LARGE: 28, IG_CONCURRENCY_LIMIT: 29, IG_WORKER_EXITED: 30,
};

export class InferError extends Error {
  readonly code: ErrorCode;
  /** Seconds for a Retry-After header, on retryable overload errors. */
  readonly retryAfterS: number | undefined;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; retryAfterS?: number } = {}) {
    // Only an internal error is a bug whose stack anyone reads (request-log.ts logs it; no
    // answer ever carries one). Every other code is an answer to a caller, and under overload
    // the refusals are most of the traffic: capturing a stack cost a third of a 429's CPU
    // (bench/results/2026-12-01-refusal-cost.md).
    const stackTraceLimit = Error.stackTraceLimit;
    if (code !== 'IG_INTERNAL') Error.stackTraceLimit = 0;
    try {
      super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = 'InferError';
    this.code = code;
    this.retryAfterS = opts.retryAfterS;
  }
  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
  get retryable(): boolean {
    return ERROR_CATALOGUE[this.code].retryable;
  }
}

/** Factory shorthand: `err('IG_BAD_TENSOR', 'input "x": ...')`. */
export function err(code: ErrorCode, message: string, opts?: { cause?: unknown; retryAfterS?: number }): InferError {
  return new InferError(code, message, opts);
}

/** Anything thrown anywhere becomes an InferError. An error that carries a catalogue code keeps
 *  it: the native addon attaches one to every error it throws (`code`), and an error that
 *  crossed a worker thread carries it as `cause.code` (structured clone drops other own
 *  properties; see src/pool/worker.ts). Errors without a known code are internal (500). */
export function toInferError(e: unknown): InferError {
  if (e instanceof InferError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = catalogueCodeOf(e);
  return new InferError(code ?? 'IG_INTERNAL', message, { cause: e });
}

/** The catalogue code an error carries, directly or as `cause.code`; undefined when none. */
export function catalogueCodeOf(e: unknown): ErrorCode | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const own = (e as { code?: unknown }).code;
  if (typeof own === 'string' && isErrorCode(own)) return own;
  const cause = (e as { cause?: unknown }).cause;
  const inner = cause !== null && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  return typeof inner === 'string' && isErrorCode(inner) ? inner : undefined;
}

export function isErrorCode(s: string): s is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, s);
}
