// A small Prometheus text-format registry: counters, gauges and fixed-bucket histograms with
// labels. Hot-path updates are a Map lookup and an add; formatting happens only on scrape.
// Names follow Prometheus conventions with units in the name (…_us, …_bytes, …_total).

type Labels = Record<string, string>;

// Label sets used on the hot path are long-lived objects (one per model version), so their
// formatted key is cached by identity; ad-hoc label objects are formatted each time.
const keyCache = new WeakMap<Labels, string>();

function labelKey(labels: Labels): string {
  let k = keyCache.get(labels);
  if (k === undefined) {
    k = formatLabels(labels);
    if (Object.isFrozen(labels)) keyCache.set(labels, k);
  }
  return k;
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  keys.sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge' | 'histogram') {}
  abstract render(out: string[]): void;
  protected header(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`);
  }
}

export class Counter extends Metric {
  readonly #values = new Map<string, number>();
  readonly #collected = new Map<string, () => number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  /** A counter kept elsewhere (e.g. the batcher's own counters), read at scrape time. */
  collect(labels: Labels, fn: () => number): void {
    this.#collected.set(labelKey(labels), fn);
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  render(out: string[]): void {
    this.header(out);
    for (const [k, v] of this.#values) out.push(k === '' ? `${this.name} ${v}` : `${this.name}{${k}} ${v}`);
    for (const [k, fn] of this.#collected) out.push(k === '' ? `${this.name} ${fn()}` : `${this.name}{${k}} ${fn()}`);
  }
}

export class Gauge extends Metric {
  readonly #values = new Map<string, number | (() => number)>();
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(labels: Labels, v: number): void {
    this.#values.set(labelKey(labels), v);
  }
  /** A gauge read at scrape time (queue depth, in-flight batches). */
  collect(labels: Labels, fn: () => number): void {
    this.#values.set(labelKey(labels), fn);
  }
  remove(labels: Labels): void {
    this.#values.delete(labelKey(labels));
  }
  render(out: string[]): void {
    this.header(out);
    for (const [k, raw] of this.#values) {
      const v = typeof raw === 'function' ? raw() : raw;
      out.push(k === '' ? `${this.name} ${v}` : `${this.name}{${k}} ${v}`);
    }
  }
}

interface HistState {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram extends Metric {
  readonly #series = new Map<string, HistState>();
  readonly buckets: readonly number[];
  constructor(name: string, help: string, buckets: readonly number[]) {
    super(name, help, 'histogram');
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(labels: Labels, v: number): void {
    const k = labelKey(labels);
    let s = this.#series.get(k);
    if (!s) {
      s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.#series.set(k, s);
    }
    // Non-cumulative per-bucket counts; render() makes them cumulative.
    let i = 0;
    while (i < this.buckets.length && v > this.buckets[i]!) i++;
    if (i < this.buckets.length) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  snapshot(labels: Labels = {}): { buckets: readonly number[]; counts: number[]; sum: number; count: number } | undefined {
    const s = this.#series.get(labelKey(labels));
    return s && { buckets: this.buckets, counts: [...s.counts], sum: s.sum, count: s.count };
  }
  render(out: string[]): void {
    this.header(out);
    for (const [k, s] of this.#series) {
      const pre = k === '' ? '' : `${k},`;
      let cum = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cum += s.counts[i]!;
        out.push(`${this.name}_bucket{${pre}le="${this.buckets[i]}"} ${cum}`);
      }
      out.push(`${this.name}_bucket{${pre}le="+Inf"} ${s.count}`);
      const lbl = k === '' ? '' : `{${k}}`;
      out.push(`${this.name}_sum${lbl} ${s.sum}`, `${this.name}_count${lbl} ${s.count}`);
    }
  }
}

export class Registry {
  readonly #metrics: Metric[] = [];
  readonly #beforeRender: (() => void)[] = [];
  /** Runs before each scrape renders (e.g. to snapshot and reset a measurement window). */
  beforeRender(fn: () => void): void {
    this.#beforeRender.push(fn);
  }
  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.#add(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }
  #add<M extends Metric>(m: M): M {
    if (this.#metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.#metrics.push(m);
    return m;
  }
  render(): string {
    for (const fn of this.#beforeRender) fn();
    const out: string[] = [];
    for (const m of this.#metrics) m.render(out);
    return out.join('\n') + '\n';
  }
}
