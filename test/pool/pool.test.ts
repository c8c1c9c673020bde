// The worker pool over real Piscina workers and the real addon: accounting of busy workers,
// errors raised in a worker reach the caller, and an unload announcement makes every worker
// drop its handle on the shared session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../src/pool/pool.js';
import type { RunTask } from '../../src/pool/task.js';
import { registryStats } from '../../src/runtime/index.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';

let dir: string;
let modelPath: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'infergate-pool-'));
  modelPath = join(dir, 'ranker.onnx');
  writeFileSync(modelPath, buildRanker());
});
after(() => rmSync(dir, { recursive: true, force: true }));

function task(k: number, key: string, inputName = 'features'): RunTask {
  const buffer = new SharedArrayBuffer(k * 128 * 4);
  new Float32Array(buffer).fill(0.25);
  return {
    kind: 'run',
    model: { id: key, source: modelPath, options: { intraOpThreads: 1, key } },
    inputs: [{ name: inputName, dtype: 'float32', shape: [k, 128], buffer, byteOffset: 0, byteLength: buffer.byteLength }],
    outputs: [],
  };
}

test('busy workers are counted and free listeners are told', async () => {
  const pool = new WorkerPool({ workers: 2 });
  try {
    let freed = 0;
    pool.onFree(() => freed++);
    assert.equal(pool.idleWorkers(), 2);
    const p = pool.run(task(3, 'pool-a'), 3);
    assert.equal(pool.idleWorkers(), 1);
    assert.equal(pool.inFlight, 1);
    const r = await p;
    assert.equal(pool.idleWorkers(), 2);
    assert.equal(freed, 1);
    assert.deepEqual(r.outputs.map((o) => [o.name, o.dtype, o.shape]), [['score', 'float32', [3, 1]]]);
    assert.equal(r.outputs[0]!.byteLength, 12);
    assert.ok(r.endUs >= r.startUs);
  } finally {
    await pool.close();
  }
});

test('an error raised in a worker rejects the caller with its message', async () => {
  const pool = new WorkerPool({ workers: 1 });
  try {
    await assert.rejects(pool.run(task(1, 'pool-b', 'nope')), /nope/);
    // The worker survived and serves the next task.
    const r = await pool.run(task(1, 'pool-b'));
    assert.deepEqual(r.outputs[0]!.shape, [1, 1]);
  } finally {
    await pool.close();
  }
});

test('announceUnload makes every worker drop its handle on the shared session', async () => {
  const pool = new WorkerPool({ workers: 2 });
  try {
    const key = 'pool-c';
    await Promise.all([pool.run(task(1, key)), pool.run(task(1, key)), pool.run(task(1, key))]);
    const refKey = Object.keys(registryStats().refs).find((k) => k.startsWith(key));
    assert.ok(refKey, 'session registered');
    assert.ok(registryStats().refs[refKey]! >= 1);
    pool.announceUnload(key);
    for (let i = 0; i < 200 && (registryStats().refs[refKey] ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(registryStats().refs[refKey] ?? 0, 0);
  } finally {
    await pool.close();
  }
});

test('options are validated', () => {
  assert.throws(() => new WorkerPool({ workers: 0 }), /pool.workers must be a positive integer/);
  assert.throws(() => new WorkerPool({ workers: 1, spinUs: -1 }), /pool.spinUs must be a non-negative integer/);
});
