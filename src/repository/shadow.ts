// Shadow traffic: a copy of a live request goes to the shadow version after the live one has been
// dispatched; the shadow's answer is compared with the live answer and dropped. Nothing of the
// shadow reaches the caller: it starts on a later event-loop turn (setImmediate), its failures
// and its latency are only counted, and the live promise is never awaited on the live path.
// A bound on shadow requests in flight keeps a slow shadow from holding memory without limit:
// beyond it, copies are skipped and counted.
//
// Comparison, per request, of the first output of the live answer with the shadow's output of
// the same name (FP32 or FP64, same element count): every element's absolute difference into a
// histogram, and, over requests of at least MIN_RANK_ROWS elements (a ranker's K candidates),
// the Spearman rank correlation of the two score lists into another.
import { performance } from 'node:perf_hooks';
import { toInferError } from '../core/errors.js';
import type { CancelSignal, InferRequest, InferResponse, WireTensor } from '../core/types.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';

/** Fewer elements make a rank correlation too coarse to say anything (2 points give +-1). */
export const MIN_RANK_ROWS = 10;
/** Shadow requests in flight per manager before copies are skipped. */
export const DEFAULT_SHADOW_MAX_IN_FLIGHT = 64;

export interface ShadowTarget {
  readonly labels: Readonly<{ model: string; version: string }>;
  infer(req: InferRequest, signal: CancelSignal | undefined, deadlineUs: number): Promise<InferResponse>;
}

export class ShadowRunner {
  inFlight = 0;
  readonly #metrics: GatewayMetrics;
  readonly #maxInFlight: number;
  readonly #defer: (fn: () => void) => void;
  readonly #pairLabels = new Map<string, Readonly<{ model: string; live: string; shadow: string }>>();

  constructor(metrics: GatewayMetrics, opts: { maxInFlight?: number; defer?: (fn: () => void) => void } = {}) {
    this.#metrics = metrics;
    this.#maxInFlight = opts.maxInFlight ?? DEFAULT_SHADOW_MAX_IN_FLIGHT;
    this.#defer = opts.defer ?? ((fn) => setImmediate(fn));
  }

  /** Sends a copy of `req` to `target` on a later turn; compares with `live` once both settle.
   *  Never throws, and the promise it starts never rejects. */
  mirror(req: InferRequest, target: ShadowTarget, live: Promise<InferResponse>, liveVersion: string): void {
    const m = this.#metrics;
    if (this.inFlight >= this.#maxInFlight) {
      m.shadowSkipped.inc(target.labels);
      return;
    }
    this.inFlight++;
    // The caller's tensors are views into its body, valid until the live request finishes;
    // the shadow may outlive it, so it gets its own bytes.
    const copy: InferRequest = { ...req, modelVersion: target.labels.version, inputs: req.inputs.map((t) => ({ ...t, shape: [...t.shape], data: t.data.slice() })) };
    this.#defer(() => void this.#run(copy, target, live, liveVersion));
  }

  async #run(req: InferRequest, target: ShadowTarget, live: Promise<InferResponse>, liveVersion: string): Promise<void> {
    const m = this.#metrics;
    const startMs = performance.now();
    try {
      const shadow = await target.infer(req, undefined, 0);
      m.shadowDuration.observe(target.labels, (performance.now() - startMs) * 1000);
      const answer = await live.then((r) => r, () => undefined);
      if (answer) this.#compare(answer, shadow, target.labels.model, liveVersion, target.labels.version);
    } catch (e) {
      m.shadowFailure.inc({ ...target.labels, code: toInferError(e).code });
    } finally {
      this.inFlight--;
    }
  }

  #compare(live: InferResponse, shadow: InferResponse, model: string, liveVersion: string, shadowVersion: string): void {
    const first = live.outputs[0];
    const other = first && shadow.outputs.find((o) => o.name === first.name);
    const a = first && scoresOf(first);
    const b = other && scoresOf(other);
    if (!a || !b || a.length !== b.length) return;
    const key = `${model}\u0000${liveVersion}\u0000${shadowVersion}`;
    let labels = this.#pairLabels.get(key);
    if (!labels) this.#pairLabels.set(key, (labels = Object.freeze({ model, live: liveVersion, shadow: shadowVersion })));
    for (let i = 0; i < a.length; i++) this.#metrics.shadowAbsDiff.observe(labels, Math.abs(a[i]! - b[i]!));
    if (a.length >= MIN_RANK_ROWS) this.#metrics.shadowRankCorrelation.observe(labels, spearman(a, b));
  }
}

/** An FP32 or FP64 tensor's values; undefined for other datatypes. */
export function scoresOf(t: WireTensor): Float64Array | undefined {
  const d = t.data;
  if (t.datatype === 'FP32' && d.byteLength % 4 === 0) {
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    return Float64Array.from({ length: d.byteLength / 4 }, (_, i) => v.getFloat32(i * 4, true));
  }
  if (t.datatype === 'FP64' && d.byteLength % 8 === 0) {
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    return Float64Array.from({ length: d.byteLength / 8 }, (_, i) => v.getFloat64(i * 8, true));
  }
  return undefined;
}

/** Ranks 1..n, ties sharing their mean rank. */
function ranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
  const r = new Float64Array(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson over the ranks, so ties are handled); 1 when either list
 *  is constant and equal to the other, else 0 for a constant list (no order to agree with). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new RangeError(`lists of ${n} and ${b.length} values`);
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (n + 1) / 2;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = ra[i]! - mean;
    const db = rb[i]! - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return saa === sbb ? 1 : 0;
  return sab / Math.sqrt(saa * sbb);
}
