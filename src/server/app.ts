// The uWebSockets.js application: KServe v2 / Open Inference Protocol routes, /metrics and the
// WebSocket stream. Routing and HTTP details live here; all model work is behind
// InferenceService.
import uWS from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import { err } from '../core/errors.js';
import { HttpExchange } from './http-exchange.js';
import { readBody } from './body.js';
import { decodeRequest, detectFormat, encodeError, encodeResponse, type JsonDecoding, type WireFormat } from './formats.js';
import { DecodeThread } from './decode-thread.js';
import { Reclaimer } from './reclaim.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from '../protocol/kserve-json.js';
import { DEFAULT_FLAT_LIMITS } from '../protocol/flatbuffers-codec.js';
import type { InferenceService } from '../core/service.js';
import { attachStream, type StreamOptions } from './websocket.js';
import { assertNativeUws } from './uws-native.js';

export interface ServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  stream?: Partial<StreamOptions>;
  /** Limits on KServe JSON, and the size above which it is decoded off the HTTP thread
   *  (scanAboveBytes: --json-offload-bytes). Default: the settings rows' defaults. */
  json?: Partial<JsonLimits>;
}

export interface RunningServer {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops accepting new connections; in-flight exchanges keep running. */
  stopListening(): void;
  /** Closes every connection (after draining). */
  closeAll(): void;
}

/** uWS's ListenOptions value (a const enum in its typings, so not importable at run time). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

/** Triton's repository index body: {"ready": true} lists only ready versions. */
function readyOnly(body: Uint8Array): boolean {
  if (body.byteLength === 0) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch (e) {
    throw err('IG_BAD_JSON', `repository index body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return typeof parsed === 'object' && parsed !== null && (parsed as { ready?: unknown }).ready === true;
}

function param(req: uWS.HttpRequest, i: number): string {
  const raw = req.getParameter(i) ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

type Method = 'get' | 'post';
type RouteHandler = (ex: HttpExchange, req: uWS.HttpRequest) => void;

export function startServer(service: InferenceService, opts: ServerOptions): Promise<RunningServer> {
  assertNativeUws(uWS);
  const app = uWS.App();
  const jsonLimits: JsonLimits = { ...DEFAULT_JSON_LIMITS, ...opts.json };
  const json: JsonDecoding = {
    limits: jsonLimits,
    flatLimits: { ...DEFAULT_FLAT_LIMITS, maxTensors: jsonLimits.maxInputs, maxRequestedOutputs: jsonLimits.maxInputs },
    thread: new DecodeThread(),
  };
  const reclaimer = new Reclaimer();

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
    void (async () => {
      try {
        // Before the body: an unknown model is a 404 whatever the body holds (as in Triton).
        service.checkModel(model, version);
        const body = await readBody(ex, opts.maxBodyBytes);
        const readMs = performance.now();
        const decoded = decodeRequest(ex, format, body, model, version, json);
        // Large JSON comes back from the decode thread; everything else is decoded already.
        const request = decoded instanceof Promise ? await decoded : decoded;
        const decodedMs = performance.now();
        service.observeWire('read', format, (readMs - ex.arrivalMs) * 1000);
        service.observeWire('decode', format, (decodedMs - readMs) * 1000);
        id = request.id;
        const timeoutHeader = ex.headers.get('x-infergate-timeout-us');
        const headerTimeoutUs = timeoutHeader !== undefined && /^\d+$/.test(timeoutHeader) ? Number(timeoutHeader) : undefined;
        const response = await service.infer(request, { signal: ex.signal, arrivalMs: ex.arrivalMs, headerTimeoutUs });
        const encodeMs = performance.now();
        const encoded = encodeResponse(format, request, response);
        service.observeWire('encode', format, (performance.now() - encodeMs) * 1000);
        ex.finish(200, { 'Content-Type': encoded.contentType, ...encoded.headers }, encoded.bytes);
      } catch (e) {
        ex.finishError(e, encodeError(format, e, id, model));
      }
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
        ex.finishError(e);
      }
    })();
  };
  // The index is read-only: answered in every control mode. Triton's {"ready": true} keeps
  // only the versions that are ready.
  simple('/v2/repository/index', 'post', (ex) => control(ex, async (body) => {
    const index = await service.repositoryIndex();
    return readyOnly(body) ? index.filter((e) => e.state === 'READY') : index;
  }));
  const repo = service.repository;
  simple('/v2/repository/models/:model/load', 'post', (ex, req) => {
    if (!repo) throw err('IG_NOT_FOUND', 'model control is disabled: start with --model-control-mode explicit');
    const name = param(req, 0);
    control(ex, () => repo.load(name));
  });
  simple('/v2/repository/models/:model/unload', 'post', (ex, req) => {
    if (!repo) throw err('IG_NOT_FOUND', 'model control is disabled: start with --model-control-mode explicit');
    const name = param(req, 0);
    control(ex, () => repo.unload(name));
  });

  for (const [pattern, byMethod] of routes) {
    for (const [method, handler] of byMethod) {
      app[method](pattern, (res, req) => {
        const ex = new HttpExchange(res, req, performance.now());
        try {
          handler(ex, req);
        } catch (e) {
          ex.finishError(e);
        }
      });
    }
    // uWS tries method-specific handlers before any().
    const allow = [...byMethod.keys()].map((m) => m.toUpperCase()).join(', ');
    app.any(pattern, (res, req) => {
      const ex = new HttpExchange(res, req, performance.now());
      ex.finishError(err('IG_METHOD_NOT_ALLOWED', `${ex.method.toUpperCase()} is not allowed on ${ex.url} (allowed: ${allow})`), undefined, { Allow: allow });
    });
  }

  const stream = attachStream(app, service, { maxPayloadBytes: opts.maxBodyBytes, ...opts.stream });

  app.any('/*', (res, req) => {
    const ex = new HttpExchange(res, req, performance.now());
    ex.finishError(err('IG_NOT_FOUND', `no route for ${ex.method.toUpperCase()} ${ex.url}`));
  });

  return new Promise((resolve, reject) => {
    // An exclusive listen (no SO_REUSEPORT): a second infergate on the same port must fail to
    // start, not silently split the traffic with the first.
    const listen = app.listen as unknown as (host: string, port: number, options: number, cb: (s: uWS.us_listen_socket | false) => void) => void;
    listen.call(app, opts.host, opts.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
      if (!listenSocket) {
        reject(new Error(`could not listen on ${opts.host}:${opts.port}: the port is in use by another process, or not permitted (choose another with --port)`));
        return;
      }
      const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
      let listening = true;
      resolve({
        port,
        stopListening() {
          if (listening) uWS.us_listen_socket_close(listenSocket);
          listening = false;
        },
        closeAll() {
          if (listening) uWS.us_listen_socket_close(listenSocket);
          listening = false;
          stream.closeAll();
          void json.thread.close();
          reclaimer.close();
          (app as unknown as { close?: () => void }).close?.();
        },
      });
    });
  });
}
