// WebSocket stream at /v2/stream: each binary frame is one FlatBuffers InferRequest; each answer
// is one FlatBuffers InferResponse frame (or an error response) carrying the request's id, sent
// in completion order. Many requests may be in flight per connection, up to a bound.
// Backpressure: when uWS's send buffer passes maxBackpressureBytes, answers wait in a per-socket
// queue that is flushed on `drain`; a client that stops reading while its queue keeps growing
// past maxPendingBytes is disconnected rather than allowed to grow server memory without bound.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import { err, toInferError, type InferError } from '../core/errors.js';
import { decodeFlatRequest, encodeFlatError, encodeFlatResponse, type FlatDecodeLimits } from '../protocol/flatbuffers-codec.js';
import type { ErrorAnswer, InferenceService } from '../core/service.js';
import type { DrainGate } from './drain.js';
import type { Redactor } from './public-error.js';

export interface StreamOptions {
  maxPayloadBytes: number;
  maxInFlightPerConnection: number;
  maxBackpressureBytes: number;
  maxPendingBytes: number;
  idleTimeoutS: number;
  /** Hears every error answer sent on a stream (for the log). */
  onError?: (a: ErrorAnswer) => void;
  /** FlatBuffers decode limits: the same --max-inputs as HTTP (app.ts passes them). */
  flatLimits?: FlatDecodeLimits;
}

const DEFAULTS: StreamOptions = {
  maxPayloadBytes: 64 << 20,
  maxInFlightPerConnection: 1024,
  maxBackpressureBytes: 1 << 20,
  maxPendingBytes: 64 << 20,
  idleTimeoutS: 120,
};

interface Conn {
  closed: boolean;
  inFlight: Map<number, AbortController>;
  nextSeq: number;
  pending: Uint8Array[];
  pendingBytes: number;
}

/** The server's drain gate (each stream request counts in it until answered; while it drains,
 *  new frames are refused with IG_SHUTTING_DOWN and new upgrades with 503) and its redactor. */
export interface StreamDeps { gate: DrainGate; redact: Redactor }

export function attachStream(app: TemplatedApp, service: InferenceService, partial: Partial<StreamOptions>, deps: StreamDeps): { closeAll(): void } {
  const { gate, redact } = deps;
  const opts: StreamOptions = { ...DEFAULTS, ...partial };
  const sockets = new Set<WebSocket<Conn>>();

  const flush = (ws: WebSocket<Conn>): void => {
    const c = ws.getUserData();
    ws.cork(() => {
      while (c.pending.length > 0 && ws.getBufferedAmount() < opts.maxBackpressureBytes) {
        const frame = c.pending.shift()!;
        c.pendingBytes -= frame.byteLength;
        ws.send(frame, true);
      }
    });
  };

  const sendFrame = (ws: WebSocket<Conn>, frame: Uint8Array): void => {
    const c = ws.getUserData();
    if (c.closed) return;
    if (c.pending.length === 0 && ws.getBufferedAmount() < opts.maxBackpressureBytes) {
      ws.cork(() => ws.send(frame, true));
      return;
    }
    c.pending.push(frame);
    c.pendingBytes += frame.byteLength;
    if (c.pendingBytes > opts.maxPendingBytes) ws.end(1008, 'client is not reading its responses');
  };

  const fail = (ws: WebSocket<Conn>, e: unknown, id: string, model: string): void => {
    // No file path or stack reaches a client (public-error.ts).
    const ie: InferError = redact.error(e);
    opts.onError?.({ error: ie, transport: 'ws', method: 'WS', url: '/v2/stream', model, requestId: id });
    sendFrame(ws, encodeFlatError(ie, id, model));
  };

  app.ws<Conn>('/v2/stream', {
    maxPayloadLength: opts.maxPayloadBytes,
    idleTimeout: opts.idleTimeoutS,
    maxBackpressure: Math.max(opts.maxBackpressureBytes * 2, opts.maxPendingBytes),
    upgrade: (res, req, context) => {
      if (gate.draining) {
        res.writeStatus('503 Service Unavailable').writeHeader('Retry-After', '1').writeHeader('X-Infergate-Error', 'IG_SHUTTING_DOWN').end('', true);
        return;
      }
      res.upgrade<Conn>(
        { closed: false, inFlight: new Map(), nextSeq: 0, pending: [], pendingBytes: 0 },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      sockets.add(ws);
    },
    message: (ws, message, isBinary) => {
      const arrivalMs = performance.now();
      const c = ws.getUserData();
      if (!isBinary) {
        fail(ws, err('IG_BAD_REQUEST', 'stream frames must be binary FlatBuffers InferRequest messages'), '', '');
        return;
      }
      // uWS neuters `message` after this callback: copy it before anything asynchronous.
      const body = new Uint8Array(message.byteLength);
      body.set(new Uint8Array(message));
      let id = '';
      let model = '';
      try {
        const request = decodeFlatRequest(body, opts.flatLimits);
        service.observeWire('decode', 'ws', (performance.now() - arrivalMs) * 1000);
        id = request.id;
        model = request.modelName;
        if (model === '') throw err('IG_BAD_REQUEST', 'stream requests must name their model (model_name)');
        if (gate.draining) throw err('IG_SHUTTING_DOWN', 'the server is shutting down', { retryAfterS: 1 });
        if (c.inFlight.size >= opts.maxInFlightPerConnection) {
          throw err('IG_TOO_MANY_REQUESTS', `more than ${opts.maxInFlightPerConnection} requests in flight on this connection`, { retryAfterS: 1 });
        }
        const seq = c.nextSeq++;
        const ac = new AbortController();
        c.inFlight.set(seq, ac);
        gate.arrive();
        // A frame has no headers: the trace context travels as request parameters.
        const { traceparent, tracestate } = request.parameters;
        const trace = typeof traceparent !== 'string' ? undefined : { traceparent, tracestate: typeof tracestate === 'string' ? tracestate : undefined };
        service.infer(request, { signal: ac.signal, arrivalMs, trace }).finally(() => gate.done()).then(
          (response) => {
            c.inFlight.delete(seq);
            const encodeMs = performance.now();
            const frame = encodeFlatResponse(response);
            service.observeWire('encode', 'ws', (performance.now() - encodeMs) * 1000);
            sendFrame(ws, frame);
          },
          (e: unknown) => {
            c.inFlight.delete(seq);
            fail(ws, e, id, model);
          },
        );
      } catch (e) {
        fail(ws, e, id, model);
      }
    },
    drain: (ws) => flush(ws),
    close: (ws) => {
      const c = ws.getUserData();
      c.closed = true;
      sockets.delete(ws);
      for (const ac of c.inFlight.values()) ac.abort();
      c.inFlight.clear();
      c.pending = [];
      c.pendingBytes = 0;
    },
  });

  return {
    closeAll() {
      for (const ws of [...sockets]) ws.end(1001, 'server shutting down');
    },
  };
}
