// The Piscina facade over real workers and the real addon: accounting of busy workers and free
// notifications, errors raised in a worker reach the caller, and control tasks wait in their own
// unbounded queue for idle workers, so any number succeed and none takes inference's places.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { WorkerPool } from '../../src/pool/pool.js';
import { rankerFixture, workerHold } from './model-fixture.js';

const ranker = rankerFixture();
after(() => ranker.remove());
const task = ranker.task;

test('busy workers are counted and free listeners are told', async () => {
  const pool = new WorkerPool({ workers: 2 });
  try {
    let freed = 0;
    pool.onFree(() => freed++);
    assert.equal(pool.idleWorkers(), 2);
    const p = pool.run(task(3, 'pool-a'));
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
    await assert.rejects(pool.runControl(task(1, 'pool-b', 'nope')), /nope/);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run(task(1, 'pool-b')), /worker pool is closed/);
  await assert.rejects(pool.runControl(task(1, 'pool-b')), /worker pool is closed/);
});

test('300 concurrent control tasks on 2 workers all succeed (Piscina alone refuses past 16 queued)', async () => {
  const pool = new WorkerPool({ workers: 2 });
  try {
    let freed = 0;
    pool.onFree(() => freed++);
    const runs = Array.from({ length: 300 }, (_, i) => pool.runControl(task(1 + (i % 4), 'pool-c')));
    assert.equal(pool.inFlight, 2, 'only as many handed over as there are workers');
    assert.equal(pool.controlQueued, 298);
    const results = await Promise.all(runs);
    assert.equal(results.length, 300);
    results.forEach((r, i) => assert.deepEqual(r!.outputs[0]!.shape, [1 + (i % 4), 1]));
    assert.equal(pool.controlQueued, 0);
    assert.equal(pool.inFlight, 0);
    assert.equal(freed, 300, 'every finished control task frees its worker');
  } finally {
    await pool.close();
  }
});

test('a freed worker takes the oldest control task before free listeners hear of it', async () => {
  const pool = new WorkerPool({ workers: 1 });
  const hold = workerHold();
  try {
    const held = pool.runControl(hold.task);
    const queued = pool.runControl(task(2, 'pool-d'));
    assert.equal(pool.idleWorkers(), 0);
    assert.equal(pool.controlQueued, 1);
    const idleSeen: number[] = [];
    pool.onFree(() => idleSeen.push(pool.idleWorkers()));
    hold.release();
    await held;
    assert.deepEqual(idleSeen, [0], 'the queued control task already holds the freed worker');
    assert.deepEqual((await queued)!.outputs[0]!.shape, [2, 1]);
    assert.equal(pool.idleWorkers(), 1);
  } finally {
    hold.release();
    await pool.close();
  }
});

test('close rejects control tasks still waiting for a worker', async () => {
  const pool = new WorkerPool({ workers: 1 });
  const hold = workerHold();
  const held = pool.runControl(hold.task);
  const waiting = pool.runControl(task(1, 'pool-e'));
  const closed = pool.close();
  await assert.rejects(waiting, /worker pool is closed/);
  hold.release();
  await held;
  await closed;
});

test('options are validated', () => {
  assert.throws(() => new WorkerPool({ workers: 0 }), /pool.workers must be a positive integer/);
  assert.throws(() => new WorkerPool({ workers: 1.5 }), /pool.workers must be a positive integer/);
  assert.throws(() => new WorkerPool({ workers: 1, spinUs: -1 }), /pool.spinUs must be a non-negative integer/);
});

test('workers name their threads ig-worker-<n>, so the bench can split the server\'s CPU by thread', { skip: existsSync('/proc/self/task') ? false : 'no /proc/self/task on this platform' }, async () => {
  const workers = (): string[] => readdirSync('/proc/self/task').map((t) => {
    try { return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim(); } catch { return ''; }
  }).filter((n) => /^ig-worker-\d+$/.test(n));
  const before = workers().length;
  const pool = new WorkerPool({ workers: 2 });
  try {
    await Promise.all([pool.run(task(1, 'name-a')), pool.run(task(1, 'name-b'))]); // both workers up
    assert.equal(workers().length, before + 2);
  } finally {
    await pool.close();
  }
});
