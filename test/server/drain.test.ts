// The drain (README "Drain"): on SIGTERM readiness flips and the listener closes at once; every
// request already received, and every request that still arrives on a connection opened before
// the signal, is answered (never 503 IG_SHUTTING_DOWN), with `Connection: close`, and its
// connection is closed behind the answer; idle connections are closed; nothing is reset with a
// request outstanding; the process exits 0 when the last answer is out, or 1 at
// --exit-timeout-s. Clients are raw keep-alive sockets (test/helpers/keepalive-client.ts) that
// count every request written against every answer read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { makeReluRepo } from '../helpers/fixtures.js';
import { serveProcess } from '../helpers/serve-process.js';
import { startTestGateway } from '../helpers/gateway.js';
import { keepAliveLoop, rawPost } from '../helpers/keepalive-client.js';
import { WsConnection } from '../../bench/loadgen/ws-conn.js';
import { decodeFlatResponse, encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const reluRepo = (): string => makeReluRepo('infergate-drain-');

const INFER = rawPost('/v2/models/m/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, -1, 2, -2] }] }));

test('SIGTERM under 32 keep-alive clients in a closed loop: 0 lost, no 503, every connection ends behind Connection: close, exit 0', { timeout: 120_000 }, async () => {
  const repo = reluRepo();
  const s = await serveProcess(['--model-repository', repo, '--workers', '1']);
  try {
    const loops = Array.from({ length: 32 }, () => keepAliveLoop(s.port, INFER));
    await Promise.all(loops.map((l) => l.connected));
    await sleep(400);
    const signalMs = performance.now();
    s.child.kill('SIGTERM');
    const stats = await Promise.all(loops.map((l) => l.done));
    const code = await s.exited;
    const exitMs = performance.now() - signalMs;
    const sent = stats.reduce((n, x) => n + x.sent, 0);
    const answered = stats.reduce((n, x) => n + x.answered, 0);
    const lost = stats.reduce((n, x) => n + x.lost, 0);
    const detail = JSON.stringify({ sent, answered, lost, ended: stats.map((x) => `${x.ended}${x.error ? `:${x.error}` : ''}`), exitMs: Math.round(exitMs) });
    assert.ok(answered > 32 * 3, `traffic flowed before the signal: ${detail}`);
    assert.equal(lost, 0, `requests lost: ${detail}`);
    assert.equal(sent, answered, detail);
    const notOk = stats.flatMap((x) => x.answers).filter((a) => a.status !== 200);
    assert.deepEqual(notOk, [], 'every request on a connection open before the signal is served');
    for (const x of stats) assert.ok(x.ended === 'connection-close' || x.ended === 'idle-close', detail);
    assert.ok(stats.some((x) => x.ended === 'connection-close'), `connections busy at the signal end behind Connection: close: ${detail}`);
    assert.equal(code, 0, s.log());
    assert.match(s.log(), /SIGTERM: draining/);
    assert.match(s.log(), /drained; bye/);
  } finally {
    s.child.kill('SIGKILL');
    rmSync(repo, { recursive: true, force: true });
  }
});

/** Writes one request on an open socket and reads one whole response (Content-Length bodies). */
function exchange(sock: net.Socket, bytes: Buffer | string): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.byteLength < end + 4 + length) return;
      sock.off('data', onData);
      resolve({ status: Number(head.slice(9, 12)), head });
    };
    sock.on('data', onData);
    sock.once('close', () => reject(new Error('closed before the answer')));
    sock.write(bytes);
  });
}

/** A connected socket; `ended` resolves when it closes (registered before anything can). */
async function connect(port: number): Promise<net.Socket & { ended: Promise<unknown> }> {
  const sock = net.connect({ host: '127.0.0.1', port });
  const ended = once(sock, 'close').catch(() => undefined);
  await once(sock, 'connect');
  return Object.assign(sock, { ended });
}

test('drain: readiness and the listener at once; open connections still served with Connection: close, then closed; idle ones closed', { timeout: 60_000 }, async () => {
  const repo = reluRepo();
  const gw = await startTestGateway(repo, { workers: 1 });
  try {
    const busy = await connect(gw.port);
    const probe = await connect(gw.port);
    const idle = await connect(gw.port);
    const first = await exchange(busy, INFER);
    assert.equal(first.status, 200);
    assert.doesNotMatch(first.head, /connection: close/i, 'no Connection: close before the drain');
    await exchange(idle, 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n');

    const closing = gw.close();
    assert.equal(gw.manager.isReady(), false, 'not ready at once');
    await assert.rejects(connect(gw.port), /ECONNREFUSED/, 'the listener is closed at once');

    const served = await exchange(busy, INFER);
    assert.equal(served.status, 200, 'a request on a connection opened before the drain is served');
    assert.match(served.head, /\r\nconnection: close/i);
    const ready = await exchange(probe, 'GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(ready.status, 503);
    assert.match(ready.head, /\r\nconnection: close/i);
    await Promise.all([busy.ended, probe.ended]);
    await closing;
    await idle.ended;
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

test('drain on the WebSocket stream: requests received are answered, new frames get IG_SHUTTING_DOWN, then the stream closes', { timeout: 60_000 }, async () => {
  const repo = reluRepo();
  const gw = await startTestGateway(repo, { workers: 1 });
  try {
    const answers = new Map<string, string>();
    let closed!: (reason: string) => void;
    const closedP = new Promise<string>((resolve) => { closed = resolve; });
    let wake: () => void = () => {};
    const conn = await WsConnection.connect('127.0.0.1', gw.port, '/v2/stream', {
      onMessage(payload) {
        const r = decodeFlatResponse(new Uint8Array(payload));
        answers.set(r.id, r.error?.code ?? 'ok');
        wake();
      },
      onClose: (reason) => closed(reason),
    });
    const frame = (id: string): Uint8Array => encodeFlatRequest({ modelName: 'm', modelVersion: '', id, timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Uint8Array(new Float32Array([1, -1, 2, -2]).buffer) }] });
    const send = (id: string): void => { const f = frame(id); conn.sendBinary(f.byteLength, (p) => p.set(f)); };
    const answered = (n: number): Promise<void> => new Promise((resolve) => {
      wake = () => { if (answers.size >= n) resolve(); };
      wake();
    });
    for (let i = 0; i < 8; i++) send(`before-${i}`);
    // All eight received (answered, or in flight in the server) before the drain begins.
    while (answers.size + gw.server.inFlight < 8) await sleep(1);
    const closing = gw.close();
    await answered(8);
    send('after');
    await answered(9);
    for (let i = 0; i < 8; i++) assert.equal(answers.get(`before-${i}`), 'ok', 'a frame received before the drain is answered');
    assert.equal(answers.get('after'), 'IG_SHUTTING_DOWN');
    await closing;
    assert.match(await closedP, /1001|closed/);
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

test('--exit-timeout-s bounds the drain: a request that never completes its body, exit 1 at the timeout', { timeout: 60_000 }, async () => {
  const repo = reluRepo();
  const s = await serveProcess(['--model-repository', repo, '--workers', '1', '--exit-timeout-s', '2']);
  try {
    const sock = await connect(s.port);
    // The head promises 100 bytes; 10 come. The exchange stays in flight (uWS's own timeout for
    // a silent client is longer than this drain's limit).
    sock.write('POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"inputs":');
    await sleep(200);
    const t0 = performance.now();
    s.child.kill('SIGTERM');
    const code = await s.exited;
    const ms = performance.now() - t0;
    assert.equal(code, 1, s.log());
    assert.ok(ms >= 1900 && ms < 6000, `exited ${Math.round(ms)} ms after the signal`);
    assert.match(s.log(), /--exit-timeout-s 2: exiting with 1 request\(s\) unanswered/);
    sock.destroy();
  } finally {
    s.child.kill('SIGKILL');
    rmSync(repo, { recursive: true, force: true });
  }
});
