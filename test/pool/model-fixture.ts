// The ranker written once to a temp folder for the pool tests, and batch tasks for it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlushTask, RunTask } from '../../src/pool/task.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';

export interface RankerFixture {
  task(k: number, key: string, inputName?: string): RunTask;
  remove(): void;
}

export function rankerFixture(): RankerFixture {
  const dir = mkdtempSync(join(tmpdir(), 'infergate-pool-'));
  const modelPath = join(dir, 'ranker.onnx');
  writeFileSync(modelPath, buildRanker());
  return {
    task(k, key, inputName = 'features') {
      const buffer = new SharedArrayBuffer(k * 128 * 4);
      new Float32Array(buffer).fill(0.25);
      return {
        kind: 'run',
        model: { id: key, source: modelPath, options: { intraOpThreads: 1, key } },
        inputs: [{ name: inputName, dtype: 'float32', shape: [k, 128], buffer, byteOffset: 0, byteLength: buffer.byteLength }],
        outputs: [],
      };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A flush task whose barrier has two parties, only one of them a worker: it holds the worker
 *  that takes it until release() arrives as the second (or the worker's 5 s deadline passes). */
export function workerHold(): { task: FlushTask; release(): void } {
  const barrier = new SharedArrayBuffer(4);
  return {
    task: { kind: 'flush', barrier, parties: 2 },
    release() {
      const b = new Int32Array(barrier);
      Atomics.add(b, 0, 1);
      Atomics.notify(b, 0);
    },
  };
}

/** Polls `refs` (a registry reference count) until it is 0 or `bound` x 5 ms have passed. */
export async function refsDropTo0(refs: () => number, bound = 1000): Promise<number> {
  for (let i = 0; i < bound && refs() > 0; i++) await new Promise((r) => setTimeout(r, 5));
  return refs();
}
