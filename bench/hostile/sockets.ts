// The campaign's socket half: mutated and generated requests sent to a running gateway over real
// connections. Body cases (a valid head, a hostile body) must each be answered, below 500, within
// caseTimeoutMs. Head cases (a mutated request head) must never be answered 5xx; a head the
// server neither answers nor closes within headTimeoutMs is counted (`unanswered`), not failed:
// what uWebSockets.js does with a malformed head is the strict-HTTP work's to fix (issue 16,
// point 3), and this count is how that work shows. WebSocket cases: mutated FlatBuffers frames
// (each answered by one frame, never a 5xx error), text frames and frames with bad opcodes (the
// server may close; the client reconnects).
import { decodeFlatResponse } from '../../src/protocol/flatbuffers-codec.js';
import { mutateBytes, mutateJson, Rng } from './mutate.js';
import { postHead, RawClient } from './raw-http.js';
import { rankerSeeds, type Seed } from './seeds.js';
import { OP_BINARY, OP_PING, OP_TEXT, WsConnection } from '../loadgen/ws-conn.js';
import type { Failure } from './in-process.js';

export interface SocketTally {
  cases: number;
  /** Responses by status class: "2xx", "4xx", ... */
  statuses: Record<string, number>;
  /** Head cases with neither an answer nor a close within headTimeoutMs. */
  unanswered: number;
  /** Connections the server closed without an answer. */
  closed: number;
}

export interface SocketResult {
  byTarget: Record<string, SocketTally>;
  failures: Failure[];
}

export interface SocketOptions {
  port: number;
  cases: number;
  seed: number;
  /** Concurrent connections for body and head cases. */
  concurrency?: number;
  caseTimeoutMs?: number;
  headTimeoutMs?: number;
}

const tally = (): SocketTally => ({ cases: 0, statuses: {}, unanswered: 0, closed: 0 });

function mutateHead(rng: Rng, head: string, body: Uint8Array): string {
  switch (rng.int(14)) {
    case 0: return head.replace('HTTP/1.1', 'HTTP/1.0');
    case 1: return head.replace(/Host: [^\r]*\r\n/, '');
    case 2: return head.replace('\r\n\r\n', `\r\nContent-Length: ${body.length + 1 + rng.int(10)}\r\n\r\n`);
    case 3: return head.replace(/Content-Length: \d+/, `Content-Length: ${rng.pick(['1000000000', '99999999999999999999', '-1', '0x10', ' 12', '1e3'])}`);
    case 4: return head.replace('\r\n\r\n', '\r\nTransfer-Encoding: chunked\r\n\r\n');
    case 5: return head.replace('Content-Type:', 'Content-Type :');
    case 6: return head.replace('\r\n\r\n', '\r\nX-No-Colon-Here\r\n\r\n');
    case 7: return `${rng.pick(['GET', 'PUT', 'FOO', '', 'POST  '])} ${rng.pick(['/v2/models/ranker/infer', '*', '', '/%zz', `/${'a'.repeat(5000)}`])} ${rng.pick(['HTTP/1.1', 'HTTP/9.9', 'HTTP/1.1 extra', ''])}\r\n${head.slice(head.indexOf('\r\n') + 2)}`;
    case 8: return head.replace('\r\n\r\n', `\r\nX-Long: ${'v'.repeat(1 + rng.int(20000))}\r\n\r\n`);
    case 9: return head.replace('\r\n\r\n', `\r\n${Array.from({ length: 1 + rng.int(300) }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`);
    case 10: return head.replace(/\r\n/g, rng.int(2) ? '\n' : '\r');
    case 11: return head.replace('\r\n\r\n', '\r\nInference-Header-Content-Length: 99999999999\r\n\r\n');
    case 12: { // flip bytes of the head
      const b = Buffer.from(head, 'latin1');
      for (let i = 0, n = 1 + rng.int(4); i < n; i++) b[rng.int(b.length)] = rng.u32() & 0xff;
      return b.toString('latin1');
    }
    default: return Buffer.from(rng.bytes(1 + rng.int(200))).toString('latin1') + '\r\n\r\n';
  }
}

const classOf = (status: number): string => `${Math.floor(status / 100)}xx`;

/** Runs body and head cases over HTTP and frame cases over WebSocket; a quarter of the cases
 *  each: JSON bodies, FlatBuffers/binary bodies, heads, WebSocket frames. */
export async function runSockets(o: SocketOptions): Promise<SocketResult> {
  const rng = new Rng(o.seed);
  const seeds = rankerSeeds(rng);
  // Cases run concurrently: each draws from its own generator, so case i is the same bytes
  // whatever the interleaving.
  const caseRng = (i: number): Rng => new Rng((Math.imul(o.seed, 0x9e3779b1) + i) >>> 0);
  const concurrency = o.concurrency ?? 8;
  const caseTimeoutMs = o.caseTimeoutMs ?? 10_000;
  const headTimeoutMs = o.headTimeoutMs ?? 300;
  const byTarget: Record<string, SocketTally> = { 'http-json': tally(), 'http-flatbuffers': tally(), 'http-binary': tally(), 'http-head': tally(), ws: tally() };
  const failures: Failure[] = [];
  const quarter = Math.ceil(o.cases / 4);

  // Body cases: a valid head announcing the body's true length, keep-alive connections.
  const bodyCase = async (client: RawClient, i: number): Promise<RawClient> => {
    const rng = caseRng(i);
    const s: Seed = rng.pick(seeds);
    const kind = rng.int(3);
    const target = kind === 0 ? 'http-json' : kind === 1 ? 'http-flatbuffers' : 'http-binary';
    let body: Uint8Array;
    let headers: Record<string, string>;
    if (kind === 0) {
      body = s.json;
      for (let m = 0, n = 1 + rng.int(3); m < n; m++) body = mutateJson(rng, body);
      headers = { 'Content-Type': 'application/json' };
    } else if (kind === 1) {
      body = s.flat;
      for (let m = 0, n = 1 + rng.int(3); m < n; m++) body = mutateBytes(rng, body);
      headers = { 'Content-Type': 'application/x-flatbuffers' };
    } else {
      body = rng.int(2) ? mutateBytes(rng, s.binary.body) : mutateJson(rng, s.binary.body);
      const hl = rng.int(4) === 0 ? String(rng.int(body.length + 2)) : String(s.binary.headerLength);
      headers = { 'Inference-Header-Content-Length': hl, 'Content-Type': 'application/octet-stream' };
    }
    const t = byTarget[target]!;
    t.cases++;
    const r = await client.request(postHead('/v2/models/ranker/infer', body.length, headers), body, caseTimeoutMs);
    if (r.outcome !== 'response') {
      if (r.outcome === 'closed') t.closed++;
      failures.push({ target, caseIndex: i, what: r.outcome === 'timeout' ? `no answer within ${caseTimeoutMs} ms (hang)` : 'connection closed without an answer' });
      client.close();
      return RawClient.open(o.port);
    }
    const code = r.headers.get('x-infergate-error') ?? '';
    // A mutated timeout_us can ask for a deadline that has passed: 504 is the answer it asked for.
    const key = code === 'IG_DEADLINE_EXCEEDED' ? 'deadline (the request\'s own timeout)' : classOf(r.status);
    t.statuses[key] = (t.statuses[key] ?? 0) + 1;
    if (r.status >= 500 && code !== 'IG_DEADLINE_EXCEEDED') {
      failures.push({ target, caseIndex: i, what: `status ${r.status} ${code}: ${r.body.toString('latin1', 0, 200)}` });
    }
    if (r.headers.get('connection') === 'close') {
      client.close();
      return RawClient.open(o.port);
    }
    return client;
  };

  // Head cases: a fresh connection each (a broken head may leave it out of step).
  const headCase = async (i: number): Promise<void> => {
    const rng = caseRng(i);
    const s = rng.pick(seeds);
    const head = mutateHead(rng, postHead('/v2/models/ranker/infer', s.json.length, { 'Content-Type': 'application/json' }), s.json);
    const t = byTarget['http-head']!;
    t.cases++;
    const c = await RawClient.open(o.port);
    try {
      const r = await c.request(head, s.json, headTimeoutMs);
      if (r.outcome === 'timeout') t.unanswered++;
      else if (r.outcome === 'closed') t.closed++;
      else {
        t.statuses[classOf(r.status)] = (t.statuses[classOf(r.status)] ?? 0) + 1;
        if (r.status >= 500) failures.push({ target: 'http-head', caseIndex: i, what: `status ${r.status} for head ${JSON.stringify(head.slice(0, 120))}` });
      }
    } finally {
      c.close();
    }
  };

  let next = 0;
  const bodyWorkers = Array.from({ length: concurrency }, async () => {
    let c = await RawClient.open(o.port);
    while (next < 2 * quarter && next < o.cases) c = await bodyCase(c, next++);
    c.close();
  });
  await Promise.all(bodyWorkers);
  let nextHead = 0;
  const headCases = Math.min(quarter, Math.max(0, o.cases - 2 * quarter));
  await Promise.all(Array.from({ length: concurrency * 4 }, async () => {
    while (nextHead < headCases) await headCase(2 * quarter + nextHead++);
  }));
  await runWs(o, rng, seeds, Math.max(0, o.cases - 2 * quarter - headCases), byTarget['ws']!, failures, caseTimeoutMs);
  return { byTarget, failures };
}

/** WebSocket frame cases on one connection at a time, up to 32 answers outstanding. */
async function runWs(o: SocketOptions, rng: Rng, seeds: Seed[], cases: number, t: SocketTally, failures: Failure[], timeoutMs: number): Promise<void> {
  let outstanding = 0;
  let wake: (() => void) | undefined;
  let conn: WsConnection | undefined;
  const open = async (): Promise<WsConnection> => {
    outstanding = 0;
    return WsConnection.connect('127.0.0.1', o.port, '/v2/stream', {
      onMessage: (payload, binary) => {
        outstanding = Math.max(0, outstanding - 1);
        t.statuses[binary ? 'frames' : 'text'] = (t.statuses[binary ? 'frames' : 'text'] ?? 0) + 1;
        try {
          const error = decodeFlatResponse(new Uint8Array(payload)).error;
          if (error?.code === 'IG_DEADLINE_EXCEEDED') t.statuses['deadline (the request\'s own timeout)'] = (t.statuses['deadline (the request\'s own timeout)'] ?? 0) + 1;
          else if ((error?.status ?? 200) >= 500) failures.push({ target: 'ws', caseIndex: -1, what: `error frame ${error!.code} (${error!.status})` });
        } catch (e) {
          failures.push({ target: 'ws', caseIndex: -1, what: `unreadable answer frame: ${(e as Error).message}` });
        }
        wake?.();
      },
      onClose: () => {
        t.closed++;
        outstanding = 0;
        wake?.();
      },
    });
  };
  const settle = async (max: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (outstanding > max && conn?.isOpen) {
      if (Date.now() > deadline) {
        failures.push({ target: 'ws', caseIndex: -1, what: `${outstanding} frames unanswered after ${timeoutMs} ms (hang)` });
        conn.close();
        return;
      }
      await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
    }
  };
  for (let i = 0; i < cases; i++) {
    if (conn === undefined || !conn.isOpen) conn = await open();
    t.cases++;
    const kind = rng.int(40);
    if (kind === 0) {
      conn.send(OP_TEXT, Buffer.from('not a flatbuffer'));
      outstanding++;
    } else if (kind === 1) {
      conn.send(OP_PING, rng.bytes(rng.int(100)));
    } else if (kind === 2) {
      conn.send(rng.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xf]), rng.bytes(rng.int(64))); // reserved opcode: the server closes
      await settle(0);
    } else {
      let p = rng.pick(seeds).flat;
      for (let m = 0, n = rng.int(4); m < n; m++) p = mutateBytes(rng, p);
      conn.send(OP_BINARY, p);
      outstanding++;
    }
    await settle(32);
  }
  await settle(0);
  conn?.close();
}
