// Capacity planning (bench/plan): the arithmetic with headroom, spares and a floor, its refusals,
// and `infergate bench plan` reading a sweep's recommendation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planCapacity } from '../../bench/plan/plan.js';

const base = { capacityRps: 10_000, targetRps: 50_000, headroom: 0.3, spare: 1, minReplicas: 2, coresPerReplica: 4 };

test('plan: replicas at (1 - headroom) of capacity, plus spares, never below the floor', () => {
  const p = planCapacity(base);
  assert.equal(p.needed, 8, '50k / 7k per replica = 7.14 -> 8');
  assert.equal(p.replicas, 9);
  assert.equal(p.cores, 36);
  assert.ok(Math.abs(p.utilisationAllUp - 50_000 / 9 / 10_000) < 1e-12);
  assert.ok(p.utilisationSpareDown <= 1 - base.headroom + 1e-12, 'with the spare gone the rest stay within the headroom');
  assert.equal(planCapacity({ ...base, targetRps: 7_000 }).needed, 1, 'exactly at the planned utilisation: no extra replica');
  assert.equal(planCapacity({ ...base, targetRps: 100, spare: 0 }).replicas, 2, 'the floor');
  assert.equal(planCapacity({ ...base, headroom: 0, spare: 0 }).replicas, 5);
});

test('plan: nonsense input is refused with a RangeError naming it', () => {
  assert.throws(() => planCapacity({ ...base, capacityRps: 0 }), /capacity must be > 0/);
  assert.throws(() => planCapacity({ ...base, targetRps: Number.NaN }), /target must be > 0/);
  assert.throws(() => planCapacity({ ...base, headroom: 0.95 }), /headroom must be in 0..0.9/);
  assert.throws(() => planCapacity({ ...base, spare: 0.5 }), /spare must be an integer/);
  assert.throws(() => planCapacity({ ...base, minReplicas: 0 }), /min replicas/);
});

test('infergate bench plan: from a sweep.json, and its refusals', () => {
  const bin = fileURLToPath(new URL('../../../bin/infergate.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'infergate-plan-'));
  try {
    const sweep = join(dir, 'sweep.json');
    writeFileSync(sweep, JSON.stringify({ cores: 4, best: { requestsPerS: 10_000, p99Us: 1800, workers: 2 }, points: [] }));
    const r = spawnSync(process.execPath, [bin, 'bench', 'plan', '--sweep', sweep, '--target-rps', '50000'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /capacity per replica: 10000 req\/s \(sweep .*p99 1800 us\)/);
    assert.match(r.stdout, /plan: 9 replicas x 4 cores = 36 cores/);
    writeFileSync(sweep, JSON.stringify({ best: null, points: [] }));
    const none = spawnSync(process.execPath, [bin, 'bench', 'plan', '--sweep', sweep, '--target-rps', '5'], { encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /no recommended point/);
    const typo = spawnSync(process.execPath, [bin, 'bench', 'plan', '--target', '5'], { encoding: 'utf8' });
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /unknown option "--target"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
