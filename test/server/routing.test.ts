// A/B split and shadow traffic end to end (real sockets, real addon): requests that name no
// version split by weight, one route key always reaches one version, a shadow that fails on every
// request changes no live answer, an identical shadow scores a rank correlation of 1, and the
// routing changes at run time through model control.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { buildModel } from '../fixtures/onnx-builder.js';
import { ADMIN_AUTH, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';

let gw: TestGateway;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-route-'));
  const ranker = buildRanker();
  const config = {
    max_batch_size: 256, version_policy: { all: {} }, warmup: { batch_sizes: [1] },
    routing: { split: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], shadow: { version: 3 } },
  };
  writeModel(repo, 'ab', ranker, config, 1);
  writeModel(repo, 'ab', ranker, undefined, 2);
  // Version 3 takes another input: every shadow copy of a ranker request fails validation.
  writeModel(repo, 'ab', buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 4] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  }), undefined, 3);
  gw = await startTestGateway(repo, { workers: 1, modelControlMode: 'explicit' });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

async function infer(opts: { key?: string; param?: string; k?: number; version?: string } = {}) {
  const k = opts.k ?? 1;
  const body = {
    ...(opts.param !== undefined ? { parameters: { route_key: opts.param } } : {}),
    inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: [...seededRows(k, 128, 3)] }],
  };
  const path = opts.version ? `/v2/models/ab/versions/${opts.version}/infer` : '/v2/models/ab/infer';
  const r = await fetch(gw.url + path, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...(opts.key !== undefined ? { 'X-Infergate-Route-Key': opts.key } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await r.json()) as { model_version?: string; outputs?: { data: number[] }[] };
  return { status: r.status, version: json.model_version, scores: json.outputs?.[0]?.data };
}

async function routing(body: string) {
  const r = await fetch(`${gw.url}/v2/repository/models/ab/routing`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...ADMIN_AUTH }, body });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

const metrics = async (): Promise<string> => (await fetch(`${gw.url}/metrics`)).text();
const value = (text: string, series: string): number => Number(new RegExp(`^${series.replace(/[{}"=,.]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(await check(), 'condition not reached');
}

test('90/10 by route key over 400 members; every live answer is 200 although every shadow copy fails', async () => {
  const results = await Promise.all(Array.from({ length: 400 }, (_, i) => infer({ key: `member-${i}` })));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
  const share2 = results.filter((r) => r.version === '2').length / results.length;
  assert.ok(share2 > 0.05 && share2 < 0.16, `share of version 2: ${share2}`);
  assert.ok(results.every((r) => r.version === '1' || r.version === '2'));
  // Each copy fails, or is skipped while 64 shadow requests are in flight (the burst is 400 at once).
  const failures = (t: string): number => value(t, 'infergate_shadow_failure_total{code="IG_UNKNOWN_INPUT",model="ab",version="3"}') || 0;
  const skipped = (t: string): number => value(t, 'infergate_shadow_skipped_total{model="ab",version="3"}') || 0;
  await until(async () => { const t = await metrics(); return failures(t) + skipped(t) === 400; });
  assert.ok(failures(await metrics()) >= 64);
});

test('sticky: one member sees one version, by header or by the route_key parameter', async () => {
  for (const key of ['member-7', 'member-8', 'member-9', 'member-10']) {
    const first = await infer({ key });
    for (let i = 0; i < 5; i++) assert.equal((await infer({ key })).version, first.version);
    assert.equal((await infer({ param: key })).version, first.version, 'the parameter hashes like the header');
  }
});

test('an explicit version bypasses the split and is not shadowed', async () => {
  const before = await metrics();
  for (let i = 0; i < 5; i++) assert.equal((await infer({ key: `member-${i}`, version: '2' })).version, '2');
  const t = await metrics();
  assert.equal(value(t, 'infergate_shadow_failure_total{code="IG_UNKNOWN_INPUT",model="ab",version="3"}'),
    value(before, 'infergate_shadow_failure_total{code="IG_UNKNOWN_INPUT",model="ab",version="3"}'));
});

test('routing changes at run time: all to version 2, shadowed by version 1 (same model: rank correlation 1)', async () => {
  assert.deepEqual((await routing('')).json, { split: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], shadow: { version: 3 } });
  const set = await routing(JSON.stringify({ split: [{ version: 2, weight: 1 }], shadow: { version: 1 } }));
  assert.equal(set.status, 200);
  assert.deepEqual(set.json, { split: [{ version: 2, weight: 1 }], shadow: { version: 1 } });
  const live = await infer({ key: 'member-1', k: 200 });
  assert.equal(live.version, '2');
  assert.equal(live.scores?.length, 200);
  const series = '{live="2",model="ab",shadow="1"}';
  await until(async () => value(await metrics(), `infergate_shadow_rank_correlation_count${series}`) === 1);
  const t = await metrics();
  assert.equal(value(t, `infergate_shadow_rank_correlation_sum${series}`), 1);
  assert.equal(value(t, `infergate_shadow_score_abs_diff_count${series}`), 200);
  assert.equal(value(t, `infergate_shadow_score_abs_diff_bucket{live="2",model="ab",shadow="1",le="0"}`), 200, 'identical scores');
  assert.ok(value(t, 'infergate_shadow_duration_us_count{model="ab",version="1"}') >= 1);
  // Cleared: the newest version answers, as without routing.
  assert.deepEqual((await routing('null')).json, {});
  const cleared = await infer({ key: 'member-1' });
  assert.equal(cleared.status, 400, 'the newest version (3, which takes another input) answers again');
});

test('a bad routing body is refused with a clear 400 and changes nothing', async () => {
  await routing(JSON.stringify({ split: [{ version: 1, weight: 1 }] }));
  const bad = await routing(JSON.stringify({ split: [{ version: 9, weight: 1 }] }));
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.error), /routing names version 9, not served \(serving: 1, 2, 3;/);
  const typo = await routing(JSON.stringify({ splt: [] }));
  assert.equal(typo.status, 400);
  assert.match(String(typo.json.error), /unknown key "routing\.splt" \(did you mean "split"\?\)/);
  assert.equal((await routing('{')).status, 400);
  assert.deepEqual((await routing('')).json, { split: [{ version: 1, weight: 1 }] });
});

test('changing the routing needs the admin token, as load and unload: 401 without it, and nothing changes', async () => {
  const before = await routing('');
  const r = await fetch(`${gw.url}/v2/repository/models/ab/routing`, { method: 'POST', body: JSON.stringify({ split: [{ version: 3, weight: 1 }] }) });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.deepEqual((await routing('')).json, before.json);
});

test('without explicit model control the routing route does not exist (404), as load and unload', async () => {
  const plain = await startTestGateway(repo, { workers: 1 });
  try {
    const r = await fetch(`${plain.url}/v2/repository/models/ab/routing`, { method: 'POST', body: '{}' });
    assert.equal(r.status, 404);
    assert.match(await r.text(), /model control is disabled/);
    // config.json's routing still applies: the split is not a control-mode feature.
    const v = await fetch(`${plain.url}/v2/models/ab/infer`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Infergate-Route-Key': 'member-7' },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: [...seededRows(1, 128, 3)] }] }),
    });
    assert.equal(v.status, 200);
    assert.ok(['1', '2'].includes(((await v.json()) as { model_version: string }).model_version));
  } finally {
    await plain.close();
  }
});
