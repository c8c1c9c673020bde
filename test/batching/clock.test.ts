import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSystemClock } from '../../src/batching/clock.js';

for (const subMsSpin of [true, false]) {
  test(`system clock (subMsSpin ${subMsSpin}): timers fire once, never synchronously, and not before their time; cleared ones never fire`, async () => {
    const clock = createSystemClock({ subMsSpin });
    const fired: string[] = [];
    const t0 = clock.nowUs();
    let firedAtUs = 0;
    clock.setTimer(() => { fired.push('short'); firedAtUs = clock.nowUs(); }, 300);
    clock.setTimer(() => fired.push('long'), 1500);
    const cleared = clock.setTimer(() => fired.push('cleared'), 200);
    clock.clearTimer(cleared);
    clock.clearTimer(cleared); // twice is fine
    assert.deepEqual(fired, []);
    // Poll rather than sleep a fixed time: a loaded machine may be slow, and that is fine.
    for (let i = 0; i < 400 && fired.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 5)); // a cleared timer would have fired by now
    assert.deepEqual(fired, ['short', 'long']);
    assert.ok(firedAtUs - t0 >= 300, 'not early');
  });
}
