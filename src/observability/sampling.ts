// The sampling decision of OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, made before any span
// exists so that a request that will not be sampled costs no span at all (no propagator, no
// context, no span or trace id strings, no SDK calls). It reproduces the official SDK's samplers
// (@opentelemetry/sdk-trace, checked against them in test/observability/sampling.test.ts):
// - traceidratio: sampled when the XOR of the trace id's four 32-bit words is below
//   floor(ratio * 0xffffffff) (2^32 at ratio 1), on the caller's trace id or on a new one;
// - parentbased_*: with a valid caller context (`traceparent`), its sampled flag decides
//   (the SDK's remoteParentSampled = always_on, remoteParentNotSampled = always_off); without
//   one, the root sampler (always_on, always_off or traceidratio) decides.
// A new root trace id is drawn as the SDK's RandomIdGenerator draws it (four words of
// Math.random() * 2^32), except that the words' XOR, which is all the ratio sampler reads, is
// drawn first and the id is only spelled out when sampled: the same distribution of ids and
// decisions, one random number for a request that is not sampled.

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
const NAMES: readonly string[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export interface SamplerSpec {
  name: SamplerName;
  /** OTEL_TRACES_SAMPLER_ARG for the ratio samplers: 1 when unset, not a number, or outside [0, 1]. */
  ratio: number;
  /** The unsupported OTEL_TRACES_SAMPLER value replaced by parentbased_always_on, if any. */
  unsupported?: string;
}

type Env = Record<string, string | undefined>;

export function samplerFromEnv(env: Env): SamplerSpec {
  const raw = Number(env['OTEL_TRACES_SAMPLER_ARG'] ?? '1');
  const ratio = Number.isFinite(raw) && raw >= 0 && raw <= 1 ? raw : 1;
  const name = (env['OTEL_TRACES_SAMPLER'] ?? 'parentbased_always_on').toLowerCase();
  if (NAMES.includes(name)) return { name: name as SamplerName, ratio };
  return { name: 'parentbased_always_on', ratio, unsupported: name };
}

/** The caller's context as @opentelemetry/core's parseTraceParent reads a valid `traceparent`. */
export interface ParentIds {
  traceId: string;
  traceFlags: number;
}

/** The XOR of a trace id's four 32-bit words (hex, 32 characters), as TraceIdRatioBasedSampler reads it. */
export function traceIdWords(traceId: string): number {
  let acc = 0;
  for (let i = 0; i < 32; i += 8) acc = (acc ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return acc;
}

const word = (): number => (Math.random() * 2 ** 32) >>> 0;
/** Spells the id as RandomIdGenerator does (a shared buffer, hex): cheaper than toString(16). */
const ID_BYTES = Buffer.alloc(16);

/** Decides per request; returns the trace id of the span to create, or undefined: not sampled. */
export class SamplingDecider {
  readonly #parentBased: boolean;
  /** Root (or, without parentbased, every) decision: sampled when the words' XOR < this. */
  readonly #upperBound: number;

  constructor(spec: SamplerSpec) {
    this.#parentBased = spec.name.startsWith('parentbased_');
    const root = this.#parentBased ? spec.name.slice('parentbased_'.length) : spec.name;
    const ratio = root === 'always_on' ? 1 : root === 'always_off' ? 0 : spec.ratio;
    this.#upperBound = ratio >= 1 ? 2 ** 32 : Math.floor(ratio * 0xffffffff);
  }

  /** `parent`: the parsed `traceparent`, or null when the request has none (or an invalid one). */
  decide(parent: ParentIds | null): string | undefined {
    if (parent !== null) {
      if (this.#parentBased) return (parent.traceFlags & 1) === 1 ? parent.traceId : undefined;
      return traceIdWords(parent.traceId) < this.#upperBound ? parent.traceId : undefined;
    }
    if (this.#upperBound === 0) return undefined;
    const xor = word();
    if (xor >= this.#upperBound) return undefined;
    const w0 = word();
    const w1 = word();
    const w2 = word();
    let w3 = (xor ^ w0 ^ w1 ^ w2) >>> 0;
    // The SDK never issues the invalid all-zero id: it sets the last byte to 1.
    if ((w0 | w1 | w2 | w3) === 0) w3 = 1;
    ID_BYTES.writeUInt32BE(w0, 0);
    ID_BYTES.writeUInt32BE(w1, 4);
    ID_BYTES.writeUInt32BE(w2, 8);
    ID_BYTES.writeUInt32BE(w3, 12);
    return ID_BYTES.toString('hex');
  }
}
