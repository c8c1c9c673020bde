// A raw HTTP/1.1 client over node:net for hostile-input tests and benches: it sends exactly the
// bytes given (malformed heads, lying lengths, 64 MB bodies without a copy) and reads one
// response by Content-Length, or reports how the server ended the exchange instead.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RawResponse {
  /** 0 when the connection closed (or timed out) before a whole response arrived. */
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  /** 'response', 'closed' (by the server, before a whole response) or 'timeout'. */
  outcome: 'response' | 'closed' | 'timeout';
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Parses one response from the front of `buf`; undefined until it is complete. */
function parseResponse(buf: Buffer): { res: RawResponse; used: number } | undefined {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const length = Number(headers.get('content-length') ?? 0);
  if (buf.length < end + 4 + length) return undefined;
  return { res: { status, headers, body: buf.subarray(end + 4, end + 4 + length), outcome: 'response' }, used: end + 4 + length };
}

/** One connection, one exchange at a time (keep-alive between them). */
export class RawClient {
  readonly #socket: Socket;
  #buf: Buffer = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
      this.#waiter?.();
    });
    const onEnd = (): void => {
      this.#closed = true;
      this.#waiter?.();
    };
    socket.on('close', onEnd);
    socket.on('end', onEnd);
    socket.on('error', onEnd);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, noDelay: true }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes `head` (and `body`, without copying it) and waits for one response. */
  request(head: string | Uint8Array, body?: Uint8Array, timeoutMs = 10_000): Promise<RawResponse> {
    if (!this.#closed) {
      this.#socket.write(typeof head === 'string' ? Buffer.from(head, 'latin1') : head);
      if (body !== undefined && body.byteLength > 0) this.#socket.write(body);
    }
    return this.read(timeoutMs);
  }

  /** Waits for the next response (or the end of the connection). */
  read(timeoutMs = 10_000): Promise<RawResponse> {
    return new Promise((resolve) => {
      const finish = (outcome: RawResponse['outcome']): void => {
        clearTimeout(timer);
        this.#waiter = undefined;
        resolve({ status: 0, headers: new Map(), body: Buffer.alloc(0), outcome });
      };
      const check = (): void => {
        const got = parseResponse(this.#buf);
        if (got !== undefined) {
          clearTimeout(timer);
          this.#waiter = undefined;
          this.#buf = this.#buf.subarray(got.used);
          resolve(got.res);
        } else if (this.#closed) {
          finish('closed');
        }
      };
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      this.#waiter = check;
      check();
    });
  }

  /** Sends bytes without waiting for anything (a body in pieces, say). */
  write(bytes: Uint8Array): void {
    if (!this.#closed) this.#socket.write(bytes);
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** An HTTP/1.1 request head with Content-Length (and Host). */
export function postHead(path: string, length: number, headers: Record<string, string> = {}): string {
  let h = `POST ${path} HTTP/1.1\r\nHost: infergate\r\nContent-Length: ${length}\r\n`;
  for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
  return `${h}\r\n`;
}

/**
 * Probes GET /v2/health/live on its own keep-alive connection every `intervalMs` until `done()`
 * is true; returns each answer's latency in milliseconds (a refused or lost probe counts as
 * Infinity).
 */
export async function probeHealth(port: number, done: () => boolean, intervalMs = 2): Promise<number[]> {
  const c = await RawClient.open(port);
  const out: number[] = [];
  try {
    while (!done()) {
      const t0 = performance.now();
      const r = await c.request('GET /v2/health/live HTTP/1.1\r\nHost: infergate\r\n\r\n', undefined, 60_000);
      out.push(r.status === 200 ? performance.now() - t0 : Infinity);
      if (r.status !== 200) break;
      await new Promise((res) => setTimeout(res, intervalMs));
    }
  } finally {
    c.close();
  }
  return out;
}

/** The q-quantile (0..1) of `xs` (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** The hostile bodies of issue 16: `data` of `{}` repeated to `bytes`, and a million BYTES strings. */
export function objectsBody(bytes: number): Buffer {
  const head = '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,128],"data":[';
  const body = Buffer.alloc(bytes);
  body.write(head, 'latin1');
  body.fill('{},', head.length, bytes - 4, 'latin1');
  body.write(']}]}', bytes - 4, 'latin1'); // the fill may end mid-'{},': refused before that matters
  return body;
}

export function millionStringsBody(count = 1_000_000): Buffer {
  return Buffer.from(`{"inputs":[{"name":"features","datatype":"BYTES","shape":[${count}],"data":[${new Array(count).fill('"abcd"').join(',')}]}]}`, 'latin1');
}
