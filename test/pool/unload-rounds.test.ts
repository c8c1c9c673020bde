// Unload announcements over real workers: every worker drops its handle on the shared session,
// and concurrent announcements share serialised flush rounds instead of stalling each other at
// the workers' barrier (5 s per round before) or failing for queue space.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { ExecutionPolicy } from '../../src/pool/execution-policy.js';
import { registryStats } from '../../src/runtime/index.js';
import { rankerFixture, refsDropTo0 } from './model-fixture.js';

const ranker = rankerFixture();
after(() => ranker.remove());
const task = ranker.task;

const refsOf = (prefix: string) => (): number => {
  const refs = registryStats().refs;
  let n = 0;
  for (const [k, v] of Object.entries(refs)) if (k.startsWith(prefix)) n += v;
  return n;
};

test('announceUnload makes every worker drop its handle on the shared session', async () => {
  const policy = new ExecutionPolicy({ workers: 2, inline: { maxRows: 0 } });
  try {
    const key = 'unl-a';
    await Promise.all([0, 1].map(() => policy.runControl(task(1, key))));
    assert.ok(refsOf(key)() >= 1, 'session registered');
    await policy.announceUnload(key);
    // The polling bound (5 s) is generous because the full test run loads both cores.
    assert.equal(await refsDropTo0(refsOf(key)), 0);
  } finally {
    await policy.close();
  }
});

test('100 concurrent unloads finish promptly, share flush rounds, and every worker drops its handles', async () => {
  const workers = 2;
  const policy = new ExecutionPolicy({ workers, inline: { maxRows: 0 } });
  try {
    const ids = Array.from({ length: 100 }, (_, i) => `unl-b${i}-`);
    // Every worker opens every model: `workers` control runs per model, all at once.
    await Promise.all(ids.flatMap((id) => Array.from({ length: workers }, () => policy.runControl(task(1, id)))));
    const before = refsOf('unl-b')();
    assert.ok(before >= 100, `handles open (${before})`);
    const t0 = performance.now();
    await Promise.all(ids.map((id) => policy.announceUnload(id)));
    const ms = performance.now() - t0;
    // Interleaved rounds took 5 s each (the workers' barrier deadline): 100 unloads took 20 s.
    assert.ok(ms < 4000, `100 unloads took ${ms.toFixed(0)} ms`);
    assert.ok(policy.unloadRounds <= 2, `coalesced into ${policy.unloadRounds} round(s)`);
    assert.equal(await refsDropTo0(refsOf('unl-b')), 0, 'every worker dropped every handle');
  } finally {
    await policy.close();
  }
});

test('unloads announced while a round runs share the next round, and all complete', async () => {
  const policy = new ExecutionPolicy({ workers: 2, inline: { maxRows: 0 } });
  try {
    await Promise.all(['unl-c0', 'unl-c1', 'unl-c2'].map((id) => policy.runControl(task(1, id))));
    const first = policy.announceUnload('unl-c0');
    await new Promise((r) => setImmediate(r)); // the first round has started
    const rest = [policy.announceUnload('unl-c1'), policy.announceUnload('unl-c2')];
    await Promise.all([first, ...rest]);
    assert.equal(policy.unloadRounds, 2);
    assert.equal(await refsDropTo0(refsOf('unl-c')), 0);
  } finally {
    await policy.close();
  }
});
