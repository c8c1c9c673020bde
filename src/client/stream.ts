// The WebSocket stream (/v2/stream) from the caller's side, on the `ws` package (Node 20 has no
// global WebSocket). Each request is one binary FlatBuffers frame; answers come back in
// completion order, matched to their request by id, so many requests share one connection.
// Ids are the caller's or generated here; two requests in flight with one id are refused
// locally, since their answers could not be told apart.
import WebSocket from 'ws';
import type { InferRequest, InferResponse } from '../core/types.js';
import { decodeFlatResponse, encodeFlatRequest } from '../protocol/flatbuffers-codec.js';
import { InferClientError } from './errors.js';

interface Pending {
  resolve: (r: InferResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class StreamConnection {
  readonly #ws: WebSocket;
  readonly #pending = new Map<string, Pending>();
  #nextId = 0;
  #closed: Error | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.#fail(new InferClientError(`stream closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`, 'IG_CLIENT_CONNECTION', 0)));
    ws.on('error', (e) => this.#fail(new InferClientError(`stream error: ${e.message}`, 'IG_CLIENT_CONNECTION', 0)));
  }

  /** Connects to ws(s)://host:port/v2/stream; rejects when the connection cannot be made. */
  static open(url: string, headers: Record<string, string> = {}): Promise<StreamConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      ws.once('open', () => {
        ws.removeAllListeners('error');
        resolve(new StreamConnection(ws));
      });
      ws.once('error', (e) => reject(new InferClientError(`cannot open ${url}: ${e.message}`, 'IG_CLIENT_CONNECTION', 0)));
    });
  }

  /** Requests in flight on this connection. */
  get inFlight(): number {
    return this.#pending.size;
  }

  send(req: InferRequest, deadlineMs: number | undefined): Promise<InferResponse> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (req.id === '') req.id = `s${++this.#nextId}`;
    const id = req.id;
    if (this.#pending.has(id)) return Promise.reject(new InferClientError(`request id "${id}" is already in flight on this stream`, 'IG_CLIENT_DUPLICATE_ID', 0));
    return new Promise((resolve, reject) => {
      const timer = deadlineMs === undefined ? undefined : setTimeout(() => {
        this.#pending.delete(id);
        reject(new InferClientError(`no answer to "${id}" within ${deadlineMs} ms`, 'IG_CLIENT_TIMEOUT', 0));
      }, deadlineMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#ws.send(encodeFlatRequest(req), { binary: true });
    });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) return;
    let resp;
    try {
      resp = decodeFlatResponse(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch (e) {
      this.#fail(new InferClientError(`undecodable stream frame: ${(e as Error).message}`, 'IG_CLIENT_BAD_RESPONSE', 0));
      this.#ws.terminate();
      return;
    }
    const p = this.#pending.get(resp.id);
    if (p === undefined) return; // timed out here already
    this.#pending.delete(resp.id);
    clearTimeout(p.timer);
    if (resp.error) p.reject(new InferClientError(resp.error.message, resp.error.code, resp.error.status, resp.error.retryAfterS));
    else p.resolve(resp);
  }

  #fail(e: Error): void {
    this.#closed ??= e;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.#pending.clear();
  }

  /** Closes the connection (a normal close); requests still in flight are rejected. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#ws.readyState === WebSocket.CLOSED) return resolve();
      this.#ws.once('close', () => resolve());
      this.#ws.close(1000);
    });
  }
}
