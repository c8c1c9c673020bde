// What a failed call throws: the server's error code (IG_*, see the README's error list), its
// HTTP status, whether retrying can help, and its Retry-After.

export class InferClientError extends Error {
  override readonly name = 'InferClientError';
  constructor(
    message: string,
    /** The server's code (X-Infergate-Error / the body's "code"), or IG_CLIENT_* for a failure
     *  on this side (connection, timeout, a body that does not decode). */
    readonly code: string,
    /** HTTP status; 0 when no response came. */
    readonly status: number,
    /** Seconds the server asked to wait before retrying (503, 429). */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }

  /** Overload, not ready, shutting down, deadline: another try (here or on another replica)
   *  can succeed. Bad input never will. */
  get retryable(): boolean {
    return this.status === 503 || this.status === 429 || this.status === 504 || this.code === 'IG_CLIENT_CONNECTION';
  }
}
