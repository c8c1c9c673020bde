// One HTTP exchange over a keep-alive connection pool (node:http's Agent: connections are reused
// across calls, at most maxSockets per gateway, so a caller pays the TCP handshake once, not per
// request). A call may carry a local deadline: past it the request is aborted, so a stuck
// network never hangs the caller (the server enforces its own deadline from the timeout header).
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InferClientError } from './errors.js';

export interface HttpResponseData {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface PoolOptions {
  /** Connections kept per gateway (default 64). */
  maxSockets?: number;
  /** How long an idle connection is kept open (default 30 s; the gateway's idle timeout is longer). */
  keepAliveMs?: number;
}

export class HttpPool {
  readonly #agent: Agent;
  readonly #https: boolean;
  readonly #base: URL;

  constructor(baseUrl: string, opts: PoolOptions = {}) {
    this.#base = new URL(baseUrl);
    this.#https = this.#base.protocol === 'https:';
    const o = { keepAlive: true, maxSockets: opts.maxSockets ?? 64, keepAliveMsecs: 1000, timeout: opts.keepAliveMs ?? 30_000, scheduling: 'lifo' as const };
    this.#agent = this.#https ? new HttpsAgent(o) : new Agent(o);
  }

  /** GET or POST `path` (already encoded); resolves with any status, rejects only when no
   *  response came (connection refused or reset, deadline passed, aborted). */
  send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: Uint8Array | undefined,
    deadlineMs: number | undefined, signal?: AbortSignal): Promise<HttpResponseData> {
    return new Promise((resolve, reject) => {
      const url = new URL(path, this.#base);
      const send = this.#https ? httpsRequest : request;
      const all: Record<string, string> = { ...headers };
      if (body !== undefined) all['Content-Length'] = String(body.byteLength);
      const req = send(url, { method, agent: this.#agent, headers: all, ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
        });
        res.on('error', fail);
      });
      const timer = deadlineMs === undefined ? undefined : setTimeout(() => {
        req.destroy(new InferClientError(`no answer within ${deadlineMs} ms`, 'IG_CLIENT_TIMEOUT', 0));
      }, deadlineMs);
      function fail(e: Error): void {
        clearTimeout(timer);
        if (e instanceof InferClientError) return reject(e);
        const aborted = e.name === 'AbortError';
        reject(new InferClientError(`${method} ${url.href}: ${e.message}`, aborted ? 'IG_CLIENT_ABORTED' : 'IG_CLIENT_CONNECTION', 0));
      }
      req.on('error', fail);
      req.end(body);
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#agent.destroy();
  }
}
