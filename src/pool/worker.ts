// Piscina worker entry. Each worker keeps one Session handle per model it has served; the
// handles share the process-wide native session (the registry counts references), so N workers
// never mean N copies of the weights. Inference runs with runSync: blocking this worker thread
// is the point of having it, and it saves the extra libuv-threadpool hop of the async run.
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import { Spinner } from './spin.js';
import { Piscina, move } from 'piscina';
import type { FlushTask, PoolTask, RunResult, RunTask, WorkerFaults } from './task.js';
import { dropSession, executeRun, type SessionHandles } from './execute.js';
import { MODEL_CHANNEL, type ModelChannelMessage } from './channel.js';
import { SERVER_SETTINGS } from '../core/settings/index.js';
import { setThreadName } from '../runtime/index.js';

// "ig-worker-<threadId>": the bench splits the server's CPU by thread name (native/thread_name.h).
setThreadName(`ig-worker-${threadId % 100_000}`);

const sessions: SessionHandles = new Map();
const data = workerData as { spinUs?: number; faults?: WorkerFaults } | undefined;
const spinner = new Spinner(Number(data?.spinUs ?? SERVER_SETTINGS.spinUs.default));
/** Test-only fault injection (PoolOptions.faults): never set by serve. */
const exitOnModel = data?.faults?.exitOnModel;

// The main thread announces unloads here so that every worker drops its reference.
const channel = new BroadcastChannel(MODEL_CHANNEL);
channel.unref();
channel.onmessage = (ev: unknown) => {
  const msg = (ev as { data: ModelChannelMessage }).data;
  if (msg.kind === 'unload') dropSession(sessions, msg.id);
};

/** Workers wait for tasks in Atomics.wait, where their event loop does not run, so channel
 *  messages would wait for the next task. A flush task waits until every worker holds one
 *  (so each worker gets exactly one), then yields to the event loop to take the messages. */
async function flush(task: FlushTask): Promise<void> {
  const b = new Int32Array(task.barrier);
  Atomics.add(b, 0, 1);
  Atomics.notify(b, 0);
  const deadline = Date.now() + 5000;
  for (let seen = Atomics.load(b, 0); seen < task.parties && Date.now() < deadline; seen = Atomics.load(b, 0)) {
    Atomics.wait(b, 0, seen, 50);
  }
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
}

export default function handle(task: PoolTask): RunResult | Promise<void> {
  return task.kind === 'flush' ? flush(task) : run(task);
}

function run(task: RunTask): RunResult {
  if (exitOnModel !== undefined && task.model.id.startsWith(`${exitOnModel}@`)) process.exit(70);
  let result: RunResult;
  try {
    result = executeRun(sessions, task);
  } catch (e) {
    // Piscina sends the error back by structured clone, which keeps an Error's class, message
    // and `cause` but drops other own properties: carry the addon's catalogue code in `cause`
    // so that toInferError (src/core/errors.ts) answers with it.
    const code = (e as { code?: unknown } | null)?.code;
    if (e instanceof Error && typeof code === 'string' && e.cause === undefined) e.cause = { code };
    throw e;
  }
  const outputs = result.outputs;
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
