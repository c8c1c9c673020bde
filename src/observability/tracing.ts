// OpenTelemetry tracing, off by default. On when the standard OTEL_TRACES_EXPORTER names `otlp`
// (and OTEL_SDK_DISABLED is not true); then each infer request is one SERVER span, a child of the
// caller's W3C trace context (`traceparent` / `tracestate` headers, or the same-named request
// parameters on the WebSocket stream), with the batch it ran in (rows, runs) as attributes and
// its dispatch and compute as events. Spans leave through the official SDK's batch processor and
// OTLP/HTTP exporter, configured by the standard variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME,
// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, OTEL_BSP_*.
//
// The SDK is imported only when tracing is on: a gateway without it loads none of it.
import type { Logger } from './log.js';

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
  runs?: number;
}

export interface RequestSpan {
  end(outcome: RequestOutcome): void;
}

export interface Tracing {
  /** Starts a request's span at its arrival (ms since the epoch). */
  startRequest(model: string, version: string, requestId: string, parent: TraceContext, arrivalEpochMs: number): RequestSpan;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** undefined unless the environment turns tracing on. */
export async function tracingFromEnv(env: Env, log: Pick<Logger, 'info' | 'warn'>): Promise<Tracing | undefined> {
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? 'none').split(',').map((s) => s.trim().toLowerCase());
  if (env['OTEL_SDK_DISABLED']?.toLowerCase() === 'true' || !exporters.includes('otlp')) return undefined;
  const api = await import('@opentelemetry/api');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const base = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');

  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']
    ?? (env['OTEL_EXPORTER_OTLP_ENDPOINT'] ? `${env['OTEL_EXPORTER_OTLP_ENDPOINT'].replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
  const ratio = Number(env['OTEL_TRACES_SAMPLER_ARG'] ?? '1');
  const arg = Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1;
  const samplers: Record<string, () => import('@opentelemetry/sdk-trace-base').Sampler> = {
    always_on: () => new base.AlwaysOnSampler(),
    always_off: () => new base.AlwaysOffSampler(),
    traceidratio: () => new base.TraceIdRatioBasedSampler(arg),
    parentbased_always_on: () => new base.ParentBasedSampler({ root: new base.AlwaysOnSampler() }),
    parentbased_always_off: () => new base.ParentBasedSampler({ root: new base.AlwaysOffSampler() }),
    parentbased_traceidratio: () => new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(arg) }),
  };
  const samplerName = (env['OTEL_TRACES_SAMPLER'] ?? 'parentbased_always_on').toLowerCase();
  const makeSampler = Object.prototype.hasOwnProperty.call(samplers, samplerName) ? samplers[samplerName] : undefined;
  if (!makeSampler) log.warn(`OTEL_TRACES_SAMPLER=${samplerName} is not supported here; using parentbased_always_on`);
  const provider = new base.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] ?? 'infergate' }),
    sampler: (makeSampler ?? samplers['parentbased_always_on']!)(),
    spanProcessors: [new base.BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  const tracer = provider.getTracer('infergate');
  const propagator = new W3CTraceContextPropagator();
  log.info(`tracing on: OTLP/HTTP to ${endpoint}, sampler ${makeSampler ? samplerName : 'parentbased_always_on'}`, { endpoint, sampler: samplerName });

  return {
    startRequest(model, version, requestId, parent, arrivalEpochMs) {
      const carrier: Record<string, string> = {};
      if (parent.traceparent) carrier['traceparent'] = parent.traceparent;
      if (parent.traceparent && parent.tracestate) carrier['tracestate'] = parent.tracestate;
      const ctx = propagator.extract(api.ROOT_CONTEXT, carrier, api.defaultTextMapGetter);
      const span = tracer.startSpan(`infer ${model}`, {
        kind: api.SpanKind.SERVER,
        startTime: arrivalEpochMs,
        attributes: { 'infergate.model': model, 'infergate.model_version': version, ...(requestId ? { 'infergate.request_id': requestId } : {}) },
      }, ctx);
      return {
        end(o) {
          if (!span.isRecording()) {
            span.end();
            return;
          }
          if (o.queueUs !== undefined) {
            span.addEvent('dispatched', { 'infergate.queue_us': o.queueUs }, arrivalEpochMs + o.queueUs / 1000);
            if (o.computeUs !== undefined) span.addEvent('computed', { 'infergate.compute_us': o.computeUs }, arrivalEpochMs + (o.queueUs + o.computeUs) / 1000);
          }
          if (o.batchRows !== undefined) span.setAttribute('infergate.batch.rows', o.batchRows);
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
