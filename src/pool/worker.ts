// Piscina worker entry. Each worker keeps one Session handle per model it has served; the
// handles share the process-wide native session (the registry counts references), so N workers
// never mean N copies of the weights. Inference runs with runSync: blocking this worker thread
// is the point of having it, and it saves the extra libuv-threadpool hop of the async run.
import { BroadcastChannel, workerData } from 'node:worker_threads';
import { Spinner } from './spin.js';
import { performance } from 'node:perf_hooks';
import { Piscina, move } from 'piscina';
import { Session } from '../runtime/index.js';
import type { RuntimeTensor, TensorData } from '../runtime/types.js';
import { typedArrayFor } from './typed-view.js';
import type { RunResult, RunTask, TaskOutput } from './task.js';
import { MODEL_CHANNEL, type ModelChannelMessage } from './channel.js';

const sessions = new Map<string, Session>();
const spinner = new Spinner(Number((workerData as { spinUs?: number } | undefined)?.spinUs ?? 0));

// The main thread announces unloads here so that every worker drops its reference.
const channel = new BroadcastChannel(MODEL_CHANNEL);
channel.unref();
channel.onmessage = (ev: unknown) => {
  const msg = (ev as { data: ModelChannelMessage }).data;
  if (msg.kind === 'unload') {
    const s = sessions.get(msg.id);
    if (s) {
      sessions.delete(msg.id);
      s.unload();
    }
  }
};

const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

function sessionFor(task: RunTask): Session {
  let s = sessions.get(task.model.id);
  if (!s) {
    s = Session.load(task.model.source, task.model.options);
    sessions.set(task.model.id, s);
  }
  return s;
}

export default function run(task: RunTask): RunResult {
  const startUs = nowUs();
  const session = sessionFor(task);
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
  const result: RunResult = { outputs, startUs, endUs: nowUs() };
  spinner.touch();
  // Move output buffers instead of cloning them: a Transferable wrapper marked movable makes
  // Piscina put every buffer in the transfer list. A buffer can be listed once only.
  const transfer = new Set<ArrayBuffer>();
  for (const o of outputs) if (o.byteLength > 0) transfer.add(o.buffer);
  return move({
    [Piscina.transferableSymbol]: [...transfer],
    [Piscina.valueSymbol]: result,
  } as never) as unknown as RunResult;
}
