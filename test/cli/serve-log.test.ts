// `infergate serve` as a log collector sees it (stderr is a pipe, so the default format is JSON):
// every line one JSON object, the start-up configuration first, a load line with its timing, and
// the drain at the end; --log-level warn leaves only warnings and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { makeTestRepo } from '../helpers/fixtures.js';

const bin = fileURLToPath(new URL('../../../bin/infergate.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts serve on a free port and waits until it answers ready (the listening line is info,
 *  which --log-level warn leaves out, so the log cannot be the signal). */
async function serveUntilReady(args: string[]): Promise<{ stop: () => Promise<string[]>; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--workers', '1', '--exit-on-error=false', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  let exitCode: number | null | undefined;
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) assert.fail(`serve exited early (${exitCode}):\n${err}`);
    if (Date.now() > deadline) assert.fail(`serve not ready within 30 s:\n${err}`);
    const ok = await fetch(`${url}/v2/health/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, err);
      assert.equal(out, '', 'serve writes nothing to stdout');
      return err.split('\n').filter((l) => l !== '');
    },
  };
}

test('serve logs JSON lines: configuration, loads with timings, drain', { timeout: 60_000 }, async () => {
  const { repo } = makeTestRepo();
  try {
    const s = await serveUntilReady(['--model-repository', repo]);
    const r = await fetch(`${s.url}/v2/models/ranker/infer`, {
      method: 'POST', body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: new Array(128).fill(0) }] }),
    });
    assert.equal(r.status, 200);
    const lines = (await s.stop()).map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`not a JSON line: ${l}`);
      }
    });
    assert.equal(lines[0]!['msg'], 'configuration');
    assert.ok(lines.some((l) => l['url'] === s.url && l['ready'] === true), 'the listening line carries the url');
    const config = lines[0]!['config'] as Record<string, unknown>;
    assert.equal(config['modelRepository'], repo);
    assert.equal(config['workers'], 1);
    assert.deepEqual(lines[0]!['given'], { modelRepository: 'flag', port: 'flag', workers: 'flag', exitOnError: 'flag' });
    assert.ok(lines.some((l) => l['model'] === 'ranker' && typeof l['loadMs'] === 'number'), 'a load line with its timing');
    assert.ok(lines.some((l) => l['level'] === 'error' && l['model'] === 'broken'), 'the broken model is logged at error');
    assert.ok(lines.some((l) => typeof l['drainMs'] === 'number'), 'the drain is logged with its duration');
    // Warned exactly when the allocator setting the README asks for is missing (this test's own env).
    const mallocWarned = lines.some((l) => l['level'] === 'warn' && /MALLOC_MMAP_THRESHOLD_ is not set/.test(String(l['msg'])));
    assert.equal(mallocWarned, process.env['MALLOC_MMAP_THRESHOLD_'] === undefined);
    assert.ok(!lines.some((l) => /infer/.test(String(l['url'] ?? '')) && l['status'] === 200), 'no line per successful request');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('--log-level warn keeps only warnings and errors', { timeout: 60_000 }, async () => {
  const { repo } = makeTestRepo();
  try {
    const s = await serveUntilReady(['--model-repository', repo, '--log-level', 'warn', '--log-format', 'json']);
    const levels = new Set((await s.stop()).map((l) => (JSON.parse(l) as { level: string }).level));
    assert.deepEqual([...levels].filter((l) => l !== 'warn' && l !== 'error'), []);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('a serve that fails to start says why as a JSON line too (a bad option, a port in use)', () => {
  const bad = spawnSync(process.execPath, [bin, 'serve', '--model-repository', '/nonexistent', '--workers', 'lots'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(bad.status, 2);
  const lines = bad.stderr.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 1, bad.stderr);
  assert.equal(lines[0]!['level'], 'error');
  assert.equal(lines[0]!['exitCode'], 2);
  assert.match(String(lines[0]!['msg']), /^infergate serve: .*--workers/);
  const pretty = spawnSync(process.execPath, [bin, 'serve', '--workers', 'lots', '--log-format', 'pretty'], { encoding: 'utf8', timeout: 30_000 });
  assert.match(pretty.stderr, /ERROR +infergate serve: .*--workers/i);
});
