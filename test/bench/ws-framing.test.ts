// The load generator's WebSocket client against a minimal in-test server written here from
// RFC 6455 (handshake, unmasking client frames, unmasked server frames, fragmentation, ping).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { DEFAULT_OPTIONS, validateOptions } from '../../bench/loadgen/options.js';
import { findIdSeq, writeIdDigits, WS_ID_PREFIX } from '../../bench/loadgen/request-bytes.js';
import { runLoad } from '../../bench/loadgen/runner.js';
import { scanClassifier } from '../../bench/loadgen/transport.js';
import { OP_BINARY, OP_PING, WsConnection } from '../../bench/loadgen/ws-conn.js';

interface ServerStats { unmaskedFrames: number; pongs: Buffer[]; }

function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, len])
    : len < 65536 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, len >> 8, len & 0xff])
    : (() => { const h = Buffer.alloc(10); h[0] = (fin ? 0x80 : 0) | opcode; h[1] = 127; h.writeUInt32BE(0, 2); h.writeUInt32BE(len, 6); return h; })();
  return Buffer.concat([head, payload]);
}

/**
 * Echo server. Large messages come back in 3 fragments; every frame is written in two pieces
 * on separate ticks, so the client's parser sees frames split at arbitrary points.
 * A message whose first byte is 0x50 ('P') makes the server send a ping first.
 */
function startEchoServer(stats: ServerStats): Promise<{ server: Server; port: number }> {
  const server = createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    let upgraded = false;
    // Pieces leave one per tick, in order, so that frames arrive split but never interleaved.
    const pieces: Buffer[] = [];
    let pumping = false;
    const pump = (): void => {
      const next = pieces.shift();
      if (!next) { pumping = false; return; }
      sock.write(next);
      setImmediate(pump);
    };
    const write = (frame: Buffer): void => {
      const cut = Math.max(1, Math.floor(frame.length / 3));
      pieces.push(frame.subarray(0, cut), frame.subarray(cut));
      if (!pumping) { pumping = true; setImmediate(pump); }
    };
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /sec-websocket-key:\s*(\S+)/i.exec(buf.toString('latin1', 0, end))![1]!;
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0]! & 0x0f;
        const masked = (buf[1]! & 0x80) !== 0;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = buf.readUInt32BE(6); off = 10; }
        if (buf.length < off + (masked ? 4 : 0) + len) return;
        if (!masked) stats.unmaskedFrames++;
        const key = masked ? buf.subarray(off, off + 4) : Buffer.alloc(4);
        off += masked ? 4 : 0;
        const payload = Buffer.from(buf.subarray(off, off + len));
        for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
        buf = buf.subarray(off + len);
        if (opcode === 0xa) { stats.pongs.push(payload); continue; }
        if (opcode === 0x8) { sock.end(serverFrame(0x8, payload.subarray(0, 2))); return; }
        if (payload[0] === 0x50) write(serverFrame(0x9, Buffer.from('are you there')));
        if (payload.length > 1000) {
          const a = Math.floor(payload.length / 3), b = Math.floor((2 * payload.length) / 3);
          write(serverFrame(OP_BINARY, payload.subarray(0, a), false));
          write(serverFrame(0x0, payload.subarray(a, b), false));
          write(serverFrame(0x0, payload.subarray(b), true));
        } else {
          write(serverFrame(OP_BINARY, payload));
        }
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
  }));
}

test('WebSocket client: handshake, masked frames out, fragmented and split frames in, every length class', { timeout: 30_000 }, async () => {
  const stats: ServerStats = { unmaskedFrames: 0, pongs: [] };
  const { server, port } = await startEchoServer(stats);
  const received: Buffer[] = [];
  let closedWith = '';
  let waiting: (() => void) | null = null;
  const conn = await WsConnection.connect('127.0.0.1', port, '/v2/stream', {
    onMessage: (p) => { received.push(Buffer.from(p)); waiting?.(); },
    onClose: (why) => { closedWith = why; },
  });
  try {
    const sizes = [0, 1, 3, 125, 126, 127, 1001, 65535, 65536, 300_001];
    const sent = sizes.map((n, k) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + k * 7) & 0xff)));
    sent[3]![0] = 0x51; // not 'P': no ping for this one
    for (const s of sent) conn.send(OP_BINARY, s);
    while (received.length < sent.length) await new Promise<void>((r) => { waiting = r; });
    assert.equal(received.length, sent.length);
    for (let i = 0; i < sent.length; i++) assert.ok(received[i]!.equals(sent[i]!), `message ${i} (${sizes[i]} bytes) round-trips`);
    assert.equal(stats.unmaskedFrames, 0, 'every client frame is masked');

    // A ping from the server is answered with a pong carrying the same payload.
    conn.send(OP_BINARY, Buffer.from('Ping me'));
    while (received.length < sent.length + 1) await new Promise<void>((r) => { waiting = r; });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(stats.pongs.map((p) => p.toString()), ['are you there']);
  } finally {
    conn.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
  assert.equal(closedWith, 'closed by client');
  assert.equal(conn.isOpen, false);
});

test('WebSocket handshake to a server that does not upgrade is rejected with its status line', { timeout: 30_000 }, async () => {
  const server = createServer((s) => s.on('data', () => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  try {
    await assert.rejects(WsConnection.connect('127.0.0.1', port, '/v2/stream', { onMessage: () => {}, onClose: () => {} }), /handshake answered HTTP\/1.1 404 Not Found/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('request ids: written digits are found again, also inside surrounding bytes', () => {
  const buf = Buffer.alloc(64, 0xee);
  buf.write(WS_ID_PREFIX, 10, 'latin1');
  writeIdDigits(buf, 10 + WS_ID_PREFIX.length, 987_654_321);
  assert.equal(findIdSeq(buf), 987_654_321);
  assert.equal(findIdSeq(Buffer.from('no id here')), -1);
});

test('ws load: many requests in flight on one connection are matched by id; sent = answered', { timeout: 30_000 }, async () => {
  const stats: ServerStats = { unmaskedFrames: 0, pongs: [] };
  const { server, port } = await startEchoServer(stats);
  try {
    const o = validateOptions({ ...DEFAULT_OPTIONS, url: `http://127.0.0.1:${port}`, protocol: 'ws', workload: 'k1', mode: 'closed',
      concurrency: 32, inputName: 'features', features: 8, durationS: 1, warmupS: 0, scrapeMetrics: false, quiet: true });
    assert.equal(o.connections, 1);
    const r = await runLoad(o, { wsClassifier: scanClassifier });
    assert.ok(r.counts.sent > 100, `too few requests (${r.counts.sent})`);
    assert.equal(r.counts.errors, 0);
    assert.equal(r.counts.answered, r.counts.sent);
    assert.equal(r.loadgen.wsUnmatched, 0);
    assert.equal(stats.unmaskedFrames, 0);
  } finally {
    await new Promise<void>((r) => { server.close(() => r()); });
  }
});
