// The worker pool over real Piscina workers and the real addon: accounting of busy workers,
// errors raised in a worker reach the caller, and an unload announcement makes every worker
// drop its handle on the shared session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../src/pool/pool.js';
import { InlinePolicy } from '../../src/pool/inline.js';
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
  const pool = new WorkerPool({ workers: 2, inline: { maxRows: 0 } });
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
  const pool = new WorkerPool({ workers: 1, inline: { maxRows: 0 } });
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
    // Resolves once every worker has run its flush task; the polling bound (5 s) is generous
    // because the full test run loads both cores.
    await pool.announceUnload(key);
    for (let i = 0; i < 1000 && (registryStats().refs[refKey] ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(registryStats().refs[refKey] ?? 0, 0);
  } finally {
    await pool.close();
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The compute guard is lifted (a cold run on a loaded machine can exceed it; it has its own test). */
const inlinePolicy = (maxRows = 4) => new InlinePolicy({ maxRows, maxComputeUs: 1_000_000 });

test('a small batch runs inline, with the same result as a worker; a large one takes the hop', async () => {
  const pool = new WorkerPool({ workers: 1, inline: inlinePolicy() });
  try {
    // Rows 0 (unknown, as in warm-up) with allowInline false: the worker path.
    const viaWorker = await pool.run(task(3, 'pool-d'), 0, false);
    assert.equal(viaWorker.inline, undefined);
    const inline = await pool.run(task(3, 'pool-d'), 3);
    assert.equal(inline.inline, true);
    assert.equal(pool.inlineRuns, 1);
    assert.deepEqual(inline.outputs.map((o) => [o.name, o.shape]), [['score', [3, 1]]]);
    const bytes = (r: typeof inline) => new Uint8Array(r.outputs[0]!.buffer, r.outputs[0]!.byteOffset, r.outputs[0]!.byteLength);
    assert.deepEqual(bytes(inline), bytes(viaWorker));
    // Inline while a worker is busy too: a small batch never waits behind a large one.
    const large = pool.run(task(5, 'pool-d'), 5);
    assert.equal(pool.inFlight, 1);
    assert.equal((await pool.run(task(3, 'pool-d'), 3)).inline, true);
    assert.equal((await large).inline, undefined, 'more rows than maxRows: a worker');
    assert.equal(pool.inlineRuns, 2);
  } finally {
    await pool.close();
  }
  const off = new WorkerPool({ workers: 1, inline: { maxRows: 0 } });
  try {
    await sleep(5);
    assert.equal((await off.run(task(1, 'pool-e'), 1)).inline, undefined);
    assert.equal(off.inlineRuns, 0);
  } finally {
    await off.close();
  }
});

test('an inline error rejects like a worker error, and unload drops the inline handle', async () => {
  const pool = new WorkerPool({ workers: 1, inline: inlinePolicy() });
  try {
    await assert.rejects(pool.run(task(1, 'pool-f', 'nope'), 1), /nope/);
    assert.equal(pool.inlineRuns, 1);
    assert.equal((await pool.run(task(1, 'pool-f'), 1)).inline, true);
    const refKey = Object.keys(registryStats().refs).find((k) => k.startsWith('pool-f'));
    assert.ok(refKey, 'session registered by the inline run');
    await pool.announceUnload('pool-f');
    for (let i = 0; i < 200 && (registryStats().refs[refKey] ?? 0) > 0; i++) await sleep(5);
    assert.equal(registryStats().refs[refKey] ?? 0, 0);
  } finally {
    await pool.close();
  }
});

test('warmInline opens the main thread handle and seeds the compute guard', async () => {
  // A guard of 0 us: once a warm run has been measured, nothing is fast enough to run inline.
  const pool = new WorkerPool({ workers: 1, inline: new InlinePolicy({ maxRows: 4, maxComputeUs: 0 }) });
  try {
    pool.warmInline(task(1, 'pool-g'), 1);
    const refKey = Object.keys(registryStats().refs).find((k) => k.startsWith('pool-g'));
    assert.ok(refKey, 'the main thread opened its handle');
    assert.equal((await pool.run(task(1, 'pool-g'), 1)).inline, undefined);
    assert.equal(pool.inlineRuns, 0);
  } finally {
    await pool.close();
  }
  const off = new WorkerPool({ workers: 1, inline: { maxRows: 0 } });
  try {
    off.warmInline(task(1, 'pool-h'), 1);
    assert.equal(Object.keys(registryStats().refs).find((k) => k.startsWith('pool-h')), undefined, 'inline off: no main handle');
  } finally {
    await off.close();
  }
});

test('mayRunInline: CPU sessions with inline on; never GPU sessions or with inline off', async () => {
  const on = new WorkerPool({ workers: 1 });
  const off = new WorkerPool({ workers: 1, inline: { maxRows: 0 } });
  try {
    const ref = (options: RunTask['model']['options']) => ({ id: 'm', source: 'unused.onnx', options });
    assert.equal(on.mayRunInline(ref({})), true);
    assert.equal(on.mayRunInline(ref({ executionProviders: [{ name: 'cpu' }] })), true);
    assert.equal(on.mayRunInline(ref({ executionProviders: [{ name: 'cuda' }, { name: 'cpu' }] })), false);
    assert.equal(off.mayRunInline(ref({})), false);
  } finally {
    await on.close();
    await off.close();
  }
});

test('options are validated', () => {
  assert.throws(() => new WorkerPool({ workers: 0 }), /pool.workers must be a positive integer/);
  assert.throws(() => new WorkerPool({ workers: 1, spinUs: -1 }), /pool.spinUs must be a non-negative integer/);
  assert.throws(() => new WorkerPool({ workers: 1, inline: { maxRows: 1.5 } }), /inline.maxRows must be a non-negative integer/);
});
