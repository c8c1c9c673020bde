// The execution policy's two spinning aids: quietSpinUs (the event loop polls after an inline
// batch, until a batch goes to a worker or the window ends) and idle spinners (started and
// stopped with the policy, touched by requests that come one at a time, visible in
// idleSpinStats).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutionPolicy } from '../../src/pool/execution-policy.js';
import { InlinePolicy } from '../../src/pool/inline.js';
import type { RunTask } from '../../src/pool/task.js';
import { idleSpin } from '../../src/runtime/index.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';

let dir: string;
let modelPath: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'infergate-quiet-'));
  modelPath = join(dir, 'ranker.onnx');
  writeFileSync(modelPath, buildRanker());
});
after(() => rmSync(dir, { recursive: true, force: true }));

function task(k: number): RunTask {
  const buffer = new SharedArrayBuffer(k * 128 * 4);
  new Float32Array(buffer).fill(0.5);
  return {
    kind: 'run',
    model: { id: 'quiet', source: modelPath, options: { intraOpThreads: 1, key: 'quiet' } },
    inputs: [{ name: 'features', dtype: 'float32', shape: [k, 128], buffer, byteOffset: 0, byteLength: buffer.byteLength }],
    outputs: [],
  };
}

/** Batches of up to 4 rows inline (the compute guard lifted). */
const alwaysQuiet = (): InlinePolicy => new InlinePolicy({ maxRows: 4, maxComputeUs: 1_000_000 });

test('after an inline batch the loop polls for quietSpinUs; a worker batch ends the window', async () => {
  const pool = new ExecutionPolicy({ workers: 1, inline: alwaysQuiet(), quietSpinUs: 40_000 });
  try {
    assert.equal(pool.polling, false);
    assert.equal((await pool.run(task(1), 1)).inline, true);
    assert.equal(pool.polling, true);
    await sleep(70);
    // The window ends at the first poll past it; a loaded machine can fire this timer first.
    await new Promise((r) => setImmediate(r));
    assert.equal(pool.polling, false, 'the window ends on time');
    assert.equal((await pool.run(task(1), 1)).inline, true);
    assert.equal(pool.polling, true);
    // 9 rows: a worker. Its small batch keeps the loop polling while in flight (spinInFlight),
    // and the quiet window is over once it is back.
    assert.equal((await pool.run(task(9), 9)).inline, undefined);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(pool.polling, false);
  } finally {
    await pool.close();
  }
  const off = new ExecutionPolicy({ workers: 1, inline: alwaysQuiet() });
  try {
    assert.equal((await off.run(task(1), 1)).inline, true);
    assert.equal(off.polling, false, 'quietSpinUs defaults to 0 in the library');
  } finally {
    await off.close();
  }
  assert.throws(() => new ExecutionPolicy({ workers: 1, quietSpinUs: -1 }), /pool.quietSpinUs must be a non-negative integer/);
});

test('idle spinners live with the pool; lone requests touch them, overlapping ones do not', async () => {
  const none = new ExecutionPolicy({ workers: 1 });
  assert.deepEqual(none.idleSpinStats(), { threads: 0, spinSeconds: 0 });
  await none.close();
  const pool = new ExecutionPolicy({ workers: 1, idleSpin: { threads: 1, windowUs: 1000 } });
  try {
    assert.equal(pool.idleSpinStats().threads, 1);
    const touches = idleSpin.stats().touches;
    pool.noteArrival();
    assert.equal(idleSpin.stats().touches, touches + 1, 'a request at an idle gateway touches them');
    pool.noteArrival();
    assert.equal(idleSpin.stats().touches, touches + 1, 'one arriving while another is in progress does not');
    pool.noteDone();
    pool.noteDone();
    pool.noteArrival();
    pool.noteDone();
    assert.equal(idleSpin.stats().touches, touches + 1, 'a lone request within a window of an overlap does not');
    await sleep(5); // > windowUs (1 ms) with no overlap
    const t0 = pool.idleSpinStats().spinSeconds;
    pool.noteArrival();
    assert.equal(idleSpin.stats().touches, touches + 2, 'lone requests again: the next arrival touches them');
    // spinSeconds is CPU time, which a SCHED_IDLE thread gets only in the gaps of a busy machine:
    // keep it spinning while waiting.
    for (let i = 0; i < 5000 && pool.idleSpinStats().spinSeconds - t0 < 0.0005; i++) {
      idleSpin.touch();
      await sleep(2);
    }
    assert.ok(pool.idleSpinStats().spinSeconds - t0 >= 0.0005, 'a touched spinner spins');
    pool.noteDone();
    // A closed loop whose batch takes every request in flight: the burst overlaps for longer
    // than the window, is answered at once, and the next burst's first request finds the
    // gateway empty. The overlap lasted until the answers, so that request must not touch.
    await sleep(5);
    pool.noteArrival();
    pool.noteArrival();
    const t2 = idleSpin.stats().touches;
    await sleep(5); // the burst is in progress for 5 windows
    pool.noteDone();
    pool.noteDone();
    pool.noteArrival();
    assert.equal(idleSpin.stats().touches, t2, 'the first request after a long overlap does not touch them');
    pool.noteDone();
  } finally {
    await pool.close();
  }
  assert.equal(idleSpin.stats().threads, 0, 'close stops the spinners');
  assert.throws(() => new ExecutionPolicy({ workers: 1, idleSpin: { threads: -1, windowUs: 1000 } }), RangeError);
});
