// The execution policy over real workers and the real addon: where a batch runs (inline or a
// worker), the capacity it reports to the batcher (idle workers, and the rows that can run
// inline while every worker is busy), warm-up of the inline path, and a batcher wired to it
// dispatching an inline-eligible batch while every worker is busy.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutionPolicy } from '../../src/pool/execution-policy.js';
import { InlinePolicy } from '../../src/pool/inline.js';
import type { RunTask } from '../../src/pool/task.js';
import { DynamicBatcher } from '../../src/batching/scheduler.js';
import { registryStats } from '../../src/runtime/index.js';
import { rankerFixture, workerHold } from './model-fixture.js';

const ranker = rankerFixture();
after(() => ranker.remove());
const task = ranker.task;

/** The compute guard is lifted (a cold run on a loaded machine can exceed it; it has its own test). */
const inlinePolicy = (maxRows = 4) => new InlinePolicy({ maxRows, maxComputeUs: 1_000_000 });

test('a small batch runs inline, with the same result as a worker; a large one takes the hop', async () => {
  const policy = new ExecutionPolicy({ workers: 1, inline: inlinePolicy() });
  try {
    // A control task (warm-up) always takes the worker path.
    const viaWorker = (await policy.runControl(task(3, 'pol-a')))!;
    assert.equal(viaWorker.inline, undefined);
    const inline = await policy.run(task(3, 'pol-a'), 3);
    assert.equal(inline.inline, true);
    assert.equal(policy.inlineRuns, 1);
    assert.deepEqual(inline.outputs.map((o) => [o.name, o.shape]), [['score', [3, 1]]]);
    const bytes = (r: typeof inline) => new Uint8Array(r.outputs[0]!.buffer, r.outputs[0]!.byteOffset, r.outputs[0]!.byteLength);
    assert.deepEqual(bytes(inline), bytes(viaWorker));
    // Inline while a worker is busy too: a small batch never waits behind a large one.
    const large = policy.run(task(5, 'pol-a'), 5);
    assert.equal(policy.inFlight, 1);
    assert.equal((await policy.run(task(3, 'pol-a'), 3)).inline, true);
    assert.equal((await large).inline, undefined, 'more rows than maxRows: a worker');
    assert.equal(policy.inlineRuns, 2);
  } finally {
    await policy.close();
  }
  const off = new ExecutionPolicy({ workers: 1, inline: { maxRows: 0 } });
  try {
    assert.equal((await off.run(task(1, 'pol-b'), 1)).inline, undefined);
    assert.equal(off.inlineRuns, 0);
  } finally {
    await off.close();
  }
});

test('capacity: idle workers, and the rows that may run inline (per model, GPU never)', async () => {
  const policy = new ExecutionPolicy({ workers: 2, inline: new InlinePolicy({ maxRows: 8, maxComputeUs: 100 }) });
  const holds = [workerHold(), workerHold()];
  try {
    const cpu = task(1, 'pol-c').model;
    const gpu = { ...cpu, id: 'pol-c-gpu', options: { executionProviders: [{ name: 'cuda' as const }] } };
    assert.equal(policy.idleWorkers(), 2);
    assert.equal(policy.inlineMaxRows(cpu), 8);
    assert.equal(policy.inlineMaxRows(gpu), 0);
    const held = holds.map((h) => policy.runControl(h.task));
    assert.equal(policy.idleWorkers(), 0, 'every worker busy');
    assert.equal(policy.inlineMaxRows(cpu), 8, 'busy workers do not limit the inline path');
    // What the capacity promises, run() keeps: 8 rows inline with every worker busy.
    assert.equal((await policy.run(task(8, 'pol-c'), 8)).inline, true);
    for (const h of holds) h.release();
    await Promise.all(held);
    // A model measured slower than maxComputeUs has no inline capacity, and run() agrees.
    const slow = task(1, 'pol-c-slow');
    const strict = new ExecutionPolicy({ workers: 1, inline: new InlinePolicy({ maxRows: 8, maxComputeUs: 0 }) });
    try {
      assert.equal(strict.inlineMaxRows(slow.model), 8, 'not measured yet');
      strict.warmInline(slow, 1);
      assert.equal(strict.inlineMaxRows(slow.model), 0, 'a measured model above the guard: none');
      assert.equal((await strict.run(slow, 1)).inline, undefined);
    } finally {
      await strict.close();
    }
  } finally {
    for (const h of holds) h.release();
    await policy.close();
  }
});

test('a batcher wired to the policy sends an inline-eligible batch while every worker is busy', async () => {
  const policy = new ExecutionPolicy({ workers: 1, inline: inlinePolicy(4) });
  const hold = workerHold();
  const ranInline: boolean[] = [];
  const batcher = (wired: boolean) => {
    const model = task(1, 'pol-d').model;
    return new DynamicBatcher<RunTask>({
      options: { maxBatchSize: 16, maxQueueDelayUs: 0 },
      execute: async (batch) => {
        const r = await policy.run(batch.entries[0]!.payload, batch.rows);
        ranInline.push(r.inline === true);
        return { outputs: [{ score: { shape: r.outputs[0]!.shape, bytes: new Uint8Array(r.outputs[0]!.buffer) } }] };
      },
      idleWorkers: () => policy.idleWorkers(),
      onWorkerFree: (l) => policy.onFree(l),
      ...(wired ? { inlineMaxRows: () => policy.inlineMaxRows(model) } : {}),
    });
  };
  try {
    const held = policy.runControl(hold.task);
    assert.equal(policy.idleWorkers(), 0);
    const r = await batcher(true).submit({ rows: 2, signature: 'A', payload: task(2, 'pol-d') });
    assert.deepEqual(ranInline, [true]);
    assert.deepEqual(r.outputs['score']!.shape, [2, 1]);
    // Without the inline capacity (the old wiring) the same batch waits for the busy worker.
    let settled = false;
    const waiting = batcher(false).submit({ rows: 2, signature: 'A', payload: task(2, 'pol-d') }).then((x) => { settled = true; return x; });
    await sleep(50);
    assert.equal(settled, false, 'waits while the worker is held');
    hold.release();
    await held;
    assert.deepEqual((await waiting).outputs['score']!.shape, [2, 1]);
    assert.deepEqual(ranInline, [true, true], 'once the worker is free, the batch still runs inline');
  } finally {
    hold.release();
    await policy.close();
  }
});

test('an inline error rejects like a worker error, and unload drops the inline handle', async () => {
  const policy = new ExecutionPolicy({ workers: 1, inline: inlinePolicy() });
  try {
    await assert.rejects(policy.run(task(1, 'pol-f', 'nope'), 1), /nope/);
    assert.equal(policy.inlineRuns, 1);
    assert.equal((await policy.run(task(1, 'pol-f'), 1)).inline, true);
    const refKey = Object.keys(registryStats().refs).find((k) => k.startsWith('pol-f'));
    assert.ok(refKey, 'session registered by the inline run');
    await policy.announceUnload('pol-f');
    for (let i = 0; i < 200 && (registryStats().refs[refKey] ?? 0) > 0; i++) await sleep(5);
    assert.equal(registryStats().refs[refKey] ?? 0, 0);
  } finally {
    await policy.close();
  }
});

test('warmInline opens the main thread handle and seeds the compute guard', async () => {
  // A guard of 0 us: once a warm run has been measured, nothing is fast enough to run inline.
  const policy = new ExecutionPolicy({ workers: 1, inline: new InlinePolicy({ maxRows: 4, maxComputeUs: 0 }) });
  try {
    policy.warmInline(task(1, 'pol-g'), 1);
    const refKey = Object.keys(registryStats().refs).find((k) => k.startsWith('pol-g'));
    assert.ok(refKey, 'the main thread opened its handle');
    assert.equal((await policy.run(task(1, 'pol-g'), 1)).inline, undefined);
    assert.equal(policy.inlineRuns, 0);
  } finally {
    await policy.close();
  }
  const off = new ExecutionPolicy({ workers: 1, inline: { maxRows: 0 } });
  try {
    off.warmInline(task(1, 'pol-h'), 1);
    assert.equal(Object.keys(registryStats().refs).find((k) => k.startsWith('pol-h')), undefined, 'inline off: no main handle');
    assert.equal(off.inlineMaxRows(task(1, 'pol-h').model), 0);
  } finally {
    await off.close();
  }
});

test('mayRunInline: CPU sessions with inline on; never GPU sessions or with inline off', async () => {
  const on = new ExecutionPolicy({ workers: 1 });
  const off = new ExecutionPolicy({ workers: 1, inline: { maxRows: 0 } });
  try {
    const ref = (options: RunTask['model']['options']) => ({ id: 'm', source: 'unused.onnx', options });
    assert.equal(on.mayRunInline(ref({})), true);
    assert.equal(on.inlineMaxRows(ref({})), 64, 'the default inline limit');
    assert.equal(on.mayRunInline(ref({ executionProviders: [{ name: 'cpu' }] })), true);
    assert.equal(on.mayRunInline(ref({ executionProviders: [{ name: 'cuda' }, { name: 'cpu' }] })), false);
    assert.equal(off.mayRunInline(ref({})), false);
  } finally {
    await on.close();
    await off.close();
  }
});

test('options are validated before any thread starts', () => {
  assert.throws(() => new ExecutionPolicy({ workers: 0 }), /pool.workers must be a positive integer/);
  assert.throws(() => new ExecutionPolicy({ workers: 1, spinUs: -1 }), /pool.spinUs must be a non-negative integer/);
  assert.throws(() => new ExecutionPolicy({ workers: 1, inline: { maxRows: 1.5 } }), /inline.maxRows must be a non-negative integer/);
  assert.throws(() => new ExecutionPolicy({ workers: 1, quietSpinUs: -1 }), /pool.quietSpinUs must be a non-negative integer/);
});
