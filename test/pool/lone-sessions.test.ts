// Lone-request sessions (src/pool/lone-sessions.ts, docs/decisions/018): which models get one,
// that it opens off the calling thread and never delays a batch, that a lone batch runs on it
// (same answer, its spinning ORT thread named ig-ort) while overlapping requests use the shared
// session, that the idle spinners are left alone for such a model, and that unload and close
// drop it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutionPolicy } from '../../src/pool/execution-policy.js';
import { InlinePolicy } from '../../src/pool/inline.js';
import { LoneSessions, MAX_SESSIONS } from '../../src/pool/lone-sessions.js';
import { idleSpin } from '../../src/runtime/index.js';
import { rankerFixture } from './model-fixture.js';

const ranker = rankerFixture();
after(() => ranker.remove());
const task = ranker.task;
const HAS_PROC = existsSync('/proc/self/task');

const ortThreads = (): number => readdirSync('/proc/self/task').filter((t) => {
  try {
    return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'ig-ort';
  } catch {
    return false;
  }
}).length;

test('LoneSessions: thread count checked; eligibility; opened off-thread on first use; capped; unload and close drop them', async () => {
  for (const bad of [1, -1, 1.5, Number.NaN]) assert.throws(() => new LoneSessions(bad), RangeError, String(bad));
  const off = new LoneSessions(0);
  assert.equal(off.covers(task(1, 'lone-off').model), false);
  assert.equal(off.modelFor(task(1, 'lone-off').model), undefined);

  const lone = new LoneSessions(2);
  try {
    const m = task(1, 'lone-a').model;
    assert.equal(lone.covers(m), true);
    assert.equal(lone.covers({ ...m, id: 'lone-threads', options: { ...m.options, intraOpThreads: 2 } }), false, 'a model with threads of its own');
    assert.equal(lone.covers({ ...m, id: 'lone-missing', source: '/nonexistent/model.onnx' }), false);
    // First use: not open yet, so the caller keeps the shared session; opening runs meanwhile.
    assert.equal(lone.modelFor(m), undefined);
    await lone.warm(m);
    const ref = lone.modelFor(m)!;
    assert.deepEqual([ref.id, ref.options.intraOpThreads, ref.options.allowSpinning], ['lone-a', 2, true]);
    assert.equal(lone.open, 1);
    // The cap: MAX_SESSIONS models get one, the next none (and is never asked again).
    for (let i = 1; i < MAX_SESSIONS; i++) await lone.warm(task(1, `lone-cap-${i}`).model);
    assert.equal(lone.open, MAX_SESSIONS);
    const late = task(1, 'lone-late').model;
    assert.equal(lone.modelFor(late), undefined);
    assert.equal(lone.covers(late), false);
    // Unload gives the place back.
    lone.unload('lone-a');
    assert.equal(lone.open, MAX_SESSIONS - 1);
    assert.equal(lone.modelFor(m), undefined, 'unloaded: opens again on the next use');
    await lone.warm(m);
    assert.equal(lone.open, MAX_SESSIONS);
    // Unloaded while opening: the session that arrives afterwards is dropped, not kept.
    lone.unload('lone-a');
    const openBefore = lone.open;
    const threadsBefore = HAS_PROC ? ortThreads() : 0;
    assert.equal(lone.modelFor(task(1, 'lone-b').model), undefined);
    lone.unload('lone-b');
    await sleep(500); // the open finishes meanwhile (a few ms for this model)
    assert.equal(lone.open, openBefore);
    if (HAS_PROC) assert.equal(ortThreads(), threadsBefore, 'its pool thread was joined');
  } finally {
    lone.close();
  }
  assert.equal(lone.open, 0);
});

test('a lone batch runs on the lone session (same answer); overlapping requests use the shared one; spinners are left alone',
  { skip: HAS_PROC ? false : 'no /proc/self/task on this platform' }, async () => {
    const inline = new InlinePolicy({ maxRows: 8, maxComputeUs: 1_000_000 });
    const policy = new ExecutionPolicy({ workers: 1, inline, loneThreads: 2, idleSpin: { threads: 1, windowUs: 1000 } });
    const threadsBefore = ortThreads();
    try {
      const t = task(1, 'lone-run');
      await policy.warmLone(t);
      assert.equal(policy.loneSessions, 1);
      assert.equal(ortThreads(), threadsBefore + 1, 'the lone session\'s pool thread, named by the addon');
      const touches = idleSpin.stats().touches;
      policy.noteArrival(t.model);
      assert.equal(idleSpin.stats().touches, touches, 'its ORT thread spins instead of the idle spinners');
      const lone = await policy.run(t, 1);
      policy.noteDone();
      assert.equal(policy.loneRuns, 1);
      assert.equal(lone.inline, true);
      // Two requests in progress: the shared session, and the overlap holds for the window.
      policy.noteArrival(t.model);
      policy.noteArrival(t.model);
      const shared = await policy.run(t, 1);
      policy.noteDone();
      policy.noteDone();
      assert.equal(policy.loneRuns, 1);
      policy.noteArrival(t.model);
      await policy.run(t, 1);
      policy.noteDone();
      assert.equal(policy.loneRuns, 1, 'within the window after an overlap: still shared');
      const bytes = (r: typeof lone): Uint8Array => new Uint8Array(r.outputs[0]!.buffer, r.outputs[0]!.byteOffset, r.outputs[0]!.byteLength);
      assert.deepEqual(bytes(lone), bytes(shared));
      await sleep(5); // > the 1 ms window without an overlap
      policy.noteArrival(t.model);
      await policy.run(t, 1);
      policy.noteDone();
      assert.equal(policy.loneRuns, 2, 'lone again');
      // A model without a lone session keeps the idle spinners.
      const other = task(1, 'lone-other');
      const t0 = idleSpin.stats().touches;
      policy.noteArrival({ ...other.model, options: { ...other.model.options, intraOpThreads: 2 } });
      policy.noteDone();
      assert.equal(idleSpin.stats().touches, t0 + 1);
      await policy.announceUnload('lone-run');
      assert.equal(policy.loneSessions, 0);
    } finally {
      await policy.close();
    }
    assert.equal(ortThreads(), threadsBefore, 'unload and close join the lone pool threads');
    assert.throws(() => new ExecutionPolicy({ workers: 1, loneThreads: 1 }), RangeError);
  });
