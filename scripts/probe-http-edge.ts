// Probes what an HTTP/1.x server does with malformed, ambiguous and legacy requests, over raw
// TCP sockets: for each case, the status line it answered with (or "closed" / "held"), whether
// it closed the connection afterwards, and (for the bare uWS app) what the route handler saw.
//
//   npm run probe:http                      probes a bare uWebSockets.js app (the build in
//                                           node_modules) with routes registered as infergate's
//   npm run probe:http -- HOST:PORT         probes a running server (e.g. infergate serve)
//
// Prints a Markdown table (docs/http-edge.md holds the results for the pinned uWS build).
// "held" means no byte came back and the connection was still open after the wait.
// test/server/strict-http.test.ts sends the same cases to infergate.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import uWS from 'uWebSockets.js';

const WAIT_MS = Number(process.env.PROBE_WAIT_MS ?? 800);
const CRLF = '\r\n';
const head = (lines: string[]): string => lines.join(CRLF) + CRLF + CRLF;

/** [name, bytes to send: one string, or chunks sent 50 ms apart] (latin1). */
export const CASES: ReadonlyArray<readonly [string, string | string[]]> = [
  ['GET HTTP/1.1 with Host (baseline)', head(['GET /v2/health/live HTTP/1.1', 'Host: x'])],
  ['GET HTTP/1.1 Connection: close', head(['GET /v2/health/live HTTP/1.1', 'Host: x', 'Connection: close'])],
  ['GET HTTP/1.0 without Host', head(['GET /v2/health/live HTTP/1.0'])],
  ['GET HTTP/1.0 with Host', head(['GET /v2/health/live HTTP/1.0', 'Host: x'])],
  ['GET HTTP/1.0 Connection: keep-alive', head(['GET /v2/health/live HTTP/1.0', 'Host: x', 'Connection: keep-alive'])],
  ['HAProxy option httpchk (OPTIONS / HTTP/1.0)', head(['OPTIONS / HTTP/1.0'])],
  ['HAProxy httpchk GET /v2/health/ready HTTP/1.0', head(['GET /v2/health/ready HTTP/1.0'])],
  ['GET HTTP/1.1 without Host', head(['GET /v2/health/live HTTP/1.1'])],
  ['GET HTTP/1.1 two Host headers', head(['GET /v2/health/live HTTP/1.1', 'Host: a', 'Host: b'])],
  ['POST two equal Content-Length', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 2', 'Content-Length: 2']) + '{}'],
  ['POST two different Content-Length', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 2', 'Content-Length: 40']) + '{}'],
  ['POST Content-Length list "2, 2"', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 2, 2']) + '{}'],
  ['POST Transfer-Encoding chunked + Content-Length', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked', 'Content-Length: 2']) + `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`],
  ['POST Transfer-Encoding chunked (valid)', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked']) + `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`],
  ['POST chunked, bad chunk size', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked']) + `zz${CRLF}{}${CRLF}0${CRLF}${CRLF}`],
  ['POST Transfer-Encoding gzip', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Transfer-Encoding: gzip']) + '{}'],
  ['POST Content-Length -1', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: -1']) + '{}'],
  ['POST Content-Length +2', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: +2']) + '{}'],
  ['POST Content-Length abc', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: abc']) + '{}'],
  ['POST Content-Length 999999999 (no body)', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 999999999'])],
  ['POST Content-Length 1000000000', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 1000000000'])],
  ['POST Content-Length 4294967298 (2^32 + 2)', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 4294967298']) + '{}'],
  ['POST Content-Length 99999999999999999999', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 99999999999999999999'])],
  ['POST without Content-Length, with body', head(['POST /v2/repository/index HTTP/1.1', 'Host: x']) + '{}'],
  ['space before the colon', head(['GET /v2/health/live HTTP/1.1', 'Host : x'])],
  ['header line without a colon', head(['GET /v2/health/live HTTP/1.1', 'Host: x', 'NoColonHere'])],
  ['header name with "@"', head(['GET /v2/health/live HTTP/1.1', 'Host: x', 'X@Y: 1'])],
  ['obs-fold continuation line', head(['GET /v2/health/live HTTP/1.1', 'Host: x', 'X-A: 1', ' folded'])],
  ['NUL byte in a header value', head(['GET /v2/health/live HTTP/1.1', 'Host: x', 'X-A: a\0b'])],
  ['bare LF line endings', 'GET /v2/health/live HTTP/1.1\nHost: x\n\n'],
  ['garbage request line', head(['HELLO', 'Host: x'])],
  ['request line without version', head(['GET /v2/health/live', 'Host: x'])],
  ['request line HTTP/1.2', head(['GET /v2/health/live HTTP/1.2', 'Host: x'])],
  ['request line HTTP/2.0', head(['GET /v2/health/live HTTP/2.0', 'Host: x'])],
  ['HTTP/2 prior-knowledge preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['lower-case method "get"', head(['get /v2/health/live HTTP/1.1', 'Host: x'])],
  ['unknown method FOO', head(['FOO /v2/health/live HTTP/1.1', 'Host: x'])],
  ['absolute-form target', head(['GET http://x/v2/health/live HTTP/1.1', 'Host: x'])],
  ['two spaces in the request line', head(['GET  /v2/health/live HTTP/1.1', 'Host: x'])],
  ['49 extra headers (50 in all)', head(['GET /v2/health/live HTTP/1.1', 'Host: x', ...Array.from({ length: 49 }, (_, i) => `X-H${i}: ${i}`)])],
  ['50 extra headers (51 in all)', head(['GET /v2/health/live HTTP/1.1', 'Host: x', ...Array.from({ length: 50 }, (_, i) => `X-H${i}: ${i}`)])],
  ['200 extra headers', head(['GET /v2/health/live HTTP/1.1', 'Host: x', ...Array.from({ length: 200 }, (_, i) => `X-H${i}: ${i}`)])],
  ['head of 4000 bytes', head(['GET /v2/health/live HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(3950)}`])],
  ['head of 4200 bytes', head(['GET /v2/health/live HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(4150)}`])],
  ['head of 4200 bytes in 2 chunks', ((s) => [s.slice(0, 100), s.slice(100)])(head(['GET /v2/health/live HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(4150)}`]))],
  ['head of 64 KiB', head(['GET /v2/health/live HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(65536)}`])],
  ['URL of 8 KiB', head([`GET /v2/health/live?${'q'.repeat(8192)} HTTP/1.1`, 'Host: x'])],
  ['Expect: 100-continue', head(['POST /v2/repository/index HTTP/1.1', 'Host: x', 'Content-Length: 2', 'Expect: 100-continue'])],
  ['two pipelined GETs', head(['GET /v2/health/live HTTP/1.1', 'Host: x']) + head(['GET /v2/health/live HTTP/1.1', 'Host: x'])],
  ['request split byte by byte (first 20 bytes)', ((s) => [...s.slice(0, 20).split(''), s.slice(20)])(head(['GET /v2/health/live HTTP/1.1', 'Host: x']))],
];

export interface ProbeResult {
  /** Status codes of the responses received, in order. */
  statuses: string[];
  /** The server closed the connection within the wait. */
  closed: boolean;
  closedAtMs: number | undefined;
  error: string;
  /** The first response's Connection header, if any. */
  connHeader: string | undefined;
  /** Everything received (latin1). */
  raw: string;
}

/** Sends one case; resolves with what came back within waitMs (sooner once closed). */
export function probe(host: string, port: number, chunks: string | readonly string[], waitMs = WAIT_MS): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    let closed = false;
    let error = '';
    const t0 = Date.now();
    let closedAtMs: number | undefined;
    let finish: () => void = () => {};
    sock.on('data', (d) => { data += d.toString('latin1'); });
    sock.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; });
    sock.on('close', () => { closed = true; closedAtMs = Date.now() - t0; finish(); });
    sock.on('connect', async () => {
      const list = typeof chunks === 'string' ? [chunks] : chunks;
      for (const c of list) {
        if (sock.destroyed) break;
        sock.write(c, 'latin1');
        if (list.length > 1) await new Promise((r) => setTimeout(r, 50));
      }
    });
    // Chunks go out 50 ms apart: the wait starts after the last.
    const timer = setTimeout(() => finish(), waitMs + (typeof chunks === 'string' ? 0 : 50 * chunks.length));
    finish = () => {
      clearTimeout(timer);
      const statuses = [...data.matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*/g)].map((m) => m[1]!);
      const connHeader = /\r\nconnection: *([^\r\n]*)/i.exec(data)?.[1];
      sock.destroy();
      resolve({ statuses, closed, closedAtMs, error, connHeader, raw: data });
    };
  });
}

export function describe(r: ProbeResult): { answer: string; after: string; connection: string } {
  const answer = r.statuses.length > 0 ? r.statuses.join(' + ') : r.closed ? `closed${r.error ? ` (${r.error})` : ''}, no answer` : 'held, no answer';
  const after = r.statuses.length === 0 ? '' : r.closed ? `closed after (${r.closedAtMs} ms)` : 'kept open';
  return { answer, after, connection: r.connHeader ?? '' };
}

async function bareUws(): Promise<{ port: number; seen: Map<number, string>; close: () => void }> {
  const seen = new Map<number, string>();
  const app = uWS.App();
  const record = (_res: uWS.HttpResponse, req: uWS.HttpRequest): string => {
    const headers: string[] = [];
    req.forEach((k, v) => headers.push(`${k}=${v.length > 12 ? `${v.slice(0, 12)}...` : v}`));
    const key = `${req.getMethod()} ${req.getUrl().slice(0, 30)}`;
    seen.set(seen.size, `${key} [${headers.length} headers${headers.length <= 3 ? `: ${headers.join(', ')}` : ''}]`);
    return key;
  };
  app.get('/v2/health/live', (res, req) => { record(res, req); res.end(''); });
  app.get('/v2/health/ready', (res, req) => { record(res, req); res.end(''); });
  app.post('/v2/repository/index', (res, req) => {
    record(res, req);
    let n = 0;
    res.onAborted(() => {});
    res.onData((c, last) => { n += c.byteLength; if (last) res.cork(() => res.end(`{"bodyBytes":${n}}`)); });
  });
  app.any('/*', (res, req) => { record(res, req); res.writeStatus('404 Not Found').end(''); });
  const port = await new Promise<number>((resolve) => app.listen('127.0.0.1', 0, (s) => resolve(uWS.us_socket_local_port(s as unknown as uWS.us_socket))));
  return { port, seen, close: () => (app as unknown as { close?: () => void }).close?.() };
}

async function main(): Promise<void> {
  const target = process.argv[2];
  let host = '127.0.0.1';
  let port: number;
  let bare: Awaited<ReturnType<typeof bareUws>> | undefined;
  if (target) {
    [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  } else {
    bare = await bareUws();
    port = bare.port;
  }
  // One at a time, so that each handler call belongs to its case.
  const rows: { name: string; r: ProbeResult; seen: string[] }[] = [];
  for (const [name, bytes] of CASES) {
    const before = bare?.seen.size ?? 0;
    const r = await probe(host, port, bytes);
    const seen = bare ? [...bare.seen.values()].slice(before) : [];
    rows.push({ name, r, seen });
  }
  console.log(`| case | answer | connection after | Connection header |${bare ? ' seen by the JS handler |' : ''}`);
  console.log(`|---|---|---|---|${bare ? '---|' : ''}`);
  for (const { name, r, seen } of rows) {
    const d = describe(r);
    console.log(`| ${name} | ${d.answer} | ${d.after} | ${d.connection} |${bare ? ` ${seen.join('; ') || 'nothing'} |` : ''}`);
  }
  bare?.close();
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
