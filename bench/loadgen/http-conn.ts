// A minimal HTTP/1.1 client connection over node:net for load generation: keep-alive, one
// request in flight, requests written as pre-encoded bytes, responses parsed only as far as
// the status line, Content-Length / chunked framing and Connection: close. node:http costs
// several times more CPU per request, which would cap a 1-core load generator below a fast server.
//
// Ownership: `send` hands the Buffer to the socket's write queue; callers must not mutate it
// afterwards (templates are shared read-only across connections for the whole run).
import { connect, type Socket } from 'node:net';

/** The HTTP status, 'conn' when the connection failed before a full response, or a reason
 * given to abort() (the runner uses 'timeout'). */
export type HttpOutcome = number | string;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const EMPTY: Buffer = Buffer.alloc(0);

const enum State { Idle, Head, Length, Chunked, UntilClose }

export class HttpConnection {
  private socket: Socket | null = null;
  private state = State.Idle;
  private buf: Buffer = EMPTY;
  private status = 0;
  private remaining = 0;
  private closeAfter = false;
  private bodyBytes = 0;
  /** performance.now() before which no request should be sent (after a connection failure). */
  retryAtMs = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onDone: (outcome: HttpOutcome, bodyBytes: number) => void,
  ) {}

  get busy(): boolean {
    return this.state !== State.Idle;
  }

  send(request: Buffer): void {
    if (this.busy) throw new Error('HttpConnection.send while a request is in flight');
    if (this.socket === null) this.open();
    this.state = State.Head;
    this.buf = EMPTY;
    this.status = 0;
    this.remaining = 0;
    this.closeAfter = false;
    this.bodyBytes = 0;
    this.socket!.write(request);
  }

  /** Ends the request in flight (if any) with `outcome` and drops the socket. */
  abort(outcome: HttpOutcome): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    if (this.busy) this.finish(outcome);
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    this.state = State.Idle;
  }

  private open(): void {
    const s = connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = s;
    s.on('data', (chunk: Buffer) => {
      if (this.socket === s) this.onData(chunk);
    });
    const fail = (): void => {
      if (this.socket !== s) return;
      this.socket = null;
      s.destroy();
      if (this.state === State.UntilClose) {
        this.finish(this.status);
      } else if (this.busy) {
        this.retryAtMs = performance.now() + 10;
        this.finish('conn');
      }
    };
    s.on('error', fail);
    s.on('close', fail);
  }

  private finish(outcome: HttpOutcome): void {
    this.state = State.Idle;
    this.buf = EMPTY;
    if (this.closeAfter && this.socket) {
      const s = this.socket;
      this.socket = null;
      s.destroy();
    }
    this.onDone(outcome, this.bodyBytes);
  }

  private onData(chunk: Buffer): void {
    let data = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = EMPTY;
    for (;;) {
      switch (this.state) {
        case State.Idle:
          // Bytes with no request in flight: a broken or hostile server. Drop the connection.
          if (data.length > 0) this.abort('conn');
          return;
        case State.Head: {
          const end = data.indexOf(CRLFCRLF);
          if (end < 0) {
            if (data.length > 64 * 1024) return this.abort('conn');
            this.buf = data;
            return;
          }
          if (!this.parseHead(data.toString('latin1', 0, end))) return this.abort('conn');
          data = data.subarray(end + 4);
          break;
        }
        case State.Length: {
          const take = Math.min(this.remaining, data.length);
          this.remaining -= take;
          this.bodyBytes += take;
          data = data.subarray(take);
          if (this.remaining > 0) return;
          this.finish(this.status);
          if (data.length === 0) return;
          break;
        }
        case State.Chunked: {
          if (this.remaining > 0) {
            // Inside a chunk's data (+ its trailing CRLF, counted in remaining).
            const take = Math.min(this.remaining, data.length);
            this.remaining -= take;
            this.bodyBytes += take;
            data = data.subarray(take);
            if (this.remaining > 0) return;
            break;
          }
          const eol = data.indexOf(CRLF);
          if (eol < 0) {
            this.buf = data;
            return;
          }
          const size = parseInt(data.toString('latin1', 0, eol).split(';')[0]!, 16);
          if (!Number.isFinite(size) || size < 0) return this.abort('conn');
          if (size === 0) {
            // Last chunk: no trailers from the servers we drive; expect the final CRLF.
            if (data.length < eol + 4) {
              this.buf = data;
              return;
            }
            data = data.subarray(eol + 4);
            this.finish(this.status);
            if (data.length === 0) return;
            break;
          }
          this.remaining = size + 2;
          data = data.subarray(eol + 2);
          break;
        }
        case State.UntilClose:
          this.bodyBytes += data.length;
          return;
      }
    }
  }

  /** Reads the status and the framing headers; false when the head is not HTTP/1.x. */
  private parseHead(head: string): boolean {
    if (!head.startsWith('HTTP/1.')) return false;
    const status = Number(head.slice(9, 12));
    if (!Number.isInteger(status) || status < 100) return false;
    this.status = status;
    const lower = head.toLowerCase();
    this.closeAfter = /\r\nconnection:[ \t]*close/.test(lower) || head.startsWith('HTTP/1.0');
    const cl = /\r\ncontent-length:[ \t]*(\d+)/.exec(lower);
    if (status < 200) {
      // An interim response (100 Continue): the real one follows on the same connection.
      this.state = State.Head;
    } else if (status === 204 || status === 304) {
      // Always without a body; finished by the parse loop's next pass.
      this.state = State.Length;
      this.remaining = 0;
    } else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
      this.state = State.Chunked;
      this.remaining = 0;
    } else if (cl) {
      this.state = State.Length;
      this.remaining = Number(cl[1]);
    } else {
      this.state = State.UntilClose;
      this.closeAfter = true;
    }
    return true;
  }
}
