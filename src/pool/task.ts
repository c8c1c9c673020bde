// Messages between the main thread and pool workers. Kept small on purpose: tensor bytes never
// go through structured clone. Inputs travel as SharedArrayBuffer slices (shared, not copied);
// outputs come back as transferred ArrayBuffers (moved, not copied).
import type { LoadOptions, OrtDType } from '../runtime/types.js';

/** Which shared ORT session a task runs on. Workers open it lazily with Session.load(source,
 *  options); the native registry hands back the one process-wide session for that key. */
export interface ModelRef {
  /** Registry-independent identity: "<model>@<version>#<generation>". */
  id: string;
  /** Absolute path of the model.onnx file. */
  source: string;
  options: LoadOptions;
}

/** One input of a batch. Ownership: the batch owns `buffer` from assembly until the worker's
 *  result has been received; the worker reads it only during its run call. */
export interface TaskTensor {
  name: string;
  dtype: OrtDType;
  shape: number[];
  buffer: SharedArrayBuffer | ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  /** Only for dtype 'string': the elements (strings cannot live in shared memory). */
  strings?: string[];
}

export interface RunTask {
  kind: 'run';
  model: ModelRef;
  inputs: TaskTensor[];
  /** Output names to compute; empty = all. */
  outputs: string[];
}

/** Makes one worker run its event loop (see unload-rounds.ts). `barrier` counts the
 *  flush tasks that have started; each waits until all `parties` have, so that every worker
 *  takes exactly one. */
export interface FlushTask {
  kind: 'flush';
  barrier: SharedArrayBuffer;
  parties: number;
}

export type PoolTask = RunTask | FlushTask;

export interface TaskOutput {
  name: string;
  dtype: OrtDType;
  shape: number[];
  /** Transferred to the main thread; owned by the receiver afterwards. */
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  strings?: string[];
}

export interface RunResult {
  outputs: TaskOutput[];
  /** Epoch-based microsecond timestamps taken in the worker, for the latency breakdown. */
  startUs: number;
  endUs: number;
  /** Set when the batch ran on the main thread (no hop; see inline.ts). */
  inline?: boolean;
}

/** Test-only fault injection (PoolOptions.faults, workerData): a worker that starts a batch of
 *  the model named `exitOnModel` exits at once, as a thread that dies mid-batch would. */
export interface WorkerFaults {
  exitOnModel?: string;
}
