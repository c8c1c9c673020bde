// The sampling decision made before any span exists (src/observability/sampling.ts) is the
// official SDK's: for every OTEL_TRACES_SAMPLER and a range of OTEL_TRACES_SAMPLER_ARG values,
// on callers' traceparents (sampled, not sampled, invalid, other versions) the decision equals
// what the SDK's sampler decides on the context its W3C propagator extracts; new root trace ids
// are valid, are ones the SDK's sampler samples, and come at the configured rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { parseTraceParent, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { SamplingDecider, samplerFromEnv, traceIdWords, type SamplerSpec } from '../../src/observability/sampling.js';

/** The SDK sampler the gateway configured before it decided by itself (the same table). */
function sdkSampler(s: SamplerSpec): Sampler {
  const ratio = (): Sampler => new TraceIdRatioBasedSampler(s.ratio);
  switch (s.name) {
    case 'always_on': return new AlwaysOnSampler();
    case 'always_off': return new AlwaysOffSampler();
    case 'traceidratio': return ratio();
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: ratio() });
  }
}

const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
const NAMES = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
const ARGS = [undefined, '0', '0.1', '0.5', '0.999', '1', '1.5', '-1', 'nope'];

function traceparents(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 300; i++) out.push(`00-${hex(32)}-${hex(16)}-${i % 2 === 0 ? '01' : '00'}`);
  out.push(`00-${hex(32)}-${hex(16)}-03`, `00-${hex(32)}-${hex(16)}-02`, `01-${hex(32)}-${hex(16)}-01-future`, ` 00-${hex(32)}-${hex(16)}-01`);
  // Not valid: the SDK treats the request as having no caller context.
  out.push(`ff-${hex(32)}-${hex(16)}-01`, `00-${'0'.repeat(32)}-${hex(16)}-01`, `00-${hex(32)}-${'0'.repeat(16)}-01`,
    `00-${hex(32).toUpperCase()}-${hex(16)}-01`, `00-${hex(32)}-${hex(16)}-01-extra`, '00-abc-def-01', '', 'garbage');
  return out;
}

test('the decision on a caller\'s traceparent is the SDK sampler\'s, for every sampler and argument', () => {
  const propagator = new W3CTraceContextPropagator();
  const parents = traceparents();
  for (const name of NAMES) {
    for (const arg of ARGS) {
      const spec = samplerFromEnv({ OTEL_TRACES_SAMPLER: name, ...(arg !== undefined ? { OTEL_TRACES_SAMPLER_ARG: arg } : {}) });
      const sdk = sdkSampler(spec);
      const decider = new SamplingDecider(spec);
      // Trace ids on either side of the ratio's bound (the XOR of the words is the first word).
      const bound = Math.floor(spec.ratio * 0xffffffff);
      const edges = [bound - 1, bound, bound + 1].filter((w) => w > 0 && w <= 0xffffffff)
        .flatMap((w) => [`00-${w.toString(16).padStart(8, '0')}${'0'.repeat(24)}-${hex(16)}-00`, `00-${w.toString(16).padStart(8, '0')}${'0'.repeat(24)}-${hex(16)}-01`]);
      for (const tp of [...parents, ...edges]) {
        const ctx = propagator.extract(ROOT_CONTEXT, tp ? { traceparent: tp } : {}, defaultTextMapGetter);
        const parent = trace.getSpanContext(ctx);
        if (parent === undefined) continue; // roots: the next test
        const want = sdk.shouldSample(ctx, parent.traceId, 'infer', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
        const got = decider.decide(tp ? parseTraceParent(tp) : null);
        assert.equal(got !== undefined, want, `${name} ${String(arg)} ${tp}`);
        if (got !== undefined) assert.equal(got, parent.traceId, 'the span stays in the caller\'s trace');
      }
    }
  }
});

test('a root\'s trace id is valid and sampled as the SDK would sample it, at the configured rate', () => {
  const n = 20_000;
  for (const [name, arg, rate] of [
    ['parentbased_traceidratio', '0.1', 0.1], ['traceidratio', '0.5', 0.5], ['traceidratio', '0', 0], ['parentbased_traceidratio', '1', 1],
    ['parentbased_always_on', undefined, 1], ['always_on', '0', 1], ['parentbased_always_off', '1', 0], ['always_off', undefined, 0],
  ] as const) {
    const spec = samplerFromEnv({ OTEL_TRACES_SAMPLER: name, ...(arg !== undefined ? { OTEL_TRACES_SAMPLER_ARG: arg } : {}) });
    const sdk = sdkSampler(spec);
    const decider = new SamplingDecider(spec);
    let sampled = 0;
    for (let i = 0; i < n; i++) {
      const id = decider.decide(null);
      if (id === undefined) continue;
      sampled++;
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.ok(trace.isSpanContextValid({ traceId: id, spanId: 'b7ad6b7169203331', traceFlags: 1 }));
      assert.equal(sdk.shouldSample(ROOT_CONTEXT, id, 'infer', SpanKind.SERVER, {}, []).decision, SamplingDecision.RECORD_AND_SAMPLED, `${name} ${id}`);
    }
    // 20 000 draws: the binomial's standard deviation is at most 0.0036; 0.02 is > 5 of them.
    assert.ok(Math.abs(sampled / n - rate) < 0.02, `${name} ${String(arg)}: sampled ${sampled} of ${n}, want ${rate}`);
  }
});

test('OTEL_TRACES_SAMPLER_ARG and an unsupported sampler name', () => {
  assert.deepEqual(samplerFromEnv({}), { name: 'parentbased_always_on', ratio: 1 });
  assert.deepEqual(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.25' }), { name: 'traceidratio', ratio: 0.25 });
  assert.deepEqual(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: '2' }), { name: 'parentbased_always_on', ratio: 1, unsupported: 'jaeger_remote' });
  assert.equal(traceIdWords('00000001000000020000000400000008'), 15);
  assert.equal(traceIdWords('ffffffff00000000000000000000000f'), 0xfffffff0);
});
