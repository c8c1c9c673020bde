// run() executes on a libuv worker thread: the JS thread keeps running timers meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/runtime/index.js';
import { identityModel, slowModel } from '../fixtures/runtime-models.js';

const slowInput = () => ({ x: { dtype: 'float32' as const, shape: [256, 256], data: new Float32Array(256 * 256).fill(0.5) } });

test('a timer keeps firing on the JS thread during a long run()', async () => {
  const s = Session.load(slowModel(), { intraOpThreads: 1 });
  try {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const out = await s.run(slowInput());
    clearInterval(timer);
    assert.ok(ticks > 0, `expected timer ticks while the model ran, got ${ticks}`);
    assert.deepEqual(out.y!.shape, [256, 256]);
    // The same model through runSync blocks the thread: no tick can fire inside it.
    let syncTicks = 0;
    const t2 = setInterval(() => syncTicks++, 1);
    s.runSync(slowInput());
    const during = syncTicks;
    clearInterval(t2);
    assert.equal(during, 0);
  } finally {
    s.unload();
  }
});

test('concurrent runs on one shared session each get their own result', async () => {
  const s = Session.load(identityModel('int32'));
  try {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => s.run({ x: { dtype: 'int32', shape: [1, 3], data: new Int32Array([i, i + 1, i + 2]) } })),
    );
    results.forEach((r, i) => assert.deepEqual(Array.from(r.y!.data as Int32Array), [i, i + 1, i + 2]));
  } finally {
    s.unload();
  }
});

test('unload() during an in-flight run lets it finish; later calls fail', async () => {
  const s = Session.load(slowModel(), { intraOpThreads: 1 });
  const pending = s.run(slowInput());
  s.unload();
  const out = await pending;
  assert.deepEqual(out.y!.shape, [256, 256]);
  await assert.rejects(s.run(slowInput()), (e: Error & { code?: string }) => e.constructor === Error && e.code === 'IG_MODEL_NOT_READY' && /Session\.run\(\) used after unload/.test(e.message));
});
