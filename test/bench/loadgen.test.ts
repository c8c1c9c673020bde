// The load generator's accounting and percentiles, against tiny in-test node:http servers whose
// answers are fully controlled: which requests fail, with which status, which are slow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OPTIONS, parseArgs, UsageError, validateOptions, type LoadOptions } from '../../bench/loadgen/options.js';
import { runLoad } from '../../bench/loadgen/runner.js';
import type { LoadResult } from '../../bench/loadgen/result.js';

const cliPath = fileURLToPath(new URL('../../bench/loadgen/cli.js', import.meta.url));

interface Tally { posts: number; byStatus: Map<number, number>; destroyed: number }

/** A server that answers POSTs by their arrival number n (1-based) through `decide`. */
function startServer(decide: (n: number) => { status?: number; delayMs?: number; destroy?: boolean }): Promise<{ server: Server; url: string; tally: Tally }> {
  const tally: Tally = { posts: 0, byStatus: new Map(), destroyed: 0 };
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const n = ++tally.posts;
    const d = decide(n);
    req.resume();
    req.on('end', () => {
      if (d.destroy) {
        tally.destroyed++;
        req.socket.destroy();
        return;
      }
      const status = d.status ?? 200;
      const answer = (): void => {
        tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
        res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': 4 }).end(Buffer.alloc(4));
      };
      if (d.delayMs) setTimeout(answer, d.delayMs);
      else answer();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, tally });
  }));
}

const close = (s: Server): Promise<void> => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); });

function opts(url: string, extra: Partial<LoadOptions>): LoadOptions {
  return validateOptions({ ...DEFAULT_OPTIONS, url, protocol: 'raw', workload: 'k1', inputName: 'x', features: 4, durationS: 1, warmupS: 0, quiet: true, ...extra });
}

test('closed loop: sent = answered + errors, errors counted by status and by kind, matching the server', { timeout: 30_000 }, async () => {
  const { server, url, tally } = await startServer((n) =>
    n % 50 === 0 ? { destroy: true } : n % 7 === 0 ? { status: 503 } : n % 13 === 0 ? { status: 404 } : {});
  try {
    const r = await runLoad(opts(url, { mode: 'closed', concurrency: 4 }));
    assert.ok(r.counts.sent > 100, `too few requests to judge (${r.counts.sent})`);
    assert.equal(r.counts.sent, r.counts.answered + r.counts.errors);
    assert.equal(r.counts.sent, tally.posts);
    assert.equal(r.counts.answered, tally.byStatus.get(200));
    assert.equal(r.counts.errorsByStatus['503'], tally.byStatus.get(503));
    assert.equal(r.counts.errorsByStatus['404'], tally.byStatus.get(404));
    assert.equal(r.counts.errorsByStatus['conn'], tally.destroyed);
    assert.ok(tally.destroyed > 0);
    assert.equal(r.latencyUs.count, r.counts.answered, 'latency is recorded for successes only');
    assert.equal(r.counts.rowsAnswered, r.counts.answered, 'k1: one row per request');
    assert.equal(r.server, null, 'no /metrics on this server');
  } finally {
    await close(server);
  }
});

test('open loop at a fixed rate: scheduled = sent + unsent, sent = answered + errors', { timeout: 30_000 }, async () => {
  const { server, url, tally } = await startServer((n) => (n % 10 === 0 ? { status: 429 } : {}));
  try {
    const r = await runLoad(opts(url, { mode: 'open', rate: 400, arrival: 'fixed', connections: 8, durationS: 1 }));
    assert.ok(r.counts.scheduled >= 398 && r.counts.scheduled <= 402, `scheduled ${r.counts.scheduled}, expected ~400`);
    assert.equal(r.counts.scheduled, r.counts.sent + r.counts.unsent);
    assert.equal(r.counts.sent, r.counts.answered + r.counts.errors);
    assert.equal(r.counts.sent, tally.posts);
    assert.equal(r.counts.errorsByStatus['429'], tally.byStatus.get(429));
    assert.ok(r.serviceLatencyUs !== null, 'open loop reports latency from the actual send too');
  } finally {
    await close(server);
  }
});

test('an induced delay on every 10th request shows in p95/p99 but not p50 (load generator in its own process)', { timeout: 30_000 }, async () => {
  const delayMs = 50;
  const { server, url } = await startServer((n) => (n % 10 === 0 ? { delayMs } : {}));
  const dir = mkdtempSync(join(tmpdir(), 'loadgen-test-'));
  try {
    const out = join(dir, 'r.json');
    await new Promise<void>((resolve, reject) => execFile(process.execPath, [cliPath, '--url', url, '--protocol', 'raw', '--features', '4', '--input-name', 'x',
      '--concurrency', '1', '--duration-s', '1.5', '--warmup-s', '0', '--json', out, '--quiet'], (e) => (e ? reject(e) : resolve())));
    const r = JSON.parse(readFileSync(out, 'utf8')) as LoadResult;
    assert.equal(r.counts.errors, 0);
    assert.ok(r.counts.answered >= 20, `too few requests (${r.counts.answered})`);
    // Timers may fire up to ~1 ms before their nominal time in wall-clock terms; allow 10%.
    assert.ok(r.latencyUs.p95 >= delayMs * 900, `p95 ${r.latencyUs.p95} us should include the ${delayMs} ms delay`);
    assert.ok(r.latencyUs.p99 >= delayMs * 900, `p99 ${r.latencyUs.p99} us should include the delay`);
    assert.ok(r.latencyUs.p50 < delayMs * 900, `p50 ${r.latencyUs.p50} us should not`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await close(server);
  }
});

test('options: contradictions and bad values are usage errors with the flag named', () => {
  assert.throws(() => parseArgs(['--url', 'http://h:1', '--mode', 'open']), (e: unknown) => e instanceof UsageError && /--rate is required/.test(e.message));
  assert.throws(() => parseArgs(['--url', 'ftp://h']), /--url must be an http:\/\/ URL/);
  assert.throws(() => parseArgs(['--url', 'http://h:1', '--rate', '-3']), /--rate must be a positive number \(got "-3"\)/);
  assert.throws(() => parseArgs(['--url', 'http://h:1', '--protocol', 'grpc']), /--protocol must be one of/);
  assert.throws(() => parseArgs(['--url', 'http://h:1', '--concurrency', '4', '--connections', '2']), /must equal --concurrency/);
  assert.throws(() => parseArgs(['--url', 'http://h:1', '--bogus']), /unknown option "--bogus"/);
  const o = parseArgs(['--url', 'http://h:1', '--mode', 'open', '--rate', '100']);
  assert.equal(o.connections, 64);
  assert.equal(parseArgs(['--url', 'http://h:1', '--protocol', 'ws', '--concurrency', '600']).connections, 3);
});

test('the CLI exits 2 with a usage message on bad options', { timeout: 30_000 }, async () => {
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = execFile(process.execPath, [cliPath, '--url', 'http://127.0.0.1:1', '--workload', 'k7'], (_e, _o, stderr) => resolve({ code: p.exitCode, stderr }));
  });
  assert.equal(code, 2);
  assert.match(stderr, /--workload must be one of k1\|k200\|k1000\|mixed/);
});
