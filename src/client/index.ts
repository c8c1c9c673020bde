// infergate's client for callers on Node 20+: `import { InferClient } from 'infergate/client'`.
//
//   const client = new InferClient('http://127.0.0.1:8000');
//   const r = await client.infer('ranker', { features: { shape: [1, 128], data: new Float32Array(128) } });
//   r.outputs.score.data   // Float32Array
//   client.close();
//
// HTTP calls share a keep-alive connection pool; `stream()` opens the WebSocket stream, where
// many requests share one connection. Every call may carry a deadline (sent as the timeout
// header the gateway enforces) and the caller's W3C trace context.
import type { ModelMetadata } from '../core/service.js';
import { InferClientError } from './errors.js';
import { HttpPool, type PoolOptions } from './http-transport.js';
import { buildRequest, decodeAnswer, encodeBody, errorOf, toResult, type InferCallOptions, type InferResult, type WireFormat } from './request.js';
import { StreamConnection } from './stream.js';
import type { TensorInput } from './tensors.js';

export { InferClientError } from './errors.js';
export type { InferCallOptions, InferResult, WireFormat } from './request.js';
export type { Tensor, TensorInput, TypedData } from './tensors.js';
export type { ModelMetadata } from '../core/service.js';

export interface InferClientOptions extends PoolOptions {
  /** Wire format of infer calls (default flatbuffers, the gateway's fast path; `binary` and
   *  `json` are KServe v2 and work against Triton too). */
  format?: WireFormat;
  /** Default deadline of every infer call, microseconds (0 or absent: the model's default). */
  timeoutUs?: number;
  /** Added to a call's deadline before the client itself gives up on a silent connection. */
  graceMs?: number;
  /** The caller's current trace context (e.g. from OpenTelemetry's propagation API), read per
   *  call unless the call gives its own traceparent. */
  traceContext?: () => { traceparent?: string; tracestate?: string } | undefined;
}

const TIMEOUT_HEADER = 'X-Infergate-Timeout-Us';
/** Without a deadline, the client still gives up after this long (ms): a hung connection must
 *  not hang the caller forever. */
const NO_DEADLINE_LIMIT_MS = 60_000;

function traceHeaders(o: InferCallOptions, ctx: InferClientOptions['traceContext']): Record<string, string> {
  const t = o.traceparent !== undefined ? { traceparent: o.traceparent, tracestate: o.tracestate } : ctx?.();
  const h: Record<string, string> = {};
  if (t?.traceparent) h['traceparent'] = t.traceparent;
  if (t?.traceparent && t.tracestate) h['tracestate'] = t.tracestate;
  return h;
}

const modelPath = (model: string, version?: string): string =>
  `/v2/models/${encodeURIComponent(model)}${version ? `/versions/${encodeURIComponent(version)}` : ''}`;

export class InferClient {
  readonly url: string;
  readonly #pool: HttpPool;
  readonly #opts: InferClientOptions;

  constructor(url: string, opts: InferClientOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.#opts = opts;
    this.#pool = new HttpPool(this.url, opts);
  }

  #limitMs(timeoutUs: number): number {
    return timeoutUs > 0 ? Math.ceil(timeoutUs / 1000) + (this.#opts.graceMs ?? 1000) : NO_DEADLINE_LIMIT_MS;
  }

  /** Runs `model` on typed tensors; resolves with typed outputs by name, or rejects with
   *  InferClientError (the gateway's code and status; `retryable` says if another try can help). */
  async infer(model: string, inputs: Readonly<Record<string, TensorInput>>, o: InferCallOptions = {}): Promise<InferResult> {
    const format = o.format ?? this.#opts.format ?? 'flatbuffers';
    const req = buildRequest(model, inputs, o, format);
    const { headers, body } = encodeBody(req, format);
    const timeoutUs = o.timeoutUs ?? this.#opts.timeoutUs ?? 0;
    if (timeoutUs > 0) headers[TIMEOUT_HEADER] = String(Math.round(timeoutUs));
    Object.assign(headers, traceHeaders(o, this.#opts.traceContext));
    const res = await this.#pool.send('POST', `${modelPath(model, o.version)}/infer`, headers, body, this.#limitMs(timeoutUs), o.signal);
    return toResult(decodeAnswer(res.status, res.headers, res.body));
  }

  async #get(path: string): Promise<{ status: number; json: () => unknown }> {
    const res = await this.#pool.send('GET', path, {}, undefined, NO_DEADLINE_LIMIT_MS);
    if (res.status !== 200 && res.status !== 503) throw errorOf(res.status, res.headers, res.body, String(res.headers['content-type'] ?? ''));
    return { status: res.status, json: () => JSON.parse(res.body.toString('utf8')) };
  }

  /** GET /v2/health/live. */
  async live(): Promise<boolean> {
    return (await this.#get('/v2/health/live')).status === 200;
  }

  /** GET /v2/health/ready: start-up done, not draining, a model ready. */
  async ready(): Promise<boolean> {
    return (await this.#get('/v2/health/ready')).status === 200;
  }

  async modelReady(model: string, version?: string): Promise<boolean> {
    return (await this.#get(`${modelPath(model, version)}/ready`)).status === 200;
  }

  /** Inputs and outputs (name, datatype, shape with -1 for dynamic dimensions). */
  async metadata(model: string, version?: string): Promise<ModelMetadata> {
    const r = await this.#get(modelPath(model, version));
    if (r.status !== 200) throw new InferClientError(`model "${model}" is not ready`, 'IG_MODEL_NOT_READY', r.status);
    return r.json() as ModelMetadata;
  }

  /** Opens the WebSocket stream (/v2/stream): many requests in flight on one connection,
   *  FlatBuffers frames. Close it when done. */
  async stream(): Promise<InferStream> {
    const ws = `${this.url.replace(/^http/, 'ws')}/v2/stream`;
    return new InferStream(await StreamConnection.open(ws), this.#opts, (us) => this.#limitMs(us));
  }

  /** Closes the pooled connections (a process with an open client keeps running until then). */
  close(): void {
    this.#pool.close();
  }
}

export class InferStream {
  readonly #conn: StreamConnection;
  readonly #opts: InferClientOptions;
  readonly #limitMs: (timeoutUs: number) => number;

  /** Use InferClient.stream(). */
  constructor(conn: StreamConnection, opts: InferClientOptions, limitMs: (timeoutUs: number) => number) {
    this.#conn = conn;
    this.#opts = opts;
    this.#limitMs = limitMs;
  }

  get inFlight(): number {
    return this.#conn.inFlight;
  }

  /** As InferClient.infer, over the stream. The deadline travels in the request (a frame has no
   *  headers), the trace context as the traceparent / tracestate request parameters. */
  async infer(model: string, inputs: Readonly<Record<string, TensorInput>>, o: InferCallOptions = {}): Promise<InferResult> {
    const req = buildRequest(model, inputs, o, 'flatbuffers');
    const timeoutUs = o.timeoutUs ?? this.#opts.timeoutUs ?? 0;
    req.timeoutUs = Math.round(timeoutUs);
    Object.assign(req.parameters, traceHeaders(o, this.#opts.traceContext));
    return toResult(await this.#conn.send(req, this.#limitMs(timeoutUs)));
  }

  close(): Promise<void> {
    return this.#conn.close();
  }
}
