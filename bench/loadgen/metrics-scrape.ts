// Reads the server's GET /metrics (Prometheus text format) before and after the measured window
// and turns the difference into what a load tester wants next to the client's numbers: mean
// queue and compute time per request, the server's own success count, the batch-size
// distribution. Everything is optional: peers expose no /metrics, and names may change.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface BatchBucket {
  /** The bucket's upper bound as Prometheus wrote it ("8", "+Inf"). */
  le: string;
  /** Batches in this bucket (not cumulative): le of the previous bucket < size <= le. */
  count: number;
}

export interface ServerMetrics {
  /** Every <family>_sum / <family>_count pair that moved, as a mean per observation, in us
   * when the family's unit is seconds, milliseconds or microseconds (else in its own unit). */
  means: Record<string, number>;
  queueMeanUs: number | null;
  computeMeanUs: number | null;
  /** Delta of a *request_success* counter, to cross-check the client's count. */
  requestSuccessDelta: number | null;
  batchSize: { family: string; buckets: BatchBucket[]; batches: number; meanRows: number | null } | null;
  /** Delta of an *inline_batches_total* counter: batches run on the HTTP thread (no hop). */
  inlineBatches?: number | null;
  /** How long after the window opened the "before" snapshot came back (its skew, in ms). */
  snapshotLagMs?: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const v = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (!Number.isNaN(v)) out.push({ name: m[1]!, labels, value: v });
  }
  return out;
}

/** GET {baseUrl}/metrics; null when absent or unreadable (peers have none). */
export async function scrapeMetrics(baseUrl: string, timeoutMs = 3000): Promise<Sample[] | null> {
  try {
    const res = await fetch(new URL('/metrics', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return parsePrometheus(await res.text());
  } catch {
    return null;
  }
}

/** Keeps series of `model` (or without a model label), summed per name (+ le for buckets). */
function totals(samples: readonly Sample[], model: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    const owner = s.labels['model'] ?? s.labels['model_name'];
    if (owner !== undefined && owner !== model) continue;
    const key = s.labels['le'] !== undefined ? `${s.name}|${s.labels['le']}` : s.name;
    m.set(key, (m.get(key) ?? 0) + s.value);
  }
  return m;
}

function toUsFactor(family: string): number | null {
  if (/(_us|_microseconds)$/.test(family)) return 1;
  if (/(_ms|_milliseconds)$/.test(family)) return 1e3;
  if (/_seconds$/.test(family)) return 1e6;
  return null;
}

export function serverDelta(before: readonly Sample[], after: readonly Sample[], model: string): ServerMetrics {
  const a = totals(before, model);
  const b = totals(after, model);
  const delta = (k: string): number => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const means: Record<string, number> = {};
  const families = [...b.keys()].filter((k) => k.endsWith('_sum')).map((k) => k.slice(0, -4)).sort();
  for (const f of families) {
    const n = delta(`${f}_count`);
    if (!(n > 0) || f.includes('batch_size')) continue;
    const factor = toUsFactor(f) ?? 1;
    means[f] = (delta(`${f}_sum`) / n) * factor;
  }
  const pick = (re: RegExp): number | null => {
    const f = Object.keys(means).find((k) => re.test(k) && toUsFactor(k) !== null);
    return f === undefined ? null : means[f]!;
  };
  const successKey = [...b.keys()].find((k) => /request_success(_total)?$/.test(k));
  const inlineKey = [...b.keys()].find((k) => /inline_batches(_total)?$/.test(k));
  return {
    means,
    queueMeanUs: pick(/queue.*(duration|time|latency)/),
    computeMeanUs: pick(/compute.*(duration|time|latency)/),
    requestSuccessDelta: successKey === undefined ? null : delta(successKey),
    batchSize: batchSizeDelta(a, b),
    inlineBatches: inlineKey === undefined ? null : delta(inlineKey),
  };
}

function batchSizeDelta(a: Map<string, number>, b: Map<string, number>): ServerMetrics['batchSize'] {
  const keys = [...b.keys()].filter((k) => k.includes('batch_size') && k.includes('_bucket|'));
  if (keys.length === 0) return null;
  const family = keys[0]!.slice(0, keys[0]!.indexOf('_bucket|'));
  const bounds = keys
    .filter((k) => k.startsWith(`${family}_bucket|`))
    .map((k) => k.slice(k.indexOf('|') + 1))
    .sort((x, y) => (x === '+Inf' ? Infinity : Number(x)) - (y === '+Inf' ? Infinity : Number(y)));
  const buckets: BatchBucket[] = [];
  let prev = 0;
  for (const le of bounds) {
    const key = `${family}_bucket|${le}`;
    const cum = (b.get(key) ?? 0) - (a.get(key) ?? 0);
    buckets.push({ le, count: Math.max(0, cum - prev) });
    prev = Math.max(prev, cum);
  }
  const batches = (b.get(`${family}_count`) ?? prev) - (a.get(`${family}_count`) ?? 0);
  const sum = b.has(`${family}_sum`) ? (b.get(`${family}_sum`)! - (a.get(`${family}_sum`) ?? 0)) : null;
  return { family, buckets, batches, meanRows: sum !== null && batches > 0 ? sum / batches : null };
}
