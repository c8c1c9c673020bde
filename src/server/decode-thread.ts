// Large KServe JSON bodies are scanned and parsed on one decode thread, not the HTTP thread:
// JSON.parse cannot yield, and a 64 MB body would hold the event loop (health checks, every
// other connection) for seconds (issue 16). Bodies at or under the threshold stay on the HTTP
// thread, on the synchronous fast path, with no hop and no copy.
//
// One thread: a flood of large bodies takes one core at most, never the inference workers'.
// Waiting bodies are bounded in bytes (maxWaitingBytes): beyond it a body is refused with a
// retryable IG_QUEUE_FULL instead of piling up. Ownership: decode() transfers the body's
// ArrayBuffer to the thread (the caller's view is detached from then on) and the reply's
// tensors own the buffers that come back.
//
// Bodies over 1 MiB with a known length are streamed instead (open()): the HTTP thread
// hands each 64 KiB segment over as it fills (on a MessageChannel of the body's own; the thread
// assembles them) and never holds the body whole. Holding it whole
// is what stalled the HTTP thread: a 64 MiB ArrayBuffer takes V8's external memory over its
// 64 MiB soft limit, and V8 answers with a full mark-compact of the HTTP thread's heap
// ("external memory pressure", 5-27 ms measured), while transferred segments leave the
// thread's account at once (bench/results/json-stall-*.md).
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { err, type ErrorCode } from '../core/errors.js';
import type { JsonLimits } from '../protocol/kserve-json.js';
import type { InferRequest } from '../core/types.js';

export interface DecodeJob {
  kind: 'json' | 'binary';
  /** The body; absent for a streamed body, which the thread has assembled (`stream`). */
  buffer?: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  /** Inference-Header-Content-Length for 'binary'; 0 for 'json'. */
  headerLength: number;
  model: string;
  version: string;
  limits: JsonLimits;
  stream?: number;
}

/** A streamed body's start ('open': its segments arrive on `port`) or abandonment ('drop'). */
export interface StreamJob {
  kind: 'open' | 'drop';
  stream: number;
  totalBytes: number;
  port?: MessagePort;
}

export type DecodeReply =
  | { ok: true; request: InferRequest; buffer?: ArrayBuffer }
  | { ok: false; code: ErrorCode; message: string };

/** Bodies waiting for (or in) the decode thread, in bytes, before more are refused. */
export const MAX_WAITING_BYTES = 256 * 1024 * 1024;
/** Bodies larger than this (and than --json-offload-bytes) are streamed (open()). */
export const STREAM_ABOVE_BYTES = 1024 * 1024;
/** Below glibc's mmap threshold (128 KiB; npm start pins it there): freed segments are reused
 *  from malloc's free lists. 1 MiB segments were mmapped and page-faulted afresh each time,
 *  which cost the HTTP thread 80-90 ms of onData time per 64 MiB body against 21-27 ms
 *  (bench/results/json-stall-2026-12-01-stream.md). */
export const SEGMENT_BYTES = 64 * 1024;

export interface DecodeThreadOptions {
  /** Default MAX_WAITING_BYTES (tests use less). */
  maxWaitingBytes?: number;
}

export class DecodeThread {
  #piscina: Piscina<DecodeJob | StreamJob, DecodeReply | undefined> | undefined;
  readonly #maxWaitingBytes: number;
  #waitingBytes = 0;
  #waiting = 0;
  #streams = 0;

  constructor(opts: DecodeThreadOptions = {}) {
    this.#maxWaitingBytes = opts.maxWaitingBytes ?? MAX_WAITING_BYTES;
  }

  /** Bodies over this (and --json-offload-bytes) are streamed: open(). */
  get streamAboveBytes(): number {
    return STREAM_ABOVE_BYTES;
  }

  /** Bodies handed to the thread and not answered (a gauge; 0 when idle). */
  get waiting(): number {
    return this.#waiting;
  }

  /** Takes `bytes` of the bound, or throws IG_QUEUE_FULL; one body is always let in. */
  #reserve(bytes: number): void {
    if (this.#waiting > 0 && this.#waitingBytes + bytes > this.#maxWaitingBytes) {
      throw err('IG_QUEUE_FULL', `${this.#waitingBytes} bytes of large JSON bodies are already waiting to be decoded; retry later`, { retryAfterS: 1 });
    }
    this.#waiting++;
    this.#waitingBytes += bytes;
  }

  #release(bytes: number): void {
    this.#waiting--;
    this.#waitingBytes -= bytes;
  }

  /** Starts the thread now (the server does once it listens): segments pushed before the
   *  thread is ready wait on the HTTP thread, so a 64 MiB body that came while the thread
   *  booted (~0.3 s) would sit there whole and cause the very collection streaming avoids.
   *  An idle thread costs ~14 MiB of RSS. */
  start(): void {
    this.#pool();
  }

  #pool(): Piscina<DecodeJob | StreamJob, DecodeReply | undefined> {
    return this.#piscina ??= new Piscina<DecodeJob | StreamJob, DecodeReply | undefined>({
      filename: fileURLToPath(new URL('./decode-worker.js', import.meta.url)),
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      maxQueue: Number.MAX_SAFE_INTEGER,
      // The thread runs its event loop between jobs, where it collects garbage (decode-worker.ts).
      atomics: 'disabled',
      // Jobs run in the order given: a streamed body's open before its decode. (Without it,
      // Piscina 5 sends a job it could not hand over at once to the back of the queue, and a
      // 64 MiB body's decode overtook its earlier jobs: 500 IG_INTERNAL.)
      stricterFIFO: true,
    });
  }

  async #run(job: DecodeJob): Promise<InferRequest> {
    const reply = await this.#pool().run(job, { transferList: job.buffer ? [job.buffer] : [] });
    if (!reply || !reply.ok) throw err(reply?.code ?? 'IG_INTERNAL', reply?.message ?? 'the decode thread gave no answer');
    return reply.request;
  }

  /** Decodes `body` (a fresh buffer owned by the caller, which gives it up) on the thread. */
  async decode(kind: DecodeJob['kind'], body: Uint8Array, headerLength: number, model: string, version: string, limits: JsonLimits): Promise<InferRequest> {
    const size = body.byteLength; // body is detached once transferred
    this.#reserve(size);
    try {
      return await this.#run({ kind, buffer: body.buffer as ArrayBuffer, byteOffset: body.byteOffset, byteLength: size, headerLength, model, version, limits });
    } finally {
      this.#release(size);
    }
  }

  /** A JSON body of `totalBytes` (its Content-Length) to stream to the thread as it arrives;
   *  undefined when the bound is taken (the caller reads the body whole, and decode() answers
   *  IG_QUEUE_FULL unless room was made meanwhile). The caller ends the stream with exactly one
   *  of decode() or drop(). */
  open(totalBytes: number): BodyStream | undefined {
    try {
      this.#reserve(totalBytes);
    } catch {
      return undefined;
    }
    const id = ++this.#streams;
    // Segments go through a channel of their own, not the pool's queue: posting detaches each
    // one from this thread at once, even while the thread is busy with another body.
    const { port1, port2 } = new MessageChannel();
    let length = 0;
    let ended = false;
    const end = (): void => {
      ended = true;
      port1.close();
      this.#release(totalBytes);
    };
    const send = (job: StreamJob): void => {
      // A failed open surfaces at decode(): the thread knows no such stream.
      this.#pool().run(job, { transferList: job.port ? [job.port] : [] }).catch(() => undefined);
    };
    send({ kind: 'open', stream: id, totalBytes, port: port2 });
    return {
      segmentBytes: SEGMENT_BYTES,
      push: (segment) => {
        length += segment.byteLength; // before the transfer, which detaches `segment`
        port1.postMessage(segment, [segment.buffer as ArrayBuffer]);
      },
      decode: async (model, version, limits) => {
        try {
          return await this.#run({ kind: 'json', stream: id, byteOffset: 0, byteLength: length, headerLength: 0, model, version, limits });
        } finally {
          end();
        }
      },
      drop: () => {
        if (ended) return;
        end();
        send({ kind: 'drop', stream: id, totalBytes });
      },
    };
  }

  async close(): Promise<void> {
    const p = this.#piscina;
    this.#piscina = undefined;
    if (p) await p.destroy();
  }
}

/** A JSON body on its way to the decode thread (DecodeThread.open). */
export interface BodyStream {
  readonly segmentBytes: number;
  /** Hands a segment (a fresh buffer, given up: it is transferred) to the thread, in order. */
  push(segment: Uint8Array): void;
  /** The whole body has been pushed: decode it. */
  decode(model: string, version: string, limits: JsonLimits): Promise<InferRequest>;
  /** The body will not be completed (client gone, too large): the thread lets it go. */
  drop(): void;
}
