// OpenTelemetry tracing, off by default. On when the standard OTEL_TRACES_EXPORTER names `otlp`
// (and OTEL_SDK_DISABLED is not true); then each infer request is one SERVER span, a child of the
// caller's W3C trace context (`traceparent` / `tracestate` headers, or the same-named request
// parameters on the WebSocket stream), with the batch it ran in (rows, id, runs) as attributes and
// its dispatch and compute as events. The sampler decides before any span exists (sampling.ts):
// a request left out costs a random number or a traceparent parse, no SDK call. Spans leave through the official SDK's batch processor and
// OTLP/HTTP exporter, configured by the standard variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME,
// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, OTEL_BSP_*.
//
// The SDK is imported only when tracing is on: a gateway without it loads none of it.
import type { Logger } from './log.js';
import { SamplingDecider, samplerFromEnv } from './sampling.js';

export interface TraceContext {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/** How one request ended, for its span. */
export interface RequestOutcome {
  /** HTTP-equivalent status (200, or the error's). */
  status: number;
  code?: string;
  /** Admission to dispatch and dispatch to finish of its batch, us (absent when it never ran). */
  queueUs?: number;
  computeUs?: number;
  batchRows?: number;
  /** Per model version, 1, 2, ... in dispatch order: requests that shared a batch share it. */
  batchId?: number;
  runs?: number;
}

export interface RequestSpan {
  end(outcome: RequestOutcome): void;
}

export interface Tracing {
  /** Starts a request's span at its arrival (ms since the epoch); undefined when the sampler
   *  leaves the request out (then nothing at all is created for it). */
  startRequest(model: string, version: string, requestId: string, parent: TraceContext, arrivalEpochMs: number): RequestSpan | undefined;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** undefined unless the environment turns tracing on. */
export async function tracingFromEnv(env: Env, log: Pick<Logger, 'info' | 'warn'>): Promise<Tracing | undefined> {
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? 'none').split(',').map((s) => s.trim().toLowerCase());
  if (env['OTEL_SDK_DISABLED']?.toLowerCase() === 'true' || !exporters.includes('otlp')) return undefined;
  const api = await import('@opentelemetry/api');
  const { parseTraceParent, TraceState } = await import('@opentelemetry/core');
  const base = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');

  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']
    ?? (env['OTEL_EXPORTER_OTLP_ENDPOINT'] ? `${env['OTEL_EXPORTER_OTLP_ENDPOINT'].replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
  const spec = samplerFromEnv(env);
  if (spec.unsupported !== undefined) log.warn(`OTEL_TRACES_SAMPLER=${spec.unsupported} is not supported here; using parentbased_always_on`);
  const decider = new SamplingDecider(spec);
  // The decider has sampled every span the SDK is asked for (sampling.ts); the SDK's sampler
  // would decide the same again. A new root's trace id is the one the decider drew.
  let rootTraceId = '';
  const ids = new base.RandomIdGenerator();
  const provider = new base.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] ?? 'infergate' }),
    sampler: new base.AlwaysOnSampler(),
    idGenerator: { generateTraceId: () => rootTraceId, generateSpanId: () => ids.generateSpanId() },
    spanProcessors: [new base.BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  const tracer = provider.getTracer('infergate');
  log.info(`tracing on: OTLP/HTTP to ${endpoint}, sampler ${spec.name}`, { endpoint, sampler: spec.name });

  return {
    startRequest(model, version, requestId, parent, arrivalEpochMs) {
      const caller = parent.traceparent ? parseTraceParent(parent.traceparent) : null;
      const traceId = decider.decide(caller);
      if (traceId === undefined) return undefined;
      let ctx = api.ROOT_CONTEXT;
      // As W3CTraceContextPropagator.extract() builds the caller's context.
      if (caller !== null) ctx = api.trace.setSpanContext(ctx, { ...caller, isRemote: true, ...(parent.tracestate ? { traceState: new TraceState(parent.tracestate) } : {}) });
      else rootTraceId = traceId;
      const span = tracer.startSpan(`infer ${model}`, {
        kind: api.SpanKind.SERVER,
        startTime: arrivalEpochMs,
        attributes: { 'infergate.model': model, 'infergate.model_version': version, ...(requestId ? { 'infergate.request_id': requestId } : {}) },
      }, ctx);
      return {
        end(o) {
          if (o.queueUs !== undefined) {
            span.addEvent('dispatched', { 'infergate.queue_us': o.queueUs }, arrivalEpochMs + o.queueUs / 1000);
            if (o.computeUs !== undefined) span.addEvent('computed', { 'infergate.compute_us': o.computeUs }, arrivalEpochMs + (o.queueUs + o.computeUs) / 1000);
          }
          if (o.batchRows !== undefined) span.setAttribute('infergate.batch.rows', o.batchRows);
          if (o.batchId !== undefined) span.setAttribute('infergate.batch.id', o.batchId);
          if (o.runs !== undefined) span.setAttribute('infergate.batch.runs', o.runs);
          span.setAttribute('http.response.status_code', o.status);
          if (o.status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR, message: o.code ?? String(o.status) });
          if (o.code) span.setAttribute('infergate.error_code', o.code);
          span.end();
        },
      };
    },
    shutdown: () => provider.shutdown(),
  };
}
