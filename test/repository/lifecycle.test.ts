// Model lifecycle at the scale and under the traffic of real repositories (issue 15): a thousand
// models in one repository, reloads while the model serves, exit on a failed load, and a port
// that another process holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildModel } from '../fixtures/onnx-builder.js';
import { ADMIN_AUTH, startTestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';

/** x float32[N,2] -> y = x + [1, 2]: tiny, so a thousand copies load in seconds. */
function tinyModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 2] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 2] }],
    initializers: [{ name: 'b', dtype: 'float32', dims: [2], data: new Float32Array([1, 2]) }],
    nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
  });
}

const body = (a: number, b: number): string => JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [a, b] }] });

async function infer(url: string, model: string, a: number, b: number): Promise<{ status: number; data?: number[]; error?: string }> {
  const r = await fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', body: body(a, b) });
  const j = await r.json() as { outputs?: { data: number[] }[]; error?: string };
  return { status: r.status, data: j.outputs?.[0]?.data, error: j.error };
}

test('1,000 models in one repository: every one READY, and every one answers', { timeout: 300_000 }, async () => {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-1000-'));
  const bytes = tinyModel();
  const n = 1000;
  for (let i = 0; i < n; i++) writeModel(repo, `m${String(i).padStart(4, '0')}`, bytes, { max_batch_size: 8 });
  const t0 = performance.now();
  const gw = await startTestGateway(repo, { workers: 2 });
  const loadS = (performance.now() - t0) / 1000;
  try {
    assert.equal(gw.manager.readyModels().length, n, gw.logs.filter((l) => l.startsWith('error')).slice(0, 5).join('\n'));
    assert.equal((await fetch(`${gw.url}/v2/health/ready`)).status, 200);
    const names = gw.manager.readyModels();
    let next = 0;
    const failures: string[] = [];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = next++; i < names.length; i = next++) {
        const r = await infer(gw.url, names[i]!, i, -i);
        if (r.status !== 200 || r.data?.[0] !== i + 1 || r.data?.[1] !== 2 - i) failures.push(`${names[i]}: ${r.status} ${r.error ?? JSON.stringify(r.data)}`);
      }
    }));
    assert.deepEqual(failures, []);
    console.log(`# ${n} models READY in ${loadS.toFixed(1)} s; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

test('200 reloads of a model while it serves traffic: zero failed requests', { timeout: 180_000 }, async () => {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-reload-'));
  writeModel(repo, 'm', tinyModel(), { max_batch_size: 8 });
  const gw = await startTestGateway(repo, { workers: 2, modelControlMode: 'explicit' });
  try {
    let reloading = true;
    const bad: string[] = [];
    let answered = 0;
    const clients = Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; reloading; i++) {
        const r = await infer(gw.url, 'm', c, i);
        if (r.status === 200 && r.data?.[0] === c + 1 && r.data?.[1] === i + 2) answered++;
        else bad.push(`${r.status} ${r.error ?? JSON.stringify(r.data)}`);
      }
    });
    const reloadFailures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${gw.url}/v2/repository/models/m/load`, { method: 'POST', headers: ADMIN_AUTH });
      if (r.status !== 200) reloadFailures.push(`${r.status} ${await r.text()}`);
    }
    reloading = false;
    await Promise.all(clients);
    assert.deepEqual(reloadFailures, []);
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} failed requests`);
    assert.ok(answered > 200, `traffic ran through the reloads (${answered} answers)`);
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

test('--exit-on-error: a model that fails to load fails start-up when true, and the rest serve when false', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-exit-'));
  writeModel(repo, 'good', tinyModel(), { max_batch_size: 8 });
  writeModel(repo, 'broken', new TextEncoder().encode('not onnx'), { max_batch_size: 8 });
  try {
    await assert.rejects(startTestGateway(repo, { exitOnError: true }), (e: Error) => {
      assert.equal(e.name, 'ModelLoadError');
      assert.match(e.message, /broken/);
      assert.match(e.message, /--exit-on-error/);
      return true;
    });
    const gw = await startTestGateway(repo, { exitOnError: false });
    try {
      assert.equal((await fetch(`${gw.url}/v2/health/ready`)).status, 200);
      assert.equal((await infer(gw.url, 'good', 1, 1)).status, 200);
      assert.ok(gw.logs.some((l) => l.startsWith('error: model broken version 1: load failed')), 'the failure is logged at error');
    } finally {
      await gw.close();
    }
    // --strict-readiness: ready only while every model is.
    const strict = await startTestGateway(repo, { exitOnError: false, strictReadiness: true });
    try {
      assert.equal((await fetch(`${strict.url}/v2/health/ready`)).status, 503);
    } finally {
      await strict.close();
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('a port another process listens on is refused with a clear error', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-port-'));
  writeModel(repo, 'good', tinyModel(), { max_batch_size: 8 });
  const first = await startTestGateway(repo);
  try {
    const { createGateway } = await import('../../src/gateway.js');
    const quiet = () => {};
    await assert.rejects(createGateway({
      modelRepository: repo, modelControlMode: 'none', pool: { workers: 1 }, exitOnError: false,
      server: { host: '127.0.0.1', port: first.port, maxBodyBytes: 1 << 20 },
      log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    }), /port is in use/);
    assert.equal((await infer(first.url, 'good', 0, 0)).status, 200, 'the first gateway still serves');
  } finally {
    await first.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

test('an empty repository says so, and the server is not ready', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-empty-'));
  const gw = await startTestGateway(repo);
  try {
    assert.equal((await fetch(`${gw.url}/v2/health/ready`)).status, 503);
    assert.ok(gw.logs.some((l) => /holds no model directory/.test(l)), gw.logs.join('\n'));
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
});
