// Graceful shutdown of the real CLI process: SIGTERM while requests are in flight. Every request
// gets an answer (200 when it was accepted, 503 IG_SHUTTING_DOWN after the drain began), none is
// cut off, and the process exits 0 after logging the drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { makeTestRepo, seededRows } from '../helpers/fixtures.js';

const bin = fileURLToPath(new URL('../../../bin/infergate.js', import.meta.url));

test('SIGTERM drains in-flight work and exits 0', { timeout: 60_000 }, async () => {
  const { repo } = makeTestRepo();
  const child = spawn(process.execPath, [bin, 'serve', '--model-repository', repo, '--port', '0', '--workers', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => { log += c.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    child.stderr.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) { clearTimeout(t); resolve(m[1]!); }
    });
    child.on('exit', (code) => reject(new Error(`server exited early with ${code}:\n${log}`)));
  });
  try {
    const k = 1000;
    const body = encodeFlatRequest({
      modelName: 'ranker', modelVersion: '', id: 'x', timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
      inputs: [{ name: 'features', datatype: 'FP32', shape: [k, 128], data: new Uint8Array(seededRows(k, 128, 5).buffer) }],
    });
    const inflight = Array.from({ length: 16 }, () =>
      fetch(`${url}/v2/models/ranker/infer`, { method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body })
        .then(async (r) => ({ status: r.status, code: r.headers.get('x-infergate-error'), bytes: (await r.arrayBuffer()).byteLength })));
    await new Promise((r) => setTimeout(r, 50));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const results = await Promise.all(inflight);
    for (const r of results) {
      assert.ok(r.status === 200 || (r.status === 503 && r.code === 'IG_SHUTTING_DOWN'), `unexpected answer ${JSON.stringify(r)}`);
    }
    assert.ok(results.some((r) => r.status === 200), 'requests accepted before SIGTERM were answered');
    assert.equal(await exited, 0, log);
    assert.match(log, /SIGTERM: draining/);
    assert.match(log, /drained/);
  } finally {
    child.kill('SIGKILL');
    rmSync(repo, { recursive: true, force: true });
  }
});
