// The real CLI process: graceful shutdown and start-up refusals. SIGTERM while requests are in
// flight: every request gets an answer (200 when it was accepted, 503 IG_SHUTTING_DOWN after the
// drain began), none is cut off, and the process exits 0 after logging the drain. A model that
// fails to load stops start-up unless --exit-on-error false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { buildModel } from '../fixtures/onnx-builder.js';
import { makeTestRepo, seededRows, writeModel } from '../helpers/fixtures.js';

const bin = fileURLToPath(new URL('../../../bin/infergate.js', import.meta.url));

interface Served { child: ChildProcess; url: string; log: () => string; exited: Promise<number | null> }

/** Starts `infergate serve`; resolves once it listens (rejects with the log if it exits first). */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout!.on('data', (c: Buffer) => { log += c.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) { clearTimeout(t); resolve(m[1]!); }
    });
    void exited.then((code) => { clearTimeout(t); reject(Object.assign(new Error(`server exited early with ${code}:\n${log}`), { code, log })); });
  });
  return { child, url, log: () => log, exited };
}

test('SIGTERM drains in-flight work and exits 0', { timeout: 60_000 }, async () => {
  const { repo } = makeTestRepo();
  const s = await serve(['--model-repository', repo, '--workers', '1', '--exit-on-error=false']);
  try {
    const k = 1000;
    const body = encodeFlatRequest({
      modelName: 'ranker', modelVersion: '', id: 'x', timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
      inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: new Uint8Array(seededRows(k, 128, 5).buffer) }],
    });
    const inflight = Array.from({ length: 16 }, () =>
      fetch(`${s.url}/v2/models/ranker/infer`, { method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body })
        .then(async (r) => ({ status: r.status, code: r.headers.get('x-infergate-error'), bytes: (await r.arrayBuffer()).byteLength })));
    // Signal once a request has been accepted: its decode is timed (/metrics) just before it
    // enters the model's queue. A fixed 50 ms raced the 512 KiB uploads on a loaded machine.
    const decoded = async (): Promise<number> => Number(/^infergate_decode_duration_us_count\{format="flatbuffers"\} (\d+)/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1] ?? 0);
    for (const until = Date.now() + 20_000; (await decoded()) < 1 && Date.now() < until;) await new Promise((r) => setTimeout(r, 5));
    s.child.kill('SIGTERM');
    const results = await Promise.all(inflight);
    for (const r of results) {
      assert.ok(r.status === 200 || (r.status === 503 && r.code === 'IG_SHUTTING_DOWN'), `unexpected answer ${JSON.stringify(r)}`);
    }
    assert.ok(results.some((r) => r.status === 200), 'requests accepted before SIGTERM were answered');
    assert.equal(await s.exited, 0, s.log());
    assert.match(s.log(), /SIGTERM: draining/);
    assert.match(s.log(), /drained/);
  } finally {
    s.child.kill('SIGKILL');
    rmSync(repo, { recursive: true, force: true });
  }
});

test('SIGTERM with 50 models under traffic exits 0 within 2 s of the last answer', { timeout: 120_000 }, async () => {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-50-'));
  const model = buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 4] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  for (let i = 0; i < 50; i++) writeModel(repo, `m${i}`, model, { max_batch_size: 16 });
  const s = await serve(['--model-repository', repo, '--workers', '2']);
  try {
    const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, -1, 2, -2] }] });
    let stop = false;
    let lastAnswerMs = 0;
    const statuses = new Map<string, number>();
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await fetch(`${s.url}/v2/models/m${(c * 7 + i) % 50}/infer`, { method: 'POST', body });
          await r.arrayBuffer();
          lastAnswerMs = performance.now();
          const key = r.status === 200 ? '200' : `${r.status} ${r.headers.get('x-infergate-error')}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        } catch {
          stop = true; // the listener closed: the drain is on
        }
      }
    });
    // Signal once traffic is flowing (more than 50 answers), however loaded the machine is.
    for (const until = Date.now() + 20_000; (statuses.get('200') ?? 0) <= 50 && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    s.child.kill('SIGTERM');
    const code = await s.exited;
    const exitMs = performance.now();
    stop = true;
    await Promise.all(clients);
    assert.equal(code, 0, s.log());
    assert.ok(exitMs - lastAnswerMs < 2000, `exited ${Math.round(exitMs - lastAnswerMs)} ms after the last answer`);
    for (const k of statuses.keys()) assert.ok(k === '200' || k === '503 IG_SHUTTING_DOWN', `unexpected answers: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get('200') ?? 0) > 50, `traffic was served before the signal: ${JSON.stringify([...statuses])}`);
  } finally {
    s.child.kill('SIGKILL');
    rmSync(repo, { recursive: true, force: true });
  }
});

test('a model that fails to load stops start-up (exit 1, the reason logged); --exit-on-error false serves the rest', { timeout: 60_000 }, async () => {
  const { repo } = makeTestRepo();
  try {
    await assert.rejects(serve(['--model-repository', repo, '--workers', '1']), (e: Error & { code?: number; log?: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.log ?? '', /model broken version 1: load failed/);
      assert.match(e.log ?? '', /--exit-on-error/);
      return true;
    });
    const s = await serve(['--model-repository', repo, '--workers', '1', '--exit-on-error=false']);
    try {
      assert.equal((await fetch(`${s.url}/v2/models/ranker/ready`)).status, 200);
      assert.match(s.log(), /try: curl -s http:\/\/\S+\/v2\/models\/ranker["\n]/, 'the hint names a model that loaded');
    } finally {
      s.child.kill('SIGTERM');
      assert.equal(await s.exited, 0);
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
