// A minimal client-side WebSocket (RFC 6455) over node:net for load generation: the opening
// handshake, masked binary frames out, unmasked (or masked) frames in, fragmentation,
// ping/pong and close. No extensions (no permessage-deflate), no text helpers.
//
// Masking keys come from a fast non-cryptographic generator: the mask exists to stop cache
// poisoning through intermediaries, which does not apply to a load generator on a private link,
// and crypto.randomBytes per frame would cost more than the frame.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY: Buffer = Buffer.alloc(0);

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

let maskState = (Date.now() ^ 0x5bd1e995) >>> 0;
function nextMaskKey(): number {
  // xorshift32; never 0 after the first step for a non-zero state.
  let x = maskState || 1;
  x ^= x << 13; x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5; x >>>= 0;
  maskState = x;
  return x;
}

/**
 * Builds one masked frame. `fill(payload)` writes the payload bytes (unmasked) into the frame;
 * they are masked in place afterwards. The payload starts 4-byte aligned so masking runs on
 * 32-bit words.
 */
export function buildMaskedFrame(opcode: number, payloadLength: number, fill: (payload: Uint8Array) => void): Buffer {
  const lenBytes = payloadLength < 126 ? 0 : payloadLength < 65536 ? 2 : 8;
  const headLength = 2 + lenBytes + 4;
  const pad = (4 - (headLength % 4)) % 4;
  const ab = new ArrayBuffer(pad + headLength + payloadLength);
  const frame = Buffer.from(ab, pad, headLength + payloadLength);
  frame[0] = 0x80 | opcode;
  if (lenBytes === 0) frame[1] = 0x80 | payloadLength;
  else if (lenBytes === 2) { frame[1] = 0x80 | 126; frame.writeUInt16BE(payloadLength, 2); }
  else { frame[1] = 0x80 | 127; frame.writeUInt32BE(Math.floor(payloadLength / 2 ** 32), 2); frame.writeUInt32BE(payloadLength >>> 0, 6); }
  const key = nextMaskKey();
  frame.writeUInt32LE(key, headLength - 4);
  const payload = new Uint8Array(ab, pad + headLength, payloadLength);
  fill(payload);
  const words = payloadLength >>> 2;
  if (words > 0) {
    const w = new Uint32Array(ab, pad + headLength, words);
    for (let i = 0; i < words; i++) w[i] ^= key;
  }
  for (let i = words << 2; i < payloadLength; i++) payload[i]! ^= (key >>> ((i & 3) * 8)) & 0xff;
  return frame;
}

export interface WsHandlers {
  /** `payload` may be a view into a socket chunk: valid during the call only; copy to keep it. */
  onMessage(payload: Buffer, binary: boolean): void;
  /** Called once, when the connection is gone for any reason. */
  onClose(reason: string): void;
}

export class WsConnection {
  private buf: Buffer = EMPTY;
  /** Frame in progress whose payload has not fully arrived. */
  private need = 0;
  private head: { fin: boolean; opcode: number; mask: number | null } | null = null;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  private closed = false;

  private constructor(private readonly socket: Socket, private readonly handlers: WsHandlers) {}

  /** Opens a connection and completes the handshake (rejects on a non-101 answer or a bad accept key). */
  static connect(host: string, port: number, path: string, handlers: WsHandlers, timeoutMs = 5000): Promise<WsConnection> {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString('base64');
      const expectAccept = createHash('sha1').update(key + GUID).digest('base64');
      const socket = connect({ host, port, noDelay: true });
      let head: Buffer = EMPTY;
      const timer = setTimeout(() => fail(new Error(`WebSocket handshake timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const onData = (chunk: Buffer): void => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf(CRLFCRLF);
        if (end < 0) {
          if (head.length > 16384) fail(new Error('WebSocket handshake answer too large'));
          return;
        }
        const text = head.toString('latin1', 0, end);
        const status = Number(text.slice(9, 12));
        const accept = /\r\nsec-websocket-accept:[ \t]*([^\r]+)/i.exec(text)?.[1]?.trim();
        if (status !== 101) return fail(new Error(`WebSocket handshake answered ${text.split('\r\n')[0]}`));
        if (accept !== expectAccept) return fail(new Error('WebSocket handshake: wrong Sec-WebSocket-Accept'));
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', fail);
        const conn = new WsConnection(socket, handlers);
        socket.on('data', (c: Buffer) => conn.onData(c));
        socket.on('error', (e: Error) => conn.gone(`socket error: ${e.message}`));
        socket.on('close', () => conn.gone('socket closed'));
        resolve(conn);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) conn.onData(rest);
      };
      socket.on('data', onData);
      socket.on('error', fail);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes queued in the socket, not yet handed to the kernel (backpressure signal). */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** Sends a binary message; `fill` writes its payload into the frame (see buildMaskedFrame). */
  sendBinary(payloadLength: number, fill: (payload: Uint8Array) => void): void {
    if (this.closed) return;
    this.socket.write(buildMaskedFrame(OP_BINARY, payloadLength, fill));
  }

  send(opcode: number, payload: Uint8Array): void {
    if (this.closed) return;
    this.socket.write(buildMaskedFrame(opcode, payload.byteLength, (p) => p.set(payload)));
  }

  close(code = 1000, reason = 'closed by client'): void {
    if (this.closed) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code, 0);
    this.send(OP_CLOSE, body);
    // end() flushes the close frame; destroy only if the server never closes its side.
    this.socket.end();
    this.socket.setTimeout(1000, () => this.socket.destroy());
    this.closed = true;
    this.handlers.onClose(reason);
  }

  private gone(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.handlers.onClose(reason);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.head !== null) {
      // Collect payload chunks without copying until the frame is complete.
      this.parts.push(chunk);
      this.partsBytes += chunk.length;
      if (this.partsBytes < this.need) return;
      chunk = Buffer.concat(this.parts, this.partsBytes);
      this.parts = [];
      this.partsBytes = 0;
      const h = this.head;
      this.head = null;
      this.frame(h.fin, h.opcode, h.mask, chunk.subarray(0, this.need));
      chunk = chunk.subarray(this.need);
      if (this.closed || chunk.length === 0) return;
    }
    let data = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = EMPTY;
    while (data.length >= 2 && !this.closed) {
      const b0 = data[0]!;
      const b1 = data[1]!;
      if ((b0 & 0x70) !== 0) return this.protocolError('reserved bits set (no extension was negotiated)');
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (data.length < 4) break;
        len = data.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (data.length < 10) break;
        const hi = data.readUInt32BE(2);
        if (hi > 0x1fffff) return this.protocolError('frame too large');
        len = hi * 2 ** 32 + data.readUInt32BE(6);
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked && data.length < off + 4) break;
      const mask = masked ? data.readUInt32LE(off) : null;
      if (masked) off += 4;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if (data.length < off + len) {
        this.head = { fin, opcode, mask };
        this.need = len;
        const rest = data.subarray(off);
        this.parts = rest.length > 0 ? [rest] : [];
        this.partsBytes = rest.length;
        return;
      }
      this.frame(fin, opcode, mask, data.subarray(off, off + len));
      data = data.subarray(off + len);
    }
    if (data.length > 0) this.buf = Buffer.from(data);
  }

  private frame(fin: boolean, opcode: number, mask: number | null, payload: Buffer): void {
    if (mask !== null) {
      payload = Buffer.from(payload); // the chunk may be shared; unmask a copy
      for (let i = 0; i < payload.length; i++) payload[i]! ^= (mask >>> ((i & 3) * 8)) & 0xff;
    }
    switch (opcode) {
      case OP_PING: return this.send(OP_PONG, payload);
      case OP_PONG: return;
      case OP_CLOSE: {
        if (!this.closed) {
          this.send(OP_CLOSE, payload.subarray(0, 2));
          this.socket.end();
        }
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        return this.gone(`closed by server (${code}${payload.length > 2 ? ` ${payload.toString('utf8', 2)}` : ''})`);
      }
      case OP_TEXT:
      case OP_BINARY:
        if (this.fragments.length > 0) return this.protocolError('new message before the previous one finished');
        if (fin) return this.handlers.onMessage(payload, opcode === OP_BINARY);
        this.fragmentOpcode = opcode;
        this.fragments.push(Buffer.from(payload));
        return;
      case OP_CONT: {
        if (this.fragments.length === 0) return this.protocolError('continuation frame without a message');
        this.fragments.push(Buffer.from(payload));
        if (!fin) return;
        const whole = Buffer.concat(this.fragments);
        this.fragments = [];
        return this.handlers.onMessage(whole, this.fragmentOpcode === OP_BINARY);
      }
      default:
        return this.protocolError(`unknown opcode ${opcode}`);
    }
  }

  private protocolError(what: string): void {
    this.close(1002, `protocol error: ${what}`);
  }
}
