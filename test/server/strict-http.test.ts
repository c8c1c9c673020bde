// Strict HTTP at the edge (docs/http-edge.md). Raw requests over TCP, as a proxy or an attacker
// would send them. What infergate decides itself: 400 + close for a duplicate Content-Length
// or Host, 413 + close for a declared body over the limit (answered before any byte of it is
// read), Connection: close honoured, pipelining. What uWebSockets.js decides before JavaScript
// sees the request is pinned too, as safety properties: an ambiguous framing is never
// answered 2xx (it is closed, or held until the idle timeout), and HTTP/1.0 is answered on
// the --health-port listener.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { makeTestRepo } from '../helpers/fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { CASES, probe, type ProbeResult } from '../../scripts/probe-http-edge.js';
import { checkHead } from '../../src/server/strict-head.js';

let gw: TestGateway;
let repo: string;
const LIMIT = 1 << 20;

before(async () => {
  repo = makeTestRepo().repo;
  gw = await startTestGateway(repo, { workers: 1, maxBodyBytes: LIMIT, healthPort: 0 });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

const CRLF = '\r\n';
const send = (bytes: string | readonly string[], waitMs = 600): Promise<ProbeResult> => probe('127.0.0.1', gw.port, bytes, waitMs);
const caseBytes = (name: string): string | readonly string[] => {
  const c = CASES.find(([n]) => n === name);
  assert.ok(c, name);
  return c[1];
};

/** A refused head: the status, `Connection: close`, the JSON error code, and the close. */
function assertRefused(r: ProbeResult, status: string, what: string): void {
  assert.deepEqual(r.statuses, [status], `${what}: ${r.raw.slice(0, 200)}`);
  assert.match(r.raw, /\r\nConnection: close\r\n/i, what);
  assert.ok(r.closed, `${what}: the connection is closed behind the answer`);
}

test('duplicate or conflicting Content-Length, duplicate Host: 400 and close; the smuggled bytes are never served as a request', async () => {
  for (const name of ['POST two equal Content-Length', 'POST two different Content-Length', 'GET HTTP/1.1 two Host headers']) {
    assertRefused(await send(caseBytes(name) as string), '400', name);
  }
  // What would have been smuggled: a second request hidden in the "body" the second length claims.
  const smuggle = `POST /v2/repository/index HTTP/1.1${CRLF}Host: x${CRLF}Content-Length: 0${CRLF}Content-Length: 44${CRLF}${CRLF}`
    + `GET /v2/health/live HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`;
  // uWS would parse it as the next request as soon as the refused head's callback returns;
  // the refusal waits a turn, so uWS drops the connection instead (no answer to either).
  const r = await send(smuggle);
  assert.ok(!r.statuses.includes('200'), `the smuggled request was served: ${r.raw.slice(0, 300)}`);
  assert.ok(r.statuses.length === 0 || r.statuses.join() === '400', r.raw);
  assert.ok(r.closed);
});

test('a head over 16 KiB (which uWS takes whole when it arrives in one read) is 431 and close; 16 KiB passes', async () => {
  assertRefused(await send(caseBytes('head of 64 KiB') as string), '431', 'head of 64 KiB');
  const fits = `GET /v2/health/live HTTP/1.1${CRLF}Host: x${CRLF}X-Big: ${'a'.repeat(16 * 1024 - 100)}${CRLF}${CRLF}`;
  assert.deepEqual((await send(fits)).statuses, ['200']);
  assertRefused(await send(`GET /v2/health/live?${'q'.repeat(17 * 1024)} HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`), '431', 'a 17 KiB query');
});

test('a declared body over the limit is 413 and close at once, however large (up to what uWS hands over)', async () => {
  for (const n of [LIMIT + 1, 64 << 20, 999_999_999]) {
    const t0 = Date.now();
    const r = await send(`POST /v2/models/ranker/infer HTTP/1.1${CRLF}Host: x${CRLF}Content-Length: ${n}${CRLF}${CRLF}`);
    assertRefused(r, '413', `Content-Length ${n}`);
    assert.ok((r.closedAtMs ?? 1e9) < 500, `answered without waiting for the body (${Date.now() - t0} ms)`);
  }
  // At the limit: read and decoded (a 400 for the content, not a 413).
  const body = `{"inputs":[]}${' '.repeat(LIMIT - 13)}`;
  const r = await send(`POST /v2/models/ranker/infer HTTP/1.1${CRLF}Host: x${CRLF}Content-Length: ${LIMIT}${CRLF}${CRLF}${body}`, 2000);
  assert.deepEqual(r.statuses, ['400']);
});

test('what uWS refuses before JavaScript is never answered 2xx; lengths it cannot parse close the connection', async () => {
  const closedNoAnswer = ['POST Content-Length list "2, 2"', 'POST Transfer-Encoding chunked + Content-Length', 'POST chunked, bad chunk size',
    'POST Transfer-Encoding gzip', 'POST Content-Length -1', 'POST Content-Length +2', 'POST Content-Length abc', 'POST Content-Length 1000000000',
    'POST Content-Length 4294967298 (2^32 + 2)', 'POST Content-Length 99999999999999999999', 'lower-case method "get"', 'unknown method FOO'];
  const held = ['space before the colon', 'header line without a colon', 'header name with "@"', 'obs-fold continuation line', 'NUL byte in a header value',
    'bare LF line endings', 'garbage request line', 'request line without version', 'request line HTTP/1.2', 'HTTP/2 prior-knowledge preface',
    'GET HTTP/1.0 without Host', 'GET HTTP/1.1 without Host', '50 extra headers (51 in all)', '200 extra headers'];
  const results = await Promise.all([...closedNoAnswer, ...held].map(async (name) => [name, await send(caseBytes(name))] as const));
  for (const [name, r] of results) {
    assert.deepEqual(r.statuses, [], `${name}: no answer at all (uWS never hands it over): ${r.raw.slice(0, 100)}`);
    if (closedNoAnswer.includes(name)) assert.ok(r.closed, `${name}: closed`);
  }
});

test('well-formed requests: Connection: close honoured, pipelining, chunked bodies, a fragmented head, Expect: 100-continue', async () => {
  const close = await send(caseBytes('GET HTTP/1.1 Connection: close') as string);
  assert.deepEqual(close.statuses, ['200']);
  assert.ok(close.closed);
  const keep = await send(caseBytes('GET HTTP/1.1 with Host (baseline)') as string);
  assert.deepEqual(keep.statuses, ['200']);
  assert.ok(!keep.closed, 'HTTP/1.1 keeps the connection');
  assert.deepEqual((await send(caseBytes('two pipelined GETs') as string)).statuses, ['200', '200']);
  assert.deepEqual((await send(caseBytes('POST Transfer-Encoding chunked (valid)') as string)).statuses, ['200']);
  assert.deepEqual((await send(caseBytes('request split byte by byte (first 20 bytes)'), 300)).statuses, ['200']);
  assert.deepEqual((await send(caseBytes('Expect: 100-continue') as string)).statuses, ['100']);
});

test('--health-port answers HTTP/1.0 (HAProxy option httpchk, ab) and closes; other paths 404', async () => {
  const port = gw.server.healthPort!;
  assert.ok(port > 0);
  const raw = (bytes: string): Promise<ProbeResult> => probe('127.0.0.1', port, bytes, 1000);
  for (const path of ['/v2/health/live', '/v2/health/ready']) {
    const r = await raw(`GET ${path} HTTP/1.0${CRLF}${CRLF}`);
    assert.deepEqual(r.statuses, ['200'], r.raw);
    assert.ok(r.closed, 'HTTP/1.0 without keep-alive: closed after the answer');
  }
  assert.deepEqual((await raw(`OPTIONS / HTTP/1.0${CRLF}${CRLF}`)).statuses, ['404']);
  assert.deepEqual((await raw(`POST /v2/health/ready HTTP/1.0${CRLF}Content-Length: 0${CRLF}${CRLF}`)).statuses, ['405']);
  assert.deepEqual((await raw(`GET /v2/health/ready HTTP/1.1${CRLF}${CRLF}`)).statuses, ['400'], 'Node\'s parser: HTTP/1.1 without Host is a 400');
  assert.deepEqual((await raw(`GET /v2/health/ready HTTP/1.1${CRLF}Host: x${CRLF}Content-Length: 1${CRLF}Content-Length: 2${CRLF}${CRLF}`)).statuses, ['400']);
  // Keep-alive when asked for.
  const status = await new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/v2/health/ready', method: 'HEAD' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  });
  assert.equal(status, 200);
});

test('checkHead: a missing Host (HTTP/1.1) and a Transfer-Encoding other than chunked are 400, should uWS ever hand them over', () => {
  const head = (h: Record<string, string>, repeats = { contentLength: 0, host: 0, transferEncoding: 0 }): { headers: Map<string, string>; repeats: typeof repeats; headBytes: number } =>
    ({ headers: new Map(Object.entries(h)), repeats, headBytes: 100 });
  assert.equal(checkHead(head({}), LIMIT)?.message, 'HTTP/1.1 requests must carry a Host header');
  assert.equal(checkHead(head({ host: 'x', 'transfer-encoding': 'gzip' }, { contentLength: 0, host: 1, transferEncoding: 1 }), LIMIT)?.code, 'IG_BAD_REQUEST');
  assert.equal(checkHead(head({ host: 'x', 'content-length': '12', 'transfer-encoding': 'chunked' }, { contentLength: 1, host: 1, transferEncoding: 1 }), LIMIT)?.message,
    'Transfer-Encoding together with Content-Length');
  assert.equal(checkHead(head({ host: 'x', 'content-length': '-1' }, { contentLength: 1, host: 1, transferEncoding: 0 }), LIMIT)?.code, 'IG_BAD_REQUEST');
  assert.equal(checkHead(head({ host: 'x', 'content-length': '12' }, { contentLength: 1, host: 1, transferEncoding: 0 }), LIMIT), undefined);
  assert.equal(checkHead(head({ host: 'x', 'transfer-encoding': 'chunked' }, { contentLength: 0, host: 1, transferEncoding: 1 }), LIMIT), undefined);
});

test('idle and slow clients are timed out by uWS (about 10 s): an idle keep-alive connection, a head that never ends', { timeout: 40_000 }, async () => {
  const t0 = Date.now();
  const closedAfter = (first: string): Promise<number> => new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port: gw.port }, () => sock.write(first));
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.on('close', () => resolve(Date.now() - t0));
  });
  const [idle, slow] = await Promise.all([
    closedAfter(`GET /v2/health/live HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`),
    closedAfter(`GET /v2/health/live HTTP/1.1${CRLF}Host: x${CRLF}X-Slow: `),
  ]);
  for (const [what, ms] of [['idle', idle], ['slow head', slow]] as const) {
    assert.ok(ms >= 5_000 && ms <= 20_000, `${what} connection closed after ${ms} ms`);
  }
});
