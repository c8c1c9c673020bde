// Runs one batch task on the calling thread: the body of a pool worker, shared with the main
// thread's inline path (see inline.ts). Each thread keeps its own map of Session handles; the
// handles share the process-wide native session (the registry counts references), so a thread
// that runs a model never means another copy of its weights.
import { performance } from 'node:perf_hooks';
import { Session } from '../runtime/index.js';
import type { RuntimeTensor, TensorData } from '../runtime/types.js';
import { typedArrayFor } from './typed-view.js';
import type { RunResult, RunTask, TaskOutput } from './task.js';

const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

export type SessionHandles = Map<string, Session>;

function sessionFor(sessions: SessionHandles, task: RunTask): Session {
  let s = sessions.get(task.model.id);
  if (!s) {
    s = Session.load(task.model.source, task.model.options);
    sessions.set(task.model.id, s);
  }
  return s;
}

/** Drops this thread's handle on a model's session (the session closes with its last handle). */
export function dropSession(sessions: SessionHandles, id: string): void {
  const s = sessions.get(id);
  if (s) {
    sessions.delete(id);
    s.unload();
  }
}

/** Runs `task` synchronously. Ownership: the input buffers are only read during this call;
 *  the output buffers are fresh and belong to the caller. Throws the addon's errors. */
export function executeRun(sessions: SessionHandles, task: RunTask): RunResult {
  // Opening a thread's handle (first use) is not compute: start the clock after it.
  const session = sessionFor(sessions, task);
  const startUs = nowUs();
  const inputs: Record<string, RuntimeTensor> = {};
  for (const t of task.inputs) {
    const data: TensorData = t.dtype === 'string'
      ? (t.strings ?? [])
      : typedArrayFor(t.dtype, t.buffer, t.byteOffset, t.byteLength);
    inputs[t.name] = { dtype: t.dtype, shape: t.shape, data };
  }
  const out = session.runSync(inputs, task.outputs.length > 0 ? { outputs: task.outputs } : undefined);
  const outputs: TaskOutput[] = [];
  for (const [name, t] of Object.entries(out)) {
    if (Array.isArray(t.data)) {
      outputs.push({ name, dtype: t.dtype, shape: [...t.shape], buffer: new ArrayBuffer(0), byteOffset: 0, byteLength: 0, strings: t.data });
    } else {
      const view = t.data;
      outputs.push({ name, dtype: t.dtype, shape: [...t.shape], buffer: view.buffer as ArrayBuffer, byteOffset: view.byteOffset, byteLength: view.byteLength });
    }
  }
  return { outputs, startUs, endUs: nowUs() };
}
