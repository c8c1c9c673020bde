// A BatchExecutor with no addon and no threads, for the pipeline's unit tests. It "runs" a
// model y = 2 * x (+ 1 when `offset`) over FP32 input "x" -> output "y", element by element,
// records every task it was given, and can be told to fail runs (by a predicate over the task).
import type { BatchExecutor } from '../../src/pipeline/executor.js';
import type { RunResult, RunTask } from '../../src/pool/task.js';

export class FakeExecutor implements BatchExecutor {
  readonly tasks: { task: RunTask; rows: number; values: Float32Array }[] = [];
  /** Throw this from run() when it returns an error for the task. */
  failWhen: ((values: Float32Array, task: RunTask) => unknown) | undefined;
  idle = 1;
  arrivals = 0;
  done = 0;
  #listeners: (() => void)[] = [];

  async run(task: RunTask, rows: number): Promise<RunResult> {
    const x = task.inputs.find((t) => t.name === 'x');
    if (!x) throw new Error('fake executor: no input x');
    const values = new Float32Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
    this.tasks.push({ task, rows, values });
    // Resolve on a later turn, as a worker would.
    await new Promise((r) => setImmediate(r));
    try {
      const failure = this.failWhen?.(values, task);
      if (failure !== undefined) throw failure;
      const y = values.map((v) => v * 2);
      return {
        outputs: [{ name: 'y', dtype: 'float32', shape: [...x.shape], buffer: y.buffer, byteOffset: 0, byteLength: y.byteLength }],
        startUs: 0,
        endUs: 5,
      };
    } finally {
      for (const l of this.#listeners) l();
    }
  }

  idleWorkers(): number {
    return this.idle;
  }

  onFree(listener: () => void): void {
    this.#listeners.push(listener);
  }

  noteArrival(): void {
    this.arrivals++;
  }

  noteDone(): void {
    this.done++;
  }
}
