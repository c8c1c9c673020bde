// The real CLI process: graceful shutdown and start-up refusals. SIGTERM while requests are in
// flight: every request gets an answer (200; test/server/drain.test.ts has the keep-alive
// details), none is cut off, and the process exits 0 after logging the drain. A model that
// fails to load stops start-up unless --exit-on-error false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { buildModel } from '../fixtures/onnx-builder.js';
import { makeTestRepo, seededRows, writeModel } from '../helpers/fixtures.js';
import { serveProcess as serve } from '../helpers/serve-process.js';

test('SIGTERM drains in-flight work and exits 0', { timeout: 60_000 }, async () => {
  const { repo } = makeTestRepo();
  const s = await serve(['--model-repository', repo, '--workers', '1', '--exit-on-error=false']);
  try {
    const k = 1000;
    const body = encodeFlatRequest({
      modelName: 'ranker', modelVersion: '', id: 'x', timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
      inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: new Uint8Array(seededRows(k, 128, 5).buffer) }],
    });
    // Each request on its own connection, fully written before the signal: a connection still in
    // the kernel's accept queue when the listener closes is refused by the kernel, not by us.
    const port = Number(new URL(s.url).port);
    const sent: Promise<void>[] = [];
    const inflight = Array.from({ length: 16 }, () => {
      const sock = connect(port, '127.0.0.1');
      const head = `POST /v2/models/ranker/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-flatbuffers\r\nContent-Length: ${body.byteLength}\r\nConnection: close\r\n\r\n`;
      sent.push(new Promise((resolve, reject) => {
        sock.once('error', reject);
        sock.write(head);
        sock.write(body, () => resolve());
      }));
      return new Promise<{ status: number; code: string | null; bytes: number }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        sock.on('data', (c: Buffer) => chunks.push(c));
        sock.once('error', reject);
        sock.once('close', () => {
          const text = Buffer.concat(chunks);
          const headEnd = text.indexOf('\r\n\r\n');
          const lines = text.subarray(0, Math.max(0, headEnd)).toString('latin1').split('\r\n');
          const code = /^x-infergate-error: (.*)$/im.exec(lines.join('\n'))?.[1] ?? null;
          resolve({ status: Number(lines[0]?.split(' ')[1] ?? 0), code, bytes: headEnd < 0 ? 0 : text.byteLength - headEnd - 4 });
        });
      });
    });
    await Promise.all(sent);
    await new Promise((r) => setTimeout(r, 100));
    s.child.kill('SIGTERM');
    const results = await Promise.all(inflight);
    for (const r of results) assert.equal(r.status, 200, `unexpected answer ${JSON.stringify(r)}`);
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
    // Traffic first (by count, not by time: a busy machine may serve little in a fixed wait).
    const t0 = performance.now();
    while ((statuses.get('200') ?? 0) <= 50 && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
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
