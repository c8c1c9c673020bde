// The A/B split's routing function and its configuration: weights hold over 10,000 keys and over
// 10,000 keyless requests, one key always gets one arm, ramping a treatment up keeps its members,
// and every bad routing block is refused with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRouting, missingVersions, pickVersion, routeKeyOf, stableHash32, toRouting } from '../../src/repository/routing.js';
import { ConfigError, parseModelConfig, toConfigJson } from '../../src/repository/config.js';
import { seededRandom } from '../fixtures/onnx-builder.js';

const split = (...w: [string, number][]) => w.map(([version, weight]) => ({ version, weight }));

function shares(pick: (i: number) => string, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const v = pick(i);
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, c / n]));
}

test('90/10 by key: over 10,000 member ids each arm gets its weight within 1 point', () => {
  const s = shares((i) => pickVersion(split(['1', 90], ['2', 10]), `member-${i}`), 10_000);
  assert.ok(Math.abs(s['1']! - 0.9) < 0.01 && Math.abs(s['2']! - 0.1) < 0.01, JSON.stringify(s));
  const three = shares((i) => pickVersion(split(['1', 70], ['2', 20], ['3', 10]), String(1_000_000 + i)), 10_000);
  for (const [v, w] of [['1', 0.7], ['2', 0.2], ['3', 0.1]] as const) assert.ok(Math.abs(three[v]! - w) < 0.01, JSON.stringify(three));
});

test('without a key the arm is drawn at random, by weight', () => {
  const rnd = seededRandom(7);
  const s = shares(() => pickVersion(split(['1', 90], ['2', 10]), undefined, rnd), 10_000);
  assert.ok(Math.abs(s['2']! - 0.1) < 0.01, JSON.stringify(s));
  assert.equal(pickVersion(split(['1', 1], ['2', 1]), '', () => 0.75), '2', 'an empty key counts as none');
});

test('sticky: one key, one arm, every time; ramping 10% -> 20% keeps the treatment group', () => {
  const before = split(['1', 90], ['2', 10]);
  const after = split(['1', 80], ['2', 20]);
  let moved = 0;
  for (let i = 0; i < 10_000; i++) {
    const key = `member-${i}`;
    const v = pickVersion(before, key);
    for (let r = 0; r < 3; r++) assert.equal(pickVersion(before, key, () => Math.random()), v);
    const w = pickVersion(after, key);
    if (v === '2') assert.equal(w, '2', `${key} left the treatment when it grew`);
    if (v !== w) moved++;
  }
  assert.ok(moved > 500 && moved < 1500, `about 10% moved into the treatment (${moved})`);
});

test('an arm of weight 0 is never picked; the hash is stable across runs', () => {
  for (let i = 0; i < 2000; i++) assert.equal(pickVersion(split(['1', 0], ['2', 5], ['3', 0]), `k${i}`), '2');
  // Fixed values: the hash must never change between releases (it would reshuffle every caller).
  assert.equal(stableHash32('member-42'), stableHash32('member-42'));
  assert.deepEqual([stableHash32(''), stableHash32('a')], [2872998923, 444641715]);
});

test('the route key: the header wins over the route_key parameter; numbers count, booleans do not', () => {
  assert.equal(routeKeyOf('h', { route_key: 'p' }), 'h');
  assert.equal(routeKeyOf(undefined, { route_key: 'p' }), 'p');
  assert.equal(routeKeyOf('', { route_key: 42 }), '42');
  assert.equal(routeKeyOf(undefined, { route_key: true }), undefined);
  assert.equal(routeKeyOf(undefined, {}), undefined);
});

test('config.json routing: parsed, round-tripped, and every bad block named', () => {
  const cfg = parseModelConfig({ version_policy: { all: {} }, routing: { split: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], shadow: { version: 3 } } }, 'm');
  assert.deepEqual(cfg.routing, { split: [{ version: '1', weight: 90 }, { version: '2', weight: 10 }], shadow: { version: '3' } });
  assert.deepEqual(parseModelConfig(toConfigJson(cfg), 'm'), cfg);
  const refuses = (routing: unknown, message: string): void => {
    assert.throws(() => parseModelConfig({ routing }, 'm'), (e: unknown) => e instanceof ConfigError && e.message === message);
  };
  refuses([], 'm/config.json: routing must be a JSON object (got [])');
  refuses({}, 'm/config.json: routing.split must be a non-empty array of {version, weight} (got nothing)');
  refuses({ split: [] }, 'm/config.json: routing.split must be a non-empty array of {version, weight} (got [])');
  refuses({ split: [{ version: 0, weight: 1 }] }, 'm/config.json: routing.split[0].version must be a positive integer (got 0)');
  refuses({ split: [{ version: 1, weight: -1 }] }, 'm/config.json: routing.split[0].weight must be an integer in 0..1000000 (got -1)');
  refuses({ split: [{ version: 1 }] }, 'm/config.json: routing.split[0].weight must be an integer in 0..1000000 (got nothing)');
  refuses({ split: [{ version: 1, weight: 1, share: 2 }] }, 'm/config.json: unknown key "routing.split[0].share" (known keys: version, weight)');
  refuses({ split: [{ version: 1, weight: 1 }, { version: 1, weight: 2 }] }, 'm/config.json: routing.split must be arms with distinct versions (got [1,1])');
  refuses({ split: [{ version: 1, weight: 0 }] }, 'm/config.json: routing.split must be arms of which at least one has a weight > 0 (got [0])');
  refuses({ split: [{ version: 1, weight: 1 }], shadow: {} }, 'm/config.json: routing.shadow.version must be a positive integer (got nothing)');
  refuses({ split: [{ version: 1, weight: 1 }], mirror: {} }, 'm/config.json: unknown key "routing.mirror" (known keys: split, shadow)');
});

test('missingVersions names the versions the routing needs and the model does not serve', () => {
  const r = toRouting(checkRouting({ split: [{ version: 1, weight: 1 }, { version: 2, weight: 1 }], shadow: { version: 3 } }, 's', 'routing'));
  assert.equal(missingVersions(r, ['1', '2', '3']), undefined);
  assert.equal(missingVersions(r, ['1']), 'routing names versions 2, 3, not served (serving: 1; version_policy decides which versions are served)');
});
