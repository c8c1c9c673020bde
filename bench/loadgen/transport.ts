// What the runner needs from a way of sending requests: a free slot test, a send, a timeout
// sweep and a close. Outcomes come back through the `onDone` given at creation: an HTTP status
// (or the status an error frame carries), or a string naming a client-side failure
// ('conn', 'timeout', 'bad-response').
import { HttpConnection } from './http-conn.js';
import { findIdSeq, loadFlatCodec, writeIdDigits, type WsPayload } from './request-bytes.js';
import { WsConnection } from './ws-conn.js';

export type Outcome = number | string;

/** One request's timestamps (performance.now() ms). Owned by the runner; transports hold it while in flight. */
export interface InFlight {
  template: number;
  intendedMs: number;
  sentMs: number;
  measured: boolean;
}

export type DoneFn = (req: InFlight, outcome: Outcome, nowMs: number) => void;

export interface Transport {
  canSend(nowMs: number): boolean;
  send(req: InFlight): void;
  /** Ends every request sent before `olderThanMs` with outcome 'timeout'. */
  expire(olderThanMs: number): void;
  inFlight(): number;
  close(): void;
}

export class HttpTransport implements Transport {
  private readonly conns: HttpConnection[] = [];
  private readonly current: (InFlight | null)[] = [];
  private readonly free: number[] = [];
  private busyCount = 0;

  constructor(host: string, port: number, connections: number, private readonly templates: readonly Buffer[], onDone: DoneFn) {
    for (let i = 0; i < connections; i++) {
      this.current.push(null);
      this.free.push(i);
      this.conns.push(new HttpConnection(host, port, (outcome) => {
        const req = this.current[i]!;
        this.current[i] = null;
        this.free.push(i);
        this.busyCount--;
        onDone(req, outcome, performance.now());
      }));
    }
  }

  canSend(nowMs: number): boolean {
    // A connection that just failed waits retryAtMs before reconnecting (no tight error loop).
    for (let k = this.free.length - 1; k >= 0; k--) {
      if (this.conns[this.free[k]!]!.retryAtMs <= nowMs) {
        if (k !== this.free.length - 1) [this.free[k], this.free[this.free.length - 1]] = [this.free[this.free.length - 1]!, this.free[k]!];
        return true;
      }
    }
    return false;
  }

  send(req: InFlight): void {
    const i = this.free.pop()!;
    this.current[i] = req;
    this.busyCount++;
    this.conns[i]!.send(this.templates[req.template]!);
  }

  expire(olderThanMs: number): void {
    for (let i = 0; i < this.conns.length; i++) {
      const req = this.current[i];
      if (req && req.sentMs < olderThanMs) this.conns[i]!.abort('timeout');
    }
  }

  inFlight(): number {
    return this.busyCount;
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

/** Reads a WebSocket answer: the request it answers and its outcome (200, an error's status). */
export type WsClassifier = (payload: Buffer) => { seq: number; outcome: Outcome };

/** The gateway's FlatBuffers responses: id from the decoded response, status from its error. */
export async function flatResponseClassifier(): Promise<WsClassifier> {
  const href = new URL('../../src/protocol/flatbuffers-codec.js', import.meta.url).href;
  await loadFlatCodec();
  const mod = (await import(href)) as { decodeFlatResponse?: (b: Uint8Array) => { id: string; error?: { status?: number } } };
  const decode = mod.decodeFlatResponse;
  if (typeof decode !== 'function') throw new Error(`${href} does not export decodeFlatResponse`);
  return (payload) => {
    let r: { id: string; error?: { status?: number } };
    try {
      r = decode(payload);
    } catch {
      return { seq: findIdSeq(payload), outcome: 'bad-response' };
    }
    const seq = findIdSeq(Buffer.from(r.id, 'latin1'));
    return { seq, outcome: r.error ? (r.error.status ?? 'error-frame') : 200 };
  };
}

/** Any server that echoes the request id bytes (tests): every answer is a success. */
export const scanClassifier: WsClassifier = (payload) => ({ seq: findIdSeq(payload), outcome: 200 });

export class WsTransport implements Transport {
  private readonly conns: WsConnection[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, { req: InFlight; conn: number }>();
  private nextSeq = 1;
  /** Answers that matched no request in flight (late after a timeout, or unreadable). */
  unmatched = 0;

  private constructor(
    private readonly templates: readonly WsPayload[],
    private readonly maxInFlightPerConnection: number,
    private readonly onDone: DoneFn,
  ) {}

  static async open(host: string, port: number, connections: number, maxInFlightPerConnection: number,
    templates: readonly WsPayload[], classify: WsClassifier, onDone: DoneFn): Promise<WsTransport> {
    const t = new WsTransport(templates, maxInFlightPerConnection, onDone);
    for (let i = 0; i < connections; i++) {
      t.load.push(0);
      t.conns.push(await WsConnection.connect(host, port, '/v2/stream', {
        onMessage: (payload) => t.onMessage(classify(payload)),
        onClose: () => t.failConnection(i),
      }));
    }
    return t;
  }

  private pickConnection(): number {
    let best = -1;
    for (let i = 0; i < this.conns.length; i++) {
      if (!this.conns[i]!.isOpen || this.load[i]! >= this.maxInFlightPerConnection) continue;
      if (best < 0 || this.load[i]! < this.load[best]!) best = i;
    }
    return best;
  }

  canSend(): boolean {
    return this.pickConnection() >= 0;
  }

  send(req: InFlight): void {
    const i = this.pickConnection();
    const seq = this.nextSeq++;
    const tpl = this.templates[req.template]!;
    this.pending.set(seq, { req, conn: i });
    this.load[i]!++;
    this.conns[i]!.sendBinary(tpl.bytes.byteLength, (p) => {
      p.set(tpl.bytes);
      writeIdDigits(p, tpl.idOffset, seq);
    });
  }

  private finish(seq: number, outcome: Outcome): void {
    const p = this.pending.get(seq);
    if (!p) {
      this.unmatched++;
      return;
    }
    this.pending.delete(seq);
    this.load[p.conn]!--;
    this.onDone(p.req, outcome, performance.now());
  }

  private onMessage(m: { seq: number; outcome: Outcome }): void {
    this.finish(m.seq, m.outcome);
  }

  private failConnection(conn: number): void {
    for (const [seq, p] of [...this.pending]) if (p.conn === conn) this.finish(seq, 'conn');
  }

  expire(olderThanMs: number): void {
    // Map iteration follows insertion (= send) order: stop at the first young request.
    for (const [seq, p] of this.pending) {
      if (p.req.sentMs >= olderThanMs) break;
      this.finish(seq, 'timeout');
    }
  }

  inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}
