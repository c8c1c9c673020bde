// Large KServe JSON bodies are scanned and parsed on one decode thread, not the HTTP thread:
// JSON.parse cannot yield, and a 64 MB body would hold the event loop (health checks, every
// other connection) for seconds (issue 16). Bodies at or under the threshold stay on the HTTP
// thread, on the synchronous fast path, with no hop and no copy.
//
// One thread: a flood of large bodies takes one core at most, never the inference workers'.
// Waiting bodies are bounded in bytes (MAX_WAITING_BYTES): beyond it a body is refused with a
// retryable IG_QUEUE_FULL instead of piling up. Ownership: decode() transfers the body's
// ArrayBuffer to the thread (the caller's view is detached from then on) and the reply's
// tensors own the buffers that come back.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { err, type ErrorCode } from '../core/errors.js';
import type { JsonLimits } from '../protocol/kserve-json.js';
import type { InferRequest } from '../core/types.js';

export interface DecodeJob {
  kind: 'json' | 'binary';
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  /** Inference-Header-Content-Length for 'binary'; 0 for 'json'. */
  headerLength: number;
  model: string;
  version: string;
  limits: JsonLimits;
}

export type DecodeReply =
  | { ok: true; request: InferRequest; buffer: ArrayBuffer }
  | { ok: false; code: ErrorCode; message: string };

/** Bodies waiting for (or in) the decode thread, in bytes, before more are refused. */
const MAX_WAITING_BYTES = 256 * 1024 * 1024;

export class DecodeThread {
  #piscina: Piscina<DecodeJob, DecodeReply> | undefined;
  #waitingBytes = 0;
  #waiting = 0;

  /** Bodies handed to the thread and not answered (a gauge; 0 when idle). */
  get waiting(): number {
    return this.#waiting;
  }

  /** Decodes `body` (a fresh buffer owned by the caller, which gives it up) on the thread. */
  async decode(kind: DecodeJob['kind'], body: Uint8Array, headerLength: number, model: string, version: string, limits: JsonLimits): Promise<InferRequest> {
    if (this.#waiting > 0 && this.#waitingBytes + body.byteLength > MAX_WAITING_BYTES) {
      throw err('IG_QUEUE_FULL', `${this.#waitingBytes} bytes of large JSON bodies are already waiting to be decoded; retry later`, { retryAfterS: 1 });
    }
    // Started on first use: a gateway that never sees a large JSON body never starts it.
    this.#piscina ??= new Piscina<DecodeJob, DecodeReply>({
      filename: fileURLToPath(new URL('./decode-worker.js', import.meta.url)),
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      maxQueue: Number.MAX_SAFE_INTEGER,
      // The thread runs its event loop between jobs, where it collects garbage (decode-worker.ts).
      atomics: 'disabled',
    });
    const buffer = body.buffer as ArrayBuffer;
    const size = body.byteLength; // body is detached once transferred
    const job: DecodeJob = { kind, buffer, byteOffset: body.byteOffset, byteLength: body.byteLength, headerLength, model, version, limits };
    this.#waiting++;
    this.#waitingBytes += size;
    try {
      const reply = await this.#piscina.run(job, { transferList: [buffer] });
      if (!reply.ok) throw err(reply.code, reply.message);
      return reply.request;
    } finally {
      this.#waiting--;
      this.#waitingBytes -= size;
    }
  }

  async close(): Promise<void> {
    const p = this.#piscina;
    this.#piscina = undefined;
    if (p) await p.destroy();
  }
}
