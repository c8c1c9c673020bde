// The uWebSockets.js application: KServe v2 / Open Inference Protocol routes, /metrics and the
// WebSocket stream. Routing and HTTP details live here; all model work is behind
// InferenceService.
import uWS from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import { err, type InferError } from '../core/errors.js';
import { HttpExchange } from './http-exchange.js';
import { createBodyPool, readBody, releaseBody } from './body.js';
import { decodeRequest, detectFormat, readInferBody, encodeError, encodeResponse, type JsonDecoding, type WireFormat } from './formats.js';
import { DecodeThread } from './decode-thread.js';
import { Reclaimer } from './reclaim.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from '../protocol/kserve-json.js';
import { DEFAULT_FLAT_LIMITS } from '../protocol/flatbuffers-codec.js';
import type { ErrorAnswer, InferenceService } from '../core/service.js';
import { attachStream, type StreamOptions } from './websocket.js';
import { assertNativeUws } from './uws-native.js';
import { DrainGate } from './drain.js';
import { checkHead } from './strict-head.js';
import { Redactor } from './public-error.js';
import { bearerCheck, WWW_AUTHENTICATE } from './admin-auth.js';
import { startHealthListener, type HealthListener } from './health-listener.js';
import { param, readyOnly } from './request-parts.js';
import type { BufferPoolStats } from '../core/buffer-pool.js';

export interface ServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  stream?: Partial<StreamOptions>;
  /** Bearer token for model control (load / unload); without one, model control refuses all. */
  adminToken?: string;
  /** The model repository's absolute path: responses show it as "<repository>". */
  repositoryDir?: string;
  /** A second port answering the health endpoints over HTTP/1.0 too (health-listener.ts). */
  healthPort?: number;
  /** Hears every error answer, HTTP and stream (the gateway logs them); never a success. */
  onError?: (a: ErrorAnswer) => void;
  /** Limits on KServe JSON, and the size above which it is decoded off the HTTP thread
   *  (scanAboveBytes: --json-offload-bytes). Default: the settings rows' defaults. */
  json?: Partial<JsonLimits>;
}

export interface RunningServer {
  /** The bound port (useful with port 0). */
  port: number;
  /** The health listener's bound port, when one was asked for. */
  healthPort: number | undefined;
  /** Stops accepting new connections; in-flight exchanges keep running. */
  stopListening(): void;
  /** The drain's first step (README "Drain"): stop listening; from now on every response
   *  closes its connection and new stream frames are refused. */
  beginDrain(): void;
  /** Resolves once every request received has been answered and the connections still open
   *  have been idle for a moment (src/server/drain.ts). */
  whenIdle(): Promise<void>;
  /** HTTP exchanges and stream requests received and not yet answered. */
  readonly inFlight: number;
  /** Closes every connection (after draining). */
  closeAll(): void;
  /** Request body buffers (body.ts): checkedOut is the bodies of exchanges not yet finished. */
  bodyBufferStats(): BufferPoolStats;
}

/** uWS's ListenOptions value (a const enum in its typings, so not importable at run time). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

type Method = 'get' | 'post';
type RouteHandler = (ex: HttpExchange, req: uWS.HttpRequest) => void;

export function startServer(service: InferenceService, opts: ServerOptions): Promise<RunningServer> {
  assertNativeUws(uWS);
  const app = uWS.App();
  const gate = new DrainGate();
  const redact = new Redactor(opts.repositoryDir);
  const admin = bearerCheck(opts.adminToken);
  /** Every error answer goes through here: no file path or stack reaches a client. */
  const fail = (ex: HttpExchange, e: unknown, extraHeaders?: Record<string, string>): void => ex.finishError(redact.error(e), undefined, extraHeaders);
  const report = opts.onError;
  const onExchangeError = report && ((ex: HttpExchange, e: InferError): void => report({
    error: e, transport: 'http', method: ex.method.toUpperCase(), url: ex.url, model: ex.model,
    requestId: ex.requestId !== '' ? ex.requestId : ex.headers.get('x-request-id') ?? '',
  }));
  const jsonLimits: JsonLimits = { ...DEFAULT_JSON_LIMITS, ...opts.json };
  const json: JsonDecoding = {
    limits: jsonLimits,
    flatLimits: { ...DEFAULT_FLAT_LIMITS, maxTensors: jsonLimits.maxInputs, maxRequestedOutputs: jsonLimits.maxInputs },
    thread: new DecodeThread(),
  };
  const reclaimer = new Reclaimer();
  const bodyPool = createBodyPool();

  // Every route is declared here first, then registered with uWS with one catch-all per pattern
  // for the other methods: a known route with the wrong method is a 405 with Allow, an unknown
  // route a 404 (the app.any('/*') below).
  const routes = new Map<string, Map<Method, RouteHandler>>();
  const simple = (pattern: string, method: Method, handler: RouteHandler): void => {
    let byMethod = routes.get(pattern);
    if (!byMethod) routes.set(pattern, (byMethod = new Map()));
    byMethod.set(method, handler);
  };

  simple('/v2/health/live', 'get', (ex) => ex.finish(service.isLive() ? 200 : 503, {}, ''));
  simple('/v2/health/ready', 'get', (ex) => ex.finish(service.isReady() ? 200 : 503, {}, ''));
  simple('/v2', 'get', (ex) => ex.finishJson(200, service.serverMetadata()));
  simple('/v2/models/:model', 'get', (ex, req) => ex.finishJson(200, service.modelMetadata(param(req, 0), '')));
  simple('/v2/models/:model/versions/:version', 'get', (ex, req) =>
    ex.finishJson(200, service.modelMetadata(param(req, 0), param(req, 1))));
  simple('/v2/models/:model/ready', 'get', (ex, req) => ex.finish(service.modelReady(param(req, 0), '') ? 200 : 503, {}, ''));
  simple('/v2/models/:model/versions/:version/ready', 'get', (ex, req) =>
    ex.finish(service.modelReady(param(req, 0), param(req, 1)) ? 200 : 503, {}, ''));
  simple('/v2/models/:model/config', 'get', (ex, req) => ex.finishJson(200, service.modelConfig(param(req, 0), '')));
  simple('/v2/models/:model/versions/:version/config', 'get', (ex, req) =>
    ex.finishJson(200, service.modelConfig(param(req, 0), param(req, 1))));
  // Static segments win over parameters in uWS's router: /v2/models/stats is every model's.
  simple('/v2/models/stats', 'get', (ex) => ex.finishJson(200, service.modelStatistics('', '')));
  simple('/v2/models/:model/stats', 'get', (ex, req) => ex.finishJson(200, service.modelStatistics(param(req, 0), '')));
  simple('/v2/models/:model/versions/:version/stats', 'get', (ex, req) =>
    ex.finishJson(200, service.modelStatistics(param(req, 0), param(req, 1))));
  simple('/metrics', 'get', (ex) => ex.finish(200, { 'Content-Type': 'text/plain; version=0.0.4' }, service.metricsText()));

  const infer = (ex: HttpExchange, model: string, version: string): void => {
    const format: WireFormat = detectFormat(ex);
    let id = '';
    ex.model = model;
    const answerError = (e: unknown): void => {
      const pe = redact.error(e);
      ex.finishError(pe, encodeError(format, pe, id, model));
    };
    // Before the body: an unknown model is a 404 whatever the body holds (as in Triton), a full concurrency limit a 429.
    const refused = service.refusal(model, version);
    if (refused !== undefined) return answerError(refused);
    void (async () => {
      let body: Awaited<ReturnType<typeof readInferBody>> | undefined;
      try {
        body = await readInferBody(ex, format, opts.maxBodyBytes, json, bodyPool);
        const readMs = performance.now();
        const decoded = decodeRequest(ex, format, body, model, version, json);
        // Large JSON comes back from the decode thread; everything else is decoded already.
        const request = decoded instanceof Promise ? await decoded : decoded;
        const decodedMs = performance.now();
        service.observeWire('read', format, (readMs - ex.arrivalMs) * 1000);
        service.observeWire('decode', format, (decodedMs - readMs) * 1000);
        id = request.id;
        ex.requestId = id;
        const timeoutHeader = ex.headers.get('x-infergate-timeout-us');
        const headerTimeoutUs = timeoutHeader !== undefined && /^\d+$/.test(timeoutHeader) ? Number(timeoutHeader) : undefined;
        const routeKey = ex.headers.get('x-infergate-route-key');
        // Only callers that trace pay for the object.
        const traceparent = ex.headers.get('traceparent');
        const trace = traceparent === undefined ? undefined : { traceparent, tracestate: ex.headers.get('tracestate') };
        const response = await service.infer(request, { signal: ex.signal, arrivalMs: ex.arrivalMs, headerTimeoutUs, routeKey, trace });
        const encodeMs = performance.now();
        const encoded = encodeResponse(format, request, response);
        service.observeWire('encode', format, (performance.now() - encodeMs) * 1000);
        ex.finish(200, encoded.headers, encoded.bytes, encoded.contentType);
      } catch (e) {
        answerError(e);
      }
      if (body instanceof Uint8Array) releaseBody(bodyPool, body); // answered: no view into it is left (body.ts)
      // The client left mid-body or mid-compute: its buffers are garbage (reclaim.ts).
      if (ex.aborted) reclaimer.noteAbandoned(ex.contentLength ?? 0);
    })();
  };
  simple('/v2/models/:model/infer', 'post', (ex, req) => infer(ex, param(req, 0), ''));
  simple('/v2/models/:model/versions/:version/infer', 'post', (ex, req) => infer(ex, param(req, 0), param(req, 1)));

  const control = (ex: HttpExchange, action: (body: Uint8Array) => Promise<unknown>): void => {
    void (async () => {
      try {
        // Control requests may carry a JSON body (parameters).
        const body = await readBody(ex, 1 << 20);
        const result = await action(body);
        ex.finishJson(200, result ?? {});
      } catch (e) {
        fail(ex, e);
      }
    })();
  };
  // The index is read-only: answered in every control mode. Triton's {"ready": true} keeps
  // only the versions that are ready.
  simple('/v2/repository/index', 'post', (ex) => control(ex, async (body) => {
    const index = (await service.repositoryIndex()).map((e) => (e.reason === undefined ? e : { ...e, reason: redact.text(e.reason) }));
    return readyOnly(body) ? index.filter((e) => e.state === 'READY') : index;
  }));
  // Model control: off unless --model-control-mode explicit, and then only with the admin
  // token (checked before anything else, so that a caller without it learns nothing).
  const repo = service.repository;
  const modelControl = (action: 'load' | 'unload' | 'routing'): RouteHandler => (ex, req) => {
    if (!repo) throw err('IG_NOT_FOUND', 'model control is disabled: start with --model-control-mode explicit');
    const denied = admin(ex.headers.get('authorization'));
    if (denied) return fail(ex, denied, { 'WWW-Authenticate': WWW_AUTHENTICATE });
    const name = param(req, 0);
    control(ex, (body) => (action === 'routing' ? repo.routing(name, body) : repo[action](name)));
  };
  simple('/v2/repository/models/:model/load', 'post', modelControl('load'));
  simple('/v2/repository/models/:model/unload', 'post', modelControl('unload'));
  simple('/v2/repository/models/:model/routing', 'post', modelControl('routing'));

  /** Every request: count it in the drain gate, refuse a head uWS let through (strict-head.ts). */
  const exchange = (res: uWS.HttpResponse, req: uWS.HttpRequest, handler: RouteHandler): void => {
    const ex = new HttpExchange(res, req, performance.now(), gate, onExchangeError);
    const bad = checkHead(ex, opts.maxBodyBytes);
    if (bad) {
      // Answered on the next turn, not now: uWS goes on parsing the bytes after this head as
      // the next request as soon as this callback returns (a smuggled request). With this
      // answer still pending it does not; the answer then closes the connection.
      ex.closeAfter = true;
      setImmediate(() => fail(ex, bad));
      return;
    }
    try {
      handler(ex, req);
    } catch (e) {
      fail(ex, e);
    }
  };

  for (const [pattern, byMethod] of routes) {
    for (const [method, handler] of byMethod) {
      app[method](pattern, (res, req) => exchange(res, req, handler));
    }
    // uWS tries method-specific handlers before any().
    const allow = [...byMethod.keys()].map((m) => m.toUpperCase()).join(', ');
    app.any(pattern, (res, req) => exchange(res, req, (ex) =>
      fail(ex, err('IG_METHOD_NOT_ALLOWED', `${ex.method.toUpperCase()} is not allowed on ${ex.url} (allowed: ${allow})`), { Allow: allow })));
  }

  let health: HealthListener | undefined;
  const stream = attachStream(app, service, { maxPayloadBytes: opts.maxBodyBytes, flatLimits: json.flatLimits, ...opts.stream, ...(report ? { onError: report } : {}) }, { gate, redact });

  app.any('/*', (res, req) => exchange(res, req, (ex) => fail(ex, err('IG_NOT_FOUND', `no route for ${ex.method.toUpperCase()} ${ex.url}`))));

  return new Promise<RunningServer>((resolve, reject) => {
    // An exclusive listen (no SO_REUSEPORT): a second infergate on the same port must fail to
    // start, not silently split the traffic with the first.
    const listen = app.listen as unknown as (host: string, port: number, options: number, cb: (s: uWS.us_listen_socket | false) => void) => void;
    listen.call(app, opts.host, opts.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
      if (!listenSocket) {
        reject(new Error(`could not listen on ${opts.host}:${opts.port}: the port is in use by another process, or not permitted (choose another with --port)`));
        return;
      }
      const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
      json.thread.start(); // ready before the first large body: decode-thread.ts
      let listening = true;
      const stopListening = (): void => {
        if (listening) uWS.us_listen_socket_close(listenSocket);
        listening = false;
        health?.close();
        health = undefined;
      };
      resolve({
        port,
        healthPort: undefined,
        stopListening,
        beginDrain() {
          stopListening();
          gate.begin();
        },
        whenIdle: () => gate.whenIdle(),
        get inFlight() {
          return gate.inFlight;
        },
        bodyBufferStats: () => bodyPool.stats(),
        closeAll() {
          stopListening();
          stream.closeAll();
          void json.thread.close();
          reclaimer.close();
          (app as unknown as { close?: () => void }).close?.();
        },
      });
    });
  }).then(async (server) => {
    if (opts.healthPort === undefined) return server;
    try {
      health = await startHealthListener(opts.host, opts.healthPort, service);
    } catch (e) {
      server.closeAll();
      throw e;
    }
    server.healthPort = health.port;
    return server;
  });
}
