// What the request path needs from whatever runs batches: src/pool's ExecutionPolicy in production,
// a fake in the pipeline's unit tests (no sockets, no addon). The pipeline never imports the
// pool; the composition root (src/gateway.ts) hands one in.
import type { ModelRef, RunResult, RunTask } from '../pool/task.js';

export interface BatchExecutor {
  /** Runs one batch of `rows` rows; `allowInline` false forces a worker thread (warm-up). */
  run(task: RunTask, rows: number, allowInline?: boolean): Promise<RunResult>;
  /** Batches that could start right now. */
  idleWorkers(): number;
  /** The largest batch of this model that would run on the calling thread right now (0 when
   *  none): the batcher sends such a batch even while every worker is busy (decide.ts, rule I).
   *  Absent: batches wait for a worker. */
  inlineMaxRows?(model: ModelRef): number;
  /** Called synchronously each time a batch finishes. */
  onFree(listener: () => void): void;
  /** A request reached a model / was answered (drives the idle spinners and lone sessions;
   *  may be no-ops). */
  noteArrival(model?: ModelRef): void;
  noteDone(): void;
}
