import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRepOptions } from '../../bench/harness/rep-options.js';

test('shared repetition options, a bench\'s own flags, and unknown or bad ones refused', () => {
  const o = { reps: 3, durationS: 3, warmupS: 1, systems: ['a', 'b'], out: '', budgetUs: 2000 };
  const seen: string[] = [];
  parseRepOptions(['--reps', '5', '--systems', 'b', '--budget-us', '1500', '--out', 'x.json', '--duration-s', '2'], o, (flag, value) => {
    seen.push(flag);
    if (flag !== '--budget-us') return false;
    o.budgetUs = Number(value());
    return true;
  });
  assert.deepEqual(o, { reps: 5, durationS: 2, warmupS: 1, systems: ['b'], out: 'x.json', budgetUs: 1500 });
  assert.deepEqual(seen, ['--budget-us']);
  assert.throws(() => parseRepOptions(['--nope'], { ...o }), /unknown option "--nope"/);
  assert.throws(() => parseRepOptions(['--reps', '0'], { ...o }), /must be positive/);
});
