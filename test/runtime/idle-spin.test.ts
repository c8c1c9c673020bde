// Idle spinners (native/idle_spin.h): they run at SCHED_IDLE, spin only for the window after a
// touch, then sleep until the next touch, and stop cleanly. Argument errors are JS errors of
// the right class.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { idleSpin } from '../../src/runtime/index.js';

afterEach(() => idleSpin.stop());

const HAS_PROC = existsSync('/proc/self/task');

/** Scheduling policy (field 41 of /proc/.../stat) of each thread named ig-idle-spin. */
function spinnerPolicies(): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue; // the thread ended meanwhile
    }
    if (comm !== 'ig-idle-spin') continue;
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]));
  }
  return out;
}

// Generous: the threads run at SCHED_IDLE, so on a busy machine they wait for an idle CPU.
async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

test('spinners start at SCHED_IDLE, spin after a touch, sleep after the window, and stop', async (t) => {
  idleSpin.start(2, 5000);
  const started = idleSpin.stats();
  assert.equal(started.threads, 2);
  assert.equal(started.windowUs, 5000);
  if (process.platform === 'linux') {
    await until(() => idleSpin.stats().policy === 'sched_idle', 'the threads to lower themselves');
    if (HAS_PROC) {
      await until(() => spinnerPolicies().length === 2, 'both threads to be named');
      assert.deepEqual(spinnerPolicies(), [5, 5], 'SCHED_IDLE is policy 5');
    } else {
      t.diagnostic('no /proc: thread policies not checked');
    }
  }
  // No touch for a whole window: both block.
  await until(() => idleSpin.stats().sleeping === 2, 'both spinners to sleep');
  const asleep = idleSpin.stats().spinSeconds;
  await sleep(30);
  assert.ok(idleSpin.stats().spinSeconds - asleep < 0.002, 'sleeping spinners accrue no spin time');
  // A touch wakes them; they spin for the window, then sleep again.
  const before = idleSpin.stats();
  idleSpin.touch();
  assert.equal(idleSpin.stats().touches, before.touches + 1);
  // spinSeconds is the spinners' CPU time: on a busy machine a SCHED_IDLE thread runs only in
  // the gaps, so keep touching until it has had some.
  await until(() => {
    idleSpin.touch();
    return idleSpin.stats().spinSeconds - asleep >= 0.004;
  }, 'the woken spinners to spin');
  await until(() => idleSpin.stats().sleeping === 2, 'the spinners to sleep again');
  idleSpin.stop();
  assert.equal(idleSpin.stats().threads, 0);
  assert.equal(idleSpin.stats().policy, '');
  if (HAS_PROC) assert.deepEqual(spinnerPolicies(), [], 'stop joins every thread');
});

test('start replaces the running set; start(0) and stop are idempotent', async () => {
  idleSpin.start(1, 1000);
  idleSpin.start(3, 2000);
  assert.equal(idleSpin.stats().threads, 3);
  assert.equal(idleSpin.stats().windowUs, 2000);
  if (HAS_PROC) await until(() => spinnerPolicies().length === 3, 'three named threads');
  idleSpin.start(0, 1000);
  assert.equal(idleSpin.stats().threads, 0);
  idleSpin.stop();
  idleSpin.stop();
  assert.equal(idleSpin.stats().threads, 0);
});

test('bad arguments are TypeError / RangeError with a code, and start nothing', () => {
  const start = idleSpin.start as (...a: unknown[]) => void;
  assert.throws(() => start(-1, 1000), (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'IG_BAD_REQUEST' && /0\.\.256/.test(e.message));
  assert.throws(() => start(257, 1000), RangeError);
  assert.throws(() => start(1, 0), /window/);
  assert.throws(() => start(1, 10_000_001), RangeError);
  assert.throws(() => start(1.5, 1000), RangeError);
  assert.throws(() => start('2', 1000), (e: Error) => e instanceof TypeError && /threads must be an integer \(got string\)/.test(e.message));
  assert.throws(() => start(1), (e: Error) => e instanceof TypeError && /windowUs must be an integer \(got undefined\)/.test(e.message));
  assert.equal(idleSpin.stats().threads, 0);
});
